"""Fuzz budgets: a small deterministic one for ``make test``, a large one for ``make fuzz``.

``ARCHGEN_FUZZ_PROFILE=long`` selects the large budget. The profiles are applied per test
(not loaded globally), so the other hypothesis tests of the suite keep their own settings.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

from hypothesis import HealthCheck, Phase, settings

PROFILE = os.environ.get("ARCHGEN_FUZZ_PROFILE", "ci")


@dataclass(frozen=True)
class Budget:
    validate: int
    oracle: int
    run: int
    cpu_s_per_example: float
    test_timeout_s: int


BUDGETS = {
    # Derandomized, no example database: `make test` checks the same cases every time.
    "ci": Budget(validate=100, oracle=40, run=20, cpu_s_per_example=120, test_timeout_s=900),
    "long": Budget(validate=2000, oracle=500, run=500, cpu_s_per_example=30, test_timeout_s=7200),
}
if PROFILE not in BUDGETS:
    raise ValueError(f"ARCHGEN_FUZZ_PROFILE={PROFILE!r}: expected one of {sorted(BUDGETS)}")
BUDGET = BUDGETS[PROFILE]

_SUPPRESSED = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
# No "explain" phase: on a model-sized input it costs minutes and says little.
_PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]
settings.register_profile(
    "archgen-fuzz-ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=_SUPPRESSED,
    phases=_PHASES,
)
settings.register_profile(
    "archgen-fuzz-long",
    deadline=None,
    print_blob=True,
    suppress_health_check=_SUPPRESSED,
    phases=_PHASES,
)
FUZZ = settings.get_profile(f"archgen-fuzz-{PROFILE}")


class HangError(Exception):
    """An example used more CPU than any sane model needs: reported like a crash."""


@contextmanager
def cpu_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`HangError` after ``seconds`` of CPU time (not wall-clock, so a busy machine
    does not fail the test; pytest-timeout keeps SIGALRM for the whole test)."""

    def on_timer(signum: int, frame: FrameType | None) -> None:
        raise HangError(f"more than {seconds:g} s of CPU for one example")

    previous = signal.signal(signal.SIGVTALRM, on_timer)
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)
