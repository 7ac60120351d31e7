"""Fixtures of the site tests: sites built once per session into temporary folders."""

from __future__ import annotations

from pathlib import Path

import pytest
from site_helpers import ROOT, TINY_SHOP, build_mkdocs


@pytest.fixture(scope="session")
def published_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The published site (root mkdocs.yml, reference model), built once with a fresh
    cache. Its scenarios are not simulated here (minutes on a fresh clone); the tiny site
    has simulated scenario pages."""
    base = tmp_path_factory.mktemp("published")
    return build_mkdocs(
        ROOT / "mkdocs.yml",
        base / "site",
        plugin_options={"simulate": False, "cache_dir": str(base / "cache")},
    )


@pytest.fixture(scope="session")
def tiny_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of the small test model, built with `archgen site build`'s configuration."""
    from archgen.site.standalone import build_site

    base = tmp_path_factory.mktemp("tiny")
    build_site(TINY_SHOP, base / "site", base / "cache")
    return base / "site"


@pytest.fixture(scope="session")
def payload_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The telemetry model with a script-injection payload in every free-text field."""
    from payloads import payload_model_text

    path = tmp_path_factory.mktemp("payload-model") / "payload.yaml"
    path.write_text(payload_model_text(), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def payload_site(tmp_path_factory: pytest.TempPathFactory, payload_model: Path) -> Path:
    """`archgen site build` of the payload model (its one short scenario simulated)."""
    from archgen.site.standalone import build_site

    base = tmp_path_factory.mktemp("payload")
    build_site(payload_model, base / "site", base / "cache")
    return base / "site"
