"""Pages that never mislead: scenario verdicts with the SLOs in and out of scope, async
flows' data, flows whose executions all failed, who may access a resource, what a key
encrypts. Exact texts, on the reference model and on the ride-hailing model."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import markdown
import pytest

from archgen.model import LoadedModel, load_model, load_model_text, reference_model_path
from archgen.site import facts
from archgen.site.pages import PageInputs, generate_pages
from archgen.site.plan import Paths, sections
from archgen.site.results import FlowLatency, ScenarioResult, draw_charts, simulate

RIDE = Path(__file__).parents[1] / "models" / "ride-hailing.yaml"
SVG = "{http://www.w3.org/2000/svg}"


def text(markdown: str) -> str:
    """The page as a reader sees it: links reduced to their labels, entities decoded."""
    markdown = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    return html.unescape(re.sub(r"<[^>]+>", "", markdown)).replace("**", "")


def lines(markdown: str) -> list[str]:
    return [line for line in text(markdown).splitlines() if line]


def section(markdown: str, heading: str) -> list[str]:
    """The lines under ``heading`` up to the next heading of the same or a higher level."""
    found = lines(markdown)
    start = found.index(heading)
    level = heading.split(" ", maxsplit=1)[0]
    end = next(
        (
            i
            for i in range(start + 1, len(found))
            if found[i].startswith("#") and len(found[i].split(" ")[0]) <= len(level)
        ),
        len(found),
    )
    return found[start + 1 : end]


@pytest.fixture(scope="module")
def ride_results() -> tuple[LoadedModel, dict[str, ScenarioResult]]:
    """The ride-hailing model with its SLO declared for rush hour only, both scenarios
    simulated (a few seconds)."""
    source = RIDE.read_text(encoding="utf-8").replace(
        "availability_percent: 99.5}", "availability_percent: 99.5, scenarios: [rush-hour]}"
    )
    loaded = load_model_text(source, "ride-hailing.yaml")
    return loaded, {sid: simulate(loaded, sid) for sid in ("rush-hour", "matcher-crash")}


@pytest.fixture(scope="module")
def ride(
    ride_results: tuple[LoadedModel, dict[str, ScenarioResult]],
) -> tuple[LoadedModel, dict[str, str]]:
    loaded, results = ride_results
    return loaded, generate_pages(loaded, Paths(), PageInputs(results=results))


def test_charts_of_one_kind_share_their_axes_and_say_their_units(
    ride_results: tuple[LoadedModel, dict[str, ScenarioResult]],
) -> None:
    results = ride_results[1]
    drawn = draw_charts(results)
    names = [chart.name for chart in results["rush-hour"].charts]
    assert names == ["traffic", "instances", "latency", "queues", "errors"]
    labels = {}
    for name in names:
        ticks = []
        for scenario in ("rush-hour", "matcher-crash"):
            root = ET.fromstring(drawn[(scenario, name)])
            texts = list(root.iter(f"{SVG}text"))
            ticks.append([t.text for t in texts if t.get("text-anchor") in ("end", "middle")])
            labels[name] = (texts[-2].text, texts[-1].text)
        assert ticks[0] == ticks[1], name  # same x and y ticks, same axis labels
    assert labels == {
        "traffic": ("simulated time (s)", "flows / s (full scale)"),
        "instances": ("simulated time (s)", "instances (full scale)"),
        "latency": ("simulated time (s)", "milliseconds"),
        "queues": ("simulated time (s)", "messages (full scale)"),
        "errors": ("simulated time (s)", "failed flows / s (full scale)"),
    }
    # Each scenario's own data differs: the shared axes are not a coincidence.
    traffic = {sid: results[sid].charts[0].series for sid in results}
    assert traffic["rush-hour"] != traffic["matcher-crash"]


def test_a_scenario_judged_by_an_slo_says_pass_and_lists_it(
    ride: tuple[LoadedModel, dict[str, str]],
) -> None:
    verdict = section(ride[1]["scenarios/rush-hour.md"], "## Verdict")
    assert verdict[0] == "Pass. 11 rules checked, no finding."
    assert verdict[1:5] == [
        "### Service level objectives",
        "In scope: the SLOs this scenario's run is judged by (executions after the warm-up).",
        "| Flow | Objective | Measured | Result |",
        "| --- | --- | --- | --- |",
    ]
    row = verdict[5]
    assert row.startswith(
        "| Request a ride | p95 ≤ 1,500 ms, availability ≥ 99.5 %, end to end until "
        "drivers: Deliver: p95 ≤ 5,000 ms | p95 "
    )
    assert row.endswith(
        "; end to end until drivers: Deliver p95 449 ms (objective 5,000 ms; "
        "1,145 reached, 0 never reached) | met |"
    )
    assert "Out of scope: declared for other scenarios only, so not evaluated here." not in verdict


def test_a_scenario_no_slo_judges_says_so_and_names_the_others(
    ride: tuple[LoadedModel, dict[str, str]],
) -> None:
    verdict = section(ride[1]["scenarios/matcher-crash.md"], "## Verdict")
    assert verdict[:7] == [
        "Pass. 11 rules checked, no finding.",
        "### Service level objectives",
        "No SLO applies to this scenario.",
        "Out of scope: declared for other scenarios only, so not evaluated here.",
        "| Flow | Objective | Evaluated in |",
        "| --- | --- | --- |",
        "| Request a ride | p95 ≤ 1,500 ms, availability ≥ 99.5 %, end to end until "
        "drivers: Deliver: p95 ≤ 5,000 ms | Rush hour |",
    ]
    assert "conforms" not in text(ride[1]["scenarios/matcher-crash.md"])


def test_a_flow_a_queue_triggers_shows_its_data(
    ride: tuple[LoadedModel, dict[str, str]],
) -> None:
    latency = section(ride[1]["flows/match-driver.md"], "## Simulated latency")
    assert "No scenario of the model runs this flow" not in " ".join(latency)
    starts = [line for line in latency if line.startswith("In scenario")]
    assert len(starts) == 2
    for line in starts:
        assert re.fullmatch(
            r"In scenario (Rush hour|The matcher crashes for a minute), [\d,]+ executions of "
            r"this flow \(after warm-up\), each started asynchronously:",
            line,
        ), line
    assert re.fullmatch(r"p50 [\d.,]+ ms, p95 [\d.,]+ ms, p99 [\d.,]+ ms, errors 0\.", latency[1])


def test_a_flow_whose_executions_all_failed_says_so() -> None:
    loaded = load_model(RIDE)
    failed = FlowLatency("request-ride", 12, 12, None, None, None, "<svg/>")
    result = ScenarioResult("rush-hour", (), (), (failed,), (), "", ())
    pages = generate_pages(loaded, Paths(), PageInputs(results={"rush-hour": result}))
    assert section(pages["flows/request-ride.md"], "## Simulated latency") == [
        "In scenario Rush hour, all 12 executions of this flow (after warm-up) failed: "
        "no latency to measure."
    ]


@pytest.fixture(scope="module")
def reference() -> dict[str, str]:
    return generate_pages(load_model(reference_model_path()), Paths(), PageInputs())


def test_reference_scenarios_outside_every_slo_say_no_slo_applies(
    reference: dict[str, str],
) -> None:
    verdict = section(reference["scenarios/region-failure.md"], "## Verdict")
    assert verdict[:4] == [
        "This scenario has not been simulated.",
        "### Service level objectives",
        "No SLO applies to this scenario.",
        "Out of scope: declared for other scenarios only, so not evaluated here.",
    ]
    assert verdict[6] == (
        "| Open the app | p99 ≤ 1,500 ms, availability ≥ 99.9 % | A normal weekday peak hour, "
        "Prime Day opens, The order processor keeps crashing |"
    )
    assert len(verdict) == 12  # six flows' SLOs, none of them for this scenario
    normal = section(reference["scenarios/normal-day.md"], "### Service level objectives")
    assert normal[-1] == (
        "| Checkout and payment | p99 ≤ 2,500 ms, availability ≥ 99.9 % | — | not simulated |"
    )
    assert "Out of scope: declared for other scenarios only, so not evaluated here." not in normal


def test_resource_pages_list_the_statements_that_allow_or_deny_access(
    reference: dict[str, str],
) -> None:
    assert section(reference["nodes/orders-queue.md"], "## Who may access it")[3:] == [
        "| Storefront instance role | 1 | PlaceOrders | Allow | sqs:SendMessage | yes |",
        "| Order processor execution role | 1 | ConsumeOrders | Allow | sqs:ReceiveMessage, "
        "sqs:DeleteMessage, sqs:GetQueueAttributes |  |",
    ]
    assert section(reference["nodes/card-key.md"], "## Who may access it")[3:] == [
        "| Storefront instance role | 1 | NeverSeeCardData | Deny | kms:Decrypt, "
        "kms:GenerateDataKey* |  |",
        "| Payment service instance role | 1 | EnvelopeEncryption | Allow | kms:GenerateDataKey, "
        "kms:Decrypt |  |",
    ]
    assert section(reference["nodes/invoices.md"], "## Who may access it")[3:] == [
        "| Order processor execution role | 1 | Invoices | Allow | s3:PutObject |  |"
    ]
    # SSE-KMS: whoever writes to or reads from what the key encrypts needs it too.
    assert section(reference["nodes/data-key.md"], "## Who may access it")[3:] == [
        "| Storefront instance role | 1 | ShopDataKey | Allow | kms:GenerateDataKey, "
        "kms:Decrypt |  |",
        "| Order processor execution role | 1 | ShopDataKey | Allow | kms:GenerateDataKey, "
        "kms:Decrypt |  |",
    ]
    assert "## Who may access it" not in reference["nodes/shopper.md"]


def test_key_pages_list_what_the_key_encrypts(reference: dict[str, str]) -> None:
    assert section(reference["nodes/card-key.md"], "## What this key encrypts") == [
        "- Payment methods table (encrypted): its data at rest",
        "- Payment methods table (encrypted): what Payment service — US East (N. Virginia) "
        "writes to it",
    ]
    model = load_model(reference_model_path()).model
    keys = [node.id for node in model.nodes if node.kind == "kms"]
    # The security view's "encrypts" links, one per (key, target), all on the key pages.
    links = {(key, target) for key in keys for target, _ in facts.encrypts(model, key)}
    assert len(links) == 20
    assert len(section(reference["nodes/data-key.md"], "## What this key encrypts")) == 10


def test_ride_hailing_key_lists_the_roles_that_use_it() -> None:
    pages = generate_pages(load_model(RIDE), Paths(), PageInputs())
    assert section(pages["nodes/trip-key.md"], "## Who may access it")[3:] == [
        "| dispatch-role | 1 |  | Allow | kms:GenerateDataKey, kms:Decrypt |  |",
        "| matcher-role | 1 |  | Allow | kms:Decrypt, kms:GenerateDataKey |  |",
    ]
    assert section(pages["nodes/trip-key.md"], "## What this key encrypts") == [
        "- Trips table: its data at rest",
        "- Ride requests (FIFO): its data at rest",
        "- ride-requests-dlq: its data at rest",
        "- driver-alerts: its data at rest",
        "- Trips table: what Dispatch fleet writes to it",
    ]


def _plain(nav: object) -> object:
    """Navigation entries with their (escaped HTML) titles as the reader reads them."""
    if isinstance(nav, list):
        return [_plain(item) for item in nav]
    if isinstance(nav, dict):
        return {html.unescape(str(key)): _plain(value) for key, value in nav.items()}
    return nav


def test_node_navigation_is_grouped_by_region_then_tier() -> None:
    nav = sections(load_model(RIDE).model, Paths())["architecture"][1]
    assert _plain(nav) == {
        "Nodes": [
            {
                "Europe (Frankfurt)": [
                    {
                        "Compute": [
                            {"Dispatch fleet": "nodes/dispatch.md"},
                            {"Driver matcher": "nodes/matcher.md"},
                        ]
                    },
                    {"Database": [{"Trips table": "nodes/trips.md"}]},
                    {
                        "Integration": [
                            {"driver-alerts": "nodes/driver-alerts.md"},
                            {"Ride requests (FIFO)": "nodes/ride-requests.md"},
                            {"ride-requests-dlq": "nodes/ride-requests-dlq.md"},
                        ]
                    },
                    {"Network": [{"Trip API": "nodes/gateway.md"}]},
                    {"Security": [{"trip-key": "nodes/trip-key.md"}]},
                ]
            },
            {
                "Not in a region": [
                    {"Edge": [{"Rider app": "nodes/rider.md"}]},
                    {"External": [{"Drivers' phones": "nodes/drivers.md"}]},
                    {"Management": [{"watch": "nodes/watch.md"}]},
                    {
                        "Security": [
                            {"dispatch-role": "nodes/dispatch-role.md"},
                            {"matcher-role": "nodes/matcher-role.md"},
                        ]
                    },
                ]
            },
        ]
    }
    reference = _plain(sections(load_model(reference_model_path()).model, Paths()))
    assert isinstance(reference, dict)
    nodes = reference["architecture"][1]["Nodes"]
    assert [next(iter(entry)) for entry in nodes] == [
        "US East (N. Virginia)",
        "US West (Oregon)",
        "Not in a region",
    ]
    east, west = (next(iter(entry.values())) for entry in nodes[:2])
    assert east[0] == {"Compute": [
        {"Order processor (Lambda) — US East (N. Virginia)": "nodes/order-processor.md"},
        {"Payment service — US East (N. Virginia)": "nodes/payments-use1.md"},
        {"Storefront web/API fleet — US East (N. Virginia)": "nodes/web-use1.md"},
    ]}  # fmt: skip
    assert next(iter(west[0].values()))[0] == {
        "Order processor (Lambda) — US West (Oregon)": "nodes/order-processor-usw2.md"
    }


def test_a_flow_page_states_its_end_to_end_objective(
    ride: tuple[LoadedModel, dict[str, str]],
) -> None:
    slos = section(ride[1]["flows/request-ride.md"], "## Service level objectives")
    assert slos[:3] == [
        "- Latency: p95 at most 1,500 ms.",
        "- Availability: at least 99.5 % of executions succeed.",
        "- End to end: p95 of requests reach drivers: Deliver through their hand-offs "
        "within 5,000 ms (a request that never does counts against it).",
    ]


INLINE_CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
"""A Markdown code span: its text is shown as written, so an entity in it shows as ``&#45;``."""


def test_an_objective_on_a_hyphenated_node_shows_its_id_not_an_entity() -> None:
    """Escaped text (``-`` → ``&#45;``) inside backticks reached readers as ``&#45;``: the
    id goes in an HTML ``<code>``, where the browser resolves the reference."""
    source = RIDE.read_text(encoding="utf-8").replace(
        "until: drivers, op: Deliver", "until: driver-alerts, op: Publish"
    )
    pages = generate_pages(load_model_text(source, "ride-hailing.yaml"), Paths(), PageInputs())
    line = next(
        line for line in pages["flows/request-ride.md"].splitlines() if "End to end" in line
    )
    assert line.startswith(
        "- End to end: p95 of requests reach <code>driver&#45;alerts: Publish</code> through"
    )
    shown = markdown.markdown(line)
    assert "<code>driver&#45;alerts: Publish</code>" in shown
    assert (
        html.unescape(re.sub(r"<[^>]+>", "", shown))
        .strip()
        .startswith("End to end: p95 of requests reach driver-alerts: Publish through")
    )
    spans = {
        name: found
        for name, page in pages.items()
        if (found := [m for m in INLINE_CODE.findall(_unfenced(page)) if "&#" in m])
    }
    assert spans == {}


def _unfenced(page: str) -> str:
    """``page`` without its fenced blocks (whose text Markdown shows as written anyway)."""
    return re.sub(r"^(`{3,}).*?^\1$", "", page, flags=re.MULTILINE | re.DOTALL)


def test_home_says_each_story_title_once_and_what_a_bare_scenario_exercises() -> None:
    """A one-flow step read "Step 1: Request a ride" then "Request a ride"; a scenario
    without a description left "What it exercises" empty: it now says its load, shape,
    faults and attack."""
    source = (
        RIDE.read_text(encoding="utf-8")
        .replace("    title: Request a ride\n", "    title: Request a ride\n    story_step: 1\n")
        .replace(
            "    title: Match a driver\n",
            "    title: Match a driver\n    story_step: 2\n    description: The matcher "
            "takes the request.\n",
        )
    )
    pages = generate_pages(load_model_text(source, "ride-hailing.yaml"), Paths(), PageInputs())
    home = pages["index.md"].splitlines()
    story = home[home.index("### Step 1&#58; Request a ride") : home.index("## Scenarios")]
    assert [line for line in story if line and not line.startswith("![")] == [
        "### Step 1&#58; Request a ride",
        "[Open the flow](flows/request-ride.md).",
        "### Step 2&#58; Match a driver",
        "The matcher takes the request&#46; ([open the flow](flows/match-driver.md))",
    ]
    assert home[home.index("| Scenario | Duration | What it exercises |") + 2 :] == [
        "| [Rush hour](scenarios/rush-hour.md) | 300 s | 4 sessions/s; no fault |",
        "| [The matcher crashes for a minute](scenarios/matcher-crash.md) | 300 s | 4 "
        "sessions/s; consumer crash of matcher from 60 s to 120 s |",
    ]


def test_a_steps_flows_are_told_in_model_order() -> None:
    """Two flows of one story step were listed by id ("Match a driver; Request a ride")
    on the home page, in the overview's legend and in the navigation; the model writes the
    request first, so the story tells it first."""
    from archgen.renderers.views import compute_view

    source = (
        RIDE.read_text(encoding="utf-8")
        .replace("    title: Request a ride\n", "    title: Request a ride\n    story_step: 1\n")
        .replace("    title: Match a driver\n", "    title: Match a driver\n    story_step: 1\n")
    )
    loaded = load_model_text(source, "ride-hailing.yaml")
    assert [flow.id for flow in loaded.model.flows] == ["request-ride", "match-driver"]
    home = pages_of(loaded)["index.md"].splitlines()
    assert [line for line in home if line.startswith("### ")] == [
        "### Step 1&#58; Request a ride; Match a driver"
    ]
    assert compute_view(loaded.model, "overview").chapters == (
        (1, "Request a ride; Match a driver"),
    )
    assert [next(iter(item.values())) for item in sections(loaded.model, Paths())["flows"]] == [
        "flows/request-ride.md",
        "flows/match-driver.md",
    ]


def pages_of(loaded: LoadedModel) -> dict[str, str]:
    return generate_pages(loaded, Paths(), PageInputs())


def test_group_pages_name_the_kind_as_aws_does_and_list_zonal_services() -> None:
    """tile-server's ECS service sits in the VPC and runs tasks in zone-a and zone-b: the
    zone pages listed no node; the VPC page said "Vpc"."""
    tiles = Path(__file__).parents[1] / "runtime" / "models" / "tile-server.yaml"
    pages = generate_pages(load_model(tiles), Paths(), PageInputs())
    assert lines(pages["groups/vpc.md"])[1] == "VPC, inside r1."
    assert lines(pages["groups/r1.md"])[1] == "AWS Region us-east-1."
    zone = lines(pages["groups/zone-b.md"])
    assert zone[1] == "Availability Zone, inside vpc."
    assert zone[zone.index("## Nodes") + 1 :] == [
        "| Node | Kind | Group |",
        "| --- | --- | --- |",
        "| tiles | ECS service on Fargate | vpc, zones zone-a, zone-b |",
    ]
