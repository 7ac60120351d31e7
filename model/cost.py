"""What a run costs: each kind's cost rule applied to what its nodes did, at list prices.

A run is a shrunk copy of the system (``scale``); its counted activity (calls, invocation
milliseconds, instance timelines, consumed capacity units: the node entries of
``summary.json``) is converted back to the real system before it is priced, so every
figure here is in real-system units and US dollars. A kind declares its rule on its
:class:`~archgen.model.kind.KindSpec` (``cost=``): a function that reads one node's
activity through a :class:`Bill` and charges price-table items, or an :class:`Unpriced`
saying why the kind costs nothing (``free``) or is left out (``not_priced``).

The window is the whole simulated duration; ``monthly_usd`` extrapolates it to AWS's
730-hour month at the same load (a fixed monthly fee is prorated into the window, so it
comes back whole). An item AWS prices by volume tiers (``tiers`` in the price table) is
priced on that projected month: every node's quantity of the item in one Region together
(AWS counts the tiers per account and Region), run through the tiers, and each line
charged the resulting average price per unit. Free tiers, Savings Plans and Reserved
Instances are not applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archgen.model.pricing import PriceTable, price_table

if TYPE_CHECKING:
    from archgen.model.kind import Node
    from archgen.model.schema import Model


@dataclass(frozen=True)
class Unpriced:
    """A kind without a cost rule, and why: AWS charges nothing for it (``free``), or it
    costs something archgen does not price (what and why in ``reason``)."""

    reason: str
    free: bool

    @property
    def text(self) -> str:
        return f"{'free' if self.free else 'not priced'}: {self.reason}"


def free(reason: str) -> Unpriced:
    """The kind costs nothing (``reason`` says why, e.g. IAM is free)."""
    return Unpriced(reason, True)


NO_PRICE = "no price"
"""What a ``not_priced`` reason says when the price table lacks the item (a region it does
not list): unlike what no rule prices (storage sizes), a cost the totals silently miss."""


def lacks_prices(reasons: Iterable[str]) -> bool:
    """Whether a node's ``not_priced`` reasons include a price the table lacks."""
    return any(f": {NO_PRICE}" in reason for reason in reasons)


def not_priced(reason: str) -> Unpriced:
    """The kind costs something archgen leaves out (``reason`` says what and why)."""
    return Unpriced(reason, False)


CostRule = Callable[["Bill", "Node"], None]
"""A kind's cost rule: reads the node's activity from the bill, charges items."""


def _round(value: float) -> float:
    return round(value, 6)


class Bill:
    """One node's bill: its activity (its ``summary.json`` entry, simulated units), the
    helpers that turn it into real-system quantities, and the lines charged so far."""

    def __init__(
        self,
        node: Node,
        activity: Mapping[str, Any],
        *,
        model: Model,
        prices: PriceTable,
        scale: float,
        duration_s: float,
        fleet_scale: float | None = None,
    ) -> None:
        self.node = node
        self.activity = activity
        self.model = model
        self.prices = prices
        self.scale = scale
        self.fleet_scale = scale if fleet_scale is None else fleet_scale
        """The scale fleets' instance counts are at: the run's, or the system's in hybrid
        fidelity (where activity is traced at scale × sample but fleets are not sampled)."""
        self.duration_s = duration_s
        region = model.region_of(node.group)
        self.region: str | None = None if region is None else (region.code or region.id)
        self.lines: list[dict[str, Any]] = []
        self.not_priced: list[str] = []

    # -- the window

    @property
    def hours(self) -> float:
        """Real hours in the window (time is not scaled)."""
        return self.duration_s / 3600

    @property
    def months(self) -> float:
        """The window as a share of the pricing month (for monthly fees)."""
        return self.duration_s / 3600 / self.prices.hours_per_month

    # -- activity, converted to the real system

    def real(self, simulated: float) -> float:
        """A simulated count (calls, milliseconds, units) in the real system."""
        return simulated / self.scale

    def value(self, *path: str) -> float:
        """A number of the node's summary entry (``value("function", "invocations")``),
        0 when absent; simulated, as the run counted it."""
        data: Any = self.activity
        for key in path:
            if not isinstance(data, Mapping) or key not in data:
                return 0.0
            data = data[key]
        return float(data) if isinstance(data, int | float) else 0.0

    def calls(self, *ops: str, exclude: tuple[str, ...] = ()) -> float:
        """Real calls that reached the node: of ``ops`` (every op when none), less
        ``exclude``."""
        return self.real(sum(n for _, n, _ in self._ops(ops, exclude)))

    def call_ms(self, *ops: str) -> float:
        """Real milliseconds the node spent answering calls of ``ops`` (all when none)."""
        return self.real(sum(ms for _, _, ms in self._ops(ops, ())))

    def _ops(self, ops: tuple[str, ...], exclude: tuple[str, ...]) -> list[tuple[str, int, float]]:
        table = self.activity.get("calls") or {}
        return [
            (op, int(entry["n"]), float(entry["ms"]))
            for op, entry in sorted(table.items())
            if (not ops or op in ops) and op not in exclude
        ]

    def crosses_region(self, other: str) -> bool:
        """Whether node ``other`` sits in another Region than this node (both regional)."""
        node = self.model.nodes_by_id.get(other)
        if node is None or self.region is None:
            return False
        region = self.model.region_of(node.group)
        return region is not None and (region.code or region.id) != self.region

    def callers(self) -> dict[str, float]:
        """Real calls that reached the node, by calling node."""
        table = self.activity.get("callers") or {}
        return {source: self.real(n) for source, n in sorted(table.items())}

    # -- charging

    def charge(self, item: str, quantity: float, what: str = "") -> None:
        """Charge ``quantity`` units of price-table ``item`` in the node's region."""
        unit_usd = self.prices.unit_usd(item, self.region)
        if unit_usd is None:
            self.leave_out(f"{item}: {NO_PRICE} for region {self.region} in the table")
            return
        self._line(item, quantity, self.prices.items[item].unit, unit_usd, what)

    def charge_hours(self, table: str, instance_type: str, hours: float, what: str = "") -> None:
        """Charge ``hours`` of ``instance_type`` from instance-hour table ``table``."""
        hourly = self.prices.hourly(table, instance_type, self.region)
        if hourly is None:
            where = f" in {self.region}" if self.region else ""
            self.leave_out(f"{table} {instance_type}: {NO_PRICE}{where} in the table")
            return
        unit = self.prices.instance_hours[table].unit
        self._line(f"{table}.{instance_type}", hours, unit, hourly, what)

    def leave_out(self, reason: str) -> None:
        """Something this node costs that is not priced, and why."""
        self.not_priced.append(reason)

    def _line(self, item: str, quantity: float, unit: str, unit_usd: float, what: str) -> None:
        self.lines.append(
            {
                "item": item,
                "what": what,
                "quantity": _round(quantity),
                "unit": unit,
                "unit_usd": unit_usd,
                "window_usd": _round(quantity * unit_usd),
            }
        )


def price_run(
    model: Model,
    nodes: Mapping[str, Mapping[str, Any]],
    *,
    scale: float,
    duration_s: float,
    prices: PriceTable | None = None,
    fleet_scale: float | None = None,
) -> dict[str, Any]:
    """``summary.json`` → ``cost``: every node of ``nodes`` (id → its summary entry)
    priced by its kind's rule, with totals for the window and per month."""
    from archgen.model.registry import kinds

    table = prices if prices is not None else price_table()
    per_month = table.hours_per_month * 3600 / duration_s
    specs = kinds()
    priced: dict[str, Any] = {}
    unpriced: dict[str, str] = {}
    bills: list[Bill] = []
    for node in sorted(model.nodes, key=lambda n: n.id):
        rule = specs[node.kind].cost
        if rule is None or isinstance(rule, Unpriced):
            text = rule.text if rule is not None else "not priced: its kind declares no cost rule"
            unpriced[node.kind] = text
            continue
        bill = Bill(
            node,
            nodes.get(node.id, {}),
            model=model,
            prices=table,
            scale=scale,
            duration_s=duration_s,
            fleet_scale=fleet_scale,
        )
        rule(bill, node)
        bills.append(bill)
    _apply_tiers(bills, table, per_month)
    for bill in bills:
        window = sum(line["window_usd"] for line in bill.lines)
        priced[bill.node.id] = {
            "kind": bill.node.kind,
            "region": bill.region,
            "window_usd": _round(window),
            "monthly_usd": _round(window * per_month),
            "lines": bill.lines,
            "not_priced": bill.not_priced,
        }
    window_total = sum(entry["window_usd"] for entry in priced.values())
    by_kind: dict[str, float] = {}
    for entry in priced.values():
        by_kind[entry["kind"]] = by_kind.get(entry["kind"], 0.0) + entry["monthly_usd"]
    return {
        "currency": table.currency,
        "prices_date": table.date,
        "window_s": duration_s,
        "scale": scale,
        "window_usd": _round(window_total),
        "monthly_usd": _round(window_total * per_month),
        "hours_per_month": table.hours_per_month,
        "by_kind_monthly_usd": {k: _round(v) for k, v in sorted(by_kind.items())},
        "nodes": priced,
        "kinds_not_priced": dict(sorted(unpriced.items())),
    }


def _apply_tiers(bills: list[Bill], table: PriceTable, per_month: float) -> None:
    """Reprice the lines of tiered items: per item and Region, the quantity of every line
    projected to a month (× ``per_month``) and priced through the tiers; each line then
    costs its quantity at that month's average price per unit, and says so."""
    volumes: dict[tuple[str, str | None], float] = {}
    for bill in bills:
        for line in bill.lines:
            item = table.items.get(line["item"])
            if item is not None and item.tiers:
                key = (line["item"], bill.region)
                volumes[key] = volumes.get(key, 0.0) + line["quantity"]
    for bill in bills:
        for line in bill.lines:
            key = (line["item"], bill.region)
            if key not in volumes:
                continue
            item = table.items[line["item"]]
            month = volumes[key] * per_month
            if month <= item.tiers[0].above:
                continue  # all in the first tier: its price, as charged
            unit_usd = item.month_usd(month) / month
            line["unit_usd"] = _round_price(unit_usd)
            line["window_usd"] = _round(line["quantity"] * unit_usd)
            where = f" in {bill.region}" if bill.region else ""
            line["what"] += (
                f"{'; ' if line['what'] else ''}priced through the volume tiers on "
                f"{month:,.0f} {item.unit} a month{where}, all nodes together"
            )


def _round_price(value: float) -> float:
    """A unit price to 10 significant digits (a GB-second costs 1e-5 dollars)."""
    return float(f"{value:.10g}")


def fleet_hours(
    fleet: Mapping[str, Any],
    *,
    real_min: int,
    real_max: int,
    scale: float,
    duration_s: float,
) -> float:
    """Real instance-hours of a scaled fleet from its ``instances`` summary (initial and
    minimum simulated counts, ``[t_s, in_service, pending, cpu]`` rows): an instance is
    billed while launching or in service. The simulated fleet above its simulated minimum
    stands for ``÷ scale`` real instances above the real minimum (a minimum of 200 at scale
    0.01 is 2 simulated instances, 200 real), within the real bounds."""
    sim_min = float(fleet.get("min", 0))

    def real(simulated: float) -> float:
        return min(float(real_max), max(0.0, real_min + (simulated - sim_min) / scale))

    count = real(float(fleet.get("initial", 0)))
    before = 0.0
    seconds = 0.0
    for row in fleet.get("timeline", ()):
        t_s = min(float(row[0]), duration_s)
        seconds += count * (t_s - before)
        before = t_s
        count = real(float(row[1]) + float(row[2]))
    seconds += count * max(0.0, duration_s - before)
    return seconds / 3600
