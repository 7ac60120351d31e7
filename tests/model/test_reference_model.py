"""The embedded reference model tells the article's story, completely."""

from __future__ import annotations

from archgen.model import LoadedModel
from archgen.model.kinds import KINDS
from archgen.model.schema import GroupKind


def test_scenarios_have_exactly_the_promised_ids(reference: LoadedModel) -> None:
    assert [s.id for s in reference.model.scenarios] == [
        "normal-day",
        "prime-day",
        "s3-outage",
        "region-failure",
        "ddos",
        "consumer-crash",
    ]


def test_every_story_step_is_a_flow(reference: LoadedModel) -> None:
    steps = sorted({f.story_step for f in reference.model.flows if f.story_step})
    assert steps == [1, 2, 3, 4, 5, 6, 7, 8]


def test_every_service_the_article_names_is_modelled(reference: LoadedModel) -> None:
    kinds = {node.kind for node in reference.model.nodes}
    # route53 … cloudwatch, plus client and external; the article names no API Gateway,
    # no ECS service, no EventBridge bus, no Step Functions state machine, no ElastiCache,
    # no Secrets Manager, no NAT gateway and no VPC endpoint.
    assert kinds == set(KINDS) - {
        "apigateway",
        "ecs",
        "eventbridge",
        "stepfunctions",
        "elasticache",
        "secretsmanager",
        "nat_gateway",
        "vpc_endpoint",
    }


def test_two_regions_each_with_two_availability_zones(reference: LoadedModel) -> None:
    model = reference.model
    regions = [g.id for g in model.groups if g.kind is GroupKind.region]
    assert regions == ["us-east-1", "us-west-2"]
    for region in regions:
        zones = [
            g
            for g in model.groups
            if g.kind is GroupKind.availability_zone
            and model.region_of(g.id) == model.group(region)
        ]
        assert len(zones) == 2


def test_the_simple_flow_is_one_journey(reference: LoadedModel) -> None:
    """open app → search → product page → cart → checkout; the order pipeline follows."""
    model = reference.model
    buy = next(j for j in model.journeys if j.id == "buy")
    assert [s.flow for s in buy.flows] == [
        "open-app",
        "search",
        "product-page",
        "product-images",
        "add-to-cart",
        "checkout",
    ]
    checkout = model.flow("checkout")
    handoff = checkout.steps[-2]
    assert (handoff.target, handoff.op, handoff.is_async) == ("orders-queue", "SendMessage", True)
    pipeline_targets = [s.target for s in model.flow("order-pipeline").steps]
    for target in ("orders-db", "warehouse", "delivery-partner", "customer-sms", "customer-email"):
        assert target in pipeline_targets


def test_replicas_stand_in_for_originals_of_the_same_kind(reference: LoadedModel) -> None:
    model = reference.model
    replicas = {n.id: n.replica_of for n in model.nodes if n.replica_of}
    assert len(replicas) == 16
    for replica, original in replicas.items():
        assert model.node(replica).kind == model.node(original).kind
        assert model.region_of(model.node(replica).group).id == "us-west-2"  # type: ignore[union-attr]


def test_card_data_only_travels_over_tls(reference: LoadedModel) -> None:
    card_edges = [e for e in reference.model.edges if e.data.value == "card"]
    assert len(card_edges) == 8
    assert all(e.uses_tls for e in card_edges)
