"""SNS subscription filter policies and per-protocol delivery retry policies.

Filter policies (SNS Developer Guide, "subscription filter policies", attribute scope): a
message matches when every key of the policy matches (AND) and, for a key, any of its
values matches (OR). A value is an exact string or number, or an operator object:
``{"prefix": …}``, ``{"anything-but": […]}``, ``{"numeric": [">", 0, "<=", 5]}``,
``{"exists": true|false}``. An attribute that is a list (``String.Array``) matches when any
element does. A policy key the message lacks fails, except ``{"exists": false}``.

Retry policies are AWS's fixed ones (they cannot be changed except for HTTP/S):
AWS-managed endpoints (SQS, Lambda) get 3 immediate retries, 2 one second apart, 10 with
exponential backoff from 1 to 20 s, then 100,000 twenty seconds apart (100,015 retries over
23 days); customer-managed ones (email, SMS, mobile push) get 0 immediate, 2 ten seconds
apart, 10 from 10 to 600 s, then 38 every 600 s: 50 retries over about 6 hours. HTTP/S
defaults to 3 retries 20 s apart. Jitter is left out: the delays are exact.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from archgen.model.kinds.sns import SnsProtocol

Scalar = str | int | float | bool


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def _equal(expected: Scalar, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    want, have = _number(expected), _number(actual)
    if want is not None or have is not None:
        return want is not None and have is not None and want == have
    return isinstance(actual, str) and expected == actual


_NUMERIC = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _numeric(conditions: Sequence[Any], actual: Any) -> bool:
    value = _number(actual)
    if value is None:
        return False
    pairs = zip(conditions[::2], conditions[1::2], strict=True)
    return all(_NUMERIC[op](value, float(bound)) for op, bound in pairs)


def _value_matches(rule: Any, actual: Any) -> bool:
    """One policy value (scalar or operator object) against one attribute value."""
    if isinstance(rule, Mapping):
        if "prefix" in rule:
            return isinstance(actual, str) and actual.startswith(str(rule["prefix"]))
        if "anything-but" in rule:
            banned = rule["anything-but"]
            banned = banned if isinstance(banned, list | tuple) else [banned]
            return not any(_value_matches(b, actual) for b in banned)
        if "numeric" in rule:
            return _numeric(rule["numeric"], actual)
        raise ValueError(f"unsupported filter operator {sorted(rule)}")
    return _equal(rule, actual)


def matches(policy: Mapping[str, Any] | None, attributes: Mapping[str, Any]) -> bool:
    """Whether a message with these attributes passes the subscription's filter policy."""
    if not policy:
        return True
    for key, rules in policy.items():
        rules_list = rules if isinstance(rules, list | tuple) else [rules]
        present = key in attributes
        exists_rules = [r for r in rules_list if isinstance(r, Mapping) and "exists" in r]
        if exists_rules and any(bool(r["exists"]) == present for r in exists_rules):
            continue
        if not present:
            return False
        value = attributes[key]
        values = value if isinstance(value, list | tuple) else [value]
        other = [r for r in rules_list if not (isinstance(r, Mapping) and "exists" in r)]
        if not any(_value_matches(rule, v) for rule in other for v in values):
            return False
    return True


# --------------------------------------------------------------------------- retries


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """SNS's four retry phases; ``delays()`` yields the wait before each retry."""

    immediate: int
    pre_backoff: int
    min_delay_s: float
    backoff: int
    max_delay_s: float
    post_backoff: int

    @property
    def attempts(self) -> int:
        """Delivery attempts: the first one, then one per phase retry. (AWS's tables quote
        the phase sum, 100,015 and 50, as the total.)"""
        return 1 + self.immediate + self.pre_backoff + self.backoff + self.post_backoff

    def delays(self) -> Iterator[float]:
        """The waits before each retry, phase after phase."""
        yield from (0.0 for _ in range(self.immediate))
        yield from (self.min_delay_s for _ in range(self.pre_backoff))
        if self.backoff:
            ratio = (self.max_delay_s / self.min_delay_s) ** (1 / max(1, self.backoff - 1))
            for i in range(self.backoff):
                yield min(self.max_delay_s, self.min_delay_s * ratio**i)
        yield from (self.max_delay_s for _ in range(self.post_backoff))

    def delay_before(self, retry: int) -> float | None:
        """Wait before retry number ``retry`` (1-based), or None when retries ran out."""
        if retry < 1:
            return None
        return next(islice(self.delays(), retry - 1, None), None)


AWS_MANAGED = RetryPolicy(3, 2, 1.0, 10, 20.0, 100_000)
CUSTOMER_MANAGED = RetryPolicy(0, 2, 10.0, 10, 600.0, 38)
HTTP_DEFAULT = RetryPolicy(0, 0, 20.0, 0, 20.0, 3)

RETRY_POLICIES: dict[str, RetryPolicy] = {
    SnsProtocol.sqs: AWS_MANAGED,
    SnsProtocol.lambda_: AWS_MANAGED,
    SnsProtocol.email: CUSTOMER_MANAGED,
    SnsProtocol.sms: CUSTOMER_MANAGED,
    SnsProtocol.https: HTTP_DEFAULT,
    SnsProtocol.application: CUSTOMER_MANAGED,
}
