"""pydantic's union member labels never reach a problem's path, even where the schema's
annotation cannot be followed (the corpus case ``union-member`` covers the usual ones)."""

from __future__ import annotations

from archgen.model.schema import Model
from archgen.model.structure import _resolve


def test_a_label_behind_an_unfollowed_annotation_is_dropped() -> None:
    data = {"nodes": [{"id": "a", "kind": "ec2", "params": {"extra": 5}}]}
    loc = ("nodes", 0, "ec2", "params", "extra", "function-after[_check(), Thing]", "str")
    path, _, branches = _resolve(data, loc, Model)
    assert path == ("nodes", 0, "params", "extra")
    assert branches == (
        (("nodes", 0, "params", "extra"), "function-after[_check(), Thing]"),
        (("nodes", 0, "params", "extra"), "str"),
    )


def test_a_key_named_like_a_label_is_still_a_key() -> None:
    data = {"nodes": [{"id": "a", "kind": "sns", "params": {"str": 5}}]}
    path, _, branches = _resolve(data, ("nodes", 0, "sns", "params", "str"), Model)
    assert (path, branches) == (("nodes", 0, "params", "str"), ())
