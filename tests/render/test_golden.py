"""Golden files of the text renderers (DOT, Mermaid, computed views as JSON).

Update after an intended change with ``ARCHGEN_UPDATE_GOLDEN=1 .venv/bin/pytest tests/render``
and review the diff of ``tests/render/golden/``.
"""

from __future__ import annotations

import json

import pytest

from archgen.model import LoadedModel
from archgen.renderers import render_view
from archgen.renderers.mermaid import sequence_from_view
from archgen.renderers.views import compute_views
from tests.golden import UPDATE, assert_golden
from tests.render.conftest import GOLDEN

FORMATS = ("json", "dot", "mmd")


def outputs(loaded: LoadedModel) -> dict[str, str]:
    """File name → text of every text output of every view."""
    model = loaded.model
    files: dict[str, str] = {}
    for view in compute_views(model):
        files[f"{view.id}.json"] = json.dumps(view.to_dict(), indent=1, sort_keys=True) + "\n"
        files[f"{view.id}.dot"] = render_view(model, view, "dot").decode("utf-8")
        files[f"{view.id}.mmd"] = render_view(model, view, "mermaid").decode("utf-8")
        if view.kind == "flow":
            files[f"{view.id}.sequence.mmd"] = sequence_from_view(view)
    return files


@pytest.mark.parametrize("fmt", FORMATS)
def test_golden(any_model: tuple[str, LoadedModel], fmt: str) -> None:
    name, loaded = any_model
    folder = GOLDEN / name
    files = {file: text for file, text in outputs(loaded).items() if file.endswith("." + fmt)}
    for file, text in sorted(files.items()):
        assert_golden(folder / file, text)
    extra = sorted(
        path.name for path in folder.glob(f"*.{fmt}") if path.name not in files and not UPDATE
    )
    assert not extra, f"golden files of views that no longer exist: {extra} (delete them)"


def test_render_twice_is_stable(any_model: tuple[str, LoadedModel]) -> None:
    _, loaded = any_model
    assert outputs(loaded) == outputs(loaded)
