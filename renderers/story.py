"""The story's step numbers on a diagram: AWS-style numbered badges on the edges of the
overview, and a legend under the title that says what each number is.

Every edge a story step uses also gets the SVG classes ``story-N``, so a page can
highlight one step (``.story-3 path { stroke-width: 3 }``) without knowing the layout.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archgen.renderers.views import ComputedView, ViewEdge

BADGE = "#232F3E"
"""AWS's squid ink: the numbered circles of AWS architecture diagrams."""


def badge(number: int) -> str:
    width = 8 + 8 * len(str(number))
    return (
        f'<TD BGCOLOR="{BADGE}" STYLE="rounded" FIXEDSIZE="TRUE" WIDTH="{width}" HEIGHT="16">'
        f'<FONT COLOR="#FFFFFF">{number}</FONT></TD>'
    )


def story_classes(edge: ViewEdge) -> str:
    return " ".join(f"story-{number}" for number in edge.story_steps)


def edge_label(numbers: tuple[int, ...], lines: list[str]) -> str:
    """An HTML-like edge label: the step badges in a row, then the operations."""
    badges = "".join(badge(number) for number in numbers)
    rows = "".join(f"<TR><TD>{html.escape(line, quote=True)}</TD></TR>" for line in lines)
    return (
        '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">'
        f'<TR><TD><TABLE BORDER="0" CELLSPACING="2" CELLPADDING="0"><TR>{badges}</TR>'
        f"</TABLE></TD></TR>{rows}</TABLE>>"
    )


def graph_label(view: ComputedView) -> str:
    """The title, then one line per story step: its badge and its flows' titles."""
    rows = "".join(
        f'<TR>{badge(number)}<TD ALIGN="LEFT"><FONT POINT-SIZE="13"> '
        f"{html.escape(title, quote=True)}</FONT></TD></TR>"
        for number, title in view.chapters
    )
    return (
        '<<TABLE BORDER="0" CELLSPACING="3" CELLPADDING="0">'
        f'<TR><TD COLSPAN="2">{html.escape(view.title, quote=True)}</TD></TR>'
        f"{rows}</TABLE>>"
    )
