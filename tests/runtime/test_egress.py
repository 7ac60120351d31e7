"""NAT gateways and VPC endpoints (issue 14): which way a call leaves a private subnet,
what each way counts and costs, and how it fails (no way out, a zone outage, port
allocation). Users are sent at chosen instants, so every count is exact."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from archgen.model.egress import egress
from tests.runtime.metrics_lab import Lab, lab_model, run_lab

CONSTANT_5MS = {"distribution": "constant", "mean_ms": 5}
SLOW_PARTNER = {"distribution": "constant", "mean_ms": 1000}
GROUPS = [
    {"id": "vpc", "kind": "vpc", "parent": "r1"},
    {"id": "az-a", "kind": "availability_zone", "parent": "vpc"},
    {"id": "az-b", "kind": "availability_zone", "parent": "vpc"},
    {"id": "public-a", "kind": "subnet", "parent": "az-a", "public": True},
    {"id": "public-b", "kind": "subnet", "parent": "az-b", "public": True},
    {"id": "app-b", "kind": "subnet", "parent": "az-b"},
]
NAT_A = {"id": "nat-a", "kind": "nat_gateway", "group": "public-a"}
NAT_B = {"id": "nat-b", "kind": "nat_gateway", "group": "public-b"}


def lab(
    target: dict[str, Any],
    op: str,
    ways: list[dict[str, Any]],
    at_s: list[float],
    *,
    faults: list[dict[str, Any]] = (),  # type: ignore[assignment]
    scale: float = 1.0,
) -> Lab:
    """users → api (an app in private subnet app-b, zone az-b) → ``target`` (``op``), with
    the NAT gateways and endpoints ``ways``."""
    model = lab_model(
        [
            {
                "id": "api",
                "kind": "external",
                "group": "app-b",
                "params": {"latency": CONSTANT_5MS},
            },
            target,
            *ways,
        ],
        [
            {"from": "users", "to": "api", "operations": ["GET /"]},
            {"from": "api", "to": target["id"], "operations": [op]},
        ],
        [
            {"from": "users", "to": "api", "op": "GET /"},
            {"from": "api", "to": target["id"], "op": op},
        ],
        groups=GROUPS,
        faults=list(faults),
        duration_s=130,
    )
    return run_lab(model, at_s, scale=scale)


PARTNER = {"id": "partner", "kind": "external", "params": {"latency": SLOW_PARTNER}}
BUCKET = {"id": "bucket", "kind": "s3"}


def outcomes(result: Lab, node: str) -> list[tuple[str | None, dict[str, Any]]]:
    return [(s["error"], s.get("attrs", {})) for s in result.on(node)]


def test_without_a_way_out_every_call_times_out() -> None:
    """No NAT gateway, no endpoint: the SDK's connection times out after its connect
    timeout (2 s by default), the target never sees the call."""
    result = lab(PARTNER, "GET /quote", [], [1.0, 2.0])
    assert outcomes(result, "partner") == [("ConnectTimeoutError", {"no_egress": "api"})] * 2
    assert [s["end_ms"] - s["start_ms"] for s in result.on("partner")] == [2000.0, 2000.0]
    assert result.sim.contexts["partner"].stats.arrived == 2  # at its door, never handled


def test_the_nat_gateway_of_the_callers_zone_carries_the_call() -> None:
    """Two NAT gateways: the one in az-b (the caller's zone) carries every call; three
    calls at once are three connections; 2,000 bytes out and 8,000 back per call."""
    result = lab(PARTNER, "GET /quote", [NAT_A, NAT_B], [1.0, 1.0, 1.0, 2.0])
    assert outcomes(result, "partner") == [(None, {"egress": "nat-b"})] * 4
    assert result.total("nat-b", "BytesOutToDestination") == 4 * 2_000
    assert result.total("nat-b", "BytesInFromDestination") == 4 * 8_000
    assert result.points("nat-b", "ActiveConnectionCount") == [3.0, 0.0]
    assert result.total("nat-a", "BytesOutToDestination") == 0
    summary = result.sim.behaviors["nat-b"].summary()
    assert summary == {
        "egress": {"calls": 4, "bytes": 40_000, "dropped": 0, "port_allocation_errors": 0}
    }


def test_a_zone_outage_takes_its_nat_gateway_down_for_the_zones_that_use_it() -> None:
    """The only NAT gateway is in az-a; az-a fails from 10 s to 20 s: the calls of az-b's
    subnet fail meanwhile (PacketsDropCount), and go through again after."""
    fault = {"type": "az_outage", "target": "az-a", "start_s": 10, "end_s": 20}
    result = lab(PARTNER, "GET /quote", [NAT_A], [5.0, 15.0, 25.0], faults=[fault])
    assert [error for error, _ in outcomes(result, "partner")] == [
        None,
        "ConnectTimeoutError",
        None,
    ]
    assert result.total("nat-a", "PacketsDropCount") == 1
    dropped = result.on("partner")[1]
    assert dropped["attrs"] == {"dropped_by": "nat-a"}
    # The SDK waits its connect timeout (the NAT gateway's connect_timeout_s, 2 s), and the
    # caller's request with it: 5 ms of api's own latency, then the call.
    assert dropped["end_ms"] - dropped["start_ms"] == 2000.0
    api = [s for s in result.on("api") if s["error"] is not None]
    assert [round(s["end_ms"] - s["start_ms"], 3) for s in api] == [2005.0]


def test_a_longer_connect_timeout_holds_the_caller_longer() -> None:
    """``connect_timeout_s`` on the NAT gateway: a dropped call fails that long after."""
    fault = {"type": "az_outage", "target": "az-a", "start_s": 10, "end_s": 20}
    slow = {**NAT_A, "params": {"connect_timeout_s": 10}}
    result = lab(PARTNER, "GET /quote", [slow], [15.0], faults=[fault])
    [span] = result.on("partner")
    assert (span["error"], span["end_ms"] - span["start_ms"]) == ("ConnectTimeoutError", 10_000.0)


ZONED_GROUPS = [*GROUPS, {"id": "app-a", "kind": "subnet", "parent": "az-a"}]
"""GROUPS with a private subnet in az-a too: a VPC-attached function spans both zones."""


def function_lab(
    ways: list[dict[str, Any]],
    at_s: list[float],
    *,
    faults: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> Lab:
    """users → fn (a Lambda function attached to the VPC: in its group, so over the private
    subnets app-a and app-b, one per zone) → partner, with the egress ``ways``."""
    function = {
        "id": "fn",
        "kind": "lambda",
        "group": "vpc",
        "params": {"duration": CONSTANT_5MS},
    }
    model = lab_model(
        [function, PARTNER, *ways],
        [
            {"from": "users", "to": "fn", "operations": ["Invoke"]},
            {"from": "fn", "to": "partner", "operations": ["GET /quote"]},
        ],
        [
            {"from": "users", "to": "fn", "op": "Invoke"},
            {"from": "fn", "to": "partner", "op": "GET /quote"},
        ],
        groups=ZONED_GROUPS,
        faults=list(faults),
        duration_s=130,
    )
    return run_lab(model, at_s)


def test_a_function_over_two_zones_leaves_each_through_its_zones_nat_gateway() -> None:
    """AWS: the function has a network interface in each of its subnets (one private
    subnet per zone), each subnet routes to its own zone's NAT gateway, and Lambda spreads
    the invocations over them: each NAT gateway carries about half of the calls (before,
    the lowest id carried them all). Every call of one invocation leaves from its zone."""
    result = function_lab([NAT_A, NAT_B], [0.5 * i for i in range(1, 201)])
    ways = [attrs["egress"] for error, attrs in outcomes(result, "partner") if error is None]
    assert len(ways) == 200
    assert (ways.count("nat-a"), ways.count("nat-b")) == (98, 102)
    assert result.sim.behaviors["nat-a"].summary()["egress"]["calls"] == 98
    assert result.sim.behaviors["nat-b"].summary()["egress"]["calls"] == 102


def test_during_a_zone_outage_the_function_leaves_through_the_other_zone() -> None:
    """az-a fails from 20 s to 60 s: Lambda runs the invocations in az-b's subnet, whose
    NAT gateway carries them, and every call succeeds; nat-a drops nothing. Before and
    after, both zones carry their share."""
    fault = {"type": "az_outage", "target": "az-a", "start_s": 20, "end_s": 60}
    at = [0.5 * i for i in range(1, 160)]  # 0.5 s … 79.5 s
    result = function_lab([NAT_A, NAT_B], at, faults=[fault])
    spans = result.on("partner")
    assert len(spans) == 159
    assert all(s["error"] is None for s in spans)
    during = [s["attrs"]["egress"] for s in spans if 20_000 <= s["start_ms"] < 60_000]
    outside = [s["attrs"]["egress"] for s in spans if not 20_000 <= s["start_ms"] < 60_000]
    assert len(during) == 80
    assert set(during) == {"nat-b"}
    assert (outside.count("nat-a"), outside.count("nat-b")) == (37, 42)
    assert result.sim.behaviors["nat-a"].summary()["egress"]["dropped"] == 0


def test_the_static_way_out_of_a_function_is_one_per_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``egress()`` says the way of each zone the function spans; the ``no-egress`` and
    ``egress-per-zone`` rules read it: with one NAT gateway, in az-a, az-b's calls cross
    to it and the rule says so."""
    from archgen.model.egress import zones_of
    from tests.runtime import metrics_lab

    loaded: list[Any] = []
    load = metrics_lab.load_model_text

    def keep(text: str, name: str) -> Any:
        loaded.append(load(text, name))
        return loaded[-1]

    monkeypatch.setattr(metrics_lab, "load_model_text", keep)

    def model_with(ways: list[dict[str, Any]]) -> Any:
        return lab_model(
            [{"id": "fn", "kind": "lambda", "group": "vpc"}, PARTNER, *ways],
            [
                {"from": "users", "to": "fn", "operations": ["Invoke"]},
                {"from": "fn", "to": "partner", "operations": ["GET /quote"]},
            ],
            [{"from": "users", "to": "fn", "op": "Invoke"}],
            groups=ZONED_GROUPS,
        )

    model = model_with([NAT_A, NAT_B])
    nodes = model.nodes_by_id
    assert zones_of(model, nodes["fn"]) == ("az-a", "az-b")
    way = egress(model, nodes["fn"], nodes["partner"])
    assert way is not None
    assert (way.via, way.zonal, way.vias) == (
        "nat-a",
        (("az-a", "nat-a"), ("az-b", "nat-b")),
        ("nat-a", "nat-b"),
    )
    assert egress(model, nodes["fn"], nodes["partner"], "az-b") == replace(
        way, via="nat-b", zonal=()
    )

    from archgen.runtime.check.lint import lint

    model_with([NAT_A])
    found = [f for f in lint(loaded[-1]).findings if f.rule == "egress-per-zone"]
    assert [f.message for f in found] == [
        "'fn' runs in zones az-a, az-b, but its calls to 'partner' leave VPC 'vpc' through "
        "'nat-a', and the VPC has such a way out only in az-a: when that zone fails, 'fn' "
        "loses it in az-b too (put a NAT gateway in each zone)"
    ]


def test_port_allocation_is_55000_connections_per_destination_scaled() -> None:
    """At scale 1/10,000 one address allows round(5.5) = 6 connections to the partner at
    once: of 10 calls sent together, 4 are refused (ErrorPortAllocation), which the metric
    publishes in real units: the 40,000 refusals they stand for at that scale."""
    result = lab(PARTNER, "GET /quote", [NAT_B], [1.0] * 10, scale=1e-4)
    errors = [error for error, _ in outcomes(result, "partner")]
    assert errors.count("ErrorPortAllocation") == 4
    assert errors.count(None) == 6
    assert result.total("nat-b", "ErrorPortAllocation") == 40_000
    assert result.total("nat-b", "PacketsDropCount") == 0


def test_a_gateway_endpoint_takes_s3_calls_before_the_nat_gateway() -> None:
    """S3 with a gateway endpoint and a NAT gateway: the endpoint carries the calls and
    publishes no metric (gateway endpoints publish none); the NAT gateway sees nothing."""
    endpoint = {
        "id": "s3-endpoint",
        "kind": "vpc_endpoint",
        "group": "vpc",
        "params": {"service": "s3"},
    }
    result = lab(BUCKET, "GetObject", [NAT_B, endpoint], [1.0, 2.0])
    moved = {"transfer_ms": 2.409}  # the default 200 KB object at S3's 680 Mbit/s
    assert outcomes(result, "bucket") == [(None, {"egress": "s3-endpoint", **moved})] * 2
    assert [line for line in result.lines if line["node"] == "s3-endpoint"] == []
    assert result.sim.behaviors["s3-endpoint"].summary()["egress"]["calls"] == 2
    assert result.total("nat-b", "BytesOutToDestination") == 0


def test_an_interface_endpoint_publishes_privatelink_metrics() -> None:
    endpoint = {
        "id": "s3-interface",
        "kind": "vpc_endpoint",
        "group": "vpc",
        "params": {"service": "s3", "endpoint_type": "interface", "request_bytes": 100},
    }
    result = lab(BUCKET, "GetObject", [endpoint], [1.0, 1.0])
    assert result.total("s3-interface", "NewConnections") == 2
    assert result.total("s3-interface", "BytesProcessed") == 2 * (100 + 8_000)
    assert result.points("s3-interface", "ActiveConnections") == [2.0, 0.0]


def test_only_calls_leaving_the_vpc_need_a_way_out() -> None:
    """A node outside any VPC, or in a public subnet, needs none; a target inside the VPC
    needs none; external systems are reached through a NAT gateway only."""
    model = lab_model(
        [
            {"id": "api", "kind": "external", "group": "app-b"},
            {"id": "edge", "kind": "external", "group": "public-b"},
            {"id": "inside", "kind": "external", "group": "app-b"},
            {"id": "partner", "kind": "external"},
            {"id": "bucket", "kind": "s3"},
            {"id": "any", "kind": "vpc_endpoint", "group": "vpc", "params": {"service": "s3"}},
        ],
        [{"from": "users", "to": "api", "operations": ["GET /"]}],
        [{"from": "users", "to": "api", "op": "GET /"}],
        groups=GROUPS,
    )
    nodes = model.nodes_by_id
    assert egress(model, nodes["edge"], nodes["partner"]) is None
    assert egress(model, nodes["users"], nodes["bucket"]) is None
    assert egress(model, nodes["api"], nodes["inside"]) is None
    way = egress(model, nodes["api"], nodes["partner"])
    assert way is not None
    assert (way.via, way.subnet, way.vpc, way.service) == (
        None,
        "app-b",
        "vpc",
        "internet",
    )
    way = egress(model, nodes["api"], nodes["bucket"])
    assert way is not None
    assert (way.via, way.service) == ("any", "s3")


@pytest.mark.parametrize(("assign_public_ip", "way_out"), [(False, "nat-b"), (True, None)])
def test_a_fargate_service_in_a_public_subnet_needs_a_public_ip_to_go_out_alone(
    assign_public_ip: bool, way_out: str | None
) -> None:
    """AssignPublicIp is off by default: tasks in a public subnet without a public address
    reach S3 through the NAT gateway (of their zone), as in a private one."""
    service = {
        "id": "svc",
        "kind": "ecs",
        "group": "public-b",
        "params": {"assign_public_ip": assign_public_ip},
    }
    model = lab_model(
        [service, BUCKET, NAT_A, NAT_B],
        [{"from": "users", "to": "svc", "operations": ["GET /"]}],
        [{"from": "users", "to": "svc", "op": "GET /"}],
        groups=GROUPS,
    )
    nodes = model.nodes_by_id
    way = egress(model, nodes["svc"], nodes["bucket"])
    assert (None if way is None else (way.via, way.subnet)) == (
        None if way_out is None else (way_out, "public-b")
    )


@pytest.mark.parametrize(
    ("node", "message"),
    [
        (
            {"id": "nat", "kind": "nat_gateway", "group": "app-b"},
            "nodes[3].group: a NAT gateway sits in a public subnet: its group must be a "
            "subnet with public: true",
        ),
        (
            {"id": "q", "kind": "vpc_endpoint", "group": "vpc", "params": {"service": "sqs"}},
            "nodes[3].params.endpoint_type: AWS offers gateway endpoints for s3 and dynamodb "
            "only, not sqs (use an interface endpoint)",
        ),
        (
            {"id": "e", "kind": "vpc_endpoint", "group": "r1", "params": {"service": "s3"}},
            "nodes[3].group: a VPC endpoint belongs to a VPC: its group must be a VPC or a "
            "group inside one",
        ),
    ],
)
def test_aws_refuses_misplaced_egress(node: dict[str, Any], message: str) -> None:
    from archgen.model.errors import ModelError

    with pytest.raises(ModelError) as raised:
        lab(PARTNER, "GET /quote", [node], [1.0])
    assert re.fullmatch(r"error: lab\.yaml:\d+:\d+: " + re.escape(message), str(raised.value))


COST_MODEL = """\
archgen: 1
system: {id: costs, name: Costs}
groups:
  - {id: use1, kind: region, code: us-east-1}
  - {id: net, kind: vpc, parent: use1}
  - {id: edge, kind: subnet, parent: net, public: true}
nodes:
  - {id: users, kind: client}
  - {id: nat, kind: nat_gateway, group: edge}
  - id: queues
    kind: vpc_endpoint
    group: net
    params: {service: sqs, endpoint_type: interface, zones: 2}
  - {id: objects, kind: vpc_endpoint, group: net, params: {service: s3}}
"""


def test_nat_gateways_and_interface_endpoints_cost_hours_and_gigabytes() -> None:
    """One hour at scale 0.5, 1 GB carried in the run (2 GB real): the NAT gateway is
    $0.045 + 2 × $0.045; the interface endpoint in 2 zones 2 × $0.01 + 2 × $0.01; the
    gateway endpoint nothing."""
    from archgen.model import load_model_text
    from archgen.model.cost import price_run

    model = load_model_text(COST_MODEL, "costs.yaml").model
    carried = {"egress": {"calls": 1, "bytes": 1_000_000_000, "dropped": 0}}
    cost = price_run(
        model, {"nat": carried, "queues": carried, "objects": carried}, scale=0.5, duration_s=3600
    )
    nat, queues, objects = (cost["nodes"][n] for n in ("nat", "queues", "objects"))
    assert [line["item"] for line in nat["lines"]] == ["natgateway.hour", "natgateway.gb"]
    assert nat["window_usd"] == pytest.approx(0.045 + 2 * 0.045)
    items = [line["item"] for line in queues["lines"]]
    assert items == ["vpce.interface.hour", "vpce.interface.gb"]
    assert queues["window_usd"] == pytest.approx(2 * 0.01 + 2 * 0.01)
    assert objects["window_usd"] == 0
    assert objects["lines"] == []


def test_a_service_over_two_zones_leaves_through_each_tasks_zone() -> None:
    """An ECS service with ``zones: [az-a, az-b]``: each task's calls leave through the NAT
    gateway of the zone it runs in (its subnet's route), so both carry their share; the
    span of the task's request names the task, whose zone matches the way out."""
    service = {
        "id": "svc",
        "kind": "ecs",
        "group": "vpc",
        "params": {
            "zones": ["az-a", "az-b"],
            "desired_count": 2,
            "service_time": CONSTANT_5MS,
        },
    }
    model = lab_model(
        [service, PARTNER, NAT_A, NAT_B],
        [
            {"from": "users", "to": "svc", "operations": ["GET /"]},
            {"from": "svc", "to": "partner", "operations": ["GET /quote"]},
        ],
        [
            {"from": "users", "to": "svc", "op": "GET /"},
            {"from": "svc", "to": "partner", "op": "GET /quote"},
        ],
        groups=ZONED_GROUPS,
        duration_s=130,
    )
    result = run_lab(model, [float(t) for t in range(1, 11)])
    tasks = {s["span"]: s["attrs"]["instance"] for s in result.on("svc")}
    zone_of = {i.id: i.zone for i in result.sim.behaviors["svc"].instances}
    pairs = sorted(
        {(zone_of[tasks[s["parent"]]], s["attrs"]["egress"]) for s in result.on("partner")}
    )
    assert pairs == [("az-a", "nat-a"), ("az-b", "nat-b")]
    calls = [result.sim.behaviors[n].summary()["egress"]["calls"] for n in ("nat-a", "nat-b")]
    assert calls == [5, 5]


SECRET = {"id": "secret", "kind": "secretsmanager", "params": {"client_cache_ttl_s": 300}}


def test_a_cached_secret_is_read_from_memory_while_the_way_out_is_down() -> None:
    """A caching client's hit never leaves the caller: while az-a (the only NAT gateway's
    zone) is out, the value read at 5 s still answers at 15 s, at once, with no egress;
    the NAT gateway drops nothing and Secrets Manager gets one API call."""
    fault = {"type": "az_outage", "target": "az-a", "start_s": 10, "end_s": 20}
    result = lab(SECRET, "GetSecretValue", [NAT_A], [5.0, 15.0], faults=[fault])
    spans = result.on("secret")
    assert [(s["error"], s["attrs"]) for s in spans] == [
        (None, {"egress": "nat-a", "version": 1}),
        (None, {"client_cache": "hit", "version": 1}),
    ]
    assert spans[1]["end_ms"] == spans[1]["start_ms"]
    assert result.sim.behaviors["nat-a"].summary()["egress"] == {
        "calls": 1,
        "bytes": 10_000,
        "dropped": 0,
        "port_allocation_errors": 0,
    }
    secrets = result.sim.behaviors["secret"].summary()["secrets"]
    assert (secrets["api_calls"], secrets["cached_reads"]) == (1, 1)


def test_a_read_the_cache_does_not_hold_times_out_while_the_way_out_is_down() -> None:
    """Nothing cached yet: the read must reach Secrets Manager, the NAT gateway is down,
    and the SDK gives up after its connect timeout."""
    fault = {"type": "az_outage", "target": "az-a", "start_s": 10, "end_s": 20}
    result = lab(SECRET, "GetSecretValue", [NAT_A], [15.0], faults=[fault])
    [span] = result.on("secret")
    assert (span["error"], span["attrs"]) == ("ConnectTimeoutError", {"dropped_by": "nat-a"})
    assert span["end_ms"] - span["start_ms"] == 2000.0
    assert result.sim.behaviors["secret"].summary()["secrets"]["api_calls"] == 0
