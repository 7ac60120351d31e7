"""Safe YAML loading that keeps the line and column of every key and value.

PyYAML's composer gives a node tree with marks; we build plain Python values from it
ourselves, so that we can refuse what a model never needs (custom tags, duplicate keys,
binary input) and bound what could hurt (alias expansion, nesting, file size).
"""

from __future__ import annotations

import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import yaml

from archgen.model.errors import ModelError, Problem

MAX_BYTES = 10 * 1024 * 1024
MAX_VALUES = 1_000_000
MAX_DEPTH = 64
MAX_NUMBER_CHARS = 100
"""Longest number literal: no field takes more than 20 digits, and CPython refuses to
convert integers of more than 4,300 digits (it would be a traceback, not a problem)."""

PathKey = tuple[str | int, ...]

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}
_MERGE_TAG = "tag:yaml.org,2002:merge"
_NUMBER_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}


@dataclass(frozen=True)
class Mark:
    line: int
    column: int


@dataclass
class Positions:
    """Where each path of the document was written (1-based line and column)."""

    values: dict[PathKey, Mark] = field(default_factory=dict)
    keys: dict[PathKey, Mark] = field(default_factory=dict)

    def value(self, path: PathKey) -> Mark:
        """Position of the value at ``path``, or of its nearest written ancestor."""
        return self._nearest(self.values, path)

    def key(self, path: PathKey) -> Mark:
        """Position of the key that introduces ``path`` (the value's, for list items)."""
        return self._nearest(self.keys, path) if path in self.keys else self.value(path)

    @staticmethod
    def _nearest(table: dict[PathKey, Mark], path: PathKey) -> Mark:
        for end in range(len(path), -1, -1):
            mark = table.get(path[:end])
            if mark is not None:
                return mark
        return Mark(1, 1)


@dataclass(frozen=True)
class Document:
    """A parsed YAML file: plain data plus positions."""

    source: str
    data: Any
    positions: Positions
    text: str


def format_path(path: PathKey) -> str:
    """``('edges', 3, 'to')`` → ``edges[3].to``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def read_document(path: Path | str, display: str | None = None) -> Document:
    """Read and parse ``path``; raise :class:`ModelError` on anything but a YAML mapping.

    Only a regular file is opened: reading a FIFO or a terminal would wait forever, and a
    device may never end. The type is checked before opening and again on the opened file
    (which might have been swapped in between); opening never blocks (``O_NONBLOCK``).
    """
    path = Path(path)
    name = display or str(path)
    try:
        _refuse_unless_regular(name, os.stat(path).st_mode)
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        _fail_to_read(name, error)
    with os.fdopen(handle, "rb") as stream:
        status = os.fstat(handle)
        _refuse_unless_regular(name, status.st_mode)
        if status.st_size > MAX_BYTES:
            _too_large(name, status.st_size)
        try:
            raw = stream.read(MAX_BYTES + 1)
        except OSError as error:
            _fail_to_read(name, error)
    if len(raw) > MAX_BYTES:  # it grew after the check
        _too_large(name, len(raw))
    return parse_document(raw, name)


def _refuse_unless_regular(name: str, mode: int) -> None:
    if stat.S_ISDIR(mode):
        _fail(name, "is a directory, not a model file")
    if not stat.S_ISREG(mode):
        _fail(name, "not a regular file")


def _fail_to_read(name: str, error: OSError) -> NoReturn:
    if isinstance(error, FileNotFoundError | NotADirectoryError):
        _fail(name, "no such file")
    reason = (error.strerror or str(error)).lower()
    _fail(name, f"cannot read: {reason}")


def _too_large(name: str, size: int) -> NoReturn:
    _fail(
        name,
        f"file is too large ({size / 2**20:.1f} MiB; a model may be at most "
        f"{MAX_BYTES // 2**20} MiB)",
    )


def parse_document(raw: bytes, name: str) -> Document:
    if b"\x00" in raw:
        line, column = _line_col(raw, raw.index(b"\x00"))
        _fail(name, "binary data (a NUL byte): a model is UTF-8 YAML text", line, column)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line, column = _line_col(raw, error.start)
        _fail(name, f"not UTF-8: byte 0x{raw[error.start]:02x} cannot be decoded", line, column)
    if not text.strip() or _only_comments(text):
        _fail(name, "the file is empty; a model needs at least 'system' and 'nodes'")
    # libyaml's parser when present (several times faster); both give the same marks.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = _yaml_message(error, text)
        _fail(name, message, (mark.line + 1) if mark else 0, (mark.column + 1) if mark else 0)
    except yaml.reader.ReaderError as error:
        # The reader's position is an offset into the text; say where, in our words.
        line, column = _text_line_col(text, error.position)
        _fail(
            name,
            f"character U+{error.character:04X} is not allowed in YAML text; write it as an "
            'escape in a double-quoted string (e.g. "\\x1b")',
            line,
            column,
        )
    except yaml.YAMLError as error:
        _fail(name, f"invalid YAML: {error}")
    except RecursionError:
        _fail(name, f"nesting is too deep (a model needs at most {MAX_DEPTH} levels)")
    finally:
        loader.dispose()
    if root is None:
        _fail(name, "the file is empty; a model needs at least 'system' and 'nodes'")
    size = _expanded_size(root, {})
    if size > MAX_VALUES:
        mark = root.start_mark
        _fail(
            name,
            f"{size:,} values once aliases are expanded (at most {MAX_VALUES:,}): an alias bomb?",
            mark.line + 1,
            mark.column + 1,
        )
    builder = _Builder(name)
    data = builder.build(root, ())
    if builder.problems:
        raise ModelError(builder.problems)
    if not isinstance(data, dict):
        top = builder.positions.value(())
        kind = "a list" if isinstance(data, list) else "a single value"
        _fail(
            name,
            f"a model must be a mapping with 'system' and 'nodes' at the top, not {kind}",
            top.line,
            top.column,
        )
    return Document(name, data, builder.positions, text)


class _Builder:
    """Turns composed YAML nodes into Python values, recording positions and problems."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.positions = Positions()
        self.problems: list[Problem] = []
        self._constructor = yaml.constructor.SafeConstructor()

    def problem(self, node: yaml.Node, path: PathKey, message: str) -> None:
        mark = node.start_mark
        self.problems.append(
            Problem(self.name, mark.line + 1, mark.column + 1, format_path(path), message)
        )

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        if len(path) > MAX_DEPTH:
            self.problem(
                node, path[:1], f"nesting is too deep (a model needs at most {MAX_DEPTH} levels)"
            )
            return None
        mark = node.start_mark
        self.positions.values.setdefault(path, Mark(mark.line + 1, mark.column + 1))
        if node.tag not in _PLAIN_TAGS:
            self.problem(
                node,
                path,
                f"unsupported tag '{_short_tag(node.tag)}': a model is "
                "plain YAML (mappings, lists, strings, numbers, booleans)",
            )
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        if node.tag == "tag:yaml.org,2002:timestamp":
            return node.value
        if node.tag in _NUMBER_TAGS and len(node.value) > MAX_NUMBER_CHARS:
            self.problem(
                node,
                path,
                f"number too large ({_digits(node.value):,} digits; a model's numbers are "
                f"written in at most {MAX_NUMBER_CHARS} characters)",
            )
            return None
        try:
            value = self._constructor.construct_object(node)
        except (yaml.YAMLError, ValueError) as error:
            self.problem(node, path, f"invalid value: {error}")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.problem(node, path, _non_finite(node.value, value))
            return None
        return value

    def _mapping(self, node: yaml.MappingNode, path: PathKey) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.update(self._merge(value_node, path))
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _PLAIN_TAGS:
                self.problem(key_node, path, "keys must be plain strings")
                continue
            key = str(self._constructor.construct_object(key_node))
            if key in first_seen:
                self.problem(
                    key_node,
                    (*path, key),
                    f"duplicate key '{key}' (first written at line {first_seen[key]})",
                )
                continue
            first_seen[key] = key_node.start_mark.line + 1
            mark = key_node.start_mark
            self.positions.keys[(*path, key)] = Mark(mark.line + 1, mark.column + 1)
            result[key] = self.build(value_node, (*path, key))
        return {**merged, **result}

    def _merge(self, node: yaml.Node, path: PathKey) -> dict[str, Any]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in reversed(sources):
            value = self.build(source, path)
            if isinstance(value, dict):
                merged.update(value)
            else:
                self.problem(source, path, "'<<' merges mappings only")
        return merged


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """Values ``node`` stands for once aliases are expanded; linear in the composed graph,
    because aliases share node objects and each is sized once."""
    known = memo.get(id(node))
    if known is not None:
        return known
    memo[id(node)] = 1  # a recursive alias counts once instead of looping forever
    if isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(item, memo) for item in node.value)
    else:
        size = 1
    memo[id(node)] = size
    return size


def _non_finite(text: str, value: float) -> str:
    """Why a float is refused: a run can honour no infinite duration, rate or size."""
    if math.isnan(value):
        return f"'{text}' is not a number; every number in a model must be finite"
    if text.lstrip("+-").lower() in (".inf", "inf"):
        return f"'{text}' is infinite; every number in a model must be finite"
    return f"number too large ('{_clip(text)}' is beyond the largest float, about 1.8e308)"


def _digits(text: str) -> int:
    return sum(char.isdigit() for char in text)


def _clip(text: str) -> str:
    return text if len(text) <= 20 else text[:17] + "..."


def _fail(name: str, message: str, line: int = 0, column: int = 0) -> NoReturn:
    raise ModelError([Problem(name, line, column, "", message)])


def _line_col(raw: bytes, offset: int) -> tuple[int, int]:
    line_start = raw.rfind(b"\n", 0, offset) + 1
    return raw.count(b"\n", 0, offset) + 1, offset - line_start + 1


def _text_line_col(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org") else tag


def _yaml_message(error: yaml.MarkedYAMLError, text: str) -> str:
    problem = error.problem or "invalid YAML"
    mark = error.problem_mark
    lines = text.splitlines()
    if mark is not None and mark.line < len(lines) and "\t" in lines[mark.line][: mark.column + 1]:
        return "a tab character: YAML indents with spaces only"
    if "maximum nesting depth" in problem:
        return f"nesting is too deep (a model needs at most {MAX_DEPTH} levels)"
    if not error.context:
        return f"YAML syntax error: {problem}"
    if problem.startswith("but "):
        return f"YAML syntax error: {error.context}, {problem}"
    return f"YAML syntax error: {problem} ({error.context})"
