"""``archgen sweep`` end to end on a tiny model: the same bytes on every executor, real runs
through the session, resumable, interruptible, and a published schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from archgen.model import LoadedModel
from archgen.runtime import session, sweep
from archgen.runtime.artefacts import SweepResult, SweepRun
from archgen.runtime.sweep_params import configurations, configured, parse_knobs
from tests.sweep.conftest import archgen, sweep_args

OUTPUTS = ("sweep.json", "sweep.csv")


def _outputs(folder: Path) -> dict[str, bytes]:
    files = {name: (folder / name).read_bytes() for name in OUTPUTS}
    files.update({f"charts/{p.name}": p.read_bytes() for p in (folder / "charts").glob("*.svg")})
    return files


def test_the_table_shows_each_configuration_with_intervals(serial: Path) -> None:
    result = SweepResult.model_validate_json((serial / "sweep.json").read_bytes())
    assert [c.params for c in result.configurations] == [
        {"api.autoscaling.min_instances": 1},
        {"api.autoscaling.min_instances": 3},
    ]
    assert result.seeds == [1, 2, 3]
    assert [p.name for p in result.parameters] == ["api.autoscaling.min_instances"]
    for configuration in result.configurations:
        assert configuration.seeds == [1, 2, 3]
        p99 = configuration.flows["save"].p99_ms
        assert p99 is not None
        assert p99.n == 3
        assert p99.low is not None
        assert p99.high is not None
        assert p99.low <= p99.mean <= p99.high
        assert configuration.slo_pass_rate is not None
        assert configuration.cost_usd is not None  # the summaries' window_usd
        assert configuration.cost_usd.n == 3
        assert configuration.cost_usd.mean > 0
    # Three instances from the start: never fewer in service, never more than the max.
    assert result.configurations[1].peak_instances["api"].mean >= 3
    csv_lines = (serial / "sweep.csv").read_text().splitlines()
    assert csv_lines[0].startswith("api.autoscaling.min_instances,runs,availability.mean,")
    assert [line.split(",")[:2] for line in csv_lines[1:]] == [["1", "3"], ["3", "3"]]
    assert (serial / "charts" / "flows.save.p99_ms.svg").read_text().count("<polygon") == 1


def test_each_run_is_the_session_run_of_its_seed_and_values(
    serial: Path, notes: LoadedModel
) -> None:
    """A sweep's run is a full run through the one pipeline: the same figures as running
    the configured model with that seed, and the means are those of the runs."""
    result = SweepResult.model_validate_json((serial / "sweep.json").read_bytes())
    runs = [SweepRun.model_validate_json(p.read_bytes()) for p in (serial / "runs").glob("*.json")]
    assert len(runs) == 6
    knobs = parse_knobs(notes, ["api.autoscaling.min_instances=1,3"])
    values = configurations(knobs)[1]
    model = configured(notes, knobs, values)
    outcome = session.run_and_check(model, "busy", seed=2, duration_s=10)
    mine = next(r for r in runs if r.seed == 2 and r.params == dict(values))
    assert mine.flows["save"].p99_ms == outcome.summary.flows["save"].p99_ms
    assert mine.peak_instances["api"] == outcome.summary.instances["api"].peak_in_service
    assert mine.cost_usd == outcome.summary.cost.window_usd
    assert mine.monthly_cost_usd == outcome.summary.cost.monthly_usd
    theirs = sorted((r for r in runs if r.params == dict(values)), key=lambda r: r.seed)
    p99s = [r.flows["save"].p99_ms for r in theirs]
    mean = result.configurations[1].flows["save"].p99_ms
    assert mean is not None
    assert mean.mean == round(sum(p for p in p99s if p is not None) / 3, 6)


def test_a_process_pool_gives_the_same_bytes(serial: Path, tmp_path: Path) -> None:
    code, stdout, _ = archgen(*sweep_args(tmp_path / "pool", "--jobs", "2", "--chunk", "2"))
    assert code == 0
    assert "6 runs on process pool (2 workers)" in stdout
    assert _outputs(tmp_path / "pool") == _outputs(serial)


@pytest.mark.slow
def test_a_dask_local_cluster_gives_the_same_bytes(serial: Path, tmp_path: Path) -> None:
    code, stdout, stderr = archgen(*sweep_args(tmp_path / "dask", "--dask", "--jobs", "2"))
    assert (code, stderr) == (0, "")
    assert "6 runs on Dask LocalCluster (2 workers)" in stdout
    assert _outputs(tmp_path / "dask") == _outputs(serial)


def test_resume_reuses_the_runs_whose_key_matches(
    serial: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "sweep"
    code, _, _ = archgen(*sweep_args(out, "--jobs", "1"))
    assert code == 0
    kept = sorted((out / "runs").glob("*.json"))
    kept[0].unlink()  # never finished
    kept[1].write_text('{"key": "half-writ')  # damaged
    (out / "runs" / ("0" * 64 + ".json")).write_text(kept[2].read_text())  # misnamed
    ran: list[int] = []
    real = sweep.run_and_check

    def counting(*args: object, **kwargs: object) -> session.Outcome:
        ran.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sweep, "run_and_check", counting)
    code, stdout, _ = archgen(*sweep_args(out, "--jobs", "1", "--resume"))
    assert code == 0
    assert len(ran) == 2
    assert f"6 runs on serial, 4 reused from {out}/runs;" in stdout
    assert _outputs(out) == _outputs(serial)
    assert len(list((out / "runs").glob("*.json"))) == 6
    # Without --resume, nothing is reused.
    ran.clear()
    assert archgen(*sweep_args(out, "--jobs", "1"))[0] == 0
    assert len(ran) == 6


def test_ctrl_c_leaves_the_finished_runs_and_no_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "sweep"
    real = sweep.run_and_check
    ran: list[int] = []

    def interrupted(*args: object, **kwargs: object) -> session.Outcome:
        if len(ran) == 4:
            raise KeyboardInterrupt
        ran.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sweep, "run_and_check", interrupted)
    code, stdout, stderr = archgen(*sweep_args(out, "--jobs", "1", "--chunk", "1"))
    assert (code, stdout, stderr) == (130, "", "archgen: interrupted\n")
    assert sorted(p.name for p in out.iterdir()) == ["runs"]
    assert len(list((out / "runs").glob("*.json"))) == 4
    assert not [p for p in (out / "runs").iterdir() if p.name.startswith(".")]
    monkeypatch.setattr(sweep, "run_and_check", real)
    code, stdout, _ = archgen(*sweep_args(out, "--jobs", "1", "--resume"))
    assert code == 0
    assert "4 reused" in stdout


def test_sweep_json_follows_its_published_schema(serial: Path) -> None:
    code, schema_text, _ = archgen("schema", "--artefact", "sweep")
    assert code == 0
    schema = json.loads(schema_text)
    assert schema["$id"] == "https://archgen.dev/schema/sweep-1.json"
    jsonschema.validate(json.loads((serial / "sweep.json").read_text()), schema)


def test_an_unreachable_scheduler_is_a_setup_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("distributed")
    import socket

    from archgen.runtime import executors

    monkeypatch.setattr(executors, "DASK_CONNECT_TIMEOUT_S", 1.0)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, stdout, stderr = archgen(*sweep_args(tmp_path / "s", "--dask", f"tcp://127.0.0.1:{port}"))
    assert (code, stdout) == (2, "")
    assert stderr.startswith(
        f"error: --dask tcp://127.0.0.1:{port}: cannot reach the Dask scheduler ("
    )
    assert stderr.endswith(
        "start one with `dask scheduler` or give --dask alone for a local cluster\n"
    )
    assert not (tmp_path / "s" / "sweep.json").exists()
