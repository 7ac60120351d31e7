"""SNS filter policies (keys AND, values OR) and per-protocol retry policies."""

from __future__ import annotations

import pytest

from archgen.runtime.aws.sns_filter import AWS_MANAGED, CUSTOMER_MANAGED, RETRY_POLICIES, matches

POLICY = {"store": ["example_corp"], "event": ["order_placed", "order_cancelled"]}


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"store": "example_corp", "event": "order_placed"}, True),
        ({"store": "example_corp", "event": "order_cancelled"}, True),  # OR within a key
        ({"store": "example_corp", "event": "order_shipped"}, False),
        ({"store": "other", "event": "order_placed"}, False),  # AND across keys
        ({"event": "order_placed"}, False),  # a missing key fails
        ({"store": ["x", "example_corp"], "event": "order_placed"}, True),  # String.Array
    ],
)
def test_keys_and_values_or(attributes: dict[str, object], expected: bool) -> None:
    assert matches(POLICY, attributes) is expected


def test_types_and_operators() -> None:
    assert matches({"sms_opt_in": [True]}, {"sms_opt_in": True})
    assert not matches({"sms_opt_in": [True]}, {"sms_opt_in": False})
    assert not matches({"sms_opt_in": [True]}, {"sms_opt_in": "true"})  # a string is not a bool
    assert matches({"price": [100]}, {"price": 100.0})
    assert not matches({"price": [100]}, {"price": "100"})
    assert matches({"price": [{"numeric": [">", 0, "<=", 150]}]}, {"price": 150})
    assert not matches({"price": [{"numeric": [">", 0, "<=", 150]}]}, {"price": 151})
    assert matches({"sku": [{"prefix": "B0"}]}, {"sku": "B0123"})
    assert matches({"tier": [{"anything-but": ["free"]}]}, {"tier": "prime"})
    assert not matches({"tier": [{"anything-but": ["free"]}]}, {"tier": "free"})
    assert matches({"coupon": [{"exists": False}]}, {})
    assert not matches({"coupon": [{"exists": True}]}, {})
    assert matches(None, {})
    assert matches({}, {"a": 1})


def test_retry_policies_per_protocol() -> None:
    assert RETRY_POLICIES["sqs"] is AWS_MANAGED
    assert RETRY_POLICIES["lambda"] is AWS_MANAGED
    assert RETRY_POLICIES["email"] is CUSTOMER_MANAGED
    assert RETRY_POLICIES["sms"] is CUSTOMER_MANAGED
    delays = list(CUSTOMER_MANAGED.delays())
    assert len(delays) == 50
    assert CUSTOMER_MANAGED.attempts == 51
    assert delays[:2] == [10.0, 10.0]
    assert delays[2] == 10.0
    assert delays[11] == pytest.approx(600.0)
    assert delays[12:] == [600.0] * 38
    assert 6 * 3600 < sum(delays) < 7.5 * 3600  # "over 6 hours"
    first = [AWS_MANAGED.delay_before(i) for i in range(1, 7)]
    assert first == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    assert AWS_MANAGED.delay_before(15) == pytest.approx(20.0)
    assert AWS_MANAGED.attempts == 100_016
    assert CUSTOMER_MANAGED.delay_before(51) is None
