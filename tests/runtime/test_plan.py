"""Flows as call trees: the nesting rule of the runtime contract."""

from __future__ import annotations

from archgen.model import LoadedModel
from archgen.model.flows import compile_flows


def test_nesting_rule_on_the_reference_checkout(reference: LoadedModel) -> None:
    plans = compile_flows(reference.model)
    checkout = plans["checkout"]
    steps = checkout.steps
    assert [steps[i].target for i in checkout.top] == ["alb-use1"]
    (alb,) = checkout.top
    assert [steps[i].target for i in steps[alb].children] == ["web-use1"]
    web = steps[alb].children[0]
    assert [(steps[i].target, steps[i].op) for i in steps[web].children] == [
        ("cart-db", "GetItem"),
        ("payments-use1", "Authorize"),
        ("orders-queue", "SendMessage"),
        ("cart-db", "DeleteItem"),
    ]
    payments = steps[web].children[1]
    assert [steps[i].target for i in steps[payments].children] == [
        "card-key",
        "payments-db",
        "card-network",
    ]
    send = steps[web].children[2]
    assert steps[send].is_async
    assert not steps[payments].is_async


def test_triggered_roots_belong_to_the_consumer(reference: LoadedModel) -> None:
    pipeline = compile_flows(reference.model)["order-pipeline"]
    assert pipeline.top == ()
    roots = pipeline.triggered["order-processor"]
    assert [pipeline.steps[i].op for i in roots] == [
        "ReceiveMessage",
        "INSERT order",
        "CreateShipment",
        "ScheduleDelivery",
        "PutObject",
        "Publish",
        "DeleteMessage",
    ]
    publish = roots[5]
    assert [pipeline.steps[i].target for i in pipeline.steps[publish].children] == [
        "customer-sms",
        "customer-email",
    ]


def test_mini_model_flows(mini: LoadedModel) -> None:
    home = compile_flows(mini.model)["home"]
    assert home.top == (0, 1)
    assert home.steps[1].children == (2,)
    assert home.steps[2].when == "cache_miss"
