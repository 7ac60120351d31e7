"""A scenario page's cost table: a node none of whose costs the price table prices (a
region it does not list) shows dashes, not $0.00, and every row says what it leaves out."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from archgen.site.pages import _cost_row
from archgen.site.results import NodeCostRow


class _Links:
    def node(self, node_id: str) -> Markup:
        return Markup("<a>{}</a>").format(node_id)


def row(**fields: Any) -> dict[str, Any]:
    base = {
        "node": "api",
        "kind": "lambda",
        "region": "eu-west-1",
        "window_usd": 0.0,
        "monthly_usd": 0.0,
        "items": "",
        "not_priced": "lambda.request: no price for region eu-west-1 in the table",
    }
    return _cost_row(_Links(), NodeCostRow(**{**base, **fields}))  # type: ignore[arg-type]


def test_a_node_nothing_of_which_is_priced_is_no_zero_dollars() -> None:
    assert row() == {
        "node": Markup("<a>api</a>"),
        "kind": "lambda",
        "region": "eu-west-1",
        "window": "—",
        "monthly": "—",
        "charged": "not priced: lambda.request: no price for region eu-west-1 in the table",
    }


def test_a_partly_priced_node_shows_its_charges_and_what_they_leave_out() -> None:
    shown = row(
        kind="dynamodb",
        window_usd=2.5,
        monthly_usd=1825.0,
        items="dynamodb.on_demand.write_request_unit: 2e+06 write request unit",
        not_priced="global-table replicated writes: replication is not simulated",
    )
    assert (shown["window"], shown["monthly"]) == ("$2.50", "$1,825.00")
    assert shown["charged"] == (
        "dynamodb.on_demand.write_request_unit: 2e+06 write request unit; not priced: "
        "global-table replicated writes: replication is not simulated"
    )
