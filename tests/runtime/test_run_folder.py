"""A run folder is one unit: written beside the old one and swapped in, so an interrupted
run leaves the previous run whole; its summary names the sha256 of its spans, and
``archgen check --run`` refuses spans that are not the summary's; a folder holding anything
but run files is never replaced."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from archgen.main import cli
from archgen.model import LoadedModel
from archgen.model.files import OutputError
from archgen.runtime.check.spans import RunFolder, RunInputError
from archgen.runtime.session import run_scenario
from tests.runtime.conftest import MINI

ROOT = Path(__file__).resolve().parents[2]
SIGTERM_AS_EXIT = """
import signal, sys
def stop(signum, frame):
    raise SystemExit(143)
signal.signal(signal.SIGTERM, stop)
from archgen.main import main
sys.argv[0] = "archgen"
main()
"""
RUN_FILES = ["data-at-rest.json", "metrics.jsonl", "spans.jsonl", "summary.json"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def first_run(mini: LoadedModel, out: Path, seed: int = 1) -> dict[str, bytes]:
    run_scenario(mini.model, "base", seed=seed, duration_s=60, out=out)
    return snapshot(out)


def test_a_run_replaces_its_folder_as_a_whole(mini: LoadedModel, tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = first_run(mini, out)
    assert sorted(first) == RUN_FILES
    summary = json.loads(first["summary.json"])
    assert summary["spans_sha256"] == hashlib.sha256(first["spans.jsonl"]).hexdigest()
    (out / ".spans.jsonl.partial").write_bytes(b"left by an older, killed run\n")
    second = first_run(mini, out, seed=2)
    assert sorted(second) == RUN_FILES  # the leftover went with the old folder
    assert second["spans.jsonl"] != first["spans.jsonl"]
    assert os.listdir(tmp_path) == ["run"]
    assert first_run(mini, out) == first  # byte-identical again with the same seed


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, SystemExit, RuntimeError])
def test_an_interrupted_run_leaves_the_previous_run_whole(
    mini: LoadedModel, tmp_path: Path, interruption: type[BaseException]
) -> None:
    out = tmp_path / "run"
    before = first_run(mini, out)

    def stop_halfway(done: float) -> None:
        if done >= 0.5:
            staging = [name for name in os.listdir(tmp_path) if name != "run"]
            assert len(staging) == 1  # written beside the run folder, never into it
            assert (tmp_path / staging[0] / ".spans.jsonl.partial").is_file()
            raise interruption("stopped")

    with pytest.raises(interruption):
        run_scenario(mini.model, "base", seed=2, duration_s=60, out=out, progress=stop_halfway)
    assert snapshot(out) == before
    assert os.listdir(tmp_path) == ["run"]


def test_a_folder_with_files_of_the_user_is_never_replaced(
    mini: LoadedModel, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    first_run(mini, out)
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    before = snapshot(out)
    with pytest.raises(OutputError) as caught:
        run_scenario(mini.model, "base", seed=2, duration_s=60, out=out)
    assert caught.value.message == (
        f"{out}: not a run folder archgen wrote: it holds notes.txt; move them away or "
        "choose another folder"
    )
    assert snapshot(out) == before
    assert os.listdir(tmp_path) == ["run"]


def test_a_file_put_in_the_folder_during_the_run_is_kept(mini: LoadedModel, tmp_path: Path) -> None:
    out = tmp_path / "run"
    before = first_run(mini, out)

    def meanwhile(done: float) -> None:
        if done == 0.5:
            (out / "notes.txt").write_text("mine\n", encoding="utf-8")

    with pytest.raises(OutputError, match=r"it holds notes\.txt; move them away"):
        run_scenario(mini.model, "base", seed=2, duration_s=60, out=out, progress=meanwhile)
    assert snapshot(out) == {**before, "notes.txt": b"mine\n"}
    assert os.listdir(tmp_path) == ["run"]


def test_cli_refuses_a_symlinked_run_folder(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / "summary.json").write_text("{}\n", encoding="utf-8")
    link = tmp_path / "link"
    link.symlink_to(target, target_is_directory=True)
    args = ["run", str(MINI), "--scenario", "base", "--duration", "30", "--out", str(link)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {link}: is a symbolic link (to {target}); archgen does not replace what a "
        "link points to: give the folder itself\n"
    )
    assert snapshot(target) == {"summary.json": b"{}\n"}


def test_check_refuses_spans_that_are_not_the_summarys(mini: LoadedModel, tmp_path: Path) -> None:
    out = tmp_path / "run"
    first_run(mini, out)
    RunFolder.open(out)  # consistent: accepted
    other = first_run(mini, tmp_path / "other", seed=2)
    (out / "spans.jsonl").write_bytes(other["spans.jsonl"])
    message = (
        f"{out / 'spans.jsonl'}: not the spans of {out / 'summary.json'} (its sha256 differs "
        "from the summary's 'spans_sha256': a file was replaced or a run was interrupted); "
        "run the scenario again"
    )
    with pytest.raises(RunInputError) as caught:
        RunFolder.open(out)
    assert caught.value.message == message
    result = CliRunner().invoke(cli, ["check", str(MINI), "--run", str(out)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: {message}"]


def test_sigterm_mid_run_leaves_no_temporary_file_and_the_previous_run(
    mini: LoadedModel, tmp_path: Path
) -> None:
    out = tmp_path / "runs" / "run-base"
    before = first_run(mini, out)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    handles_sigterm = "SIGTERM" in (ROOT / "cli" / "main.py").read_text(encoding="utf-8")
    # Before archgen's main() turned SIGTERM into an exception, a wrapper does it: what is
    # tested here is that every cleanup path runs when the run unwinds.
    command = (
        [str(Path(sys.executable).parent / "archgen")]
        if handles_sigterm
        else [sys.executable, "-c", SIGTERM_AS_EXIT]
    )
    # Long enough to be mid-run for minutes; it is stopped as soon as spans are on disk.
    args = [*command, "run", str(MINI), "--scenario", "base", "--duration", "15000"]
    process = subprocess.Popen(
        [*args, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "TMPDIR": str(temporary)},
    )
    try:
        partial = _wait_for_partial_spans(out.parent, process)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert not partial.exists()
    assert os.listdir(out.parent) == ["run-base"]  # no staging folder beside it
    assert snapshot(out) == before
    assert os.listdir(temporary) == []
    assert process.returncode == 143, stderr.decode()
    if handles_sigterm:
        assert stderr.decode().endswith("archgen: terminated\n")


def _wait_for_partial_spans(folder: Path, process: subprocess.Popen[bytes]) -> Path:
    """The spans file being written in the run's staging folder, once it holds spans."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _, stderr = process.communicate()
            pytest.fail(f"archgen run ended before it was stopped: {stderr.decode()}")
        for partial in folder.glob(".run-base.archgen-*/.spans.jsonl.partial"):
            if partial.is_file() and partial.stat().st_size > 0:
                return partial
        time.sleep(0.05)
    pytest.fail("no spans written in 600 s")
