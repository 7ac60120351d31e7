"""Loading keeps positions, refuses what a model never needs, and agrees with YAML."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

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
    assert parse_document(text.encode("utf-8"), "x.yaml").data == yaml.safe_load(text)
