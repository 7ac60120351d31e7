"""Label wrapping breaks between words or at segment boundaries, never inside a word."""

from __future__ import annotations

import pytest

from archgen.renderers.wrap import segments, wrap_list, wrap_words


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("match-requests.fifo", ["match-", "requests", ".fifo"]),
        ("api.shop.example", ["api", ".shop", ".example"]),
        ("GenerateDataKey", ["GenerateDataKey"]),
        ("/a/b", ["/", "a/", "b"]),
        ("..x", ["..x"]),
        ("", []),
    ],
)
def test_segments_join_back(word: str, parts: list[str]) -> None:
    assert segments(word) == parts
    assert "".join(parts) == word


def test_wrap_words_never_cuts_a_word() -> None:
    # textwrap(break_long_words=True) gave 'GenerateD' / 'ataKey' and 'match-requests.fif' / 'o'.
    assert wrap_words("GenerateDataKey, Decrypt", 12) == ["GenerateDataKey,", "Decrypt"]
    assert wrap_words("Orders queue match-requests.fifo", 16) == [
        "Orders queue",
        "match-requests",
        ".fifo",
    ]
    assert wrap_words("x match-requests.fifo", 12) == ["x match-", "requests", ".fifo"]
    assert wrap_words("Route 53 (api.shop.example)", 18) == ["Route 53", "(api.shop.example)"]
    assert wrap_words("", 10) == [""]


def test_wrap_list_breaks_between_items() -> None:
    ops = ["GET /search", "GET /product", "POST /cart", "POST /checkout", "HealthCheck"]
    assert wrap_list(ops, 24) == [
        "GET /search,",
        "GET /product,",
        "POST /cart,",
        "POST /checkout,",
        "HealthCheck",
    ]
    assert wrap_list(["Query", "GetItem", "PutItem"], 24) == ["Query, GetItem, PutItem"]
    assert wrap_list(["PutItem", "GenerateDataKeyWithoutPlaintext"], 12) == [
        "PutItem,",
        "GenerateDataKeyWithoutPlaintext",
    ]
    assert wrap_list([], 5) == [""]
