"""Each flow's page draws a real traced request beside the declared sequence: the successful,
complete execution closest to the median duration (ties: the earliest trace), as a Mermaid
sequence diagram that the real Mermaid parses."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from archgen.model import load_model
from archgen.runtime.export.representative import representative_requests
from archgen.site.content import build_content
from archgen.site.plan import Paths
from archgen.site.traced import sequence
from tests.export.conftest import JOBS
from tests.render.conftest import MMDC, PUPPETEER

SUBMIT = """---
title: 'Submit a job: trace t00000733, 519.4 ms'
---
sequenceDiagram
  participant n_caller as caller
  participant n_api as api
  participant n_jobs as jobs
  n_caller->>n_api: POST /jobs at 0.0 ms
  n_api-->>n_caller: 510.0 ms
  n_api--)n_jobs: SendMessage at 510.0 ms
"""


def _expected(spans: list[dict[str, Any]]) -> dict[str, tuple[str, int]]:
    """The choice made the slow, obvious way: flow → (trace, candidates)."""
    by_trace: dict[str, list[dict[str, Any]]] = {}
    for span in spans:
        by_trace.setdefault(span["trace"], []).append(span)
    known = {span["span"] for span in spans}
    durations: dict[str, list[tuple[float, str]]] = {}
    for trace, own in by_trace.items():
        flows = {span["flow"] for span in own if span["flow"] is not None}
        if len(flows) != 1 or any(span["status"] != "ok" for span in own):
            continue
        if any(span["parent"] is not None and span["parent"] not in known for span in own):
            continue
        duration = max(s["end_ms"] for s in own) - min(s["start_ms"] for s in own)
        durations.setdefault(flows.pop(), []).append((round(duration, 3), trace))
    chosen = {}
    for flow, pairs in durations.items():
        values = sorted(duration for duration, _ in pairs)
        median = values[(len(values) - 1) // 2]
        _, trace = min(pairs, key=lambda pair: (abs(pair[0] - median), pair[1]))
        chosen[flow] = (trace, len(pairs))
    return chosen


def test_the_request_closest_to_the_median(run_folder: Path, spans: list[dict[str, Any]]) -> None:
    requests = representative_requests(run_folder)
    assert {flow: (r.trace, r.candidates) for flow, r in requests.items()} == _expected(spans)
    assert {flow: (r.trace, r.candidates) for flow, r in requests.items()} == {
        "process": ("t00000403", 262),
        "submit": ("t00000733", 266),
    }
    process = requests["process"]
    assert [(c.source, c.target, c.op, c.handoff) for c in process.calls] == [
        ("jobs", "worker", "Invoke", True),  # the message that started it
        ("worker", "jobs", "ReceiveMessage", False),
        ("worker", "store", "PutResult", False),
        ("worker", "events", "Publish", False),
        ("events", "mail", "Deliver", False),
        ("worker", "jobs", "DeleteMessage", False),
    ]
    assert (process.calls[0].start_ms, process.duration_ms) == (0.0, 228.382)


def test_the_traced_sequence_diagram(run_folder: Path) -> None:
    model = load_model(JOBS).model
    requests = representative_requests(run_folder)
    assert sequence(model, requests["submit"], {}) == SUBMIT
    lines = sequence(model, requests["process"], {}).splitlines()
    assert lines[9:] == [
        "  n_jobs--)n_worker: Invoke at 0.0 ms (a message)",
        # The receive and delete steps stand for the event source mapping's calls: no
        # time, each answer right after its call.
        "  n_worker->>n_jobs: ReceiveMessage at 81.7 ms",
        "  n_jobs-->>n_worker: 0.0 ms",
        "  n_worker->>n_store: PutResult at 81.7 ms",
        "  n_store-->>n_worker: 30.0 ms",
        "  n_worker->>n_events: Publish at 111.7 ms",
        "  n_events-->>n_worker: 54.1 ms",
        "  n_events--)n_mail: Deliver at 165.8 ms",
        "  n_worker->>n_jobs: DeleteMessage at 165.8 ms",
        "  n_jobs-->>n_worker: 0.0 ms",
    ]


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    cache = tmp_path_factory.mktemp("cache")
    return build_content(load_model(JOBS), Paths(), cache).pages


def test_the_flow_page_shows_it_after_the_declared_sequence(pages: dict[str, str]) -> None:
    page = pages["flows/submit.md"]
    declared = page.index("## Sequence\n")
    traced = page.index("## A traced request\n")
    assert declared < traced < page.index("## Service level objectives")
    assert (
        "The same flow as the simulation ran it: trace <code>t00000733</code> of scenario "
        "[Steady](../scenarios/steady.md), 519&#46;4 ms from its first call to its last "
        "answer, the execution closest to the median duration of the 266 that completed "
        "without an error." in page
    )
    assert f"```mermaid\n{SUBMIT}```" in page


def test_without_runs_the_page_says_why(tmp_path: Path) -> None:
    pages = build_content(load_model(JOBS), Paths(), tmp_path, simulate=False).pages
    page = pages["flows/submit.md"]
    section = page[page.index("## A traced request") : page.index("## Service level")]
    assert "Scenarios are not simulated in this build" in section


@pytest.mark.browser
@pytest.mark.timeout(1200)
@pytest.mark.skipif(not MMDC.exists(), reason="run `make setup` (npm packages)")
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")
def test_mermaid_parses_the_traced_sequences(run_folder: Path, tmp_path: Path) -> None:
    model = load_model(JOBS).model
    blocks = [
        f"```mermaid\n{sequence(model, request, {})}```\n"
        for request in representative_requests(run_folder).values()
    ]
    (tmp_path / "diagrams.md").write_text("\n".join(blocks), encoding="utf-8")
    config = tmp_path / "puppeteer.json"
    config.write_text(json.dumps(PUPPETEER), encoding="utf-8")
    done = subprocess.run(
        [
            str(MMDC),
            "-p",
            str(config),
            "-i",
            str(tmp_path / "diagrams.md"),
            "-o",
            str(tmp_path / "out.md"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(sorted(tmp_path.glob("out-*.svg"))) == 2
