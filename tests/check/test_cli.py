"""``archgen check``: exit 0 when everything holds, 1 on violations, 2 on bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from archgen.main import cli
from tests.check.helpers import TICKETS, mutate


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["check", *args])
    return result.exit_code, result.stdout, result.stderr


def test_a_conforming_model_and_run_exit_0(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    code, stdout, stderr = invoke(str(TICKETS), "--format", "json", "--out", str(out))
    assert code == 0, stderr
    assert stdout == ""
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["passed"] is True
    assert [scope["name"] for scope in document["scopes"]] == ["lint", "quiet", "coverage"]
    assert stderr.startswith(f"checked {TICKETS}: lint and 1 run in ")


def test_violations_exit_1_after_the_report(tmp_path: Path) -> None:
    model = tmp_path / "tickets.yaml"
    model.write_text(
        mutate(TICKETS.read_text(encoding="utf-8"), "threshold_ms: 800", "threshold_ms: 1"),
        encoding="utf-8",
    )
    code, stdout, stderr = invoke(str(model), "--scenario", "quiet")
    assert code == 1
    assert "[slo] flow 'browse' in quiet: p99 latency" in stdout
    # Warnings (edges no run used) depend on which behaviors exist; errors do not.
    assert re.search(r"check FAILED: 1 error, \d+ warnings?, 0 suppressed\n$", stdout)
    assert re.search(r"check failed: 1 error \(\d+ warnings?, 0 suppressed\)\n$", stderr)


def test_lint_only_runs_nothing() -> None:
    code, stdout, _ = invoke(str(TICKETS), "--lint-only", "--format", "junit")
    assert code == 0
    assert '<testsuite name="lint" tests="24" failures="0"' in stdout
    assert "quiet" not in stdout


def test_checking_an_existing_run_folder(tmp_path: Path) -> None:
    from archgen.model import load_model
    from archgen.runtime.session import run_scenario

    run_scenario(load_model(TICKETS).model, "quiet", out=tmp_path / "run")
    code, stdout, _ = invoke(str(TICKETS), "--run", str(tmp_path / "run"))
    assert code == 0
    assert "quiet: ok (11 rules, 0 errors, 0 warnings)" in stdout


def test_bad_input_exits_2(tmp_path: Path) -> None:
    code, _, stderr = invoke(str(TICKETS), "--scenario", "quite")
    assert code == 2
    assert "unknown scenario 'quite' (did you mean 'quiet'?); the model has: quiet" in stderr
    code, _, stderr = invoke(str(TICKETS), "--run", str(tmp_path))
    assert code == 2
    assert "not a run folder (no spans.jsonl" in stderr
    code, _, stderr = invoke(str(TICKETS), "--lint-only", "--scenario", "quiet")
    assert code == 2
    assert "--lint-only cannot be combined" in stderr
    code, _, stderr = invoke(str(tmp_path / "nope.yaml"))
    assert code == 2
    assert "no such file" in stderr


def two_scenarios() -> Any:
    """The tickets model with a second scenario (a busy hour): two runs for a pool."""
    from archgen.model import load_model_text

    text = TICKETS.read_text(encoding="utf-8")
    second = (
        "  - id: busy\n    title: A busy hour\n    duration_s: 60\n    seed: 3\n"
        "    traffic: {sessions_per_s: 4, mix: {visit: 1}}\n"
    )
    return load_model_text(mutate(text, "\ninvariants:\n", second + "\ninvariants:\n"), "t.yaml")


def test_scenarios_checked_in_parallel_report_as_one_by_one() -> None:
    from archgen.runtime.session import check

    loaded = two_scenarios()
    parallel = check(loaded, jobs=2)
    assert [scope.name for scope in parallel.scopes] == ["lint", "quiet", "busy", "coverage"]
    assert parallel == check(loaded, jobs=1)
    assert not parallel.failed


def test_a_process_with_other_threads_checks_in_parallel_from_a_forkserver() -> None:
    """A thread of another library alive (a Dask client's, say): forking then could copy a
    lock that thread holds into a worker that hangs for good. The pool's workers start from
    a forkserver instead, and report as the forked ones do."""
    import threading

    from archgen.runtime import session

    loaded = two_scenarios()
    forked = session.check(loaded, jobs=2)  # two scenarios: a pool of two
    assert [scope.name for scope in forked.scopes] == ["lint", "quiet", "busy", "coverage"]
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        with session.scenario_pool(2) as pool:
            assert pool._mp_context.get_start_method() == "forkserver"  # type: ignore[attr-defined]
        assert session.check(loaded, jobs=2) == forked
    finally:
        stop.set()
        other.join()
    alone = threading.active_count() == 1  # not after Dask's tests, whose threads linger
    with session.scenario_pool(2) as pool:
        method = pool._mp_context.get_start_method()  # type: ignore[attr-defined]
        assert method == ("fork" if alone else "forkserver")


def test_scale_and_duration_run_the_scenarios_as_run_does(tmp_path: Path) -> None:
    """``check --scale --duration`` (and ``--fidelity``) run each scenario as ``archgen run``
    does with the same options: the same spans, in full and in hybrid fidelity."""
    from archgen.model import load_model
    from archgen.runtime.fluid import Fidelity
    from archgen.runtime.session import run_scenario

    model = load_model(TICKETS).model
    options = ["--scenario", "quiet", "--scale", "2", "--duration", "60"]
    code, stdout, stderr = invoke(str(TICKETS), *options)
    assert code == 0, stderr
    assert "  spans: 1135\n" in stdout
    assert "  slo browse: p99 134 ms (objective 800 ms), n=184\n" in stdout
    assert "  scaled capacities: all within 5 % at scale 2\n" in stdout
    full = run_scenario(model, "quiet", scale=2, duration_s=60)
    assert full.summary["spans"] == 1135
    code, stdout, stderr = invoke(str(TICKETS), *options, "--fidelity", "hybrid", "--sample", "0.5")
    assert code == 0, stderr
    assert "  spans: 564\n" in stdout
    assert "  slo browse: p99 129 ms (objective 800 ms), n=94\n" in stdout
    # capacities are the system's (scale 2), not the traced share's (2 × 0.5)
    assert "  scaled capacities: all within 5 % at scale 2\n" in stdout
    hybrid = run_scenario(model, "quiet", scale=2, duration_s=60, fidelity=Fidelity("hybrid", 0.5))
    assert hybrid.summary["spans"] == 564


def test_scale_is_priced_before_anything_runs_at_the_traced_share() -> None:
    options = ["--scenario", "quiet", "--scale", "500", "--max-events", "100000"]
    code, stdout, stderr = invoke(str(TICKETS), *options)
    assert (code, stdout) == (2, "")
    assert stderr == (
        "error: scenario 'quiet' would take about 1,687,860 events (≈ 298.9 MiB of memory), "
        "over the budget of 100,000 events: lower --scale or --duration, or pass --max-events "
        "1800000 to run it anyway\n"
    )
    # a hundredth of it traced: about 17,000 events, within the budget
    code, stdout, stderr = invoke(
        str(TICKETS), *options, "--fidelity", "hybrid", "--sample", "0.01"
    )
    assert code == 0, stderr
    assert "check passed" in stdout


def test_scale_and_duration_need_scenarios_to_run() -> None:
    code, _, stderr = invoke(str(TICKETS), "--run", "somewhere", "--duration", "5")
    assert code == 2
    assert "error: --duration chooses how check runs scenarios: drop --run" in stderr
    code, _, stderr = invoke(str(TICKETS), "--lint-only", "--scale", "2", "--duration", "5")
    assert code == 2
    assert "error: --scale and --duration choose how check runs scenarios: drop --lint-only" in (
        stderr
    )
    code, _, stderr = invoke(str(TICKETS), "--scale", "0")
    assert (code, stderr.splitlines()[0]) == (2, "error: --scale: 0.0 is not in the range x>0")
    code, _, stderr = invoke(str(TICKETS), "--duration", "1e9")
    assert (code, stderr) == (
        2,
        "error: --duration: must be above 0 and at most 604,800 s, a week (got 1e+09)\n",
    )
