"""The CloudWatch metrics guide page lists exactly what the kinds declare.

The table between the page's markers is generated here from every kind's
:attr:`KindSpec.metrics` (``ARCHGEN_UPDATE_GOLDEN=1`` rewrites it): a metric added,
renamed or re-described in a kind unit fails this test until the page says so too.
"""

from __future__ import annotations

from site_helpers import ROOT

from tests.golden import UPDATE

PAGE = ROOT / "site" / "docs" / "guide" / "metrics.md"
BEGIN = "<!-- metrics: generated from KindSpec.metrics by tests/site/test_metrics_page.py -->"
END = "<!-- end of metrics -->"


GROWS = {"traffic": "traffic", "servers": "servers", "intensive": "—"}
"""A metric's :class:`~archgen.model.kind.Extent` as the table's column shows it."""


def metric_table() -> str:
    """Every built-in kind's metrics, in catalogue order, as one Markdown table."""
    from archgen.model.registry import kinds

    specs = sorted(kinds().values(), key=lambda spec: (spec.order, spec.name))
    lines = [
        "| kind | namespace · dimensions | metric | unit | statistic | grows with "
        "| what counts at the node |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    silent: list[str] = []
    for spec in specs:
        declared = spec.metrics
        if not declared.metrics:
            silent.append(f"`{spec.name}`")
            continue
        where = f"`{declared.namespace}` · {', '.join(declared.dimensions)}"
        for metric in declared.metrics:
            counts = metric.counts.replace("|", "\\|")
            lines.append(
                f"| `{spec.name}` | {where} | `{metric.name}` | {metric.unit.value} "
                f"| {metric.statistic} | {GROWS[metric.extent.value]} | {counts} |"
            )
    lines += ["", f"Kinds that publish no metric: {', '.join(silent)}."]
    return "\n".join(lines)


def test_the_page_lists_every_metric_of_every_kind() -> None:
    text = PAGE.read_text(encoding="utf-8")
    start = text.index(BEGIN) + len(BEGIN)
    end = text.index(END)
    expected = "\n" + metric_table() + "\n"
    if UPDATE:
        PAGE.write_text(text[:start] + expected + text[end:], encoding="utf-8")
        return
    assert text[start:end] == expected, "run ARCHGEN_UPDATE_GOLDEN=1 pytest on this file"


def test_the_page_is_in_the_nav() -> None:
    import yaml

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    guide = next(entry["Guide"] for entry in config["nav"] if "Guide" in entry)
    assert {"CloudWatch metrics": "guide/metrics.md"} in guide
