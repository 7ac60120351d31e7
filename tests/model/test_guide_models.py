"""The whole models the guide's "Writing a model" page shows (YAML blocks that start with
``archgen: 1``) validate and run: a newcomer copies them first, so they must not drift
from the schema or the runtime."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archgen.model import load_model_text

GUIDE = Path(__file__).resolve().parents[2] / "site" / "docs" / "guide" / "writing-a-model.md"
BLOCKS = re.findall(r"```yaml\n(archgen: 1\n.*?)```", GUIDE.read_text(), flags=re.DOTALL)


def test_the_page_shows_whole_models() -> None:
    ids = [re.search(r"system:\s*\{?\s*id: ([\w-]+)", block) for block in BLOCKS]
    assert [m.group(1) for m in ids if m] == ["links", "readings", "uploads"]


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.splitlines()[1][:40])
def test_a_whole_model_of_the_guide_validates(block: str) -> None:
    loaded = load_model_text(block, "writing-a-model.md")
    assert loaded.model.nodes, "the block is a model with nodes"


def test_the_api_gateway_model_runs_its_integration(tmp_path: Path) -> None:
    """The API's step is followed by its Lambda proxy integration and the function's
    write: every upload's trace holds the three calls, in that order."""
    from archgen.runtime.engine import run_collector
    from archgen.runtime.run import build, start
    from archgen.runtime.trace import SpanSink

    [block] = [b for b in BLOCKS if "id: readings" in b]
    model = load_model_text(block, "writing-a-model.md").model
    sink = SpanSink(None, keep=True)
    scenario = model.scenarios_by_id["steady"]
    sim, traffic = build(model, scenario, seed=1, scale=0.05, duration_s=20, sink=sink)
    start(sim, traffic, 20)
    with run_collector():
        sim.kernel.run(20_000)
    traces: dict[str, list[tuple[str, str]]] = {}
    for span in sorted(sink.records, key=lambda s: s["span"]):
        traces.setdefault(span["trace"], []).append((span["node"], span["op"]))
    assert traces
    assert {tuple(calls) for calls in traces.values()} == {
        (("api", "POST /readings"), ("ingest", "Invoke"), ("readings-table", "PutItem"))
    }


def test_the_presigned_upload_section_quotes_what_the_lint_says() -> None:
    """The section on presigned URLs shows the finding of its model without the signer's
    kms:GenerateDataKey, word for word."""
    from archgen.runtime.check import lint

    [block] = [b for b in BLOCKS if "id: uploads" in b]
    kept = "              Action: kms:GenerateDataKey\n"
    assert block.count(kept) == 1
    text = block.replace(kept, "              Action: kms:Decrypt\n")
    found = lint(load_model_text(text, "uploads.yaml")).findings
    [finding] = [str(f) for f in found if f.rule == "kms-key-access"]
    assert f"  {finding}\n" in GUIDE.read_text()
    assert "presigned by 'signer'" in finding
