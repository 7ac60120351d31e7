"""A renderer plug-in that lives only in the tests: PlantUML text of every view.

It duck-types archgen's renderer interface (no base class), as a third-party package
might, and is registered through an ``archgen.renderers`` entry point that the test writes.
"""

from __future__ import annotations

from typing import Any, ClassVar


def _quote(text: str) -> str:
    return '"' + text.replace('"', "'").replace("\n", " ") + '"'


class PlantUmlRenderer:
    name: ClassVar[str] = "plantuml"
    formats: ClassVar[tuple[str, ...]] = ("plantuml",)
    position: ClassVar[int] = 25  # between the built-in mermaid (20) and dot (30)
    version = "plantuml-plugin 1"

    def artifacts(self, model: Any, view: Any, fmt: str) -> dict[str, bytes]:
        return {".puml": self.render(model, view, fmt)}

    def render(self, model: Any, view: Any, fmt: str) -> bytes:
        lines = ["@startuml", f"title {view.title}"]
        lines += [f"component {_quote(node.label)} as {node.id}" for node in view.nodes]
        lines += [f"{edge.source} --> {edge.target}" for edge in view.edges]
        lines.append("@enduml")
        return ("\n".join(lines) + "\n").encode("utf-8")
