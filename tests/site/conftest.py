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
