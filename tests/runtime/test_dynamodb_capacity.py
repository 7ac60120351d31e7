"""DynamoDB capacity as AWS meters it (issue 12): burst credit of provisioned tables, the
ceiling of on-demand tables (twice the previous peak), and half-unit eventually
consistent reads. Users are sent at chosen instants, so every count is exact."""

from __future__ import annotations

from typing import Any

from archgen.runtime.aws.dynamodb_capacity import OnDemandCapacity, request_cost
from tests.runtime.metrics_lab import Lab, lab_model, run_lab


def table_run(params: dict[str, Any], at_s: list[float], *, op: str = "GetItem") -> Lab:
    latency = {"distribution": "constant", "mean_ms": 2}
    model = lab_model(
        [
            {
                "id": "table",
                "kind": "dynamodb",
                "group": "r1",
                "params": {"read": latency, "write": latency, "max_retries": 0, **params},
            }
        ],
        [{"from": "users", "to": "table", "operations": [op]}],
        [{"from": "users", "to": "table", "op": op}],
        duration_s=max(at_s, default=0) + 60,
    )
    return run_lab(model, at_s)


def steady(rate: float, seconds: float, start: float = 1.0) -> list[float]:
    """Arrivals at ``rate`` per second, evenly spaced, for ``seconds``."""
    return [start + (i + 0.5) / rate for i in range(round(rate * seconds))]


def throttled(lab: Lab) -> int:
    return sum(1 for s in lab.on("table") if s["error"] == "ThrottlingException")


PROVISIONED = {"billing_mode": "provisioned", "consistent_reads": True}


def test_an_idle_tables_burst_credit_absorbs_a_minute_at_twice_its_capacity() -> None:
    """Issue 12: an idle 100-RCU table read at 200/s for 60 s failed 48.8 % of its reads;
    on AWS the 300 s of retained capacity (30,000 RCU) covers the 6,000 RCU over."""
    arrivals = steady(200, 60)
    with_burst = table_run({**PROVISIONED, "read_capacity_units": 100}, arrivals)
    assert throttled(with_burst) == 0
    assert with_burst.total("table", "ConsumedReadCapacityUnits") == 12_000
    without = table_run({**PROVISIONED, "read_capacity_units": 100, "burst_s": 0}, arrivals)
    # One second of capacity at the start, then 100 of the 200 reads of each second.
    assert abs(throttled(without) - (12_000 - 100 - 100 * 60)) <= 1


def test_an_overload_that_outlasts_the_burst_credit_fails_at_the_excess_rate() -> None:
    """10 RCU read at 20/s for 600 s: the 3,000 RCU of burst credit last 300 s (10/s over),
    then half the reads fail: 3,000 of 12,000 (25 %)."""
    lab = table_run({**PROVISIONED, "read_capacity_units": 10}, steady(20, 600))
    assert abs(throttled(lab) - 3_000) <= 1
    late = [s for s in lab.on("table") if s["error"] == "ThrottlingException"]
    assert min(s["start_ms"] for s in late) >= 300_000


def test_eventually_consistent_reads_cost_half_a_unit() -> None:
    """Without burst, a 100-RCU table serves 200 eventually consistent reads per second
    (the SDK default), but only 100 strongly consistent ones."""
    arrivals = steady(200, 30)
    base = {"billing_mode": "provisioned", "read_capacity_units": 100, "burst_s": 0}
    eventual = table_run(base, arrivals)
    assert throttled(eventual) == 0
    assert eventual.total("table", "ConsumedReadCapacityUnits") == 6_000 * 0.5
    strong = table_run({**base, "consistent_reads": True}, arrivals)
    assert abs(throttled(strong) - (6_000 - 100 - 100 * 30)) <= 1


def test_request_costs_in_half_units() -> None:
    assert request_cost("GetItem", True, consistent=False) == 1
    assert request_cost("GetItem", True, consistent=True) == 2
    assert request_cost("TransactGetItems", True, consistent=False) == 4
    assert request_cost("PutItem", False, consistent=False) == 2
    assert request_cost("TransactWriteItems", False, consistent=True) == 4


def test_a_new_on_demand_table_serves_its_warm_throughput_at_once() -> None:
    """Warm throughput 10 reads/s (AWS's new table: 12,000): 15/s for 10 s throttles 5/s."""
    lab = table_run({"warm_read_units_per_s": 10, "consistent_reads": True}, steady(15, 10))
    assert throttled(lab) == 50


def test_an_on_demand_table_absorbs_twice_its_previous_peak() -> None:
    """After 30 minutes at 10 reads/s the previous peak is 10: 20/s are served at once,
    25/s lose 5 each second; without that history the ceiling stays at 10."""
    params = {"warm_read_units_per_s": 10, "consistent_reads": True}
    history = steady(10, 1_805)
    assert throttled(table_run(params, history + steady(20, 10, start=1_810))) == 0
    assert throttled(table_run(params, history + steady(25, 10, start=1_810))) == 50
    assert throttled(table_run(params, steady(25, 10, start=1_810))) == 150


def test_an_on_demand_peak_becomes_previous_only_after_30_minutes() -> None:
    capacity = OnDemandCapacity(1)  # 2 half units per second
    for second in range(10):
        assert capacity.take(second * 1000.0, 2)
    assert capacity.ceiling() == 2
    assert capacity.take(1_809_000.0, 2)
    assert capacity.ceiling() == 4  # the seconds 0-9 are 30 minutes old
