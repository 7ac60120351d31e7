"""Helpers shared by the site tests (a module of its own: test folders have no package)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TINY_SHOP = Path(__file__).parent / "models" / "tiny-shop.yaml"


def build_mkdocs(
    config_file: Path, site_dir: Path, plugin_options: dict[str, object] | None = None
) -> Path:
    """``mkdocs build`` of ``config_file`` into ``site_dir`` (strict, as in the config),
    with ``plugin_options`` overriding the archgen plugin's options."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    config = load_config(str(config_file), site_dir=str(site_dir))
    for name, value in (plugin_options or {}).items():
        config.plugins["archgen"].config[name] = value
    build(config)
    return site_dir
