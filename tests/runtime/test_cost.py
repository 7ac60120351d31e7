"""What a run costs: the dated price table, every kind's rule, and costs recomputed by hand.

The hand computations write the list prices out as numbers (not read back from the
table), so a price that changes in the table, a rule that counts the wrong activity or a
scale that is not undone fails here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from archgen.model import LoadedModel, load_model, load_model_text, reference_model_path
from archgen.model.cost import Unpriced, fleet_hours, price_run
from archgen.model.kinds.ec2 import _FAMILIES
from archgen.model.pricing import TABLE, price_table
from archgen.model.registry import kinds
from archgen.runtime.session import run_scenario

ORDERS = Path(__file__).parents[1] / "runtime2" / "models" / "orders.yaml"
MONTH_S = 730 * 3600
BUILT_IN = "archgen.model.kinds."


def test_the_price_table_is_dated_and_cites_an_aws_page_for_every_price() -> None:
    table = price_table()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", table.date)
    assert f"prices-{table.date[:7]}.yaml" == TABLE  # the file name carries its month
    assert table.currency == "USD"
    assert table.hours_per_month == 730
    for key, item in table.items.items():
        assert item.source.startswith("https://aws.amazon.com/"), key
    for key, hours in table.instance_hours.items():
        assert hours.source.startswith("https://aws.amazon.com/"), key
    assert table.checked_against  # the secondary pages the numbers were checked against


def test_the_table_covers_the_reference_regions_and_every_instance_it_runs() -> None:
    model = load_model(reference_model_path()).model
    codes = {g.code for g in model.groups if g.kind.value == "region"}
    assert codes == {"us-east-1", "us-west-2"}
    assert codes <= set(price_table().regions)
    cost = price_run(model, {}, scale=1.0, duration_s=3600)
    missing = [
        f"{node}: {why}"
        for node, entry in cost["nodes"].items()
        for why in entry["not_priced"]
        if "no price" in why
    ]
    assert missing == []


def test_every_instance_type_of_the_vcpu_table_has_a_price_in_both_regions() -> None:
    table = price_table()
    for family, sizes in _FAMILIES.items():
        for size in sizes:
            for region in ("us-east-1", "us-west-2"):
                assert table.hourly("ec2", f"{family}.{size}", region) is not None, (family, size)
    assert table.hourly("ec2", "c6i.xlarge", "us-east-1") == 0.17
    assert table.hourly("ec2", "c5.9xlarge", "us-east-1") == pytest.approx(1.53)
    assert table.hourly("ec2", "m6g.medium", "us-east-1") == pytest.approx(0.0385)
    assert table.hourly("ec2", "c6i.xlarge", "eu-west-1") is None  # not a listed region
    assert table.hourly("rds.aurora-postgresql", "db.r6g.16xlarge", None) == pytest.approx(8.32)


def test_every_kind_has_a_cost_rule_or_says_why_it_is_free_or_not_priced() -> None:
    built_in = {n: s for n, s in kinds().items() if s.params.__module__.startswith(BUILT_IN)}
    assert len(built_in) == 26
    for name, spec in built_in.items():
        assert spec.cost is not None, f"kind {name} declares no cost rule"
        if isinstance(spec.cost, Unpriced):
            assert len(spec.cost.reason) > 10, name
    unpriced = {n: s.cost for n, s in built_in.items() if isinstance(s.cost, Unpriced)}
    assert {n: u.free for n, u in unpriced.items()} == {  # type: ignore[union-attr]
        "client": False,
        "iam_role": True,
        "external": False,
    }


def test_fleet_hours_turn_the_scaled_timeline_into_real_instances() -> None:
    # Real fleet 200..2400 at scale 0.01: simulated minimum 2. Rows [t_s, in, pending, cpu].
    fleet = {"initial": 2, "min": 2, "timeline": [[60, 2, 1, 40.0], [120, 3, 0, 55.0]]}
    hours = fleet_hours(fleet, real_min=200, real_max=2400, scale=0.01, duration_s=180)
    # 0-60 s: 200 real; 60-120 s: 300 (one launching counts); 120-180 s: 300.
    assert hours == pytest.approx((200 * 60 + 300 * 60 + 300 * 60) / 3600)
    capped = fleet_hours(fleet, real_min=200, real_max=250, scale=0.01, duration_s=180)
    assert capped == pytest.approx((200 * 60 + 250 * 120) / 3600)
    # A region outage takes every simulated instance away: no real ones either.
    dark = {"initial": 2, "min": 2, "timeline": [[60, 0, 0, None]]}
    assert fleet_hours(dark, real_min=200, real_max=2400, scale=0.01, duration_s=120) == (
        pytest.approx(200 * 60 / 3600)
    )


def _us_east(text: str) -> LoadedModel:
    return load_model_text(text.replace("code: eu-west-1", "code: us-east-1"), "orders.yaml")


def test_a_small_pipeline_costs_what_its_counted_activity_costs_by_hand() -> None:
    """The tiny order pipeline (API Lambda → SQS → worker Lambda → SNS email/SMS) run at
    scale 0.5 for 400 s in us-east-1, every line recomputed from the summary's counts."""
    loaded = _us_east(ORDERS.read_text())
    result = run_scenario(loaded.model, "steady", scale=0.5)
    summary = result.summary
    nodes = summary["nodes"]
    cost = summary["cost"]
    scale, window = 0.5, 400

    def real(value: float) -> float:
        return value / scale

    def lambda_usd(node: str) -> float:
        function = nodes[node]["function"]
        gb_s = real(function["billed_ms"]) / 1000 * 128 / 1024  # default memory_mb 128
        return real(function["invocations"]) * 0.20 / 1e6 + gb_s * 0.0000166667

    def sqs_usd(node: str) -> float:
        calls = nodes[node]["calls"]
        requests = sum(c["n"] for op, c in calls.items() if op != "Redrive")
        return real(requests) * 0.40 / 1e6

    events = nodes["events"]
    sns = real(events["calls"]["Publish"]["n"]) * 0.50 / 1e6
    sns += real(events["notifications"]["email"]["delivered"]) * 2.00 / 1e5
    expected = {
        "api": lambda_usd("api"),
        "worker": lambda_usd("worker"),
        "orders": sqs_usd("orders"),
        "orders-dlq": sqs_usd("orders-dlq"),
        "events": sns,
    }
    assert set(cost["nodes"]) == set(expected)
    for node, usd in expected.items():
        assert cost["nodes"][node]["window_usd"] == pytest.approx(usd, abs=2e-6), node
        assert cost["nodes"][node]["monthly_usd"] == pytest.approx(
            cost["nodes"][node]["window_usd"] * MONTH_S / window, rel=1e-9
        )
    assert cost["window_usd"] == pytest.approx(sum(expected.values()), abs=1e-5)
    assert cost["monthly_usd"] == pytest.approx(cost["window_usd"] * MONTH_S / window, rel=1e-9)
    # What the rules counted is what the run did: every invocation (those still running
    # at the end included), every queue request.
    api = nodes["api"]
    finished = api["calls"]["POST /orders"]["n"]
    assert (
        api["function"]["invocations"] == finished - api["function"]["throttles"] + api["in_flight"]
    )
    assert (
        nodes["orders"]["calls"]["SendMessage"]["n"]
        == summary["pipeline"]["queues"]["orders"]["sent"]
    )
    assert cost["nodes"]["events"]["not_priced"] == [
        "SMS: priced per message by destination country and sender"
    ]
    assert cost["kinds_not_priced"] == {
        "client": "not priced: users' devices and networks are outside AWS",
        "external": "not priced: a system outside AWS: its own bill, not this one",
        "iam_role": "free: IAM roles and policies cost nothing",
    }
    assert (cost["scale"], cost["window_s"], cost["prices_date"]) == (0.5, 400, "2026-12-02")


def test_a_region_the_table_does_not_list_is_reported_not_guessed() -> None:
    loaded = load_model_text(ORDERS.read_text(), "orders.yaml")  # eu-west-1
    cost = price_run(loaded.model, {}, scale=1.0, duration_s=60)
    assert cost["window_usd"] == 0
    assert "kms.request" not in str(cost)
    assert cost["nodes"]["orders"]["not_priced"] == [
        "sqs.standard.request: no price for region eu-west-1 in the table"
    ]


def _activity(**nodes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return nodes


def test_fixed_and_provisioned_resources_cost_their_list_price_per_hour(mini: LoadedModel) -> None:
    """Mini shop, one hour, scale 0.1: what does not depend on traffic, by hand."""
    activity = _activity(
        **{
            "app-east": {"instances": {"initial": 1, "min": 1, "timeline": []}},
            "lb-east": {"calls": {"GET /item": {"n": 9000, "ms": 0.0}}},
            "images": {
                "calls": {"GetObject": {"n": 100, "ms": 0.0}},
                "callers": {"cdn": 60, "app-west": 40},  # app-west sits in us-west-2
            },
            "cdn": {"calls": {"GET /img": {"n": 2000, "ms": 0.0}}},
            "waf": {"inspected": 500},
            # 1,000 resolves, of which the resolvers' misses (queries) per location:
            "dns": {
                "calls": {"Resolve": {"n": 1000, "ms": 0.0}},
                "queries": {"us-east": 20, "us-west": 40, "europe": 120},
            },
        }
    )
    cost = price_run(mini.model, activity, scale=0.1, duration_s=3600)
    nodes = cost["nodes"]
    month = 1 / 730  # one hour of a 730-hour month
    # EC2: 2 real instances minimum (1 simulated) of c5.large for the hour.
    assert nodes["app-east"]["window_usd"] == pytest.approx(2 * 0.085)
    # DynamoDB provisioned 1,000 RCU + 1,000 WCU for an hour.
    assert nodes["table"]["window_usd"] == pytest.approx(1000 * 0.00013 + 1000 * 0.00065)
    # Aurora MySQL db.r6g.xlarge (2 × large), Multi-AZ: two instances; the west one single.
    assert nodes["orders"]["window_usd"] == pytest.approx(2 * 0.26 * 2)
    assert nodes["orders-west"]["window_usd"] == pytest.approx(0.26 * 2)
    # ALB: the hour, and 90,000 requests in an hour = 25 new connections/s = 1 LCU.
    assert nodes["lb-east"]["window_usd"] == pytest.approx(0.0225 + 0.008)
    # S3: 1,000 GETs; 5,000 objects of the default size for an hour of a month.
    size_kb = mini.model.node("images").params.object_size_kb  # type: ignore[attr-defined]
    stored = 5000 * size_kb / 1024**2 * month * 0.023
    # 400 real objects went to another Region (CloudFront is global: its fetches are free).
    moved = 400 * size_kb / 1024**2 * 0.02
    assert nodes["images"]["window_usd"] == pytest.approx(
        1000 * 0.0004 / 1000 + stored + moved, abs=1e-6
    )
    assert [line["item"] for line in nodes["images"]["lines"]][-1] == (
        "data_transfer.inter_region.gb"
    )
    # CloudFront: 20,000 HTTPS requests, each one object of its S3 origin out to viewers.
    assert nodes["cdn"]["window_usd"] == pytest.approx(
        20_000 * 0.01 / 10_000 + 20_000 * size_kb / 1024**2 * 0.085, abs=1e-6
    )
    # WAF: web ACL + one rule for an hour, 5,000 requests inspected.
    assert nodes["waf"]["window_usd"] == pytest.approx(
        (5 + 1) * month + 5000 * 0.60 / 1e6, abs=1e-6
    )
    # Route 53 latency routing: the queries, the zone, and both records health-checked
    # (the default) every 10 s (the fast-interval option). Queries are a TTL cache's
    # misses (TTL 30 s), not resolves / scale: a location asked at rate λ misses
    # λ·3600 / (1 + 30·λ) times. 20 misses are a run rate of 1/150 per second, a real one
    # of 1/15, so 80 queries; 40 are 1/60 → 1/6, so 100; 120 misses are one per TTL, the
    # most a resolver sends, 120 real.
    assert nodes["dns"]["lines"][0]["quantity"] == pytest.approx(80 + 100 + 120)
    assert nodes["dns"]["window_usd"] == pytest.approx(
        300 * 0.60 / 1e6 + 0.50 * month + 2 * (0.50 + 1.00) * month, abs=1e-6
    )
    # CloudWatch: two alarms on a 30 s period are high-resolution ones.
    assert nodes["watch"]["window_usd"] == pytest.approx(2 * 0.30 * month, abs=1e-6)
    assert nodes["watch"]["lines"][0]["item"] == "cloudwatch.alarm_month.high_resolution"
    # Shield Standard (the default tier) is free: no line.
    assert nodes["shield"]["lines"] == []


def test_an_arm64_function_pays_the_graviton_price_per_gb_second() -> None:
    text = ORDERS.read_text().replace("code: eu-west-1", "code: us-west-2")
    text = text.replace(
        "      reserved_concurrency: 3\n",
        "      reserved_concurrency: 3\n      architecture: arm64\n",
    )
    loaded = load_model_text(text, "orders.yaml")
    activity = {"worker": {"function": {"invocations": 300, "billed_ms": 12_000}}}
    cost = price_run(loaded.model, activity, scale=0.5, duration_s=60)
    # 600 real invocations; 24 s at 128 MB = 3 GB-s at the arm64 price.
    assert cost["nodes"]["worker"]["window_usd"] == pytest.approx(
        600 * 0.20 / 1e6 + 3 * 0.0000133334, abs=1e-6
    )
    assert cost["nodes"]["worker"]["lines"][1]["item"] == "lambda.gb_second.arm64"
    assert cost["nodes"]["api"]["lines"][1]["item"] == "lambda.gb_second.x86_64"


def test_provisioned_concurrency_is_paid_for_the_whole_window() -> None:
    text = ORDERS.read_text().replace("code: eu-west-1", "code: us-east-1")
    text = text.replace(
        "      reserved_concurrency: 3\n",
        "      reserved_concurrency: 3\n      memory_mb: 1024\n      provisioned_concurrency: 2\n",
    )
    loaded = load_model_text(text, "orders.yaml")
    cost = price_run(loaded.model, {}, scale=0.1, duration_s=600)
    # Two 1 GB environments for 600 s (a parameter: real, not scaled), used or not.
    assert cost["nodes"]["worker"]["window_usd"] == pytest.approx(
        2 * 1 * 600 * 0.0000041667, abs=1e-6
    )


# --------------------------------------------------------------------------- volume tiers


def test_cloudfront_data_out_is_priced_through_aws_published_tiers() -> None:
    """North America/Europe, per month: 10 TB at $0.085/GB, 40 TB at $0.080, 100 TB at
    $0.060, 350 TB at $0.040, 524 TB at $0.030, 4 PB at $0.025, the rest at $0.020 (1 TB
    = 1,024 GB)."""
    item = price_table().items["cloudfront.data_out.gb"]
    assert item.month_usd(5_000) == pytest.approx(5_000 * 0.085)
    assert item.month_usd(10_240) == pytest.approx(870.40)
    assert item.month_usd(51_200) == pytest.approx(870.40 + 40_960 * 0.080)
    # A trial's 6.56 PB a month: $584,705 at the first tier alone, $178,302 through them.
    by_hand = (
        10_240 * 0.085
        + 40_960 * 0.080
        + 102_400 * 0.060
        + 358_400 * 0.040
        + 536_576 * 0.030
        + 4_194_304 * 0.025
        + (6_878_882 - 5_242_880) * 0.020
    )
    assert item.month_usd(6_878_882) == pytest.approx(by_hand)
    assert round(by_hand) == 178_302


def test_tiers_apply_to_the_projected_month_of_every_node_in_the_region_together() -> None:
    """Two x86 functions of one Region, 12.5 million GB-seconds each in an hour: a month of
    that is 18.25 billion GB-seconds, past Lambda's 6 and 15 billion tiers; each line pays
    the month's average price, the same for both (AWS counts the tiers per account and
    Region, not per function)."""
    text = ORDERS.read_text().replace("code: eu-west-1", "code: us-east-1")
    loaded = load_model_text(text, "orders.yaml")
    billed_ms = 1e11  # 10^8 s at 128 MB: 12.5 million GB-seconds in the window
    activity = {
        node: {"function": {"invocations": 0, "billed_ms": billed_ms}} for node in ("api", "worker")
    }
    cost = price_run(loaded.model, activity, scale=1.0, duration_s=3600)
    month_gb_s = 2 * 12.5e6 * 730
    month_usd = 6e9 * 0.0000166667 + 9e9 * 0.000015 + (month_gb_s - 15e9) * 0.0000133334
    for node in ("api", "worker"):
        line = next(
            x for x in cost["nodes"][node]["lines"] if x["item"] == "lambda.gb_second.x86_64"
        )
        assert line["quantity"] == 12.5e6
        assert line["unit_usd"] == pytest.approx(month_usd / month_gb_s, rel=1e-9)
        assert line["window_usd"] == pytest.approx(month_usd / 730 / 2, abs=1e-5)
        assert line["what"].endswith(
            "priced through the volume tiers on 18,250,000,000 GB-second a month in "
            "us-east-1, all nodes together"
        )
    assert cost["monthly_usd"] == pytest.approx(month_usd, rel=1e-6)


def test_a_volume_within_the_first_tier_keeps_its_line_as_charged() -> None:
    text = ORDERS.read_text().replace("code: eu-west-1", "code: us-east-1")
    loaded = load_model_text(text, "orders.yaml")
    activity = {"worker": {"function": {"invocations": 0, "billed_ms": 8_000}}}
    line = price_run(loaded.model, activity, scale=1.0, duration_s=60)["nodes"]["worker"]["lines"][
        1
    ]
    assert line["unit_usd"] == 0.0000166667
    assert "tiers" not in line["what"]


def test_a_tier_list_must_ascend() -> None:
    from pydantic import ValidationError

    from archgen.model.pricing import PriceItem

    with pytest.raises(ValidationError, match="tiers must ascend"):
        PriceItem.model_validate(
            {
                "unit": "GB",
                "usd": 0.1,
                "source": "https://aws.amazon.com/",
                "tiers": [{"above": 50, "usd": 0.05}, {"above": 10, "usd": 0.08}],
            }
        )


def test_s3_storage_past_50_tb_is_priced_through_its_tiers() -> None:
    """200 million objects of 1,000 KB are 190,735 GB (186 TB): 50 TB at $0.023, the rest
    at $0.022 a GB-month."""
    text = ORDERS.read_text().replace("code: eu-west-1", "code: us-east-1")
    text = text.replace(
        "nodes:\n",
        "nodes:\n  - {id: media, kind: s3, group: r1,"
        " params: {objects: 200000000, object_size_kb: 1000}}\n",
        1,
    )
    loaded = load_model_text(text, "orders.yaml")
    cost = price_run(loaded.model, {}, scale=1.0, duration_s=MONTH_S)
    line = next(x for x in cost["nodes"]["media"]["lines"] if x["item"] == "s3.standard.gb_month")
    gb = 200_000_000 * 1000 / 1024**2
    assert line["quantity"] == pytest.approx(gb, abs=1e-3)
    assert line["window_usd"] == pytest.approx(51_200 * 0.023 + (gb - 51_200) * 0.022, abs=1e-3)
