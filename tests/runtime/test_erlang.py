"""The fluid's Erlang B and C against the textbook recurrence in 50-digit arithmetic.

``erlang_b`` takes shortcuts so that a pool of thousands of servers costs a few steps per
arrival (the Poisson term alone far above the load, a start 9 standard deviations below
it otherwise); they must not move the answer beyond double precision's reach."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archgen.runtime.fluid import erlang_b, erlang_c


def textbook_b(servers: int, load: float) -> float:
    """B(c, a) by 1/B(k) = 1 + (k/a)/B(k−1) from B(0) = 1, in 50 digits."""
    with localcontext() as context:
        context.prec = 50
        offered = Decimal(load)
        inverse = Decimal(1)
        for k in range(1, servers + 1):
            inverse = 1 + inverse * k / offered
        return float(1 / inverse)


@settings(max_examples=150, deadline=None)
@given(
    servers=st.integers(min_value=1, max_value=3_000),
    rho=st.floats(min_value=0.02, max_value=3.0),
)
def test_erlang_b_matches_the_recurrence(servers: int, rho: float) -> None:
    load = servers * rho
    exact = textbook_b(servers, load)
    if exact < 1e-290:  # below what a double holds: the shortcut may say 0 or a subnormal
        assert erlang_b(servers, load) < 1e-280
        return
    assert erlang_b(servers, load) == pytest.approx(exact, rel=1e-9)


@pytest.mark.parametrize(
    ("servers", "load", "expected"),
    [
        (8, 7.2, 0.70153),  # M/M/8 at ρ 0.9: P(wait), the oracles' published check
        (800, 216.0, 0.0),  # the reference's web fleet on a normal day: nobody waits
    ],
)
def test_erlang_c_at_known_points(servers: int, load: float, expected: float) -> None:
    assert erlang_c(servers, load) == pytest.approx(expected, abs=5e-6)
