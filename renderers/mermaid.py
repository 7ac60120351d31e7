"""Mermaid text: a flowchart per view and a ``sequenceDiagram`` per flow.

Ids are rewritten to Mermaid-safe names (``n_`` + id, ``-`` → ``_h``, ``.`` → ``_d``,
``_`` → ``__``: one-to-one, and no id can collide with a keyword such as ``end``). Labels
are entity-encoded (``#lt;``, ``#quot;``…), so ``<``, ``&``, quotes or script show as text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from archgen.renderers.base import Renderer
from archgen.renderers.views import ComputedView, ViewEdge, ViewNode, ViewStep

if TYPE_CHECKING:
    from archgen.model.schema import Model

_ENTITIES = {
    "#": "#35;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "&": "#amp;",
    "`": "#96;",
    ";": "#59;",
    "|": "#124;",
    "{": "#123;",
    "}": "#125;",
    "[": "#91;",
    "]": "#93;",
    "\\": "#92;",  # a trailing backslash would escape the line break of a message
}
_SHAPES = {  # category of the kind → (open, close)
    "database": ('[("', '")]'),
    "storage": ('[("', '")]'),
    "integration": ('[["', '"]]'),
    "security": ('{{"', '"}}'),
    "edge": ('(["', '"])'),
}


def text(value: str) -> str:
    """Label text that Mermaid shows literally."""
    cleaned = " ".join(value.split())
    return "".join(_ENTITIES.get(char, char) for char in cleaned)


_TITLE_ESCAPES = {"\\": "\\\\", '"': "\\x22", "<": "\\x3c", ">": "\\x3e"}


def title_line(title: str) -> str:
    """Front-matter title: a quoted YAML string (``#`` would start a comment).

    Mermaid escapes titles twice (``&`` shows as ``&amp;``), so ``&`` is written ``and``.
    It also runs its HTML sanitizer over the front matter before reading the YAML, which
    rewrites a tag's attribute quotes and breaks a quoted string: a title with ``<``, ``>``,
    ``"``, ``\\`` or a character YAML does not print is written double-quoted, with those
    characters as YAML escapes.
    """
    cleaned = " ".join(title.replace("&", " and ").split())
    if all(char not in _TITLE_ESCAPES and char.isprintable() for char in cleaned):
        return "title: '" + cleaned.replace("'", "''") + "'"
    return 'title: "' + "".join(map(_title_char, cleaned)) + '"'


def _title_char(char: str) -> str:
    if char in _TITLE_ESCAPES:
        return _TITLE_ESCAPES[char]
    return char if char.isprintable() else f"\\u{ord(char):04x}"


def mermaid_id(raw: str, prefix: str = "n_") -> str:
    return prefix + raw.replace("_", "__").replace("-", "_h").replace(".", "_d")


# --------------------------------------------------------------------------- flowchart


def flowchart(view: ComputedView) -> str:
    lines = ["---", title_line(view.title), "---", "flowchart LR"]
    lines += _cluster(view, None, "  ")
    for index, edge in enumerate(view.edges):
        lines.append("  " + _link(edge))
        if edge.condition is not None:
            lines.append(f"  linkStyle {index} stroke:#D35400,color:#D35400")
    return "\n".join(lines) + "\n"


def _cluster(view: ComputedView, parent: str | None, indent: str) -> list[str]:
    lines = [indent + _node(node) for node in view.nodes_in(parent)]
    for cluster in view.children(parent):
        lines.append(f'{indent}subgraph {mermaid_id(cluster.id, "g_")}["{text(cluster.label)}"]')
        lines += _cluster(view, cluster.id, indent + "  ")
        lines.append(f"{indent}end")
    return lines


def _node(node: ViewNode) -> str:
    from archgen.model.kinds import KINDS

    spec = KINDS.get(node.kind)
    shape = spec.mermaid_shape if spec is not None else None
    if shape is None:
        shape = _SHAPES.get(spec.category if spec is not None else "", ('["', '"]'))
    opening, closing = shape
    return f"{mermaid_id(node.id)}{opening}{text(node.label)}{closing}"


def _link(edge: ViewEdge) -> str:
    arrow = "-.->" if edge.is_async or edge.relation != "call" else "-->"
    label = f'|"{text(edge.label)}"|' if edge.label else ""
    return f"{mermaid_id(edge.source)} {arrow}{label} {mermaid_id(edge.target)}"


# --------------------------------------------------------------------------- sequence


def sequence_diagram(model: Model, flow_id: str) -> str:
    """The flow ``flow_id`` as a sequence diagram: participants are nodes, messages steps."""
    from archgen.renderers.views import compute_view

    return sequence_from_view(compute_view(model, f"flow-{flow_id}"))


def sequence_from_view(view: ComputedView) -> str:
    labels = {node.id: node.label for node in view.nodes}
    lines = ["---", title_line(view.title), "---", "sequenceDiagram", "  autonumber"]
    seen: list[str] = []
    for step in view.steps:
        for node in (step.source, step.target):
            if node not in seen:
                seen.append(node)
                lines.append(f"  participant {mermaid_id(node)} as {text(labels[node])}")
    lines += _messages(list(view.steps), "  ")
    return "\n".join(lines) + "\n"


def _descendants_end(steps: list[ViewStep], start: int) -> int:
    """End (exclusive) of the contiguous run after ``start`` made during step ``start``."""
    inside = {steps[start].number}
    end = start + 1
    while end < len(steps) and steps[end].parent in inside:
        inside.add(steps[end].number)
        end += 1
    return end


def _messages(steps: list[ViewStep], indent: str) -> list[str]:
    """Messages in order; a conditional step and the calls made during it form an ``opt``
    block, and consecutive alternatives of one caller (different ``when``) an ``alt``."""
    lines: list[str] = []
    index = 0
    while index < len(steps):
        step = steps[index]
        if step.condition is None:
            lines += _message(step, indent)
            index += 1
            continue
        blocks = [(index, _descendants_end(steps, index))]
        while True:
            following = blocks[-1][1]
            if following >= len(steps):
                break
            other = steps[following]
            if not (
                step.when is not None
                and other.when is not None
                and other.source == step.source
                and other.parent == step.parent
                and other.when not in {steps[start].when for start, _ in blocks}
            ):
                break
            blocks.append((following, _descendants_end(steps, following)))
        keyword = "alt" if len(blocks) > 1 else "opt"
        for position, (start, end) in enumerate(blocks):
            head = keyword if position == 0 else "else"
            lines.append(f"{indent}{head} {text(steps[start].condition or '')}")
            lines += _message(steps[start], indent + "  ")
            lines += _messages(steps[start + 1 : end], indent + "  ")
        lines.append(f"{indent}end")
        index = blocks[-1][1]
    return lines


def _message(step: ViewStep, indent: str) -> list[str]:
    arrow = "--)" if step.is_async else "->>"
    source, target = mermaid_id(step.source), mermaid_id(step.target)
    lines = [f"{indent}{source}{arrow}{target}: {text(step.op)}"]
    if step.note:
        lines.append(f"{indent}Note over {source},{target}: {text(step.note)}")
    return lines


class MermaidRenderer(Renderer):
    """``.mmd`` flowchart of every view, plus ``.sequence.mmd`` for flow views."""

    name: ClassVar[str] = "mermaid"
    formats: ClassVar[tuple[str, ...]] = ("mermaid",)
    position: ClassVar[int] = 20
    extensions: ClassVar[dict[str, str]] = {"mermaid": "mmd"}

    def render(self, model: Model, view: ComputedView, fmt: str) -> bytes:
        self.check_format(fmt)
        return flowchart(view).encode("utf-8")

    def artifacts(self, model: Model, view: ComputedView, fmt: str) -> dict[str, bytes]:
        files = super().artifacts(model, view, fmt)
        if view.kind == "flow":
            files[".sequence.mmd"] = sequence_from_view(view).encode("utf-8")
        return files
