"""``archgen site build`` and ``archgen site serve``: the documentation site of a model,
for users without their own mkdocs.yml (those add the ``archgen`` plugin to it instead)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from archgen.model.errors import UsageError

if TYPE_CHECKING:
    from archgen.site.standalone import Fidelity


def site_fidelity(fidelity: str | None, sample: float | None) -> Fidelity:
    """``--fidelity`` and ``--sample``, checked as ``archgen run`` checks them."""
    from archgen.site.standalone import Fidelity

    if sample is not None and fidelity != "hybrid":
        raise UsageError("--sample traces a share of the sessions: add --fidelity hybrid")
    if sample is not None and not 0 < sample <= 1:
        raise UsageError(f"--sample: must be above 0 and at most 1 (got {sample:g})", "--sample")
    return Fidelity(fidelity, sample)


def run_site_build(
    model_path: Path | None,
    out: Path,
    cache_dir: Path,
    *,
    force: bool = False,
    sweeps: tuple[Path, ...] = (),
    fidelity: str | None = None,
    sample: float | None = None,
) -> None:
    from archgen.site.standalone import build_site

    chosen = site_fidelity(fidelity, sample)
    index = build_site(model_path, out, cache_dir, force=force, sweeps=sweeps, fidelity=chosen)
    click.echo(f"site built: {index}")


def run_site_serve(
    model_path: Path | None,
    dev_addr: str,
    cache_dir: Path,
    sweeps: tuple[Path, ...] = (),
    fidelity: str | None = None,
    sample: float | None = None,
) -> None:
    from archgen.site.standalone import serve_site

    def announce(url: str) -> None:
        # click.echo flushes: a log redirected to a file shows the URL during the build.
        click.echo(
            f"serving the site on {url} once it is built (Ctrl+C stops); it is rebuilt "
            "when the model changes"
        )

    chosen = site_fidelity(fidelity, sample)
    serve_site(model_path, dev_addr, cache_dir, sweeps, chosen, announce)
