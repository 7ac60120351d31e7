"""``archgen site build`` and ``archgen site serve``: the documentation site of a model,
for users without their own mkdocs.yml (those add the ``archgen`` plugin to it instead)."""

from __future__ import annotations

from pathlib import Path

import click


def run_site_build(
    model_path: Path | None,
    out: Path,
    cache_dir: Path,
    *,
    force: bool = False,
    sweeps: tuple[Path, ...] = (),
) -> None:
    from archgen.site.standalone import build_site

    index = build_site(model_path, out, cache_dir, force=force, sweeps=sweeps)
    click.echo(f"site built: {index}")


def run_site_serve(
    model_path: Path | None, dev_addr: str, cache_dir: Path, sweeps: tuple[Path, ...] = ()
) -> None:
    from archgen.site.standalone import serve_site

    serve_site(model_path, dev_addr, cache_dir, sweeps)
