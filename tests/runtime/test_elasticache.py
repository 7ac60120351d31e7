"""ElastiCache (issue 14): cache-aside decided by the cache's answer, TTLs, memory that
holds ``memory / item size`` items and evicts the least recently used, OOM without
anything evictable, Multi-AZ failover, the engine thread's CPU. Each user's flows are
keyed by their session (``key: session``) and users are sent at chosen instants, so
every count is exact."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from archgen.model import load_model_text
from archgen.model.errors import ModelError
from archgen.model.kinds import ElastiCacheParams
from tests.runtime.metrics_lab import Lab, run_lab

CONSTANT = {"distribution": "constant", "mean_ms": 1}
MIB_100 = 100 * 1024**2


def cache_model(
    cache: dict[str, Any],
    *,
    visits: int = 1,
    think_ms: float = 1_000,
    faults: list[dict[str, Any]] = (),  # type: ignore[assignment]
    duration_s: float = 300,
) -> Any:
    """users → app (GET /thing) → cache GET; on a miss app → table GetItem, then
    app → cache SET: the cache-aside pattern, the flow ``visits`` times per user."""
    data = {
        "archgen": 1,
        "system": {"id": "lab", "name": "Cache lab"},
        "groups": [
            {"id": "r1", "kind": "region", "code": "eu-west-1"},
            {"id": "az-a", "kind": "availability_zone", "parent": "r1"},
            {"id": "az-b", "kind": "availability_zone", "parent": "r1"},
        ],
        "nodes": [
            {
                "id": "users",
                "kind": "client",
                "params": {
                    "timeout_ms": 600_000,
                    "think_time": {"distribution": "constant", "mean_ms": think_ms},
                },
            },
            {"id": "app", "kind": "external", "group": "r1"},
            {
                "id": "cache",
                "kind": "elasticache",
                "group": "r1",
                "params": {"latency": CONSTANT, "zones": ["az-a", "az-b"], **cache},
            },
            {
                "id": "table",
                "kind": "dynamodb",
                "group": "r1",
                "params": {"read": CONSTANT, "write": CONSTANT},
            },
        ],
        "edges": [
            {"from": "users", "to": "app", "operations": ["GET /thing"]},
            {"from": "app", "to": "cache", "operations": ["GET", "SET"], "protocol": "tcp"},
            {"from": "app", "to": "table", "operations": ["GetItem"]},
        ],
        "flows": [
            {
                "id": "main",
                "title": "Main",
                "steps": [
                    {"from": "users", "to": "app", "op": "GET /thing"},
                    {"from": "app", "to": "cache", "op": "GET", "key": "session"},
                    {"from": "app", "to": "table", "op": "GetItem", "when": "cache_miss"},
                    {
                        "from": "app",
                        "to": "cache",
                        "op": "SET",
                        "key": "session",
                        "when": "cache_miss",
                    },
                ],
            }
        ],
        "journeys": [{"id": "go", "title": "Go", "flows": [{"flow": "main"}] * visits}],
        "scenarios": [
            {
                "id": "lab",
                "title": "Lab",
                "duration_s": duration_s,
                "traffic": {"sessions_per_s": 1e-9, "mix": {"go": 1}},
                "faults": list(faults),
            }
        ],
    }
    return load_model_text(yaml.safe_dump(data, sort_keys=False), "lab.yaml").model


def errors(lab: Lab, node: str, error: str) -> int:
    return sum(1 for s in lab.on(node) if s["error"] == error)


def test_a_miss_sends_the_application_to_its_table_and_a_second_visit_hits() -> None:
    """100 users visit twice, 1 s apart, within the hour's TTL: each first GET misses, so
    the application reads the table and SETs the key (the steps ``when: cache_miss``,
    decided by the cache's answer); each second GET hits and skips both."""
    lab = run_lab(cache_model({}, visits=2), [1.0 + i for i in range(100)])
    assert len(lab.on("cache", "GET")) == 200
    assert len(lab.on("table", "GetItem")) == 100
    assert len(lab.on("cache", "SET")) == 100
    assert lab.total("cache", "CacheHits") == 100
    assert lab.total("cache", "CacheMisses") == 100
    keyspace = lab.summary("cache")["keyspace"]
    assert (keyspace["hits"], keyspace["misses"], keyspace["hit_ratio"]) == (100, 100, 0.5)
    assert (keyspace["items"], keyspace["evictions"]) == (100, 0)


def test_an_expired_key_misses_again() -> None:
    """A 1 s TTL and 2 s between visits: every GET misses (the second finds the key
    expired and removes it), so the table is read 200 times."""
    lab = run_lab(
        cache_model({"ttl_s": 1}, visits=2, think_ms=2_000), [1.0 + 5 * i for i in range(50)]
    )
    assert lab.total("cache", "CacheHits") == 0
    assert lab.total("cache", "CacheMisses") == 100
    assert len(lab.on("table", "GetItem")) == 100
    assert lab.summary("cache")["keyspace"]["expired"] == 50


def test_memory_holds_three_100_mib_items_and_evicts_the_least_recently_used() -> None:
    """cache.t4g.micro: 0.5 GiB less the 25 % reserved = 402,653,184 bytes, three items of
    100 MiB (3.84). Ten users each SET their own key: the fourth and every later SET
    evicts the least recently used key, 7 Evictions; three items stay."""
    params = ElastiCacheParams(node_type="cache.t4g.micro", item_size_bytes=MIB_100)
    assert params.memory_bytes() == 402_653_184
    assert params.capacity_items() == 3
    lab = run_lab(
        cache_model({"node_type": "cache.t4g.micro", "item_size_bytes": MIB_100}),
        [1.0 + i for i in range(10)],
    )
    assert lab.total("cache", "Evictions") == 7
    keyspace = lab.summary("cache")["keyspace"]
    assert (keyspace["items"], keyspace["capacity_items"], keyspace["evictions"]) == (3, 3, 7)
    assert errors(lab, "cache", "OOM") == 0


@pytest.mark.parametrize(
    "policy",
    [{"maxmemory_policy": "noeviction"}, {"maxmemory_policy": "volatile-lru", "ttl_s": None}],
)
def test_with_nothing_evictable_a_full_memory_refuses_writes_with_oom(
    policy: dict[str, Any],
) -> None:
    """noeviction, or volatile-lru with keys stored without a TTL: the three SETs that fit
    succeed, the seven after fail with OOM (and so do those users' requests)."""
    lab = run_lab(
        cache_model({"node_type": "cache.t4g.micro", "item_size_bytes": MIB_100, **policy}),
        [1.0 + i for i in range(10)],
    )
    assert errors(lab, "cache", "OOM") == 7
    assert errors(lab, "app", "OOM") == 7
    assert lab.total("cache", "Evictions") == 0
    assert lab.summary("cache")["keyspace"]["oom_refused_writes"] == 7


def test_multi_az_failover_promotes_the_replica_after_30_s_and_writes_fail_meanwhile() -> None:
    """The primary's zone (az-a) fails at 10 s. One user a second from 1 s to 60 s (each
    a miss, so a GET then a SET): reads go on (a replica answers), the SETs of the users
    arriving from 10 s to 39 s fail, 30 of them, until the replica in az-b is promoted
    at 40 s."""
    fault = {"type": "az_outage", "target": "az-a", "start_s": 10, "end_s": 200}
    lab = run_lab(cache_model({}, faults=[fault]), [1.0 + i for i in range(60)])
    assert errors(lab, "cache", "ServiceUnavailable") == 30
    failed = sorted(s["start_ms"] for s in lab.on("cache", "SET") if s["error"])
    assert 10_000 < failed[0] < failed[-1] < 40_000
    assert all(s["error"] is None for s in lab.on("cache", "GET"))
    summary = lab.summary("cache")
    assert summary["failovers"] == [{"t_s": 40.0, "from": "az-a", "to": "az-b"}]
    assert summary["failed_writes"] == 30


def test_without_multi_az_writes_fail_until_the_zone_returns() -> None:
    """No automatic failover: the SETs of the users from 10 s until az-a returns at 50 s
    fail (40); the replica kept the data, which the primary has again afterwards."""
    fault = {"type": "az_outage", "target": "az-a", "start_s": 10, "end_s": 50}
    lab = run_lab(cache_model({"multi_az": False}, faults=[fault]), [1.0 + i for i in range(60)])
    assert errors(lab, "cache", "ServiceUnavailable") == 40
    assert lab.summary("cache")["failovers"] == []


def test_engine_cpu_is_the_busy_share_of_the_period() -> None:
    """1,000 commands a second: 1 ms of engine time each. 30 users in the first minute
    make 60 commands (a GET and a SET each): 60 ms of 60 s, 0.1 %."""
    lab = run_lab(cache_model({"engine_ops_per_s": 1_000}), [1.0 + i for i in range(30)])
    assert lab.points("cache", "EngineCPUUtilization")[0] == pytest.approx(0.1)
    assert lab.points("cache", "CurrConnections")[0] == 1.0


def test_validation_names_the_node_type_and_the_failover_replica() -> None:
    text = yaml.safe_dump(
        {
            "archgen": 1,
            "system": {"id": "v", "name": "V"},
            "groups": [{"id": "r1", "kind": "region"}],
            "nodes": [
                {
                    "id": "cache",
                    "kind": "elasticache",
                    "group": "r1",
                    "params": {"node_type": "cache.r7g.lage", "replicas": 0},
                }
            ],
        },
        sort_keys=False,
    )
    with pytest.raises(ModelError) as raised:
        load_model_text(text, "v.yaml")
    messages = [p.message for p in raised.value.problems]
    assert messages == [  # by position: multi_az is not written, so at its params
        "Multi-AZ automatic failover needs a replica",
        "unknown node type 'cache.r7g.lage' (did you mean 'cache.r7g.large'?)",
    ]


def test_only_an_earlier_steps_answer_of_the_same_caller_decides_a_cache_miss() -> None:
    """The table read ``when: cache_miss`` before the cache's GET: nothing has answered
    yet, and the application (an external) decides no condition."""
    model = cache_model({})
    flow = model.flows[0]
    steps = [s.model_dump(by_alias=True, exclude_defaults=True) for s in flow.steps]
    steps[1], steps[2] = steps[2], steps[1]
    data = model.model_dump(by_alias=True, exclude_defaults=True, mode="json")
    data["flows"][0]["steps"] = steps
    with pytest.raises(ModelError) as raised:
        load_model_text(yaml.safe_dump(data, sort_keys=False), "lab.yaml")
    assert [p.message for p in raised.value.problems] == [
        "'cache_miss' is not a condition that a external decides; give its probability"
    ]
    # after the GET, a condition neither the application nor the cache decides
    get, read = steps[2], {**steps[1], "when": "throttled"}
    data["flows"][0]["steps"] = [steps[0], get, read, steps[3]]
    with pytest.raises(ModelError) as raised:
        load_model_text(yaml.safe_dump(data, sort_keys=False), "lab.yaml")
    assert [p.message for p in raised.value.problems] == [
        "'throttled' is not a condition that a external or an earlier step's answer "
        "decides (cache_miss, cache_hit); give its probability"
    ]
