"""The JSON of ``terraform show -json`` read with the position of every value.

``json`` checks the text and says where it is broken; a small scanner then builds the same
values as the template reader's :class:`Map`/:class:`Seq`/:class:`Text`, so an error in a
plan points at its line and column like one in a template.
"""

from __future__ import annotations

import bisect
import json
import re
from pathlib import Path

from archgen.model.importers.template import Map, Pos, Seq, Text, fail

MAX_BYTES = 20_000_000
"""20 MB: the plan of a few thousand resources; anything larger is refused before parsing."""

_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")
_SPACE = re.compile(r"[ \t\n\r]*")
_LITERALS = {"true": True, "false": False, "null": None}


def read_plan(path: Path) -> Map:
    """The plan or state at ``path``, or a :class:`ModelError` saying where it is wrong."""
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise fail(name, None, "", f"cannot read the plan: {error.strerror}") from None
    if len(data) > MAX_BYTES:
        raise fail(
            name, Pos(1, 1), "", f"the plan is {len(data):,} bytes, over the limit of {MAX_BYTES:,}"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise fail(name, Pos(1, 1), "", f"not UTF-8 text (byte {error.start})") from None
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        raise fail(name, Pos(error.lineno, error.colno), "", f"not JSON: {error.msg}") from None
    root = _Scanner(text).value(_SPACE.match(text, 0).end())[0]  # type: ignore[union-attr]
    if not isinstance(root, Map) or not isinstance(root.get("format_version"), str):
        pos = root.pos if isinstance(root, Map | Seq) else Pos(1, 1)
        raise fail(
            name,
            pos,
            "",
            "not a Terraform plan or state: the JSON of `terraform show -json` has a "
            "format_version",
        )
    version = str(root["format_version"])
    if version.split(".", 1)[0] != "1":
        raise fail(
            name,
            root.keys_at["format_version"],
            "format_version",
            f"a plan of another format version ({version}): archgen reads format version 1.x",
        )
    return root


class _Scanner:
    """Builds the positioned values of a text ``json`` has already accepted."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = [0] + [m.end() for m in re.finditer("\n", text)]

    def pos(self, offset: int) -> Pos:
        line = bisect.bisect_right(self.lines, offset)
        return Pos(line, offset - self.lines[line - 1] + 1)

    def skip(self, offset: int) -> int:
        return _SPACE.match(self.text, offset).end()  # type: ignore[union-attr]

    def value(self, at: int) -> tuple[object, int]:
        char = self.text[at]
        if char == "{":
            return self.mapping(at)
        if char == "[":
            return self.sequence(at)
        if char == '"':
            raw, end = json.decoder.scanstring(self.text, at + 1)  # type: ignore[attr-defined]
            text = Text(raw)
            text.pos = self.pos(at)
            return text, end
        for word, literal in _LITERALS.items():
            if self.text.startswith(word, at):
                return literal, at + len(word)
        match = _NUMBER.match(self.text, at)
        assert match is not None
        number = match.group()
        is_float = match.group(1) or match.group(2)
        return (float(number) if is_float else int(number)), match.end()

    def mapping(self, at: int) -> tuple[Map, int]:
        out = Map()
        out.pos, out.keys_at = self.pos(at), {}
        offset = self.skip(at + 1)
        if self.text[offset] == "}":
            return out, offset + 1
        while True:
            key, end = json.decoder.scanstring(self.text, offset + 1)  # type: ignore[attr-defined]
            out.keys_at[key] = self.pos(offset)
            offset = self.skip(self.skip(end) + 1)  # past the colon
            out[key], offset = self.value(offset)
            offset = self.skip(offset)
            if self.text[offset] == "}":
                return out, offset + 1
            offset = self.skip(offset + 1)  # past the comma

    def sequence(self, at: int) -> tuple[Seq, int]:
        out = Seq()
        out.pos, out.items_at = self.pos(at), []
        offset = self.skip(at + 1)
        if self.text[offset] == "]":
            return out, offset + 1
        while True:
            out.items_at.append(self.pos(offset))
            item, offset = self.value(offset)
            out.append(item)
            offset = self.skip(offset)
            if self.text[offset] == "]":
                return out, offset + 1
            offset = self.skip(offset + 1)
