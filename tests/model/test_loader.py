"""Loading keeps positions, refuses what a model never needs, and agrees with YAML."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from archgen.model.errors import ModelError
from archgen.model.loader import Mark, format_path, parse_document

TEXT = b"""system:
  id: shop
  name: Shop
nodes:
  - id: web
    kind: ec2
    params: {workers_per_instance: 4}
defaults: &d {a: 1, b: 2}
merged:
  <<: *d
  b: 3
"""


def test_positions_of_keys_and_values() -> None:
    doc = parse_document(TEXT, "m.yaml")
    assert doc.positions.value(("system", "name")) == Mark(3, 9)
    assert doc.positions.key(("system", "name")) == Mark(3, 3)
    assert doc.positions.value(("nodes", 0)) == Mark(5, 5)
    assert doc.positions.value(("nodes", 0, "params", "workers_per_instance")) == Mark(7, 36)
    # A path that was never written falls back to its nearest written ancestor.
    assert doc.positions.value(("nodes", 0, "params", "queue_capacity")) == Mark(7, 13)


def test_merge_keys_and_aliases() -> None:
    doc = parse_document(TEXT, "m.yaml")
    assert doc.data["merged"] == {"a": 1, "b": 3}


def test_format_path() -> None:
    assert format_path(("edges", 3, "to")) == "edges[3].to"
    assert format_path(()) == ""


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(min_size=1, max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=6), json_values, min_size=1, max_size=5))
def test_same_data_as_pyyaml_safe_load(data: dict[str, object]) -> None:
    text = yaml.safe_dump(data, allow_unicode=True)
    # PyYAML's own round trip can merge keys (a raw NEL in a single-quoted key folds to a
    # space, and safe_load keeps the last of two equal keys); our loader reports those as
    # duplicate keys, so compare only where PyYAML reads back what it wrote.
    assume(yaml.safe_load(text) == data)
    assert parse_document(text.encode("utf-8"), "x.yaml").data == data


def test_a_key_pyyaml_folds_into_another_is_a_duplicate() -> None:
    """PyYAML writes a NEL (U+0085) raw in a single-quoted key, where it folds to a space;
    ``safe_load`` then silently keeps one of the two keys, the loader reports it."""
    text = yaml.safe_dump({" ": None, "\x85": None}, allow_unicode=True)
    with pytest.raises(ModelError) as caught:
        parse_document(text.encode("utf-8"), "x.yaml")
    assert str(caught.value) == (
        "error: x.yaml:2:3:  : duplicate key ' ' (first written at line 1)"
    )
