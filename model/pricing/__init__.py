"""The dated price table archgen prices runs with (``prices-YYYY-MM.yaml``, package data).

List prices per item (``lambda.request``, ``kms.key_month``…) and per instance type, for
the regions the table lists; every item names the AWS page it was read from. A kind's cost
rule (:attr:`archgen.model.kind.KindSpec.cost`) asks for an item and a region; an item or a
region the table lacks is a ``None``, which the rule reports as not priced.

An item AWS prices by volume tiers (CloudFront data transfer out, Lambda GB-seconds, S3
Standard storage) lists the tiers past its first (``tiers``): :meth:`PriceItem.month_usd`
prices a month's volume through them, which :func:`archgen.model.cost.price_run` applies
to the month a run projects, every node's use of the item in one Region together (AWS
counts the tiers per account and Region, not per resource).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import Field, model_validator

from archgen.model.base import Strict

TABLE = "prices-2026-12.yaml"
"""The table in force; a newer one replaces it (and this name)."""


class PriceTier(Strict):
    """A volume tier past an item's first: ``usd`` per ``per`` units for the part of a
    month's volume above ``above`` units."""

    above: float = Field(gt=0, description="Units in a month past which this price applies.")
    usd: float = Field(ge=0, description="Price in US dollars per `per` units in this tier.")


class PriceItem(Strict):
    """One priced quantity: ``usd`` per ``per`` ``unit`` (the same in every listed region,
    or by region), and, for a price AWS tiers by monthly volume, the tiers past the first."""

    unit: str = Field(description="What is counted (request, GB-month, key-month…).")
    per: int = Field(1, gt=0, description="How many units the price is for (1, 1,000, 1,000,000).")
    usd: float | dict[str, float] = Field(description="Price in US dollars, or by region code.")
    source: str = Field(description="The AWS pricing page it was read from.")
    note: str = Field("", description="Which tier or variant the price is.")
    tiers: tuple[PriceTier, ...] = Field(
        (),
        description="Volume tiers past the first (``usd`` is the first's), by monthly volume; "
        "only for a price that is the same in every listed region.",
    )

    @model_validator(mode="after")
    def _tiers_ascend(self) -> PriceItem:
        if self.tiers and isinstance(self.usd, dict):
            raise ValueError("tiers need one price for every region (usd a number)")
        bounds = [tier.above for tier in self.tiers]
        if bounds != sorted(set(bounds)):
            raise ValueError(f"tiers must ascend by `above`, got {bounds}")
        return self

    def month_usd(self, quantity: float) -> float:
        """US dollars for ``quantity`` units in one month, each tier's part at its price."""
        price = self.usd
        assert not isinstance(price, dict), "a tiered price is one for every region"
        total = floor = 0.0
        for tier in self.tiers:
            if quantity <= tier.above:
                break
            total += (tier.above - floor) * price
            floor, price = tier.above, tier.usd
        return (total + (quantity - floor) * price) / self.per

    def unit_usd(self, region: str | None, regions: tuple[str, ...]) -> float | None:
        """The price of one unit in ``region`` (None: a region the table does not list)."""
        if isinstance(self.usd, dict):
            price = self.usd.get(region or "")
            return None if price is None else price / self.per
        if region is not None and region not in regions:
            return None
        return self.usd / self.per


class InstanceHours(Strict):
    """Hourly prices of instance types: exact ones, and per family the price of ``large``
    from which the other sizes follow (× vCPUs / 2)."""

    unit: str = Field(description="What one hour of an instance is.")
    source: str = Field(description="The AWS pricing page it was read from.")
    large: dict[str, float] = Field(default_factory=dict, description="Family → its large's price.")
    types: dict[str, float] = Field(default_factory=dict, description="Exact prices by type.")

    def hourly(self, instance_type: str) -> float | None:
        """The hourly price of ``instance_type``, None when the table cannot tell."""
        if instance_type in self.types:
            return self.types[instance_type]
        family, _, size = instance_type.rpartition(".")
        base = self.large.get(family)
        vcpus = size_vcpus(size)
        if base is None or vcpus is None:
            return None
        return base * vcpus / 2


_NXLARGE = re.compile(r"^([1-9][0-9]?)xlarge$")


def size_vcpus(size: str) -> int | None:
    """vCPUs of a size by AWS's naming (medium 1, large 2, xlarge 4, Nxlarge 4N)."""
    fixed = {"medium": 1, "large": 2, "xlarge": 4}
    if size in fixed:
        return fixed[size]
    match = _NXLARGE.match(size)
    return 4 * int(match.group(1)) if match else None


class PriceTable(Strict):
    """The whole table (see the YAML file's header for what the prices are and are not)."""

    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="When the prices were read.")
    currency: Literal["USD"] = Field(description="Currency of every price.")
    regions: tuple[str, ...] = Field(description="Region codes the prices hold for.")
    hours_per_month: int = Field(description="Hours in AWS's pricing month (730).")
    checked_against: tuple[str, ...] = Field((), description="Secondary pages cross-checked.")
    items: dict[str, PriceItem] = Field(description="Item key → its price.")
    instance_hours: dict[str, InstanceHours] = Field(description="Table → instance-hour prices.")

    def unit_usd(self, item: str, region: str | None) -> float | None:
        """One unit of ``item`` in ``region`` (None: not in the table)."""
        entry = self.items.get(item)
        return None if entry is None else entry.unit_usd(region, self.regions)

    def hourly(self, table: str, instance_type: str, region: str | None) -> float | None:
        """One hour of ``instance_type`` from instance-hour table ``table`` in ``region``."""
        entry = self.instance_hours.get(table)
        if entry is None or (region is not None and region not in self.regions):
            return None
        return entry.hourly(instance_type)

    @property
    def sources(self) -> list[str]:
        """Every AWS page the table cites, sorted."""
        pages = {i.source for i in self.items.values()}
        pages |= {t.source for t in self.instance_hours.values()}
        return sorted(pages)


@cache
def price_table() -> PriceTable:
    """The table that comes with archgen (parsed once)."""
    text = resources.files(__package__).joinpath(TABLE).read_text(encoding="utf-8")
    return PriceTable.model_validate(yaml.safe_load(text))
