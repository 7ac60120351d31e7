"""Run files other tools open: OTLP/JSON, Chrome trace events (Perfetto), OpenMetrics.

Each format is one module with a ``write(run)`` that reads the run folder's ``spans.jsonl``
and ``metrics.jsonl`` and writes its files beside them through the atomic writer. The
session calls :func:`export_run` inside the run folder's swap, so a folder holds the exports
of the spans beside it or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archgen.model.schema import Model

EXPORT_FILES: dict[str, tuple[str, ...]] = {
    "otlp": ("traces.otlp.jsonl", "metrics.otlp.jsonl"),
    "perfetto": ("trace.perfetto.json",),
    "openmetrics": ("metrics.openmetrics.txt",),
}
"""Format → the files it writes into the run folder."""

FORMATS = tuple(EXPORT_FILES)

SPAN_EXPORTS = frozenset({"otlp", "perfetto"})
"""Formats that read the run's spans (a run without ``spans.jsonl`` cannot write them)."""


def export_run(
    folder: Path,
    formats: Sequence[str],
    model: Model,
    *,
    scenario: str,
    seed: int,
    period_s: float,
) -> list[str]:
    """Write the ``formats`` of the run in ``folder`` (each once, in :data:`FORMATS` order);
    the names written."""
    from archgen.runtime.export.common import ExportRun

    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown export format(s): {', '.join(unknown)}")
    run = ExportRun(model, scenario, seed, folder, period_s)
    written: list[str] = []
    for name in FORMATS:
        if name in formats:
            import_module(f"archgen.runtime.export.{name}").write(run)
            written.extend(EXPORT_FILES[name])
    return written
