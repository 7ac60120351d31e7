"""A format added by a renderer plug-in reaches ``archgen render`` with no change to the CLI.

The plug-in (tests/plugin_renderer) is registered the way an installed package would be: a
``.dist-info`` folder with an ``entry_points.txt`` on ``sys.path``; then the registry forgets
what it had discovered.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from archgen.main import cli
from archgen.renderers import registry
from tests.render.conftest import MODELS


@pytest.fixture
def plantuml_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    dist = tmp_path / "site" / "archgen_plantuml-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: archgen-plantuml\nVersion: 1.0\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(
        "[archgen.renderers]\nplantuml = tests.plugin_renderer:PlantUmlRenderer\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    registry.refresh()
    yield
    monkeypatch.undo()
    registry.refresh()


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_builtin_formats_come_from_the_renderers() -> None:
    assert registry.available_formats() == ["svg", "png", "mermaid", "dot"]
    assert registry.dot_formats() == {"svg", "png"}
    assert "-f, --format svg,png,mermaid,dot" in invoke("render", "--help")[1]


@pytest.mark.usefixtures("plantuml_plugin")
def test_a_plugin_format_is_listed_and_rendered(tmp_path: Path) -> None:
    assert registry.available_formats() == ["svg", "png", "mermaid", "plantuml", "dot"]
    assert registry.dot_formats() == {"svg", "png"}
    code, output = invoke("render", "--help")
    assert code == 0
    assert "-f, --format svg,png,mermaid,plantuml,dot" in output

    out = tmp_path / "out"
    code, output = invoke("render", str(MODELS / "mini.yaml"), "-o", str(out), "-f", "plantuml")
    assert code == 0, output
    assert "11 written, 0 unchanged" in output
    names = sorted(path.name for path in out.iterdir())
    assert len(names) == 12
    assert names[0] == ".archgen-render.json"
    assert all(name.endswith(".puml") for name in names[1:])
    text = (out / "overview.puml").read_text(encoding="utf-8")
    assert text.startswith("@startuml\ntitle ")
    assert text.endswith("@enduml\n")

    code, output = invoke("render", str(MODELS / "mini.yaml"), "-o", str(out), "-f", "plantuml")
    assert output.strip() == f"0 written, 11 unchanged in {out}"


@pytest.mark.usefixtures("plantuml_plugin")
def test_an_unknown_format_lists_the_plugin_format_too() -> None:
    code, output = invoke("render", "--format", "plantum")
    assert code == 2
    assert output.splitlines()[0] == (
        "error: --format: unknown format 'plantum' (did you mean 'plantuml'?); "
        "choose from svg, png, mermaid, plantuml, dot"
    )


def test_the_plugin_is_gone_afterwards() -> None:
    assert "plantuml" not in registry.available_formats()
