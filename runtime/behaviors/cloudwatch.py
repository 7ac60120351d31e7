"""CloudWatch: metrics per period, M-of-N alarms, and the actions that drive the system.

Rules (CloudWatch User Guide: alarms, missing data):
- Datapoints are the statistics of each closed period (the run's metric period), in the
  real system's units at any scale or sample (:mod:`archgen.runtime.metrics`), which is
  how thresholds are written: an alarm's state does not depend on the share simulated.
- An alarm looks at its last ``evaluation_periods`` (N) datapoints and goes to ALARM when
  ``datapoints_to_alarm`` (M, default N) of them breach the threshold, to OK when the
  datapoints present do not make M breaching; no datapoint at all → INSUFFICIENT_DATA.
- Missing data: ``missing`` (skipped; all missing → INSUFFICIENT_DATA), ``notBreaching``
  (counts as good), ``breaching`` (counts as bad), ``ignore`` (the state is kept).
- On a transition to ALARM the alarm's ``actions`` run; on the way back to OK the
  ``ok_actions`` run and ``failover`` targets are told the alarm cleared. Actions are
  signals through declared edges: ``scale`` → an EC2 fleet, ``failover`` → Route 53 (marks
  the records whose ``health_alarm`` is this alarm), ``notify`` → an SNS topic.
- CloudWatch is regional: while an outage takes this node out (its Region, say), it
  evaluates nothing and acts on nothing; its alarms keep their state and resume with the
  datapoints after. A model's validation keeps each alarm to its own Region's metrics.
Left out: metric math, composite alarms, anomaly detection, high-resolution (sub-period)
metrics and the delay before a datapoint is published.
"""

from __future__ import annotations

import operator
from collections import deque
from collections.abc import Callable
from typing import Any

from archgen.model.kinds import AlarmActionType, CloudWatchParams, Comparison, MissingData
from archgen.runtime.behavior import Behavior, NodeContext, Signal, register

COMPARE: dict[Comparison, Callable[[float, float], bool]] = {
    Comparison.greater_than: operator.gt,
    Comparison.greater_or_equal: operator.ge,
    Comparison.less_than: operator.lt,
    Comparison.less_or_equal: operator.le,
}


class _Alarm:
    __slots__ = (
        "compare",
        "history",
        "m",
        "metric",
        "n",
        "node",
        "spec",
        "state",
        "statistic",
        "threshold",
    )

    def __init__(self, spec: Any, metric: Any) -> None:
        self.spec = spec
        self.node = metric.node
        self.metric = metric.name
        self.statistic = metric.statistic.value
        self.compare = COMPARE[spec.comparison]
        self.threshold = spec.threshold
        self.n = spec.evaluation_periods
        self.m = spec.datapoints_to_alarm or spec.evaluation_periods
        self.history: deque[float | None] = deque(maxlen=self.n)
        self.state = "INSUFFICIENT_DATA"


@register("cloudwatch")
class CloudWatch(Behavior):
    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        node = ctx.node
        assert isinstance(node.params, CloudWatchParams)
        params = node.params
        metrics = {metric.id: metric for metric in params.metrics}
        self.alarms = [
            _Alarm(alarm, metrics[alarm.metric])
            for alarm in params.alarms
            if alarm.metric in metrics
        ]
        self.history: list[dict[str, Any]] = []
        self.out = ctx.outages(ctx.node_id)

    def on_metrics(self, t_s: float) -> None:
        t_ms = t_s * 1000.0
        if any(start <= t_ms < end for start, end in self.out):
            return  # this Region's CloudWatch is out: no evaluation, no action
        for alarm in self.alarms:
            value = self.ctx.metric(alarm.node, alarm.metric, alarm.statistic)
            alarm.history.append(value)
            state = self.evaluate(alarm)
            if state is None or state == alarm.state:
                continue
            previous = alarm.state
            alarm.state = state
            self.history.append(
                {"t_s": round(t_s, 3), "alarm": alarm.spec.id, "from": previous, "to": state}
            )
            self._act(alarm, state)

    def evaluate(self, alarm: _Alarm) -> str | None:
        """The new state (None = keep the current one)."""
        missing = alarm.spec.treat_missing_data
        bad = good = 0
        for value in alarm.history:
            if value is None:
                if missing is MissingData.breaching:
                    bad += 1
                elif missing is MissingData.not_breaching:
                    good += 1
                continue
            if alarm.compare(value, alarm.threshold):
                bad += 1
            else:
                good += 1
        if bad >= alarm.m:
            return "ALARM"
        if bad + good == 0:
            return None if missing is MissingData.ignore else "INSUFFICIENT_DATA"
        if missing is MissingData.ignore and alarm.history[-1] is None:
            return None
        return "OK"

    def _act(self, alarm: _Alarm, state: str) -> None:
        spec = alarm.spec
        actions = list(spec.actions) if state == "ALARM" else list(spec.ok_actions)
        if state == "OK":
            actions += [a for a in spec.actions if a.type is AlarmActionType.failover]
        elif state != "ALARM":
            return
        for action in actions:
            self.ctx.signal(
                action.target,
                Signal(action.type.value, self.ctx.node_id, spec.id, state, action.adjustment),
            )

    def summary(self) -> dict[str, Any]:
        return {
            "alarms": {a.spec.id: a.state for a in sorted(self.alarms, key=lambda a: a.spec.id)},
            "alarm_history": self.history,
        }
