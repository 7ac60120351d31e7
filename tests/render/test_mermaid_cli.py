"""Every Mermaid output parses with the real Mermaid (mermaid-cli driven by Debian's chromium).

All diagrams of all models go into one Markdown file: mmdc renders each ```mermaid block
and exits 1 on the first syntax error (about 2 s per call, mostly starting Chromium).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from archgen.model import LoadedModel
from archgen.renderers.mermaid import flowchart, sequence_from_view
from archgen.renderers.views import compute_views
from tests.render.conftest import MMDC

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(1200),
    pytest.mark.skipif(not MMDC.exists(), reason="run `make setup` (npm packages)"),
    pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium"),
]


def mmdc(markdown: str, folder: Path, config: Path) -> subprocess.CompletedProcess[str]:
    source = folder / "diagrams.md"
    source.write_text(markdown, encoding="utf-8")
    return subprocess.run(
        [str(MMDC), "-p", str(config), "-i", str(source), "-o", str(folder / "out.md")],
        capture_output=True,
        text=True,
        timeout=900,  # ~2 s idle; minutes on a loaded 2-core machine
        check=False,
    )


def block(text: str) -> str:
    return f"```mermaid\n{text}```\n"


def test_every_diagram_parses(
    mini: LoadedModel,
    hostile: LoadedModel,
    reference: LoadedModel,
    photo: LoadedModel,
    tmp_path: Path,
    puppeteer_config: Path,
) -> None:
    blocks = []
    for loaded in (mini, hostile, reference, photo):
        for view in compute_views(loaded.model):
            blocks.append(block(flowchart(view)))
            if view.kind == "flow":
                blocks.append(block(sequence_from_view(view)))
    done = mmdc("\n".join(blocks), tmp_path, puppeteer_config)
    assert done.returncode == 0, done.stdout + done.stderr
    drawn = sorted(tmp_path.glob("out-*.svg"))
    assert len(drawn) == len(blocks)
    hostile_svgs = "".join(path.read_text(encoding="utf-8") for path in drawn)
    assert "<script" not in hostile_svgs  # the hostile labels stayed text
    assert "&lt;script&gt;alert" in hostile_svgs


def test_a_broken_diagram_fails(tmp_path: Path, puppeteer_config: Path) -> None:
    broken = "flowchart LR\n  a -->|unclosed b\n  subgraph\n"
    done = mmdc(
        block("flowchart LR\n  a --> b\n") + "\n" + block(broken), tmp_path, puppeteer_config
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Parse error" in done.stdout + done.stderr
