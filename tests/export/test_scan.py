"""The exports' fast span reader (slicing lines, not parsing them) reads what the JSON
parser reads, also when free text (operations, errors, attributes) imitates the keys."""

from __future__ import annotations

import json
from pathlib import Path

from archgen.runtime.export.common import read_spans, scan_spans


def _light(folder: Path) -> list[tuple[object, ...]]:
    return [
        (s.span, s.parent or 0, s.trace, s.start_us, s.end_us, s.status == "ok", s.flow)
        for s in read_spans(folder)
    ]


def test_the_fast_reader_agrees_with_the_parser(run_folder: Path) -> None:
    assert list(scan_spans(run_folder)) == _light(run_folder)


def test_free_text_that_looks_like_keys(tmp_path: Path) -> None:
    hostile = {
        "attrs": {"end_ms": 1, "flow": "x", "nested": {"span": "s000000009"}, "trace": "t9"},
        "end_ms": 12.5,
        "error": 'boom", "flow": "fake", "status": "ok',
        "flow": None,
        "from": "a",
        "journey": None,
        "node": "b",
        "op": 'GET /x", "parent": "s000000001", "span": "s000000002',
        "parent": None,
        "session": 0,
        "span": "s000000003",
        "start_ms": 2.25,
        "status": "error",
        "step": None,
        "trace": "t00000004",
    }
    plain = {**hostile, "error": None, "flow": "f", "status": "ok", "span": "s000000005"}
    plain["parent"] = "s000000003"
    lines = [json.dumps(record) + "\n" for record in (hostile, plain)]
    (tmp_path / "spans.jsonl").write_text("".join(lines), encoding="utf-8")
    assert (
        list(scan_spans(tmp_path))
        == _light(tmp_path)
        == [
            (3, 0, 4, 2250, 12500, False, None),
            (5, 3, 4, 2250, 12500, True, "f"),
        ]
    )
