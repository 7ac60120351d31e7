"""``archgen render --watch`` renders again when the model changes, and survives a bad edit."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from archgen.commands.render import run_render

MINI = Path(__file__).parent / "models" / "mini.yaml"


def wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_watch_rerenders_on_change_and_reports_bad_edits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "model.yaml"
    shutil.copy(MINI, model)
    out = tmp_path / "out"
    stop = threading.Event()
    worker = threading.Thread(
        target=run_render,
        args=(model,),
        kwargs={
            "views": ["overview"],
            "formats": ["mermaid"],
            "out": out,
            "watch": True,
            "stop_event": stop,
        },
    )
    seen = {"out": "", "err": ""}

    def printed(stream: str, text: str) -> bool:
        captured = capsys.readouterr()
        seen["out"] += captured.out
        seen["err"] += captured.err
        return text in seen[stream]

    worker.start()
    try:
        diagram = out / "overview.mmd"
        assert wait_for(lambda: printed("out", f"watching {model}"))
        time.sleep(0.5)  # let the watcher settle before the first edit
        original = model.read_text(encoding="utf-8")
        assert "Renamed shop" not in diagram.read_text(encoding="utf-8")

        model.write_text(original + "\nbroken: [\n", encoding="utf-8")
        assert wait_for(lambda: printed("err", "YAML syntax error"))
        assert seen["err"].startswith(f"error: {model}:")  # one "error:" prefix, no traceback
        assert "Traceback" not in seen["err"]

        model.write_text(original.replace("name: Mini shop", "name: Renamed shop"), "utf-8")
        assert wait_for(lambda: "Renamed shop" in diagram.read_text(encoding="utf-8"))
    finally:
        stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()
