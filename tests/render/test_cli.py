"""``archgen render``: files, table, incremental re-runs, errors with exit 2."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from archgen.main import cli
from tests.render.conftest import MODELS

MINI = str(MODELS / "mini.yaml")


def render(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["render", *args])
    return result.exit_code, result.output


def test_renders_every_view_then_nothing_when_unchanged(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, output = render(MINI, "--out", str(out), "--format", "svg,mermaid,dot")
    assert code == 0, output
    names = sorted(path.name for path in out.iterdir())
    assert "overview.svg" in names
    assert "flow-browse.sequence.mmd" in names
    assert "security.dot" in names
    assert "overview.png" not in names
    # 11 views x 3 formats, plus a sequence diagram for each of the 3 flows, plus the manifest
    assert len(names) == 11 * 3 + 3 + 1
    assert "36 written, 0 unchanged" in output
    assert "view-data.mmd" in output  # the table lists what was written

    started = time.perf_counter()
    code, output = render(MINI, "--out", str(out), "--format", "svg,mermaid,dot")
    assert code == 0, output
    assert output.strip() == f"0 written, 36 unchanged in {out}"
    assert time.perf_counter() - started < 0.5


def test_only_changed_views_are_rendered_again(tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    model.write_text((MODELS / "mini.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out"
    assert render(str(model), "--out", str(out), "--format", "dot")[0] == 0
    (out / "overview.dot").write_text("edited by hand", encoding="utf-8")
    text = model.read_text(encoding="utf-8").replace("label: Recommender", "label: Recs")
    model.write_text(text, encoding="utf-8")
    code, output = render(str(model), "--out", str(out), "--format", "dot")
    assert code == 0, output
    rendered = sorted(
        line.split("│")[1].strip()
        for line in output.splitlines()
        if "written" in line and "│" in line
    )
    # the recommender is in these views; overview.dot was edited, so it is rewritten too
    assert rendered == ["flow-browse", "overview", "region-use1", "step-1", "view-us-east"]
    manifest = json.loads((out / ".archgen-render.json").read_text(encoding="utf-8"))
    assert set(manifest["entries"]["overview:dot"]["files"]) == {"overview.dot"}


def test_selected_views_and_formats(tmp_path: Path) -> None:
    code, output = render(
        MINI,
        "--out",
        str(tmp_path),
        "--view",
        "flow-checkout",
        "-v",
        "security",
        "--format",
        "mermaid",
    )
    assert code == 0, output
    assert sorted(path.name for path in tmp_path.glob("*.mmd")) == [
        "flow-checkout.mmd",
        "flow-checkout.sequence.mmd",
        "security.mmd",
    ]


def test_unknown_view_suggests(tmp_path: Path) -> None:
    code, output = render(MINI, "--out", str(tmp_path), "--view", "overveiw")
    assert code == 2
    assert output.startswith(
        "error: unknown view 'overveiw' (did you mean 'overview'?). Views: overview,"
    )
    assert not list(tmp_path.iterdir())


def test_unknown_format(tmp_path: Path) -> None:
    code, output = render(MINI, "--out", str(tmp_path), "--format", "svg,pdf")
    assert code == 2
    assert "unknown format 'pdf'" in output


def test_missing_graphviz_names_the_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    code, output = render(MINI, "--out", str(tmp_path / "out"), "--format", "png")
    assert code == 2
    assert "sudo apt-get install graphviz" in output
    assert "Traceback" not in output
    assert not (tmp_path / "out").exists()
    code, output = render(MINI, "--out", str(tmp_path / "out"), "--format", "dot")
    assert code == 0, output


def test_bad_model_is_exit_2(tmp_path: Path) -> None:
    model = tmp_path / "bad.yaml"
    model.write_text("archgen: 1\nsystem: {id: x, name: X}\nnodes: []\n", encoding="utf-8")
    code, output = render(str(model), "--out", str(tmp_path / "out"))
    assert code == 2
    assert "Traceback" not in output
