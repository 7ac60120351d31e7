"""Where a sweep's tasks run: in this process, in a local process pool, or on Dask.

All three are ``concurrent.futures`` executors (Dask's through ``Client.get_executor``), so
the sweep has one code path whatever runs it. Dask is optional (``pip install
'archgen[dask]'``) and imported only when asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from archgen.model.errors import SetupError

P = ParamSpec("P")
T = TypeVar("T")

DASK_CONNECT_TIMEOUT_S = 10.0
"""How long to try to reach a Dask scheduler before giving up."""
DASK_HINT = "install it with: pip install 'archgen[dask]'"


class SerialExecutor(Executor):
    """Runs each task in this process when it is submitted (the reference for the others)."""

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:  # a task's failure is the future's, as in a pool
            future.set_exception(error)
        return future


@dataclass(frozen=True)
class Where:
    """An executor choice: ``serial``, ``pool`` (local processes) or ``dask`` (a
    LocalCluster of ``workers`` processes, or the scheduler at ``address``)."""

    kind: str = "pool"
    workers: int = 1
    address: str | None = None

    @property
    def window(self) -> int:
        """Tasks in flight at once: enough to keep every worker busy, few enough that the
        scheduler and the driver hold little."""
        return 1 if self.kind == "serial" else 4 * max(1, self.workers)

    def describe(self) -> str:
        if self.kind == "serial":
            return "serial"
        if self.kind == "pool":
            return f"process pool ({self.workers} workers)"
        if self.address is not None:
            return f"Dask scheduler {self.address}"
        return f"Dask LocalCluster ({self.workers} workers)"


@contextmanager
def open_executor(where: Where) -> Iterator[Executor]:
    """The executor ``where`` names, shut down (its work cancelled on an exception) on exit."""
    if where.kind == "serial":
        with SerialExecutor() as serial:
            yield serial
    elif where.kind == "pool":
        from archgen.runtime.session import scenario_pool

        with scenario_pool(where.workers) as pool:
            yield pool
    elif where.kind == "dask":
        with _dask(where) as executor:
            yield executor
    else:
        raise ValueError(f"unknown executor {where.kind!r}")


def check_dask() -> None:
    """Refuse ``--dask`` before anything runs when Dask is not installed."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise SetupError(
            f"--dask needs Dask distributed, which is not installed: {DASK_HINT}"
        ) from None


@contextmanager
def _dask(where: Where) -> Iterator[Executor]:
    check_dask()
    import distributed

    dask: Any = distributed  # untyped
    cluster: Any = None
    if where.address is None:
        cluster = dask.LocalCluster(
            n_workers=where.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=50,
            worker_dashboard_address=None,
        )
        client: Any = dask.Client(cluster)
    else:
        try:
            client = dask.Client(where.address, timeout=DASK_CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as error:
            raise SetupError(
                f"--dask {where.address}: cannot reach the Dask scheduler "
                f"({type(error).__name__}: {error}); start one with `dask scheduler` or "
                "give --dask alone for a local cluster"
            ) from None
    executor: Executor = client.get_executor(pure=False)
    try:
        yield executor
    except BaseException:
        executor.shutdown(wait=False)  # cancels what is queued or running
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
