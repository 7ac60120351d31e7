"""The fast span writer writes exactly what ``json.dumps`` of the span record would."""

from __future__ import annotations

import json
from pathlib import Path

from archgen.model import LoadedModel
from archgen.runtime.session import run_scenario

CONTRACT_KEYS = [
    "attrs",
    "end_ms",
    "error",
    "flow",
    "from",
    "journey",
    "node",
    "op",
    "parent",
    "session",
    "span",
    "start_ms",
    "status",
    "step",
    "trace",
]


def test_written_spans_match_the_contract(mini: LoadedModel, tmp_path: Path) -> None:
    result = run_scenario(mini.model, "zone-down", duration_s=150, out=tmp_path, keep_spans=True)
    lines = (tmp_path / "spans.jsonl").read_text().splitlines()
    assert len(lines) == len(result.spans) > 1000
    for line, record in zip(lines, result.spans, strict=True):
        assert line == json.dumps(record, sort_keys=True)
    record = result.spans[0]
    assert list(record) == CONTRACT_KEYS
    statuses = {span["status"] for span in result.spans}
    assert statuses == {"ok", "error"}
    top = [s for s in result.spans if s["parent"] is None and s["from"] == "user"]
    assert all(s["journey"] == "shop" and s["flow"] in {"home", "item", "buy"} for s in top)
