"""Spans: one JSON object per finished call, streamed to ``spans.jsonl`` in batches."""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import IO, Any

from archgen.runtime.artefacts import SpanDict
from archgen.runtime.behavior import Call

_dumps = json.dumps
BATCH = 4096
_STRINGS: dict[str, str] = {}


_LAYOUTS: dict[tuple[str, ...], tuple[tuple[str, str], ...]] = {}


def attrs_json(attrs: dict[str, Any]) -> str:
    """``json.dumps(attrs, sort_keys=True)``, faster for the flat dicts behaviors write.

    Behaviors write the same few sets of keys over and over, so the sorted order of a set
    and its keys' JSON (``"key": ``) are worked out once per set."""
    keys = tuple(attrs)
    layout = _LAYOUTS.get(keys)
    if layout is None:
        layout = tuple((key, _dumps(key) + ": ") for key in sorted(keys))
        if len(_LAYOUTS) < 10_000:
            _LAYOUTS[keys] = layout
    parts = []
    strings = _STRINGS
    for key, prefix in layout:
        value = attrs[key]
        kind = type(value)
        if kind is str:
            text = strings.get(value)
            if text is None:
                text = _dumps(value)
                if len(strings) < 100_000:
                    strings[value] = text
        elif kind is float:
            text = repr(value) if math.isfinite(value) else _dumps(value)
        elif kind is bool:
            text = "true" if value else "false"
        elif kind is int:
            text = str(value)
        elif value is None:
            text = "null"
        else:
            text = _dumps(value, sort_keys=True)
        parts.append(prefix + text)
    return "{" + ", ".join(parts) + "}"


def span_record(call: Call, end: float) -> SpanDict:
    """The span of a finished call, as the runtime contract describes it."""
    trace = call.trace
    session = trace.session
    flow = trace.flow
    return {
        "attrs": dict(sorted(call.attrs.items())) if call.attrs else {},
        "end_ms": round(end, 3),
        "error": call.error,
        "flow": None if flow is None else flow.id,
        "from": call.source,
        "journey": session.journey,
        "node": call.node,
        "op": call.op,
        "parent": None if call.parent is None else f"s{call.parent.span:09d}",
        "session": session.id,
        "span": f"s{call.span:09d}",
        "start_ms": round(call.start, 3),
        "status": call.status,
        "step": call.step,
        "trace": f"t{trace.id:08d}",
    }


class SpanSink:
    """Formats spans (sorted keys, fixed float rounding) and writes them in batches.

    ``path`` None keeps nothing on disk; ``keep`` also keeps the records in memory (for
    ``--explain`` and tests). The sha256 of the file is computed as it is written, so the
    summary can name the spans it belongs to without reading them back.
    """

    def __init__(self, path: Path | None, *, keep: bool = False) -> None:
        self.path = path
        self.keep = keep
        self.records: list[SpanDict] = []
        self.count = 0
        self._buffer: list[str] = []
        self._temporary: Path | None = None
        self._stream: IO[bytes] | None = None
        self._hash = hashlib.sha256()
        self._ops: dict[str, str] = {}  # op → its span text, with the keys around it
        self._errors: dict[str, str] = {}
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._temporary = path.with_name(f".{path.name}.partial")
            self._stream = self._temporary.open("wb")

    def add(self, call: Call, end: float) -> None:
        self.count += 1
        if self.keep:
            self.records.append(span_record(call, end))
        if self._stream is None:
            return
        trace = call.trace
        text = trace.text
        if text is None:
            # The trace's fields, with the constant text between them, formatted once.
            session = trace.session
            flow = trace.flow
            journey = "null" if session.journey is None else f'"{session.journey}"'
            text = trace.text = (
                ", " + ('"flow": null' if flow is None else f'"flow": "{flow.id}"') + ', "from": "',
                f'", "journey": {journey}, "node": "',
                f', "session": {session.id}, "span": "s',
                f', "trace": "t{trace.id:08d}"}}\n',
            )
        flow_from, journey_node, session_span, trace_end = text
        ops = self._ops
        op = ops.get(call.op)
        if op is None:
            op = ops[call.op] = '", "op": ' + _dumps(call.op) + ', "parent": '
        error = call.error
        if error is None:
            error = "null"
        else:
            errors = self._errors
            text_error = errors.get(error)
            if text_error is None:
                text_error = errors[error] = _dumps(error)
            error = text_error
        parent = "null" if call.parent is None else f'"s{call.parent.span:09d}"'
        step = call.step
        attrs = call.attrs
        # repr(round(t, 3)), from one correctly rounded ":.3f" (the digits round() keeps)
        # less its trailing zeros: a third of the time for the same text (times < 1e16).
        end_ms = f"{end:.3f}".rstrip("0")
        start_ms = f"{call.start:.3f}".rstrip("0")
        buffer = self._buffer
        buffer.append(
            f'{{"attrs": {attrs_json(attrs) if attrs else "{}"}, '
            f'"end_ms": {end_ms}{"0" if end_ms[-1] == "." else ""}, "error": {error}'
            f"{flow_from}{call.source}{journey_node}{call.node}{op}{parent}{session_span}"
            f'{call.span:09d}", "start_ms": {start_ms}{"0" if start_ms[-1] == "." else ""}, '
            f'"status": "{call.status}", "step": {"null" if step is None else step}{trace_end}'
        )
        if len(buffer) >= BATCH:
            self._flush(self._stream)

    def _flush(self, stream: IO[bytes]) -> None:
        data = "".join(self._buffer).encode("utf-8")
        self._buffer.clear()
        self._hash.update(data)
        stream.write(data)

    def sha256(self) -> str:
        """The sha256 of the spans written so far (all of them once closed)."""
        return self._hash.hexdigest()

    def close(self) -> None:
        if self._stream is None or self._temporary is None or self.path is None:
            return
        self._flush(self._stream)
        self._stream.close()
        self._stream = None
        os.replace(self._temporary, self.path)

    def abort(self) -> None:
        if self._stream is not None and self._temporary is not None:
            self._stream.close()
            self._stream = None
            self._temporary.unlink(missing_ok=True)
