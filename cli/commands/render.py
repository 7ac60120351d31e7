"""``archgen render``: every view of the model in every format, incrementally.

Each (view, format) has a content hash of the computed view, the renderer's version and
the format; a manifest in the output folder remembers it with the hash of each file
written, so an unchanged view is not drawn again. Files are written atomically.

The manifest is input like any other (it may be committed, or tampered with): an entry is
acted on only when its file names are plain names inside the output folder, and a file is
only removed when it is still, byte for byte, the one archgen wrote.
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

from archgen.model.files import read_regular, write_atomic

if TYPE_CHECKING:
    from archgen.model.schema import Model
    from archgen.renderers.views import ComputedView

MANIFEST = ".archgen-render.json"
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class Written:
    view: str
    fmt: str
    file: str
    status: str  # written | unchanged | removed
    size: int


def parse_formats(value: str | None) -> tuple[str, ...]:
    """``png,svg`` → ("png", "svg"); every format the renderers make when empty."""
    from archgen.model.errors import UsageError, did_you_mean
    from archgen.renderers.registry import available_formats

    if not value:
        return tuple(available_formats())
    formats = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    known = available_formats()
    for fmt in formats:
        if fmt not in known:
            raise UsageError(
                f"unknown format '{fmt}'{did_you_mean(fmt, known)}; choose from {', '.join(known)}",
                "--format",
            )
    return formats


def run_render(
    model_path: Path | None,
    *,
    views: Sequence[str] = (),
    formats: Sequence[str] | None = None,
    out: Path = Path("archgen-out"),
    watch: bool = False,
    stop_event: threading.Event | None = None,
    as_json: bool = False,
) -> list[Written]:
    """Render once, print the table (or JSON); with ``watch``, again on every change of the
    model. ``formats`` None is every format."""
    formats = parse_formats(None) if formats is None else formats
    results = render_once(model_path, views=views, formats=formats, out=out)
    if as_json:
        click.echo(results_json(results, out))
    else:
        print_results(results, out)
    if watch:
        watch_model(model_path, views=views, formats=formats, out=out, stop_event=stop_event)
    return results


def render_once(
    model_path: Path | None,
    *,
    views: Sequence[str] = (),
    formats: Sequence[str] | None = None,
    out: Path = Path("archgen-out"),
) -> list[Written]:
    from archgen.model import load_model
    from archgen.renderers.layout import dot_program
    from archgen.renderers.registry import dot_formats, renderer_for_format

    formats = parse_formats(None) if formats is None else formats
    if dot_formats() & set(formats):
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
        recorded: dict[str, str] = entries.get(key, {}).get("files", {})
        stale = {name: recorded[name] for name in set(recorded) - set(files)}
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
                results += _remove(out, view_id, fmt, entries.pop(key)["files"])
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


def results_json(results: Sequence[Written], out: Path) -> str:
    """Every (view, format) with its file and whether it was written, for scripts."""
    files = [
        {
            "view": item.view,
            "format": item.fmt,
            "file": item.file,
            "status": item.status,
            "bytes": item.size,
        }
        for item in results
    ]
    return json.dumps({"out": str(out), "files": files}, indent=2)


def print_results(results: Sequence[Written], out: Path) -> None:
    changed = [item for item in results if item.status != "unchanged"]
    unchanged = len(results) - len(changed)
    written = sum(item.status == "written" for item in results)
    summary = f"{written} written, {unchanged} unchanged in {out}"
    if not changed:  # the common re-run: no need to import rich
        click.echo(summary)
        return
    from rich.table import Table

    from archgen.output import print_rich

    table = Table("view", "format", "file", "status", "bytes", title=f"archgen render → {out}")
    for item in changed:
        table.add_row(
            item.view,
            item.fmt,
            item.file,
            item.status,
            f"{item.size:,}" if item.status == "written" else "",
        )
    print_rich(table, summary)


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

    from archgen.errors import show
    from archgen.model import reference_model_path
    from archgen.model.errors import ArchgenError

    target = model_path if model_path is not None else reference_model_path()
    click.echo(f"watching {target} (Ctrl-C to stop)")
    try:
        for _changes in watch(target, stop_event=stop_event, debounce=200):
            try:
                print_results(render_once(model_path, views=views, formats=formats, out=out), out)
            except ArchgenError as error:
                show(error)
    except KeyboardInterrupt:
        pass


def read_manifest(out: Path) -> dict[str, Any]:
    """The manifest of ``out``; an unreadable one is empty, and an entry that is not well
    formed (a file name with a folder, ``..``, an absolute path…) is dropped with a warning:
    its files are never read, written or removed through it."""
    empty: dict[str, Any] = {"archgen-render": MANIFEST_VERSION, "entries": {}}
    path = out / MANIFEST
    raw = read_regular(path)
    if raw is None:
        return empty
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError:
        return empty
    if not isinstance(data, dict) or data.get("archgen-render") != MANIFEST_VERSION:
        return empty
    entries = data.get("entries")
    if not isinstance(entries, dict):
        return empty
    for key in sorted(entries):
        problem = _entry_problem(key, entries[key])
        if problem is not None:
            click.echo(f"warning: {path}: ignoring manifest entry {key!r}: {problem}", err=True)
            del entries[key]
    return data


def _entry_problem(key: str, entry: Any) -> str | None:
    """Why a manifest entry cannot be trusted, or None."""
    if ":" not in key:
        return "its key is not VIEW:FORMAT"
    if not isinstance(entry, dict) or not isinstance(entry.get("input"), str):
        return "not an object with 'input' and 'files'"
    files = entry.get("files")
    if not isinstance(files, dict) or not files:
        return "'files' is not an object of file names and hashes"
    for name, digest in files.items():
        if not _plain_name(name):
            return f"unsafe file name {name!r} (only plain names inside the output folder)"
        if not isinstance(digest, str) or len(digest) != 64:
            return f"the hash of {name!r} is not a sha256"
    return None


def _plain_name(name: str) -> bool:
    """A file name directly inside the output folder: no folder part, not hidden, not ``..``."""
    return (
        bool(name)
        and not name.startswith(".")
        and not any(char in name for char in "/\\\0")
        and Path(name).name == name
    )


def _view_hash(view: ComputedView) -> str:
    return _digest(json.dumps(view.to_dict(), sort_keys=True, separators=(",", ":")))


def _digest(data: str | bytes) -> str:
    payload = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.sha256(payload).hexdigest()


def _intact(out: Path, files: dict[str, str]) -> bool:
    """Every recorded file is still there, byte for byte (someone may have edited one); a
    symbolic link never counts, so nothing outside ``out`` is read."""
    for name, digest in files.items():
        data = read_regular(out / name)
        if data is None or _digest(data) != digest:
            return False
    return bool(files)


def _remove(out: Path, view_id: str, fmt: str, files: dict[str, str]) -> list[Written]:
    """Remove the files archgen wrote that no view needs any more: only regular files
    directly in ``out`` whose content is still the recorded one; the user's edits stay."""
    removed = []
    folder = out.resolve()
    for name in sorted(files):
        path = out / name
        if not _plain_name(name) or path.parent.resolve() != folder:
            continue  # read_manifest dropped such entries; never act on one regardless
        data = read_regular(path)
        if data is None:
            if os.path.lexists(path):
                click.echo(f"warning: {path}: kept (not a regular file archgen wrote)", err=True)
            continue
        if _digest(data) != files[name]:
            click.echo(f"warning: {path}: kept (changed since archgen wrote it)", err=True)
            continue
        path.unlink()
        removed.append(Written(view_id, fmt, name, "removed", 0))
    return removed
