"""The documentation site of a model: the ``archgen`` mkdocs plugin (:mod:`.plugin`), its
templates, and the published site's hand-written pages (``site/docs/``, not package code).

Entry points: the plugin (registered under ``mkdocs.plugins``), and
:func:`archgen.site.standalone.build_site` / ``serve_site`` for ``archgen site``.
"""
