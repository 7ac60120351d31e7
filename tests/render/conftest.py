"""Fixtures of the renderer tests: our own small models beside the shared ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archgen.model import LoadedModel, load_model

HERE = Path(__file__).parent
MODELS = HERE / "models"
GOLDEN = HERE / "golden"
PUPPETEER = {"executablePath": "/usr/bin/chromium", "args": ["--no-sandbox", "--disable-gpu"]}
ROOT = HERE.parent.parent
MMDC = ROOT / "node_modules" / ".bin" / "mmdc"


@pytest.fixture(scope="session")
def mini() -> LoadedModel:
    """Two regions, a VPC, AZs, every kind: the renderers' own architecture."""
    return load_model(MODELS / "mini.yaml")


@pytest.fixture(scope="session")
def hostile() -> LoadedModel:
    """Labels full of <, &, quotes, script and DOT/Mermaid keywords as ids."""
    return load_model(MODELS / "hostile.yaml")


@pytest.fixture(scope="session")
def puppeteer_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("puppeteer") / "puppeteer.json"
    path.write_text(json.dumps(PUPPETEER), encoding="utf-8")
    return path


@pytest.fixture(params=["mini", "hostile", "reference", "photo"])
def any_model(request: pytest.FixtureRequest) -> tuple[str, LoadedModel]:
    name: str = request.param
    return name, request.getfixturevalue(name)
