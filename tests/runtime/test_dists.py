"""Samplers honour the mean and coefficient of variation of a Duration."""

from __future__ import annotations

import random
import statistics

import pytest

from archgen.model.base import ms
from archgen.runtime.dists import make_sampler


@pytest.mark.parametrize("kind", ["lognormal", "gamma", "uniform", "exponential"])
def test_mean_and_cv(kind: str) -> None:
    cv = 1.0 if kind == "exponential" else 0.5
    draw = make_sampler(ms(40, cv, kind), random.Random(1))
    values = [draw() for _ in range(40_000)]
    mean = statistics.fmean(values)
    assert mean == pytest.approx(40, rel=0.02)
    assert statistics.pstdev(values) / mean == pytest.approx(cv, rel=0.05)
    assert min(values) >= 0


def test_constant_and_zero() -> None:
    assert make_sampler(ms(12, 0.7, "constant"), random.Random(1))() == 12
    assert make_sampler(ms(12, 0.0, "lognormal"), random.Random(1))() == 12
    assert make_sampler(ms(0), random.Random(1))() == 0
