"""What commands print: atomic files (the helper lives in ``archgen.model.files``, shared
with the runtime and the site, which may not import the command line) and rich tables that
are never cut.

Rich sizes its console from the terminal, and when standard output is a pipe or a file it
falls back to 80 columns, where a table's cells end in ``…`` and lines wrap mid-sentence: a
CI log or ``| grep`` would lose exactly the column asked for. Off a terminal the console is
as wide as the widest table, so nothing is cut; on a terminal narrower than a table, cells
fold onto more lines instead of being elided.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archgen.model.files import write_atomic

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

__all__ = ["print_rich", "write_atomic"]


def print_rich(*renderables: RenderableType, stderr: bool = False) -> None:
    """Print tables and lines whole: folded on a narrow terminal, never cut anywhere.
    Text is printed as it is (model ids and paths may hold ``[…]``, which is not markup)."""
    from rich.table import Table

    console = _plain_console(stderr, None)
    tables = [item for item in renderables if isinstance(item, Table)]
    for table in tables:
        for column in table.columns:
            column.overflow = "fold"
    if tables and not console.is_terminal:
        widest = max(_natural_width(console, table) for table in tables)
        console = _plain_console(stderr, max(console.width, widest))
    for item in renderables:
        console.print(item)


def _plain_console(stderr: bool, width: int | None) -> Console:
    from rich.console import Console

    return Console(
        stderr=stderr, width=width, highlight=False, markup=False, emoji=False, soft_wrap=True
    )


def _natural_width(console: Console, table: RenderableType) -> int:
    from rich.measure import Measurement

    wide = console.options.update_width(1_000_000)
    return Measurement.get(console, wide, table).maximum
