"""A CloudFormation template (YAML or JSON) read with the position of every value.

CloudFormation's short-form tags (``!Ref``, ``!GetAtt``, ``!Sub``…) are read as the long
forms they stand for (``{"Ref": …}``); any other tag is an error. This loader is separate
from the model's, which refuses every tag.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from archgen.model.errors import ModelError, Problem

MAX_BYTES = 1_000_000
"""CloudFormation's own limit on a template (1 MB, uploaded through S3)."""

SHORT_FORMS = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    **{
        f"!{name}": f"Fn::{name}"
        for name in (
            "And",
            "Base64",
            "Cidr",
            "Equals",
            "FindInMap",
            "GetAtt",
            "GetAZs",
            "If",
            "ImportValue",
            "Join",
            "Not",
            "Or",
            "Select",
            "Split",
            "Sub",
            "Transform",
        )
    },
}


@dataclass(frozen=True)
class Pos:
    """1-based line and column of a value in the template."""

    line: int
    column: int


class Map(dict[str, object]):
    """A mapping of the template, with the position of itself and of each key."""

    pos: Pos
    keys_at: dict[str, Pos]


class Seq(list[object]):
    """A sequence of the template, with its position and each item's."""

    pos: Pos
    items_at: list[Pos]


class Text(str):
    """A scalar string of the template, with its position."""

    pos: Pos


def at(node: yaml.Node) -> Pos:
    return Pos(node.start_mark.line + 1, node.start_mark.column + 1)


def positioned(value: object, pos: Pos) -> object:
    """Plain data (a decoded policy document, what SAM expanded) as template values, every
    one at ``pos``: errors about it point at where it came from."""
    if isinstance(value, dict):
        out = Map({str(k): positioned(v, pos) for k, v in value.items()})
        out.pos, out.keys_at = pos, dict.fromkeys(out, pos)
        return out
    if isinstance(value, list):
        seq = Seq(positioned(item, pos) for item in value)
        seq.pos, seq.items_at = pos, [pos] * len(seq)
        return seq
    if isinstance(value, str):
        text = Text(value)
        text.pos = pos
        return text
    return value


def fail(file: str, pos: Pos | None, path: str, message: str) -> ModelError:
    """The one ``error: FILE:LINE:COL: path: message`` of a bad template."""
    line, column = (pos.line, pos.column) if pos else (0, 0)
    return ModelError([Problem(file, line, column, path, message)])


class _Loader(yaml.SafeLoader):
    """Composes only: values are built by :func:`_build`, which knows the short forms."""


def read_template(path: Path) -> Map:
    """The template at ``path``, or a :class:`ModelError` saying where it is wrong."""
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise fail(name, None, "", f"cannot read the template: {error.strerror}") from None
    if len(data) > MAX_BYTES:
        raise fail(
            name,
            Pos(1, 1),
            "",
            f"the template is {len(data):,} bytes, over CloudFormation's limit of {MAX_BYTES:,}",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise fail(name, Pos(1, 1), "", f"not UTF-8 text (byte {error.start})") from None
    try:
        root = yaml.compose(text.replace("\t", "  ") if _json_like(text) else text, _Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        pos = Pos(mark.line + 1, mark.column + 1) if mark else Pos(1, 1)
        raise fail(name, pos, "", f"not YAML or JSON: {error.problem or error}") from None
    if root is None:
        raise fail(name, Pos(1, 1), "", "the template is empty")
    value = _build(name, root)
    if not isinstance(value, Map) or not isinstance(value.get("Resources"), Map):
        raise fail(
            name,
            at(root),
            "",
            "not a CloudFormation template: it needs a Resources mapping",
        )
    return value


def _json_like(text: str) -> bool:
    return text.lstrip().startswith("{")


def _build(file: str, node: yaml.Node) -> object:
    tag = node.tag
    if tag.startswith("!"):
        if tag not in SHORT_FORMS:
            raise fail(
                file,
                at(node),
                "",
                f"unknown tag {tag}: a template may use CloudFormation's short forms "
                "(!Ref, !GetAtt, !Sub, !If…) only",
            )
        inner = _plain(file, node)
        if tag == "!GetAtt" and isinstance(inner, str):
            inner = Seq(inner.split(".", 1))
            inner.pos, inner.items_at = at(node), [at(node)] * len(inner)
        wrapped = Map({SHORT_FORMS[tag]: inner})
        wrapped.pos, wrapped.keys_at = at(node), {SHORT_FORMS[tag]: at(node)}
        return wrapped
    return _plain(file, node)


def _plain(file: str, node: yaml.Node) -> object:
    if isinstance(node, yaml.MappingNode):
        mapping = Map()
        mapping.pos, mapping.keys_at = at(node), {}
        for key_node, value_node in node.value:
            key = _build(file, key_node)
            if not isinstance(key, str):
                raise fail(file, at(key_node), "", "a key must be a string")
            if key in mapping:
                raise fail(file, at(key_node), "", f"duplicate key '{key}'")
            mapping[key] = _build(file, value_node)
            mapping.keys_at[key] = at(key_node)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        seq = Seq(_build(file, item) for item in node.value)
        seq.pos, seq.items_at = at(node), [at(item) for item in node.value]
        return seq
    assert isinstance(node, yaml.ScalarNode)
    resolved = yaml.SafeLoader("").construct_object(
        yaml.ScalarNode(_scalar_tag(node), node.value, node.start_mark, node.end_mark)
    )
    if isinstance(resolved, bool | int | float) or resolved is None:
        return resolved
    # A date or a timestamp is text to CloudFormation: keep what was written.
    text = Text(resolved if isinstance(resolved, str) else node.value)
    text.pos = at(node)
    return text


def _scalar_tag(node: yaml.ScalarNode) -> str:
    if node.tag.startswith("!"):
        return "tag:yaml.org,2002:str"
    return node.tag
