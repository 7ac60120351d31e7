"""The "What it costs" guide page shows the price table and every kind's cost rule as
they are.

The two tables between the page's markers are generated here from the price table archgen comes with
and each kind's :attr:`KindSpec.cost` (``ARCHGEN_UPDATE_GOLDEN=1`` rewrites them): a price
changed, an item added or a rule re-described fails this test until the page says so too.
"""

from __future__ import annotations

import yaml
from site_helpers import ROOT

from tests.golden import UPDATE

PAGE = ROOT / "site" / "docs" / "guide" / "what-it-costs.md"
BLOCKS = {
    "prices": "<!-- prices: generated from the price table by tests/site/test_cost_page.py -->",
    "rules": "<!-- rules: generated from KindSpec.cost by tests/site/test_cost_page.py -->",
}
END = "<!-- end of {} -->"


def price_table() -> str:
    """Every item and instance-hour table of the price table archgen comes with, as Markdown."""
    from archgen.model.pricing import price_table as table

    prices = table()
    lines = [
        f"Prices of {prices.date}, {prices.currency}, for {', '.join(prices.regions)} "
        f"(a {prices.hours_per_month}-hour month).",
        "",
        "| item | price | per | source |",
        "| --- | --- | --- | --- |",
    ]
    for key, item in sorted(prices.items.items()):
        per = f"{item.per:,} {item.unit}" if item.per > 1 else item.unit
        usd = (
            _usd(item.usd)
            if not isinstance(item.usd, dict)
            else ", ".join(f"{region} {_usd(price)}" for region, price in sorted(item.usd.items()))
        )
        if item.tiers:
            steps = "; ".join(f"past {tier.above:,.0f}: {_usd(tier.usd)}" for tier in item.tiers)
            usd = f"{usd} ({steps} a month)"
        lines.append(f"| `{key}` | {usd} | {per} | [{_host(item.source)}]({item.source}) |")
    lines += ["", "| instance-hours | families (price of `large`) | exact types | source |"]
    lines.append("| --- | --- | --- | --- |")
    for key, hours in sorted(prices.instance_hours.items()):
        families = ", ".join(f"{f} {_usd(p)}" for f, p in sorted(hours.large.items()))
        types = ", ".join(f"{t} {_usd(p)}" for t, p in sorted(hours.types.items()))
        source = f"[{_host(hours.source)}]({hours.source})"
        lines.append(f"| `{key}` | {families} | {types} | {source} |")
    return "\n".join(lines)


def _usd(value: float) -> str:
    """A price as written, never in exponent notation ($0.0000166667)."""
    return "$" + f"{value:.10f}".rstrip("0").rstrip(".")


def _host(url: str) -> str:
    return url.removeprefix("https://").split("#")[0].rstrip("/")


def rule_table() -> str:
    """Every built-in kind and how it is priced (the rule's docstring, or why not)."""
    from archgen.model.registry import kinds
    from archgen.site.reference_pages import cost_text

    lines = ["| kind | how it is priced |", "| --- | --- |"]
    for spec in sorted(kinds().values(), key=lambda s: (s.order, s.name)):
        if spec.params.__module__.startswith("archgen.model.kinds."):
            lines.append(f"| `{spec.name}` | {cost_text(spec)} |")
    return "\n".join(lines)


def test_the_page_shows_the_price_table_and_every_rule() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for name, generate in (("prices", price_table), ("rules", rule_table)):
        start = text.index(BLOCKS[name]) + len(BLOCKS[name])
        end = text.index(END.format(name))
        expected = "\n" + generate() + "\n"
        if UPDATE:
            text = text[:start] + expected + text[end:]
            continue
        assert text[start:end] == expected, "run ARCHGEN_UPDATE_GOLDEN=1 pytest on this file"
    if UPDATE:
        PAGE.write_text(text, encoding="utf-8")


def test_the_page_is_in_the_nav() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    guide = next(entry["Guide"] for entry in config["nav"] if "Guide" in entry)
    assert {"What it costs": "guide/what-it-costs.md"} in guide
