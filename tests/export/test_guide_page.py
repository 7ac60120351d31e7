"""site/docs/guide/exporting.md stays true: its examples are lines of the tests' exports, its
table names every format and file, its epoch is the exporters', and it is in the nav."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import yaml

from archgen.runtime.export import EXPORT_FILES
from archgen.runtime.export.common import EPOCH_UNIX_S

ROOT = Path(__file__).parents[2]
PAGE = ROOT / "site" / "docs" / "guide" / "exporting.md"
BLOCK = re.compile(r"^<!-- export: (\S+) -->\n```\w*\n(.*?)^```$", re.M | re.S)


def test_examples_are_lines_of_the_exports(run_folder: Path) -> None:
    blocks = BLOCK.findall(PAGE.read_text(encoding="utf-8"))
    assert [name for name, _ in blocks] == [
        "traces.otlp.jsonl",
        "trace.perfetto.json",
        "metrics.openmetrics.txt",
    ]
    examples = dict(blocks)
    span = json.loads(examples["traces.otlp.jsonl"])
    exported = [
        candidate
        for line in (run_folder / "traces.otlp.jsonl").read_text().splitlines()
        for resource in json.loads(line)["resourceSpans"]
        for scope in resource["scopeSpans"]
        for candidate in scope["spans"]
    ]
    assert span in exported
    perfetto = {
        line.rstrip(",") for line in (run_folder / "trace.perfetto.json").read_text().splitlines()
    }
    assert set(examples["trace.perfetto.json"].splitlines()) <= perfetto
    openmetrics = set((run_folder / "metrics.openmetrics.txt").read_text().splitlines())
    assert set(examples["metrics.openmetrics.txt"].splitlines()) <= openmetrics


def test_the_table_names_every_format_and_file() -> None:
    text = PAGE.read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| (.*?) \|", text, re.M)
    assert {fmt: tuple(re.findall(r"`([\w.]+)`", files)) for fmt, files in rows} == EXPORT_FILES
    stamp = datetime.fromtimestamp(EPOCH_UNIX_S, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"**{stamp}**" in text


def test_the_page_is_in_the_nav() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    guide = next(entry["Guide"] for entry in config["nav"] if "Guide" in entry)
    assert {"Exporting traces": "guide/exporting.md"} in guide
