"""Graphviz source of a view, in the style of mingrammer/diagrams but with stable ids.

Node ids are model ids, cluster ids come from group ids (never from labels, so two groups
with one label stay apart), edge ids from their endpoints or step numbers. Edge labels
need ``splines=spline``: with diagrams' default ``ortho`` Graphviz cannot place them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from archgen.renderers.base import Renderer
from archgen.renderers.group_style import cluster_attrs
from archgen.renderers.story import edge_label, graph_label, story_classes
from archgen.renderers.views import ComputedView, ViewEdge, ViewNode, kind_title
from archgen.renderers.wrap import wrap_list, wrap_words

if TYPE_CHECKING:
    from archgen.model.schema import Model


RELATION_STYLE = {
    "call": "",
    "protects": 'color="#C0392B", fontcolor="#C0392B", style=dotted, arrowhead=odot',
    "assumes": 'color="#8E44AD", fontcolor="#8E44AD", style=dotted, arrowhead=vee',
    "encrypts": 'color="#B7950B", fontcolor="#B7950B", style=dotted, arrowhead=diamond',
}
CONDITIONAL_COLOUR = "#D35400"
LAYOUT_REVISION = 9
"""Bump when the DOT of an unchanged view changes: cached renders are keyed by it."""
LABEL_WIDTH = 15
"""Characters per line of a node label; diagrams' nodes are 1.4 in wide."""
NODE_WIDTH = 1.4
NODE_FONT = 13
CHAR_EM = 0.56
"""A generous average character width (em): a node is as wide as its longest label line,
so labels never spill over a neighbour (Graphviz keeps fixed-size nodes apart, not labels)."""
NEWRANK = ", newrank=true"
NEWRANK_VIEWS = frozenset({"overview", "region", "security"})
"""The overview, region and security views rank all nodes at once, not cluster by
cluster: users and partners in one "outside" group then sit at both ends, not in a last
column (measured: region 2353 → 2194 wide, overview 2901 → 2496). Not for flows: there
it stacked fan-out edge labels."""
STAGGER = 5
"""Columns the security view spreads guarded nodes over (5: 1839 x 4374, 9.9 px at
1400 px; 3 was 3.0 : 1 tall, 6 shrinks the font to 7 px)."""
EDGE_LABEL_WIDTH = 18
"""Characters per line of an edge label: operations are listed a few per line."""

GRAPH_ATTRS = (
    'fontname="Sans-Serif", fontsize=15, fontcolor="#2D3436", labelloc=t, pad=0.2, '
    "splines=spline, nodesep=0.6, ranksep=0.4"
)
NODE_ATTRS = (
    f"shape=none, fixedsize=true, width={NODE_WIDTH}, height=1.9, labelloc=b, imagescale=true, "
    f'imagepos=tc, fontname="Sans-Serif", fontsize={NODE_FONT}, fontcolor="#2D3436"'
)
EDGE_ATTRS = 'color="#7B8894", fontcolor="#2D3436", fontname="Sans-Serif", fontsize=13'


def quote(text: str) -> str:
    """A DOT double-quoted string whose text Graphviz shows literally.

    Backslashes and quotes are escaped; ``&`` becomes ``&amp;`` because Graphviz decodes
    HTML entities in labels (``&lt;`` would otherwise show as ``<``).
    """
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
    return '"' + escaped.replace("\r", "").replace("\n", "\\n") + '"'


def wrap(label: str, width: int = LABEL_WIDTH) -> list[str]:
    return wrap_words(label, width)


def dot_source(view: ComputedView, icon: Callable[[str], str]) -> str:
    """The DOT text of ``view``; ``icon(kind)`` names each kind's image (relative path)."""
    badges = bool(view.chapters)
    lines = [
        f"// archgen view {view.id}: {view.kind}. Icons are relative to diagrams' resources/",
        "// folder: dot -Gimagepath=<site-packages>/resources -Tsvg this.dot",
        f"digraph {quote(view.id)} {{",
        f"  graph [id={quote('view-' + view.id)}, "
        f"label={graph_label(view) if badges else quote(view.title)}, {GRAPH_ATTRS}, "
        f"rankdir={_rankdir(view)}{NEWRANK if view.kind in NEWRANK_VIEWS else ''}];",
        f"  node [{NODE_ATTRS}];",
        f"  edge [{EDGE_ATTRS}];",
    ]
    lines += _cluster_lines(view, None, icon, depth=0, indent="  ")
    levels = _levels(view) if view.kind == "security" else {}
    lines += [f"  {_edge(edge, levels, badges)}" for edge in view.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _rankdir(view: ComputedView) -> str:
    """Left to right for every view: a flow reads like a sentence, and the overview stacks
    its regions, so a page-wide diagram keeps labels readable (side by side, top to
    bottom, they shrank to 3.6 px at 1400 px). The security view spreads what its guards
    guard over :data:`STAGGER` columns (it was one column seven screens tall)."""
    del view  # one direction today; the view decides should that change
    return "LR"


def _levels(view: ComputedView) -> dict[str, int]:
    """Ranks below the guards of a security view: what the guards (sources of protects
    and encrypts, targets of assumes and of calls) point at is spread over
    :data:`STAGGER` ranks, as Graphviz's ``unflatten`` would, so 50 nodes make a block
    rather than one endless column."""
    guards = {
        edge.target if edge.relation == "assumes" else edge.source
        for edge in view.edges
        if edge.relation != "call"
    }
    guards |= {edge.target for edge in view.edges if edge.relation == "call"} - {
        edge.source for edge in view.edges if edge.relation == "call" and edge.source in guards
    }
    guarded = [node.id for node in view.nodes if node.id not in guards]
    return {node: 1 + index % STAGGER for index, node in enumerate(guarded)} | dict.fromkeys(
        guards, 0
    )


def _cluster_lines(
    view: ComputedView,
    parent: str | None,
    icon: Callable[[str], str],
    depth: int,
    indent: str,
) -> list[str]:
    lines = [indent + _node(node, icon) for node in view.nodes_in(parent)]
    for cluster in view.children(parent):
        lines.append(f"{indent}subgraph {quote('cluster_' + cluster.id)} {{")
        lines.append(
            f"{indent}  graph [id={quote('cluster-' + cluster.id)}, "
            f"{cluster_attrs(cluster, icon)}, tooltip={quote(cluster.kind)}, "
            "labeljust=l, margin=8, fontsize=13];"
        )
        lines += _cluster_lines(view, cluster.id, icon, depth + 1, indent + "  ")
        lines.append(f"{indent}}}")
    return lines


def _node(node: ViewNode, icon: Callable[[str], str]) -> str:
    label_lines = wrap(node.label)
    height = 1.9 + 0.4 * (len(label_lines) - 1)
    width = max(NODE_WIDTH, max(map(len, label_lines)) * CHAR_EM * NODE_FONT / 72 + 0.1)
    tooltip = kind_title(node.kind) + (f": {node.description}" if node.description else "")
    return (
        f"{quote(node.id)} [id={quote('node-' + node.id)}, "
        f"label={quote(chr(10).join(label_lines))}, "
        f"image={quote(icon(node.icon or node.kind))}, width={width:.2f}, height={height:.1f}, "
        f"tooltip={quote(tooltip)}];"
    )


def _edge(edge: ViewEdge, levels: dict[str, int], badges: bool = False) -> str:
    lines = wrap_list(edge.label.split(", "), EDGE_LABEL_WIDTH)
    if badges and edge.story_steps:
        label = edge_label(edge.story_steps, lines)
    else:
        label = quote("\n".join(lines))
    attrs = [f"id={quote('edge-' + edge.id)}", f"label={label}"]
    if edge.story_steps:
        attrs.append(f"class={quote(story_classes(edge))}")
    style = RELATION_STYLE[edge.relation]
    if style:
        attrs.append(style)
    if edge.is_async:
        attrs.append("style=dashed")
    if edge.condition is not None:
        attrs.append(f'color="{CONDITIONAL_COLOUR}", fontcolor="{CONDITIONAL_COLOUR}"')
    # Graphviz ranks along the call (a polled queue's consumer before the queue: laid out
    # the other way, dot 2.43 fails with "trouble in init_rank"); the arrow shows the data.
    source, target = (edge.target, edge.source) if edge.pulled else (edge.source, edge.target)
    back = edge.pulled
    if levels and levels.get(source, 0) > levels.get(target, 0):
        # Drawn from the guard down, the arrow still pointing where the relation points.
        source, target = target, source
        back = not back
    if back:
        attrs.append("dir=back")
    if levels:
        attrs.append(f"minlen={max(1, levels.get(target, 1) - levels.get(source, 0))}")
    return f"{quote(source)} -> {quote(target)} [{', '.join(attrs)}];"


class DotRenderer(Renderer):
    """The Graphviz source itself, as the diagrams renderer lays it out."""

    name: ClassVar[str] = "dot"
    formats: ClassVar[tuple[str, ...]] = ("dot",)
    position: ClassVar[int] = 30

    @property
    def version(self) -> str:
        return f"{super().version}; layout {LAYOUT_REVISION}"

    def render(self, model: Model, view: ComputedView, fmt: str) -> bytes:
        from archgen.renderers.icons import icon_path

        self.check_format(fmt)
        return dot_source(view, icon_path).encode("utf-8")
