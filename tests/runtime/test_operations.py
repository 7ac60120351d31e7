"""One rule decides whether an operation reads or writes, for every store and the CDN."""

from __future__ import annotations

import pytest

from archgen.runtime.aws.operations import changes_state, is_read


@pytest.mark.parametrize(
    ("op", "reads"),
    [
        ("GetObject", True),
        ("GET /images", True),
        ("HEAD /", True),
        ("Query", True),
        ("Scan", True),
        ("BatchGetItem", True),
        ("SELECT order", True),
        ("ListObjects", True),
        ("PutObject", False),
        ("PutItem", False),
        ("DeleteItem", False),
        ("INSERT order", False),
        ("POST /checkout", False),
        ("CopyObject", False),
        ("UpdateItem", False),
    ],
)
def test_the_verb_decides(op: str, reads: bool) -> None:
    assert is_read(op) is reads


@pytest.mark.parametrize(
    ("op", "changes"),
    [
        ("INSERT posting", True),
        ("UPDATE balance", True),
        ("POST /transfers", True),
        ("PutItem", True),
        ("UpdateItem", True),
        ("SendMessage", True),
        ("Publish", True),
        ("PutEvents", True),
        ("Invoke", True),
        ("PutSecretValue", True),
        ("SELECT balance", False),
        ("GET /accounts", False),
        ("GetItem", False),
        ("Query", False),
        ("TransactGetItems", False),
        ("GetSecretValue", False),
        ("GetParameter", False),
        ("Decrypt", False),
        ("Encrypt", False),
        ("GenerateDataKey", False),
        ("AssumeRole", False),
    ],
)
def test_a_side_effect_is_a_call_that_changes_something(op: str, changes: bool) -> None:
    """What the exactly_once invariant counts as an effect: repeating a read or a KMS
    operation on redelivery is harmless, repeating a write is not."""
    assert changes_state(op) is changes
