"""A weather-forecast API (not a shop) with a cache-aside Valkey cache in front of
DynamoDB: a node too small for the cities asked evicts and sends more reads to the table
than one whose memory holds them all; when the primary's zone fails, the replica is
promoted after 30 s and only the cache writes of that half minute fail. Seeded runs, so
every figure is the same on every machine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from archgen.main import cli
from archgen.model import load_model_text
from archgen.runtime.session import run_scenario

MODEL = Path(__file__).parent / "models" / "forecasts.yaml"


def run(scenario: str, node_type: str = "cache.t4g.micro") -> dict[str, Any]:
    text = MODEL.read_text().replace("cache.t4g.micro", node_type)
    model = load_model_text(text, "forecasts.yaml").model
    summary: dict[str, Any] = run_scenario(model, scenario, seed=1).summary
    return summary


def test_a_node_too_small_for_the_cities_evicts_and_reads_the_table_more() -> None:
    """cache.t4g.micro keeps 1,966 forecasts of 200 KB (0.5 GiB less 25 %) of the 20,000
    cities: 8,579 evictions and a hit ratio of 56 %. cache.r7g.large keeps 51,393, more
    than every city: no eviction, 68 % of the lookups hit (the misses are each city's
    first ask: 7,567 cities asked, none expired within the ten minutes), and the table
    serves 7,567 reads instead of 10,545."""
    small = run("busy-morning")
    large = run("busy-morning", "cache.r7g.large")
    small_keys = small["nodes"]["forecast-cache"]["keyspace"]
    large_keys = large["nodes"]["forecast-cache"]["keyspace"]
    assert (small_keys["capacity_items"], large_keys["capacity_items"]) == (1_966, 51_393)
    assert (small_keys["evictions"], large_keys["evictions"]) == (8_579, 0)
    assert small_keys["hit_ratio"] == 0.559855
    assert large_keys["hit_ratio"] == 0.684156
    assert small["nodes"]["forecast-table"]["arrived"] == small_keys["misses"] == 10_545
    assert large["nodes"]["forecast-table"]["arrived"] == large_keys["misses"] == 7_567
    assert large_keys["items"] == 7_567
    assert small["availability"] == large["availability"] == 1.0
    # two nodes (primary and replica) for ten minutes, at the Valkey node-hour price
    (line,) = small["cost"]["nodes"]["forecast-cache"]["lines"]
    assert (line["item"], line["quantity"], line["unit_usd"]) == (
        "elasticache.valkey.cache.t4g.micro",
        0.333333,
        0.0128,
    )


def test_the_primarys_zone_fails_and_the_replica_takes_over_after_30_s() -> None:
    """zone-a fails at 60 s: the replica in zone-b is promoted at 90 s. Meanwhile lookups
    go on (the replica answers) and the 574 SETs after a miss fail, failing those
    requests; from 90 s everything succeeds again although zone-a stays out."""
    summary = run("zone-a-out")
    cache = summary["nodes"]["forecast-cache"]
    assert cache["failovers"] == [{"t_s": 90.0, "from": "zone-a", "to": "zone-b"}]
    assert cache["errors"] == {"ServiceUnavailable": 574}
    assert cache["failed_writes"] == 574
    assert summary["availability"] == 0.951954


def test_check_holds_the_busy_morning_to_its_slo(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["check", str(MODEL), "--scenario", "busy-morning", "--format", "json"]
    )
    report = json.loads(result.stdout)
    scopes = {scope["name"]: scope["findings"] for scope in report["scopes"]}
    assert [f for f in scopes["busy-morning"] if f["severity"] == "error"] == []
