"""The site at a fidelity: scenario pages say which fidelity and sample produced them, and
the results cache never serves a hybrid result for a full one (or for another sample)."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from mkdocs.exceptions import Abort
from site_helpers import build_mkdocs

from archgen.main import cli
from archgen.model import load_model
from archgen.model.errors import UsageError
from archgen.runtime.fluid import FULL, Fidelity
from archgen.site.content import build_content
from archgen.site.plan import Paths
from archgen.site.results import result_key

TELEMETRY = Path(__file__).parent / "models" / "telemetry.yaml"
HYBRID_NOTE = (
    "Simulated in **hybrid fidelity**: the system at scale 1, a sample of 0.5 of its sessions "
    "traced request by request, the rest of the load a fluid through its pools of servers. "
    "Spans, latencies, the SLOs' measurements, the check's findings and the traced requests "
    "are of that sample;"
)


def test_pages_say_the_fidelity_and_the_cache_keeps_them_apart(tmp_path: Path) -> None:
    loaded = load_model(TELEMETRY)
    paths = Paths()
    page = paths.scenario("calm")
    hybrid = build_content(loaded, paths, tmp_path, mode="hybrid", sample=0.5)
    diagrams = hybrid.cache_misses - 1  # everything else the site caches
    text = html.unescape(hybrid.pages[page])  # the pages escape Markdown's punctuation
    assert HYBRID_NOTE in text
    assert "| Sessions (traced) | 62 |" in text
    assert "| Spans (traced) | 2,174 |" in text
    assert "| Attack requests (traced; blocked) | 156 (0) |" in text  # whole sources traced
    # 62 calls of users and 156 of the attack in the one 60 s period, traced at 0.5
    assert (
        "| Peak requests per second sent into the system (real units) | 7.267 (the busiest "
        "metric period, from 0 s) |"
    ) in text
    traced_flow = next(
        markdown
        for markdown in map(html.unescape, hybrid.pages.values())
        if "(in hybrid fidelity: of the traced sample, 0.5 of the sessions)" in markdown
    )
    assert "## A traced request" in traced_flow

    full = build_content(loaded, paths, tmp_path)  # the hybrid result is not served
    assert (full.cache_hits, full.cache_misses) == (diagrams, 1)
    text = html.unescape(full.pages[page])
    assert "Simulated in **full fidelity**: every session request by request, at scale 1." in text
    assert "hybrid" not in text
    assert "| Sessions | 125 |" in text
    assert "| Spans | 4,254 |" in text
    assert "| Attack requests (blocked) |" in text

    other = build_content(loaded, paths, tmp_path, mode="hybrid", sample=0.25)
    assert other.cache_misses == 1
    assert "a sample of 0.25 of its sessions" in html.unescape(other.pages[page])
    again = build_content(loaded, paths, tmp_path, mode="hybrid", sample=0.5)
    assert (again.cache_hits, again.cache_misses) == (diagrams + 1, 0)
    assert again.pages == hybrid.pages


def test_a_hybrid_run_of_every_session_says_all_not_a_sample_of_1(tmp_path: Path) -> None:
    """--sample 1 traces every session: the pages said "a sample of 1 of its sessions" and
    "of the traced sample, 1 of the sessions"."""
    whole = build_content(load_model(TELEMETRY), Paths(), tmp_path, mode="hybrid", sample=1.0)
    pages = {name: html.unescape(page) for name, page in whole.pages.items()}
    assert (
        "Simulated in **hybrid fidelity**: the system at scale 1, all of its sessions traced "
        "request by request, the rest of the load a fluid"
    ) in pages[Paths().scenario("calm")]
    assert sum("(in hybrid fidelity, every session traced)" in page for page in pages.values())
    said = ("sample of 1 of", "sample, 1 of the sessions", " 1 of its sessions")
    assert not [name for name, page in pages.items() if any(s in page for s in said)]


def test_result_keys_differ_by_fidelity_and_sample() -> None:
    loaded = load_model(TELEMETRY)
    keys = {
        result_key(loaded, "calm", fidelity)
        for fidelity in (FULL, Fidelity("hybrid", 0.5), Fidelity("hybrid", 0.25))
    }
    assert len(keys) == 3
    assert result_key(loaded, "calm") == result_key(loaded, "calm", FULL)


def test_site_build_takes_fidelity_and_sample(tmp_path: Path) -> None:
    out = tmp_path / "site"
    args = ["site", "build", str(TELEMETRY), "--out", str(out), "--cache-dir", str(tmp_path)]
    result = CliRunner().invoke(cli, [*args, "--fidelity", "hybrid", "--sample", "0.5"])
    assert result.exit_code == 0, result.stderr
    page = html.unescape((out / "scenarios" / "calm" / "index.html").read_text(encoding="utf-8"))
    assert "Simulated in <strong>hybrid fidelity</strong>: the system at scale 1, a sample" in page
    assert "Sessions (traced)" in page


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--sample", "0.5"], "--sample traces a share of the sessions: add --fidelity hybrid"),
        (["--fidelity", "hybrid", "--sample", "0"], "--sample: must be above 0 and at most 1"),
        (["--fidelity", "fast"], "'fast' is not one of 'auto', 'full', 'hybrid'"),
    ],
)
def test_site_build_refuses_bad_fidelity_options(
    options: list[str], message: str, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    args = ["site", "build", str(TELEMETRY), "--out", str(out), *options]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not out.exists()


def _config(tmp_path: Path, plugin: dict[str, object]) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.md").write_text("# N\n", encoding="utf-8")
    config = {
        "site_name": "t",
        "strict": True,
        "theme": {"name": "material", "font": False},
        "plugins": [{"archgen": {"model": str(TELEMETRY), "cache_dir": "cache", **plugin}}],
    }
    (tmp_path / "mkdocs.yml").write_text(json.dumps(config), encoding="utf-8")
    return tmp_path / "mkdocs.yml"


@pytest.mark.parametrize(
    ("plugin", "message"),
    [
        ({"sample": 0.5}, "archgen: 'sample' traces a share of the sessions: set 'fidelity"),
        ({"fidelity": "hybrid", "sample": 2}, "archgen: 'sample' must be above 0 and at most 1"),
    ],
)
def test_the_plugin_checks_its_fidelity_options(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, plugin: dict[str, object], message: str
) -> None:
    config = _config(tmp_path, {"simulate": False, **plugin})
    with pytest.raises(Abort):
        build_mkdocs(config, tmp_path / "out")
    assert message in caplog.text
    with pytest.raises(UsageError, match=message.removeprefix("archgen: ")):
        build_mkdocs(config, tmp_path / "out", {"raise_errors": True})


@pytest.mark.parametrize("command", [["site", "build"], ["site", "serve"]])
def test_site_fidelity_help_names_no_scale_option(command: list[str]) -> None:
    """site build/serve have no --scale: their --fidelity help must not send users to it."""
    text = " ".join(CliRunner().invoke(cli, [*command, "--help"]).stdout.split())
    assert "--scale" not in text
    assert "full: every session request by request at the scenario's scale." in text
    run = " ".join(CliRunner().invoke(cli, ["run", "--help"]).stdout.split())
    assert "full: every session request by request, pools shrunk with --scale." in run
