"""A worker killed in the middle of a sweep (Dask's, or a local pool's): its tasks run again
and the result is complete and the same as the serial one (generous timeouts; nothing here
depends on speed)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from archgen.model import LoadedModel
from archgen.runtime.executors import Where
from archgen.runtime.sweep import Sweep, plan_sweep
from archgen.runtime.sweep_params import parse_knobs


def _plan(notes: LoadedModel) -> object:
    knobs = parse_knobs(notes, ["api.autoscaling.min_instances=1,2"])
    return plan_sweep(notes, "busy", knobs, seeds=4, duration_s=10)


@pytest.mark.slow
def test_a_killed_worker_is_replaced_and_the_result_is_whole(
    notes: LoadedModel, tmp_path: Path
) -> None:
    distributed = pytest.importorskip("distributed")
    plan = _plan(notes)
    serial = Sweep(plan, tmp_path / "serial", Where("serial")).run()  # type: ignore[arg-type]
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            worker_dashboard_address=None,
            silence_logs=50,
        ) as cluster,
        distributed.Client(cluster, timeout=300) as client,
    ):
        client.wait_for_workers(2, timeout=300)
        pids = sorted(client.run(os.getpid).values())
        killed: list[int] = []

        def kill_one(done: int, total: int) -> None:
            if done and not killed:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

        where = Where("dask", 2, cluster.scheduler_address)
        dask = Sweep(plan, tmp_path / "dask", where, progress=kill_one, chunk=1)  # type: ignore[arg-type]
        result = dask.run()
    assert killed
    assert result.model_dump_json() == serial.model_dump_json()
    assert len(dask.done) == 8


def test_a_killed_pool_worker_restarts_the_pool_and_the_result_is_whole(
    notes: LoadedModel, tmp_path: Path
) -> None:
    import multiprocessing

    plan = _plan(notes)
    serial = Sweep(plan, tmp_path / "serial", Where("serial")).run()  # type: ignore[arg-type]
    killed: list[int] = []

    def kill_one(done: int, total: int) -> None:
        workers = multiprocessing.active_children()
        if done and not killed and workers:
            os.kill(workers[0].pid or 0, signal.SIGKILL)
            killed.append(workers[0].pid or 0)

    pool = Sweep(plan, tmp_path / "pool", Where("pool", 2), progress=kill_one, chunk=1)  # type: ignore[arg-type]
    result = pool.run()
    assert killed
    assert result.model_dump_json() == serial.model_dump_json()
