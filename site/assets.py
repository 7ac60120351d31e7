"""Files the site serves besides its pages: Mermaid, Panzoom, their start-up scripts, the
stylesheet.

Mermaid and Panzoom are served from the site (no CDN) so that pages work offline and behind
firewalls; ``make setup`` fetches them from npm into ``node_modules/`` (versions pinned in
package-lock.json) and the plugin copies them.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from mkdocs.exceptions import PluginError

from archgen.site.plan import Paths

MERMAID_FENCE_CLASS = "archgen-mermaid"
MERMAID_IN_NODE_MODULES = Path("node_modules/mermaid/dist/mermaid.min.js")
PANZOOM_IN_NODE_MODULES = Path("node_modules/@panzoom/panzoom/dist/panzoom.min.js")


def find_mermaid_js(configured: str | None, base: Path) -> Path:
    """The configured mermaid.min.js, else the one of node_modules/ (see find_node_module)."""
    if configured:
        path = base / configured
        if not path.is_file():
            raise PluginError(f"archgen: mermaid_js '{path}' does not exist")
        return path
    return find_node_module(MERMAID_IN_NODE_MODULES, base, "mermaid@11")


def find_node_module(wanted: Path, base: Path, package: str) -> Path:
    """``wanted`` (``node_modules/…``) in ``base``, the working directory, archgen's own
    source checkout, or any folder above them."""
    for start in (base, Path.cwd().resolve(), Path(__file__).resolve().parent):
        for folder in (start, *start.parents):
            candidate = folder / wanted
            if candidate.is_file():
                return candidate
    raise PluginError(
        f"archgen: {wanted} not found in {base} or above; "
        f"run `make setup` (or `npm install {package}`)"
        + (", or set the plugin's mermaid_js" if wanted == MERMAID_IN_NODE_MODULES else "")
    )


def static_assets(paths: Paths) -> dict[str, bytes]:
    folder = resources.files("archgen.site").joinpath("assets")
    return {
        paths.mermaid_init_js: folder.joinpath("archgen-mermaid.js").read_bytes(),
        paths.viewer_js: folder.joinpath("archgen-viewer.js").read_bytes(),
        paths.stylesheet: folder.joinpath("archgen.css").read_bytes(),
    }
