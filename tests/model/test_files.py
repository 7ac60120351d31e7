"""Atomic writes leave nothing behind even when a signal lands at the worst moment: right
after the temporary file or folder was created, before the function that created it
returned (Ctrl-C and SIGTERM are raised as exceptions wherever the program is)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from archgen.model.files import replace_folder, write_atomic


def _interrupt_after(real: Any) -> Any:
    def created_then_interrupted(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise KeyboardInterrupt

    return created_then_interrupted


def test_a_file_interrupted_as_its_temporary_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "summary.json"
    target.write_text("old", encoding="utf-8")
    monkeypatch.setattr(os, "open", _interrupt_after(os.open))
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "new")
    monkeypatch.undo()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["summary.json"]
    assert target.read_text(encoding="utf-8") == "old"


def test_a_folder_interrupted_as_its_staging_folder_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "run"
    monkeypatch.setattr(Path, "mkdir", _interrupt_after(Path.mkdir))
    with (
        pytest.raises(KeyboardInterrupt),
        replace_folder(target, noun="run folder", foreign=lambda path: [], hint=""),
    ):
        pytest.fail("the block must not be entered")  # pragma: no cover
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_a_folder_swap_interrupted_as_the_old_one_is_set_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "run"
    target.mkdir()
    (target / "summary.json").write_text("old", encoding="utf-8")

    def write_new() -> None:
        with replace_folder(target, noun="run folder", foreign=lambda path: [], hint="") as new:
            (new / "summary.json").write_text("new", encoding="utf-8")
            monkeypatch.setattr(Path, "mkdir", _interrupt_after(Path.mkdir))  # the aside one

    with pytest.raises(KeyboardInterrupt):
        write_new()
    monkeypatch.undo()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["run"]
    assert (target / "summary.json").read_text(encoding="utf-8") == "old"


def test_someone_elses_file_of_the_same_name_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never in practice (64 random bits), but a collision must not delete another's file."""
    theirs = tmp_path / ".out.txt.fixed"
    theirs.write_text("theirs", encoding="utf-8")
    monkeypatch.setattr("archgen.model.files._fresh_name", lambda parent, prefix: theirs)
    with pytest.raises(FileExistsError):
        write_atomic(tmp_path / "out.txt", "mine")
    assert theirs.read_text(encoding="utf-8") == "theirs"


def test_chunks_are_streamed_and_a_failing_source_leaves_the_old_file(tmp_path: Path) -> None:
    """An export streams its chunks into the temporary file; if producing them fails, the
    old file stays whole and no temporary is left behind."""
    path = tmp_path / "export.txt"
    write_atomic(path, iter(["a\n", b"b\n", "c\n"]))
    assert path.read_bytes() == b"a\nb\nc\n"

    def failing() -> Any:
        yield "half"
        raise RuntimeError("source failed")

    with pytest.raises(RuntimeError, match="source failed"):
        write_atomic(path, failing())
    assert path.read_bytes() == b"a\nb\nc\n"
    assert os.listdir(tmp_path) == ["export.txt"]
