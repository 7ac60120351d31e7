"""A site for users without their own ``mkdocs.yml``: a generated configuration, the plugin
and nothing else (``archgen site build`` and ``archgen site serve``).

Users who have a mkdocs site add ``- archgen: {model: path}`` to its ``plugins`` instead.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from archgen.model import load_model
from archgen.site.templating import html_text

DEFAULT_CACHE = Path(".archgen-cache/site")


@dataclass(frozen=True)
class Fidelity:
    """``--fidelity`` and ``--sample`` of ``archgen site build/serve``, as given (None: the
    plugin's default); the plugin resolves them for each scenario."""

    mode: str | None = None
    sample: float | None = None


def site_config(
    model_path: Path | None,
    out: Path,
    docs_dir: Path,
    cache_dir: Path,
    site_name: str,
    sweeps: Sequence[Path] = (),
    fidelity: Fidelity | None = None,
) -> dict[str, Any]:
    """The mkdocs configuration of a model-only site (material, offline, strict), its
    scenarios simulated at ``fidelity`` (the plugin's default, each scenario's own, when
    None)."""
    # The plugin replaces site_name with the model's name as HTML (themes print it raw);
    # escaped here too, so it is safe even before the plugin runs.
    plugin: dict[str, Any] = {
        "cache_dir": str(cache_dir.resolve()),
        "site_name_from_model": True,
        "raise_errors": True,  # the CLI reports them, as for every other command
    }
    if model_path is not None:
        plugin["model"] = str(model_path.resolve())
        plugin["model_name"] = str(model_path)  # as the user typed it, as the CLI prints it
    if sweeps:
        plugin["sweeps"] = [str(path.resolve()) for path in sweeps]
    if fidelity is not None and fidelity.mode is not None:
        plugin["fidelity"] = fidelity.mode
    if fidelity is not None and fidelity.sample is not None:
        plugin["sample"] = fidelity.sample
    return {
        "site_name": str(html_text(site_name)),
        "docs_dir": str(docs_dir.resolve()),
        "site_dir": str(out.resolve()),
        "strict": True,
        "use_directory_urls": True,
        "theme": {
            "name": "material",
            "font": False,
            "features": ["navigation.tabs", "search.highlight"],
            "palette": PALETTE,
        },
        "plugins": ["search", {"archgen": plugin}],
        "markdown_extensions": ["tables", "attr_list", "md_in_html", "pymdownx.superfences"],
        "nav": [
            {"Home": "index.md"},
            {"Architecture": "archgen:architecture"},
            {"Flows": "archgen:flows"},
            {"Scenarios": "archgen:scenarios"},
            {"Reference": "archgen:reference"},
        ],
    }


PALETTE = [
    {
        "media": "(prefers-color-scheme: light)",
        "scheme": "default",
        "toggle": {"icon": "material/weather-night", "name": "Switch to dark mode"},
    },
    {
        "media": "(prefers-color-scheme: dark)",
        "scheme": "slate",
        "toggle": {"icon": "material/weather-sunny", "name": "Switch to light mode"},
    },
]


@contextmanager
def _config_file(
    model_path: Path | None,
    out: Path,
    cache_dir: Path,
    sweeps: Sequence[Path] = (),
    fidelity: Fidelity | None = None,
) -> Iterator[Path]:
    loaded = load_model(model_path)  # bad input fails here, as a ModelError (exit 2)
    with tempfile.TemporaryDirectory(prefix="archgen-site-") as folder:
        docs = Path(folder) / "docs"
        docs.mkdir()
        config = site_config(
            model_path, out, docs, cache_dir, loaded.model.system.name, sweeps, fidelity
        )
        path = Path(folder) / "mkdocs.yml"
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        yield path


def _quiet_mkdocs() -> None:
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    logging.getLogger("mkdocs").setLevel(logging.WARNING)


SITE_MARKER = ".archgen-site"
"""An empty file in every site ``archgen site build`` writes: the proof that it may replace it."""


def _foreign(folder: Path) -> list[str]:
    """Everything in ``folder`` unless it is a site archgen built: with its marker, or with the
    archgen plugin's stylesheet beside an ``index.html`` (``mkdocs build`` with the plugin,
    as ``make demo`` does)."""
    if (folder / SITE_MARKER).is_file() or (
        (folder / "index.html").is_file()
        and (folder / "assets" / "stylesheets" / "archgen.css").is_file()
    ):
        return []
    return [entry.name for entry in folder.iterdir()]


def build_site(
    model_path: Path | None,
    out: Path,
    cache_dir: Path = DEFAULT_CACHE,
    *,
    force: bool = False,
    sweeps: Sequence[Path] = (),
    fidelity: Fidelity | None = None,
) -> Path:
    """Build the site of ``model_path`` (the reference model when ``None``) into ``out``.

    mkdocs wipes its ``site_dir``, so it builds into a fresh folder beside ``out`` that then
    replaces ``out`` as one unit: an interrupted build leaves the previous site as it was.
    ``out`` must be new, empty or a site archgen built (``force`` lifts only that rule); it
    is never a link, the current or home folder (or above them), or above the model file.
    Each of ``sweeps`` (``sweep.json`` or its folder) gets a page; scenarios are
    simulated at ``fidelity``.
    """
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    from archgen.model.files import replace_folder

    _quiet_mkdocs()
    with (
        replace_folder(
            out,
            noun="site",
            foreign=_foreign,
            hint="choose an empty or new folder, or add --force to replace it",
            protect=() if model_path is None else (model_path,),
            force=force,
            marker=SITE_MARKER,
        ) as staging,
        _config_file(model_path, staging, cache_dir, sweeps, fidelity) as config_file,
    ):
        config = load_config(str(config_file))
        build(config)
    return out / "index.html"


def serve_site(
    model_path: Path | None,
    dev_addr: str,
    cache_dir: Path = DEFAULT_CACHE,
    sweeps: Sequence[Path] = (),
    fidelity: Fidelity | None = None,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Serve the site with live reload; the model file is watched too. ``announce`` is told
    the URL once the model is known to be valid, before the first build (mkdocs' own
    "Serving on" is quieted with the rest of its log)."""
    from mkdocs.commands.serve import serve

    _quiet_mkdocs()
    with (
        tempfile.TemporaryDirectory(prefix="archgen-serve-") as out,
        _config_file(model_path, Path(out), cache_dir, sweeps, fidelity) as config_file,
    ):
        if announce is not None:
            announce(f"http://{dev_addr}/")  # as mkdocs serves it: at the root
        serve(config_file=str(config_file), dev_addr=dev_addr)
