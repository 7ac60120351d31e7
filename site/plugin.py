"""The ``archgen`` mkdocs plugin: pages, diagrams and run reports generated from a model.

Add it to a site's ``mkdocs.yml``::

    plugins:
      - search
      - archgen:
          model: path/to/model.yaml   # default: the embedded reference model

Generated pages go into the navigation where the hand-written ``nav`` says
``archgen:architecture``, ``archgen:flows``, ``archgen:scenarios`` or ``archgen:reference``
(any section not placed is appended). Mermaid and the diagram viewer's Panzoom are served
from the site itself.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, cast, get_args

from markupsafe import Markup
from mkdocs.config import config_options as opt
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from archgen.runtime.fluid import Choice
from archgen.site.assets import (
    MERMAID_FENCE_CLASS,
    PANZOOM_IN_NODE_MODULES,
    find_mermaid_js,
    find_node_module,
    static_assets,
)
from archgen.site.content import SiteContent, build_content
from archgen.site.plan import SECTION_TITLES, Paths, page_titles, sections
from archgen.site.templating import html_text

log = logging.getLogger("mkdocs.plugins.archgen")


class ArchgenConfig(Config):  # type: ignore[no-untyped-call]  # mkdocs' own hook
    model = opt.Optional(opt.Type(str))
    """Model file, relative to mkdocs.yml; the embedded reference model when absent."""
    model_name = opt.Optional(opt.Type(str))
    """How pages name the model file (where a finding is); default: ``model`` as written
    here. ``archgen site build`` gives the path as typed, so pages say what the CLI says."""
    prefix = opt.Type(str, default="")
    """Folder (inside docs) the generated pages go to; empty: the site root."""
    simulate = opt.Type(bool, default=True)
    """Run every scenario of the model for the scenario pages and flow latencies."""
    fidelity = opt.Optional(opt.Choice(get_args(Choice)))
    """How the scenarios are simulated, as ``archgen run --fidelity``: ``full`` (every
    session), ``hybrid`` (a traced sample, pools of servers as fluids) or ``auto`` (full
    when the run fits the event budget); absent: each scenario's own ``fidelity``."""
    sample = opt.Optional(opt.Type((int, float)))
    """With ``fidelity: hybrid``, the share of the sessions traced, 0 < F ≤ 1 (default:
    what keeps each scenario's traced part under about 3 million events)."""
    sweeps = opt.ListOfItems(opt.Type(str), default=[])
    """Sweep results (``sweep.json`` or its folder, relative to mkdocs.yml) to give a page
    each, under the scenarios (``archgen sweep`` makes them)."""
    cache_dir = opt.Type(str, default=".archgen-cache/site")
    """Where diagrams and run results are cached, relative to mkdocs.yml."""
    mermaid_js = opt.Optional(opt.Type(str))
    """mermaid.min.js to serve; default: node_modules/mermaid/dist/ found upwards."""
    site_name_from_model = opt.Type(bool, default=False)
    """Name the site after the model's ``system.name`` (``archgen site build`` does)."""
    raise_errors = opt.Type(bool, default=False)
    """Let archgen's errors through as they are (``archgen site build`` reports them itself);
    under mkdocs they become a :class:`~mkdocs.exceptions.PluginError`."""


class ArchgenPlugin(BasePlugin[ArchgenConfig]):  # type: ignore[no-untyped-call]
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.content: SiteContent | None = None
        self.paths = Paths()
        self.model_path: Path | None = None
        self.mermaid_js: Path | None = None
        self.panzoom_js: Path | None = None
        self.files: Files | None = None
        self.titles: dict[str, Markup] = {}

    # ------------------------------------------------------------------ configuration

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        from archgen.model import ModelError, load_model
        from archgen.model.errors import ArchgenError

        base = Path(config.config_file_path or ".").resolve().parent
        self.paths = Paths(self.config.prefix)
        self.model_path = (base / self.config.model) if self.config.model else None
        try:
            loaded = load_model(self.model_path, self.config.model_name or self.config.model)
        except ModelError as error:
            message = f"archgen: the model is not valid:\n{error}"
            raise PluginError(message) from None
        mode, sample = self._fidelity()
        self.mermaid_js = find_mermaid_js(self.config.mermaid_js, base)
        self.panzoom_js = find_node_module(PANZOOM_IN_NODE_MODULES, base, "@panzoom/panzoom")
        cache_dir = base / self.config.cache_dir
        started = time.perf_counter()
        try:
            self.content = build_content(
                loaded,
                self.paths,
                cache_dir,
                simulate=self.config.simulate,
                sweeps=[base / path for path in self.config.sweeps],
                mode=mode,
                sample=sample,
            )
        except ArchgenError as error:
            if self.config.raise_errors:
                raise
            raise PluginError(f"archgen: {error}") from None
        log.info(
            "archgen: %d pages from %s in %.2f s (cache: %d hits, %d misses)",
            len(self.content.pages),
            loaded.source,
            time.perf_counter() - started,
            self.content.cache_hits,
            self.content.cache_misses,
        )
        sweeps = self.content.sweep_titles
        self.titles = page_titles(loaded.model, self.paths, sweeps)
        if self.config.site_name_from_model:
            # Themes print site_name unescaped: it must be HTML (see html_text).
            config.site_name = html_text(loaded.model.system.name)
        if config.nav is not None:
            config.nav = _place_sections(config.nav, sections(loaded.model, self.paths, sweeps))
        # mermaid.min.js itself is loaded by archgen-mermaid.js, on pages that need it.
        config.extra_javascript.append(self.paths.mermaid_init_js)
        config.extra_javascript.append(self.paths.panzoom_js)
        config.extra_javascript.append(self.paths.viewer_js)
        config.extra_css.append(self.paths.stylesheet)
        _require_markdown_extensions(config)
        return config

    def _fidelity(self) -> tuple[Choice | None, float | None]:
        """The ``fidelity`` and ``sample`` options, checked together."""
        from archgen.model.errors import UsageError

        mode = cast("Choice | None", self.config.fidelity)
        sample = self.config.sample
        problem = None
        if sample is not None and mode != "hybrid":
            problem = "'sample' traces a share of the sessions: set 'fidelity: hybrid' too"
        elif sample is not None and (isinstance(sample, bool) or not 0 < sample <= 1):
            problem = f"'sample' must be above 0 and at most 1 (got {sample:g})"
        if problem is None:
            return mode, None if sample is None else float(sample)
        if self.config.raise_errors:
            raise UsageError(problem)
        raise PluginError(f"archgen: {problem}")

    # ------------------------------------------------------------------ files

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        assert self.content is not None, "on_config runs first"
        generated: dict[str, str | bytes] = {**self.content.pages, **self.content.assets}
        generated.update(static_assets(self.paths))
        for src_uri in sorted(generated):
            if files.get_file_from_path(src_uri) is not None:
                raise PluginError(
                    f"archgen: '{src_uri}' is both in docs_dir and generated from the model; "
                    "remove it or set the plugin's 'prefix'"
                )
            files.append(File.generated(config, src_uri, content=generated[src_uri]))
        for served, source in (
            (self.paths.mermaid_js, self.mermaid_js),
            (self.paths.panzoom_js, self.panzoom_js),
        ):
            if source is not None:
                files.append(File.generated(config, served, abs_src_path=str(source)))
        self.files = files
        return files

    def on_page_markdown(
        self, markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        """Give generated pages their titles as escaped HTML.

        Without this, mkdocs takes the title from the page's first heading, and Material
        prints it in ``<title>`` through ``striptags``, which *unescapes*: a label such as
        ``</title><script>…`` would run. ``meta.title`` is printed as it is, and a title
        set here stops ``| e`` from escaping it twice (``Markup``).
        """
        title = self.titles.get(page.file.src_uri)
        if title is not None:
            if not page.is_homepage:  # the home page's <title> is the site's name
                page.meta["title"] = title
            if "title" not in vars(page):  # a title from the nav wins
                page.title = title
        return markdown

    def on_post_page(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str:
        """Diagram images become the interactive viewer (see archgen.site.viewer)."""
        from mkdocs.utils import get_relative_url

        if self.content is None or self.content.viewer is None or self.files is None:
            return output
        files = self.files

        def link(target: str) -> str:
            file = files.get_file_from_path(target)
            if file is None:
                raise PluginError(f"archgen: the diagram links to '{target}', not in the site")
            return get_relative_url(file.url, page.url)

        return self.content.viewer.page(output, page.url, link)

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Any) -> Any:
        if self.model_path is not None:
            server.watch(str(self.model_path))
        return server


def _place_sections(nav: list[Any], generated: dict[str, list[Any]]) -> list[Any]:
    """Replace ``archgen:<section>`` placeholders; append the sections nobody placed."""
    placed: set[str] = set()

    def expand(items: list[Any]) -> list[Any]:
        result: list[Any] = []
        for item in items:
            if isinstance(item, dict):
                result.append({title: resolve(value) for title, value in item.items()})
            elif isinstance(item, str) and item.startswith("archgen:"):
                result.extend(section(item))
            else:
                result.append(item)
        return result

    def resolve(value: Any) -> Any:
        if isinstance(value, list):
            return expand(value)
        if isinstance(value, str) and value.startswith("archgen:"):
            return section(value)
        return value

    def section(placeholder: str) -> list[Any]:
        name = placeholder.removeprefix("archgen:")
        if name not in SECTION_TITLES:
            raise PluginError(
                f"archgen: unknown nav placeholder '{placeholder}'; use one of "
                + ", ".join(f"archgen:{known}" for known in SECTION_TITLES)
            )
        placed.add(name)
        return list(generated.get(name, []))

    result = expand(nav)
    for name, items in generated.items():
        if name not in placed and items:
            result.append({SECTION_TITLES[name]: items})
    return result


def _require_markdown_extensions(config: MkDocsConfig) -> None:
    """Tables, attributes and a Mermaid fence that does not trigger Material's CDN loader."""
    import pymdownx.superfences

    for name in ("tables", "attr_list", "md_in_html"):
        if name not in config.markdown_extensions:
            config.markdown_extensions.append(name)
    if "pymdownx.superfences" not in config.markdown_extensions:
        config.markdown_extensions.append("pymdownx.superfences")
    settings = config.mdx_configs.setdefault("pymdownx.superfences", {})
    fences = [
        fence for fence in settings.get("custom_fences", []) if fence.get("name") != "mermaid"
    ]
    fences.append(
        {
            "name": "mermaid",
            "class": MERMAID_FENCE_CLASS,
            "format": pymdownx.superfences.fence_div_format,
        }
    )
    settings["custom_fences"] = fences
