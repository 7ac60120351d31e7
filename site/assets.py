"""Files the site serves besides its pages: Mermaid, its start-up script, the stylesheet.

Mermaid is served from the site (no CDN) so that pages work offline and behind firewalls;
``make setup`` fetches it from npm into ``node_modules/`` and the plugin copies it.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from mkdocs.exceptions import PluginError

from archgen.site.plan import Paths

MERMAID_FENCE_CLASS = "archgen-mermaid"
MERMAID_IN_NODE_MODULES = Path("node_modules/mermaid/dist/mermaid.min.js")


def find_mermaid_js(configured: str | None, base: Path) -> Path:
    """The configured mermaid.min.js, else node_modules/ in ``base``, the working
    directory, archgen's own source checkout, or any folder above them."""
    if configured:
        path = base / configured
        if not path.is_file():
            raise PluginError(f"archgen: mermaid_js '{path}' does not exist")
        return path
    for start in (base, Path.cwd().resolve(), Path(__file__).resolve().parent):
        for folder in (start, *start.parents):
            candidate = folder / MERMAID_IN_NODE_MODULES
            if candidate.is_file():
                return candidate
    raise PluginError(
        f"archgen: {MERMAID_IN_NODE_MODULES} not found in {base} or above; "
        "run `make setup` (or `npm install mermaid@11`), or set the plugin's mermaid_js"
    )


def static_assets(paths: Paths) -> dict[str, bytes]:
    folder = resources.files("archgen.site").joinpath("assets")
    return {
        paths.mermaid_init_js: folder.joinpath("archgen-mermaid.js").read_bytes(),
        paths.stylesheet: folder.joinpath("archgen.css").read_bytes(),
    }
