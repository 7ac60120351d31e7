"""Traffic shapes: how a scenario's arrival rate varies over the run.

Each shape owns its arithmetic, so the runtime (arrivals drawn by thinning against
:attr:`peak_factor`), the run budget (:meth:`integral`) and check (which scenario is the
biggest) read one definition: ``factor_at(t_s)`` is the multiplier of the base rate at
``t_s``.
"""

from __future__ import annotations

import itertools
import math
from typing import Annotated, Literal

from pydantic import Field

from archgen.model.base import Factor, PositiveFactor, PositiveSeconds, Seconds, Strict


class ConstantShape(Strict):
    """The base rate all along."""

    type: Literal["constant"] = Field(description="Shape name: the base rate all along.")

    def factor_at(self, t_s: float) -> float:
        del t_s
        return 1.0

    @property
    def peak_factor(self) -> float:
        return 1.0

    def integral(self, duration_s: float) -> float:
        """∫ factor(t) dt over ``[0, duration_s]``."""
        return _piecewise_integral(self, (), duration_s)


class RampShape(Strict):
    """The rate goes linearly from ``start_factor`` to ``end_factor`` (0 to 1,000 times the
    base rate) between ``start_s`` and ``end_s``."""

    type: Literal["ramp"] = Field(description="Shape name: a linear change of the rate.")
    start_factor: Factor = Field(1.0, description="Multiple of the base rate up to start_s.")
    end_factor: Factor = Field(description="Multiple of the base rate from end_s on.")
    start_s: Seconds = Field(0, description="When the ramp starts, in seconds.")
    end_s: PositiveSeconds = Field(description="When it ends, in seconds.")

    def factor_at(self, t_s: float) -> float:
        if t_s <= self.start_s:
            return self.start_factor
        if t_s >= self.end_s:
            return self.end_factor
        fraction = (t_s - self.start_s) / (self.end_s - self.start_s)
        return self.start_factor + fraction * (self.end_factor - self.start_factor)

    @property
    def peak_factor(self) -> float:
        """Above 0 even for a ramp from 0 to 0: thinning divides by it."""
        return max(self.start_factor, self.end_factor, 1e-9)

    def integral(self, duration_s: float) -> float:
        return _piecewise_integral(self, (self.start_s, self.end_s), duration_s)


class SpikeShape(Strict):
    """From ``at_s`` the rate rises to ``factor`` times the base rate (at most 1,000), holds
    and falls back; times in seconds, at most a week each."""

    type: Literal["spike"] = Field(description="Shape name: a burst over the base rate.")
    at_s: Seconds = Field(description="When the rate starts rising, in seconds.")
    factor: PositiveFactor = Field(description="Multiple of the base rate at the top.")
    rise_s: Seconds = Field(0, description="Seconds to climb from the base rate to the top.")
    hold_s: PositiveSeconds = Field(description="Seconds at the top.")
    fall_s: Seconds = Field(0, description="Seconds to come back down to the base rate.")

    def factor_at(self, t_s: float) -> float:
        rise_end = self.at_s + self.rise_s
        hold_end = rise_end + self.hold_s
        fall_end = hold_end + self.fall_s
        if t_s < self.at_s or t_s >= fall_end:
            return 1.0
        if t_s < rise_end:
            return 1.0 + (self.factor - 1.0) * (t_s - self.at_s) / self.rise_s
        if t_s < hold_end:
            return self.factor
        return self.factor - (self.factor - 1.0) * (t_s - hold_end) / self.fall_s

    @property
    def peak_factor(self) -> float:
        """At least the base rate: a "spike" below 1 is a dip."""
        return max(1.0, self.factor)

    def integral(self, duration_s: float) -> float:
        rise_end = self.at_s + self.rise_s
        hold_end = rise_end + self.hold_s
        corners = (self.at_s, rise_end, hold_end, hold_end + self.fall_s)
        return _piecewise_integral(self, corners, duration_s)


class DiurnalShape(Strict):
    """A daily cycle: the base rate at the peak, ``trough_factor`` of it (0 to 1) at the
    trough."""

    type: Literal["diurnal"] = Field(description="Shape name: a daily cycle.")
    period_s: PositiveSeconds = Field(86_400, description="Length of one cycle, in seconds.")
    trough_factor: float = Field(
        0.4, ge=0, le=1, description="Rate at the trough, as a share of the base rate."
    )
    peak_at_s: Seconds = Field(0, description="When the first peak is, in seconds.")

    def factor_at(self, t_s: float) -> float:
        phase = 2 * math.pi * (t_s - self.peak_at_s) / self.period_s
        return self.trough_factor + (1 - self.trough_factor) * (1 + math.cos(phase)) / 2

    @property
    def peak_factor(self) -> float:
        return 1.0

    def integral(self, duration_s: float) -> float:
        # trough + (1 - trough) (1 + cos(2π (t - peak) / period)) / 2, integrated exactly
        omega = 2 * math.pi / self.period_s
        sines = math.sin(omega * (duration_s - self.peak_at_s)) - math.sin(-omega * self.peak_at_s)
        cosine_part = (duration_s + sines / omega) / 2
        return self.trough_factor * duration_s + (1 - self.trough_factor) * cosine_part


AnyShape = ConstantShape | RampShape | SpikeShape | DiurnalShape

Shape = Annotated[AnyShape, Field(discriminator="type")]


def _piecewise_integral(
    shape: ConstantShape | RampShape | SpikeShape, corners: tuple[float, ...], duration_s: float
) -> float:
    """Exact for a piecewise-linear shape whose pieces meet at ``corners``: the inner ends
    of each piece give its area, jumps included."""
    points = sorted({min(max(corner, 0.0), duration_s) for corner in (0.0, duration_s, *corners)})
    total = 0.0
    for start, end in itertools.pairwise(points):
        inset = (end - start) * 1e-9
        left = shape.factor_at(start + inset)
        right = shape.factor_at(end - inset)
        total += (end - start) * (left + right) / 2
    return total
