"""Graphviz source of a view, in the style of mingrammer/diagrams but with stable ids.

Node ids are model ids, cluster ids come from group ids (never from labels, so two groups
with one label stay apart), edge ids from their endpoints or step numbers. Edge labels
need ``splines=spline``: with diagrams' default ``ortho`` Graphviz cannot place them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from archgen.renderers.base import Renderer
from archgen.renderers.views import ComputedView, ViewEdge, ViewNode, kind_title

if TYPE_CHECKING:
    from archgen.model.schema import Model

CLUSTER_COLOURS = ("#E5F5FD", "#EBF3E7", "#ECE8F6", "#FDF7E3")
"""diagrams' cluster backgrounds, by depth."""

RELATION_STYLE = {
    "call": "",
    "protects": 'color="#C0392B", fontcolor="#C0392B", style=dotted, arrowhead=odot',
    "assumes": 'color="#8E44AD", fontcolor="#8E44AD", style=dotted, arrowhead=vee',
    "encrypts": 'color="#B7950B", fontcolor="#B7950B", style=dotted, arrowhead=diamond',
}
CONDITIONAL_COLOUR = "#D35400"
LAYOUT_REVISION = 2
"""Bump when the DOT of an unchanged view changes: cached renders are keyed by it."""
LABEL_WIDTH = 18
"""Characters per line of a node label; diagrams' nodes are 1.4 in wide."""

GRAPH_ATTRS = (
    'fontname="Sans-Serif", fontsize=15, fontcolor="#2D3436", labelloc=t, pad=0.4, '
    "splines=spline, nodesep=0.6, ranksep=0.9, newrank=true"
)
NODE_ATTRS = (
    "shape=none, fixedsize=true, width=1.4, height=1.9, labelloc=b, imagescale=true, "
    'imagepos=tc, fontname="Sans-Serif", fontsize=13, fontcolor="#2D3436"'
)
EDGE_ATTRS = 'color="#7B8894", fontcolor="#2D3436", fontname="Sans-Serif", fontsize=11'


def quote(text: str) -> str:
    """A DOT double-quoted string whose text Graphviz shows literally.

    Backslashes and quotes are escaped; ``&`` becomes ``&amp;`` because Graphviz decodes
    HTML entities in labels (``&lt;`` would otherwise show as ``<``).
    """
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
    return '"' + escaped.replace("\r", "").replace("\n", "\\n") + '"'


def wrap(label: str, width: int = LABEL_WIDTH) -> list[str]:
    return textwrap.wrap(label, width, break_long_words=True, break_on_hyphens=False) or [""]


def dot_source(view: ComputedView, icon: Callable[[str], str]) -> str:
    """The DOT text of ``view``; ``icon(kind)`` names each kind's image (relative path)."""
    lines = [
        f"// archgen view {view.id}: {view.kind}. Icons are relative to diagrams' resources/",
        "// folder: dot -Gimagepath=<site-packages>/resources -Tsvg this.dot",
        f"digraph {quote(view.id)} {{",
        f"  graph [id={quote('view-' + view.id)}, label={quote(view.title)}, {GRAPH_ATTRS}, "
        f"rankdir={_rankdir(view)}];",
        f"  node [{NODE_ATTRS}];",
        f"  edge [{EDGE_ATTRS}];",
    ]
    lines += _cluster_lines(view, None, icon, depth=0, indent="  ")
    lines += [f"  {_edge(edge)}" for edge in view.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _rankdir(view: ComputedView) -> str:
    """Flows read left to right; the overview is top to bottom, which puts its regions side
    by side (left to right it stacks them into a page many screens tall)."""
    return "TB" if view.kind == "overview" else "LR"


def _cluster_lines(
    view: ComputedView,
    parent: str | None,
    icon: Callable[[str], str],
    depth: int,
    indent: str,
) -> list[str]:
    lines = [indent + _node(node, icon) for node in view.nodes_in(parent)]
    for cluster in view.children(parent):
        colour = CLUSTER_COLOURS[depth % len(CLUSTER_COLOURS)]
        lines.append(f"{indent}subgraph {quote('cluster_' + cluster.id)} {{")
        lines.append(
            f"{indent}  graph [id={quote('cluster-' + cluster.id)}, "
            f"label={quote(cluster.label)}, tooltip={quote(cluster.kind)}, style=rounded, "
            f'bgcolor="{colour}", pencolor="#AEB6BE", labeljust=l, fontsize=12];'
        )
        lines += _cluster_lines(view, cluster.id, icon, depth + 1, indent + "  ")
        lines.append(f"{indent}}}")
    return lines


def _node(node: ViewNode, icon: Callable[[str], str]) -> str:
    label_lines = wrap(node.label)
    height = 1.9 + 0.4 * (len(label_lines) - 1)
    tooltip = kind_title(node.kind) + (f": {node.description}" if node.description else "")
    return (
        f"{quote(node.id)} [id={quote('node-' + node.id)}, "
        f"label={quote(chr(10).join(label_lines))}, "
        f"image={quote(icon(node.kind))}, height={height:.1f}, tooltip={quote(tooltip)}];"
    )


def _edge(edge: ViewEdge) -> str:
    attrs = [f"id={quote('edge-' + edge.id)}", f"label={quote(edge.label)}"]
    style = RELATION_STYLE[edge.relation]
    if style:
        attrs.append(style)
    if edge.is_async:
        attrs.append("style=dashed")
    if edge.condition is not None:
        attrs.append(f'color="{CONDITIONAL_COLOUR}", fontcolor="{CONDITIONAL_COLOUR}"')
    return f"{quote(edge.source)} -> {quote(edge.target)} [{', '.join(attrs)}];"


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
