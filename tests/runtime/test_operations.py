"""One rule decides whether an operation reads or writes, for every store and the CDN."""

from __future__ import annotations

import pytest

from archgen.runtime.aws.operations import is_read


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
