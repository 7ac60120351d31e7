"""Reading a run folder: the spans of ``spans.jsonl`` in a compact form, and its summary.

A summary names the sha256 of its spans (``spans_sha256``): a folder whose files come from
different runs is refused rather than judged.

A run of the reference model writes hundreds of thousands of spans; only the fields the
checks need are kept, as slotted objects.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from sys import intern
from typing import Any

from pydantic import ValidationError

from archgen.model.errors import InputError
from archgen.runtime.artefacts import (
    ArtefactError,
    RunSummary,
    SpanRecord,
    describe,
    parse_summary,
)


class RunInputError(InputError):
    """A run folder that cannot be read (bad input)."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(slots=True)
class Span:
    span: str
    parent: str | None
    trace: str
    session: int
    journey: str | None
    flow: str | None
    step: int | None
    source: str
    node: str
    op: str
    start_ms: float
    end_ms: float
    status: str
    error: str | None
    attrs: dict[str, Any]


@dataclass(frozen=True)
class RunFolder:
    path: Path
    summary: RunSummary | None
    """``summary.json``, None when the folder has none (spans alone can be checked)."""

    @classmethod
    def open(cls, path: Path) -> RunFolder:
        if not path.is_dir():
            raise RunInputError(f"{path}: no such run folder")
        spans = path / "spans.jsonl"
        if not spans.is_file():
            if (path / "summary.json").is_file():
                raise RunInputError(
                    f"{path}: the run wrote no spans.jsonl (archgen run --no-spans), and the "
                    "check reads the calls from it: run it again without --no-spans"
                )
            raise RunInputError(
                f"{path}: not a run folder (no spans.jsonl; make one with `archgen run`)"
            )
        summary_path = path / "summary.json"
        summary: RunSummary | None = None
        if summary_path.is_file():
            try:
                loaded = json.loads(summary_path.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError) as error:
                raise RunInputError(f"{summary_path}: not JSON ({error})") from None
            try:
                summary = parse_summary(loaded, str(summary_path))
            except ArtefactError as error:
                raise RunInputError(str(error)) from None
        expected = None if summary is None else summary.spans_sha256
        if expected is not None and expected != _sha256(spans):
            raise RunInputError(
                f"{spans}: not the spans of {summary_path} (its sha256 differs from the "
                "summary's 'spans_sha256': a file was replaced or a run was interrupted); "
                "run the scenario again"
            )
        return cls(path, summary)

    def data_at_rest(self) -> dict[str, Any] | None:
        """``data-at-rest.json`` (what a scan of the data stores found), None when the run
        folder has none."""
        path = self.path / "data-at-rest.json"
        if not path.is_file():
            return None
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            raise RunInputError(f"{path}: not JSON ({error})") from None
        if not isinstance(loaded, dict) or not isinstance(loaded.get("stores"), dict):
            raise RunInputError(f"{path}: expected a JSON object with 'stores'")
        return loaded

    @property
    def scenario(self) -> str | None:
        return None if self.summary is None else self.summary.scenario

    def spans(self) -> Iterator[Span]:
        """The spans, each line checked against :class:`SpanRecord`: the first one in full
        (a file of another schema fails at once), the others by a fast path that falls
        back to the full check to say what is wrong with a line."""
        path = self.path / "spans.jsonl"
        with path.open(encoding="utf-8") as stream:
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                try:
                    if number == 1:
                        SpanRecord.model_validate_json(line)
                    yield _span(json.loads(line))
                except (ValueError, KeyError, TypeError) as error:
                    raise RunInputError(f"{path}:{number}: {_span_problem(line, error)}") from None


_SPAN_KEYS = frozenset(field.alias or name for name, field in SpanRecord.model_fields.items())


_STATUSES = frozenset({"ok", "error", "violation"})


def _span(record: dict[str, Any]) -> Span:
    """A span of the file; its names, repeated over a million lines of a large run, are
    kept once each (``sys.intern``), not once per span."""
    if record.keys() != _SPAN_KEYS:
        raise KeyError(sorted(record.keys() ^ _SPAN_KEYS))
    start, end, attrs = record["start_ms"], record["end_ms"], record["attrs"]
    if not (isinstance(start, int | float) and isinstance(end, int | float)):
        raise TypeError("start_ms/end_ms")
    if not isinstance(attrs, dict):
        raise TypeError("attrs")
    if record["status"] not in _STATUSES:
        raise ValueError("status")
    journey, flow, error = record["journey"], record["flow"], record["error"]
    return Span(
        record["span"],
        record["parent"],
        record["trace"],
        record["session"],
        None if journey is None else intern(journey),
        None if flow is None else intern(flow),
        record["step"],
        intern(record["from"]),
        intern(record["node"]),
        intern(record["op"]),
        float(start),
        float(end),
        intern(record["status"]),
        None if error is None else intern(error),
        attrs,
    )


def _span_problem(line: str, error: Exception) -> str:
    """Why ``line`` is not a span record, in the schema's words when it says."""
    try:
        SpanRecord.model_validate_json(line)
    except ValidationError as invalid:
        return f"not a span record ({describe(invalid)})"
    return f"not a span record ({type(error).__name__}: {error})"
