"""Each user flow's runs: the traced ones started, and how many a session declares.

A hybrid pool derives its load from the declared session rate (a constant traffic shape).
Which sessions go on to a journey's later flows is a draw per session, so a pool reached
by those flows only would carry the sample's noise of who went on (±0.5 % when 20,000 of
40,000 traced sessions do), and Erlang C multiplies it (×13 in the mean wait of 30 servers
at ρ 0.75). A pool therefore counts its arrivals per traced run of each flow (its visits
per run: what the run's state decides, such as a cache miss or a failover) and multiplies
them by the runs per session the journeys declare: the mix share of each journey the flow
is a step of × the probabilities of going on up to that step. The draws' noise is left
out, and so are the run's first minutes, when the sessions have not yet come to their
later flows (the warm-up covers them): the pools carry the load of journeys under way.
"""

from __future__ import annotations

from collections.abc import Sequence

Journey = tuple[float, Sequence[tuple[str, float]]]
"""A journey's share of the sessions and its steps: (flow id, probability of going on)."""


class FlowRuns:
    """The traced runs of each user flow started so far (``started``), and each flow's
    runs per session as the journeys declare them (``declared``)."""

    __slots__ = ("declared", "started")

    def __init__(self, journeys: Sequence[Journey]) -> None:
        self.declared: dict[str, float] = {}
        for share, steps in journeys:
            reach = share
            for flow, probability in steps:
                reach *= probability
                self.declared[flow] = self.declared.get(flow, 0.0) + reach
        self.started = dict.fromkeys(self.declared, 0)
