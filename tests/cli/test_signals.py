"""Ctrl-C and SIGTERM end a command with exit 130 and 143 and one line, not "Aborted!" with
exit 1 (which ``archgen check`` uses for "violations found") nor a traceback, and the run
folder being written is removed on the way out.

The signal is sent once the run has started writing; the run is made far too long to end
by itself first, and every wait is generous (the verdict never depends on speed).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ARCHGEN = Path(sys.executable).parent / "archgen"
STARTUP_S = 300
EXIT_S = 300


# A shell without job control starts background jobs with SIGINT ignored, and Python then
# keeps ignoring it; a user's Ctrl-C reaches archgen with the default disposition, so the
# test starts archgen through this (exec keeps the process, hence its pid).
WITH_DEFAULT_SIGINT = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


def _start_a_long_run(runs: Path) -> subprocess.Popen[str]:
    runs.mkdir()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            WITH_DEFAULT_SIGINT,
            str(ARCHGEN),
            "run",
            "--scenario",
            "prime-day",
            "--duration",
            "20000",
            "--scale",
            "0.002",
            "--fidelity",
            "full",  # every session: far too long to end by itself
            "--out",
            str(runs / "prime-day"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + STARTUP_S
    while not any(runs.iterdir()):  # the run writes beside its folder as soon as it starts
        if process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"archgen ended before it was signalled: {process.returncode}\n{err}")
        if time.monotonic() > deadline:
            process.kill()
            process.communicate()
            pytest.fail(f"the run wrote nothing in {STARTUP_S} s")
        time.sleep(0.05)
    return process


def _a_run_is_writing(temporary: Path) -> bool:
    """A worker's run is under way in ``temporary``: its run writes a staging folder (named
    ``.…``) beside its run folder, so the worker is inside the block that removes its
    temporary folders on the way out (a signal sent as soon as the temporary folder exists
    could land before that block is entered)."""
    try:
        return any(
            path.name.startswith(".") or (path.is_dir() and any(path.iterdir()))
            for path in temporary.iterdir()
        )
    except FileNotFoundError:  # a folder removed while looking
        return False


@pytest.mark.parametrize(
    ("sent", "code", "line"),
    [
        (signal.SIGINT, 130, "archgen: interrupted\n"),
        (signal.SIGTERM, 143, "archgen: terminated\n"),
    ],
)
def test_a_signalled_run_ends_with_its_exit_code(
    tmp_path: Path, sent: signal.Signals, code: int, line: str
) -> None:
    runs = tmp_path / "runs"
    process = _start_a_long_run(runs)
    process.send_signal(sent)
    try:
        out, err = process.communicate(timeout=EXIT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail(f"archgen did not end within {EXIT_S} s of {sent.name}")
    # the fidelity is said once a run is done: an interrupted one says only that it was
    assert (process.returncode, out, err) == (code, "", line)
    assert list(runs.iterdir()) == []  # no half-written run folder, no temporary files


@pytest.mark.parametrize(
    ("sent", "code", "line"),
    [
        (signal.SIGINT, 130, "archgen: interrupted\n"),
        (signal.SIGTERM, 143, "archgen: terminated\n"),
    ],
)
def test_a_signalled_check_stops_its_workers(
    tmp_path: Path, sent: signal.Signals, code: int, line: str
) -> None:
    """``archgen check`` runs the scenarios in worker processes: they stop too, removing
    their temporary run folders, and the exit code is not 1 ("violations found")."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-c", WITH_DEFAULT_SIGINT, str(ARCHGEN), "check"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(temporary)},
    )
    deadline = time.monotonic() + STARTUP_S
    while not _a_run_is_writing(temporary):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            _, err = process.communicate()
            pytest.fail(f"no scenario started ({process.returncode}): {err}")
        time.sleep(0.05)
    process.send_signal(sent)
    try:
        out, err = process.communicate(timeout=EXIT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail(f"archgen check did not end within {EXIT_S} s of {sent.name}")
    assert (process.returncode, out, err) == (code, "", line)
    assert list(temporary.iterdir()) == []


@pytest.mark.parametrize(
    ("sent", "code", "line"),
    [
        (signal.SIGINT, 130, "archgen: interrupted\n"),
        (signal.SIGTERM, 143, "archgen: terminated\n"),
    ],
)
def test_a_signalled_site_build_stops_its_simulations(
    tmp_path: Path, sent: signal.Signals, code: int, line: str
) -> None:
    """``site build`` simulates the scenarios in worker processes: on the signal the queued
    ones are cancelled and the running ones stopped (each a simulated day, so a pool that
    waited for them would not end within EXIT_S), leaving no run folder, staging folder or
    site behind."""
    text = (Path(__file__).parents[1] / "models" / "photo-sharing.yaml").read_text("utf-8")
    text = text.replace("duration_s: 300", "duration_s: 86400")
    text = text.replace("duration_s: 600\n    seed: 9", "duration_s: 86400\n    seed: 9")
    model = tmp_path / "photos.yaml"
    model.write_text(text, encoding="utf-8")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    out = tmp_path / "site"
    cache = tmp_path / "cache"
    command = ["site", "build", str(model), "--out", str(out), "--cache-dir", str(cache)]
    process = subprocess.Popen(
        [sys.executable, "-c", WITH_DEFAULT_SIGINT, str(ARCHGEN), *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(temporary)},
    )
    deadline = time.monotonic() + STARTUP_S
    while not _a_run_is_writing(temporary):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            _, err = process.communicate()
            pytest.fail(f"no scenario started ({process.returncode}): {err}")
        time.sleep(0.05)
    process.send_signal(sent)
    try:
        stdout, err = process.communicate(timeout=EXIT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail(f"archgen site build did not end within {EXIT_S} s of {sent.name}")
    assert (process.returncode, stdout, err) == (code, "", line)
    assert [path.name for path in temporary.iterdir()] == []
    # no site and no staging folder beside it (the cache may or may not have been started)
    assert sorted({path.name for path in tmp_path.iterdir()} - {"cache"}) == ["photos.yaml", "tmp"]
