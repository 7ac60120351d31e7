"""``archgen render``: every view of the model in every format, incrementally.

Each (view, format) has a content hash of the computed view, the renderer's version and
the format; a manifest in the output folder remembers it with the hash of each file
written, so an unchanged view is not drawn again. Files are written atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from archgen.output import write_atomic

if TYPE_CHECKING:
    from archgen.model.schema import Model
    from archgen.renderers.views import ComputedView

MANIFEST = ".archgen-render.json"
MANIFEST_VERSION = 1
ALL_FORMATS = ("svg", "png", "mermaid", "dot")
GRAPHVIZ_FORMATS = frozenset({"svg", "png"})


@dataclass(frozen=True)
class Written:
    view: str
    fmt: str
    file: str
    status: str  # written | unchanged | removed
    size: int


def parse_formats(value: str | None) -> tuple[str, ...]:
    """``png,svg`` → ("png", "svg"); every format when empty."""
    if not value:
        return ALL_FORMATS
    from archgen.model.errors import did_you_mean
    from archgen.renderers.registry import available_formats

    formats = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    known = available_formats()
    for fmt in formats:
        if fmt not in known:
            raise click.BadParameter(
                f"unknown format '{fmt}'{did_you_mean(fmt, known)}; choose from {', '.join(known)}",
                param_hint="--format",
            )
    return formats


def run_render(
    model_path: Path | None,
    *,
    views: Sequence[str] = (),
    formats: Sequence[str] = ALL_FORMATS,
    out: Path = Path("archgen-out"),
    watch: bool = False,
    stop_event: threading.Event | None = None,
) -> list[Written]:
    """Render once, print the table; with ``watch``, again on every change of the model."""
    results = render_once(model_path, views=views, formats=formats, out=out)
    print_results(results, out)
    if watch:
        watch_model(model_path, views=views, formats=formats, out=out, stop_event=stop_event)
    return results


def render_once(
    model_path: Path | None,
    *,
    views: Sequence[str] = (),
    formats: Sequence[str] = ALL_FORMATS,
    out: Path = Path("archgen-out"),
) -> list[Written]:
    from archgen.model import load_model
    from archgen.renderers.layout import dot_program
    from archgen.renderers.registry import renderer_for_format

    if GRAPHVIZ_FORMATS & set(formats):
        dot_program()  # fail early, before anything is written
    model = load_model(model_path).model
    chosen = select_views(model, views)
    renderers = {fmt: renderer_for_format(fmt) for fmt in formats}
    manifest = read_manifest(out)
    entries: dict[str, Any] = manifest["entries"]
    jobs = []
    results: list[Written] = []
    for view in chosen:
        view_hash = _view_hash(view)
        for fmt in formats:
            renderer = renderers[fmt]
            key = f"{view.id}:{fmt}"
            digest = _digest(f"{view_hash}\n{renderer.name}\n{renderer.version}\n{fmt}")
            entry = entries.get(key)
            if entry is not None and entry["input"] == digest and _intact(out, entry["files"]):
                results += [
                    Written(view.id, fmt, name, "unchanged", (out / name).stat().st_size)
                    for name in sorted(entry["files"])
                ]
            else:
                jobs.append((view, fmt, renderer, key, digest))

    def draw(job: tuple[ComputedView, str, Any, str, str]) -> tuple[str, str, dict[str, bytes]]:
        view, fmt, renderer, key, digest = job
        files = renderer.artifacts(model, view, fmt)
        return key, digest, {view.id + suffix: data for suffix, data in files.items()}

    workers = max(1, min(len(jobs), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        drawn = list(pool.map(draw, jobs))
    for (view, fmt, *_), (key, digest, files) in zip(jobs, drawn, strict=True):
        for name, data in sorted(files.items()):
            write_atomic(out / name, data)
            results.append(Written(view.id, fmt, name, "written", len(data)))
        stale = set(entries.get(key, {}).get("files", {})) - set(files)
        results += _remove(out, view.id, fmt, stale)
        entries[key] = {
            "input": digest,
            "files": {name: _digest(data) for name, data in sorted(files.items())},
        }
    if not views:  # a full run: drop what views that no longer exist left behind
        current = {f"{view.id}:{fmt}" for view in chosen for fmt in formats}
        for key in sorted(set(entries) - current):
            view_id, _, fmt = key.rpartition(":")
            if fmt in formats:
                results += _remove(out, view_id, fmt, set(entries.pop(key)["files"]))
    write_atomic(out / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return sorted(results, key=lambda item: (item.view, item.fmt, item.file))


def select_views(model: Model, wanted: Sequence[str]) -> list[ComputedView]:
    """The views asked for (all when none), or one error listing every unknown id."""
    from archgen.model.errors import did_you_mean
    from archgen.renderers.views import UnknownView, compute_views

    views = compute_views(model)
    if not wanted:
        return views
    by_id = {view.id: view for view in views}
    unknown = [name for name in dict.fromkeys(wanted) if name not in by_id]
    if unknown:
        raise UnknownView(
            "; ".join(f"unknown view '{name}'{did_you_mean(name, by_id)}" for name in unknown)
            + f". Views: {', '.join(by_id)}"
        )
    return [by_id[name] for name in dict.fromkeys(wanted)]


def print_results(results: Sequence[Written], out: Path) -> None:
    changed = [item for item in results if item.status != "unchanged"]
    unchanged = len(results) - len(changed)
    written = sum(item.status == "written" for item in results)
    summary = f"{written} written, {unchanged} unchanged in {out}"
    if not changed:  # the common re-run: no need to import rich
        click.echo(summary)
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, soft_wrap=True)
    table = Table("view", "format", "file", "status", "bytes", title=f"archgen render → {out}")
    for item in changed:
        table.add_row(
            item.view,
            item.fmt,
            item.file,
            item.status,
            f"{item.size:,}" if item.status == "written" else "",
        )
    console.print(table)
    console.print(summary)


def watch_model(
    model_path: Path | None,
    *,
    views: Sequence[str],
    formats: Sequence[str],
    out: Path,
    stop_event: threading.Event | None = None,
) -> None:
    """Render again whenever the model file changes; a bad model is reported, not fatal."""
    from watchfiles import watch

    from archgen.model import reference_model_path

    target = model_path if model_path is not None else reference_model_path()
    click.echo(f"watching {target} (Ctrl-C to stop)")
    try:
        for _changes in watch(target, stop_event=stop_event, debounce=200):
            try:
                print_results(render_once(model_path, views=views, formats=formats, out=out), out)
            except click.ClickException as error:
                message = error.format_message()  # model errors already read "error: …"
                click.echo(
                    message if message.startswith("error:") else f"error: {message}", err=True
                )
    except KeyboardInterrupt:
        pass


def read_manifest(out: Path) -> dict[str, Any]:
    empty: dict[str, Any] = {"archgen-render": MANIFEST_VERSION, "entries": {}}
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return empty
    if not isinstance(data, dict) or data.get("archgen-render") != MANIFEST_VERSION:
        return empty
    if not isinstance(data.get("entries"), dict):
        return empty
    return data


def _view_hash(view: ComputedView) -> str:
    return _digest(json.dumps(view.to_dict(), sort_keys=True, separators=(",", ":")))


def _digest(data: str | bytes) -> str:
    payload = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.sha256(payload).hexdigest()


def _intact(out: Path, files: dict[str, str]) -> bool:
    """Every recorded file is still there, byte for byte (someone may have edited one)."""
    for name, digest in files.items():
        try:
            if _digest((out / name).read_bytes()) != digest:
                return False
        except OSError:
            return False
    return bool(files)


def _remove(out: Path, view_id: str, fmt: str, names: set[str]) -> list[Written]:
    removed = []
    for name in sorted(names):
        (out / name).unlink(missing_ok=True)
        removed.append(Written(view_id, fmt, name, "removed", 0))
    return removed
