"""The generated reference: a page per registered kind (in any model's site), the check
rules with examples, the run artefacts' schemas; node titles told apart; shapes in time
order; required settings said to be required."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from site_helpers import ROOT, TINY_SHOP, build_mkdocs

from archgen.commands.schema import schema_text
from archgen.model import load_model, load_model_text, reference_model_path
from archgen.model.registry import kinds
from archgen.runtime.artefacts import ARTEFACTS, SCHEMA_VERSION
from archgen.runtime.check.examples import EXAMPLES, RUN_EXAMPLES
from archgen.runtime.check.rules import ALL_RULES, DRIFT_RULES
from archgen.site import facts
from archgen.site.content import SiteContent, build_content
from archgen.site.kinds import param_rows, split_behavior_doc
from archgen.site.plan import Paths, node_titles, page_titles
from archgen.site.templating import fence, inline, text

RIDE_HAILING = ROOT / "tests" / "models" / "ride-hailing.yaml"
PATHS = Paths()


@pytest.fixture(scope="module")
def ride() -> SiteContent:
    return build_content(load_model(RIDE_HAILING), PATHS, None, simulate=False)


def test_every_kind_has_a_page_also_when_the_model_does_not_use_it(ride: SiteContent) -> None:
    used = {node.kind for node in load_model(RIDE_HAILING).model.nodes}
    unused = set(kinds()) - used
    assert {"cloudfront", "waf", "s3", "route53"} <= unused  # a model far from the reference
    for name, spec in kinds().items():
        page = ride.pages[PATHS.kind(name)]
        assert page.startswith(f"# {text(spec.title)}\n")
        assert ("This model has no node of this kind." in page) == (name in unused), name
        assert PATHS.kind_icon(name) in ride.assets
        assert f"]({name}.md)" in ride.pages[PATHS.kinds]


@pytest.mark.parametrize("name", list(kinds()))
def test_a_kind_page_shows_every_parameter_with_its_meaning(ride: SiteContent, name: str) -> None:
    spec = kinds()[name]
    page = ride.pages[PATHS.kind(name)]
    rows = param_rows(spec.params)
    assert len(rows) >= len(spec.params.model_fields)
    for row in rows:
        assert row.description, f"{name}: {row.name} has no description"
        assert f"| <code>{text(row.name)}</code> |" in page
        assert f"| {text(row.default)} | {inline(row.description)} |" in page
    assert "PydanticUndefined" not in page
    assert f"<code>kind: {text(name)}</code>" in page
    # Built-in behaviors say what they follow and what they leave out.
    assert "## What the simulation does\n\nNo behavior describes" not in page
    assert "Its behavior lists nothing it leaves out." not in page


def test_kind_pages_pin_units_defaults_arns_and_rules(ride: SiteContent) -> None:
    sqs = ride.pages[PATHS.kind("sqs")]
    assert (
        "| <code>visibility&#95;timeout&#95;s</code> | integer | s | 30 | "
        "How long a received message stays invisible&#46; |"
    ) in sqs
    assert (
        "<code>arn&#58;aws&#58;sqs&#58;&#60;region&#62;&#58;&#60;account&#62;&#58;&#60;id&#62;</code>"
        in sqs
    )
    assert "| <code>queue</code> | Holds messages; its depth is charted" in sqs
    # The metrics its kind declares, as AWS names them (KindSpec.metrics).
    assert "(namespace <code>AWS/SQS</code>, dimensions QueueName)" in sqs
    assert (
        "| <code>ApproximateAgeOfOldestMessage</code> | Seconds | Maximum | Age of the oldest "
        "message in the queue at the end of the period&#46; |"
    ) in sqs
    assert "Its nodes publish no CloudWatch metric." in ride.pages[PATHS.kind("client")]
    assert "## What the simulation leaves out\n\nMessage size limits" in sqs
    route53 = ride.pages[PATHS.kind("route53")]
    assert "| <code>records&#91;&#93;&#46;target</code> | string | " in route53
    assert "| required | Node the answer points at" in route53
    lambda_ = ride.pages[PATHS.kind("lambda")]
    assert "| <code>cold&#95;start</code> | [Duration](../model.md#def-duration) | ms |" in lambda_
    assert "## What the simulation leaves out\n\nThe execution span of an asynchronous" in lambda_
    assert "| <code>Throttles</code> | Count | Sum | Invocation requests refused" in lambda_
    api = ride.pages[PATHS.kind("apigateway")]
    assert api.startswith("# API Gateway\n")
    assert "| <code>rate&#95;limit</code> | number |  | 10000 | Stage throttling&#58;" in api
    assert "(namespace <code>AWS/ApiGateway</code>, dimensions ApiName)" in api
    assert "| <code>IntegrationLatency</code> | Milliseconds | Average |" in api
    assert "## What the simulation leaves out\n\nAuthorizers and API keys" in api
    ecs = ride.pages[PATHS.kind("ecs")]
    assert ecs.startswith("# ECS service on Fargate\n")
    assert "| <code>cpu</code> | integer |  | 1024 | Task CPU units of the task definition" in ecs
    assert "(namespace <code>AWS/ECS</code>, dimensions ClusterName, ServiceName)" in ecs
    assert "| <code>MemoryUtilization</code> | Percent | Average |" in ecs
    assert "## What the simulation leaves out\n\nDeployments &#40;rolling update" in ecs
    bus = ride.pages[PATHS.kind("eventbridge")]
    assert bus.startswith("# EventBridge event bus\n")
    assert "(namespace <code>AWS/Events</code>, dimensions EventBusName)" in bus
    assert "| <code>DeadLetterInvocations</code> | Count | Sum |" in bus
    assert "## What the simulation leaves out\n\nPutEvents batches" in bus
    machine = ride.pages[PATHS.kind("stepfunctions")]
    assert machine.startswith("# Step Functions state machine\n")
    assert "(namespace <code>AWS/States</code>, dimensions StateMachineArn)" in machine
    assert "| <code>ExecutionTime</code> | Milliseconds | Average |" in machine
    assert "## What the simulation leaves out\n\nInput and output processing" in machine
    client = ride.pages[PATHS.kind("client")]
    assert "Left out&#58;" not in client  # split off into its own section
    assert "## What the simulation leaves out\n\nClient retries" in client


def test_cache_and_secret_kind_pages(ride: SiteContent) -> None:
    cache = ride.pages[PATHS.kind("elasticache")]
    assert cache.startswith("# ElastiCache\n")
    assert "| <code>ttl&#95;s</code> |" in cache
    assert "| <code>maxmemory&#95;policy</code> |" in cache
    assert "(namespace <code>AWS/ElastiCache</code>, dimensions CacheClusterId)" in cache
    assert "| <code>Evictions</code> | Count | Sum | Keys evicted" in cache
    assert "## What the simulation leaves out\n\nCluster mode" in cache
    secret = ride.pages[PATHS.kind("secretsmanager")]
    assert secret.startswith("# Secrets Manager secret\n")
    assert "| <code>client&#95;cache&#95;ttl&#95;s</code> |" in secret
    assert "| <code>CallCount</code> | Count | Sum | API calls that reached" in secret
    assert "## What the simulation leaves out\n\nThe database side of rotation" in secret


def test_egress_kind_pages_name_their_aws_metrics(ride: SiteContent) -> None:
    nat = ride.pages[PATHS.kind("nat_gateway")]
    assert nat.startswith("# NAT gateway\n")
    assert "(namespace <code>AWS/NATGateway</code>, dimensions NatGatewayId)" in nat
    assert "| <code>BytesOutToDestination</code> | Bytes | Sum |" in nat
    assert "| <code>ActiveConnectionCount</code> | Count | Maximum |" in nat
    assert "## What the simulation leaves out\n\nIdle&#45;timeout" in nat
    endpoint = ride.pages[PATHS.kind("vpc_endpoint")]
    assert endpoint.startswith("# VPC endpoint\n")
    assert "(namespace <code>AWS/PrivateLinkEndpoints</code>, dimensions VPC Endpoint Id)" in (
        endpoint
    )


def test_the_rules_page_shows_each_example_and_what_the_linter_says(ride: SiteContent) -> None:
    from archgen.runtime.check import lint

    page = ride.pages[PATHS.rules]
    for rule in ALL_RULES:
        assert f"## {text(rule)} {{ #rule-{rule} }}" in page
    for rule, example in EXAMPLES.items():
        assert fence(example.model, "yaml") in page
        findings = lint(load_model_text(example.model, "model.yaml")).findings
        assert fence("\n".join(str(f) for f in findings), "text") in page
        if example.silence:
            assert f"  - id: {example.silence}\n    lint_ignore:\n      {rule}: " in page
    for rule, example in RUN_EXAMPLES.items():
        section = page.split(f"## {text(rule)} ", 1)[1].split("\n## ", 1)[0]
        assert fence(example.model, "yaml") in section
        assert f"<code>archgen check --scenario {example.scenario}</code> says of it" in section
        assert f"[{rule}] " in section
        assert "A run rule cannot be switched off" in section
    for rule in set(ALL_RULES) - set(EXAMPLES) - set(RUN_EXAMPLES) - set(DRIFT_RULES):
        section = page.split(f"## {text(rule)} ", 1)[1].split("\n## ", 1)[0]
        assert "Judged from the spans, metrics and message books" in section
    for rule in DRIFT_RULES:
        section = page.split(f"## {text(rule)} ", 1)[1].split("\n## ", 1)[0]
        assert "Judged only when <code>archgen check</code> is given <code>--against" in section
        severity = DRIFT_RULES[rule].severity
        assert f"| [<code>{text(rule)}</code>](#rule-{rule}) | {severity} | drift |" in page
        assert f"<code>lint_ignore: {{{text(rule)}: …}}</code>" in section


def test_the_artefacts_page_documents_every_field_and_publishes_the_schemas(
    ride: SiteContent,
) -> None:
    page = ride.pages[PATHS.artefacts]
    assert f"(schema version\n<code>{SCHEMA_VERSION}</code>)" in page
    for name in ARTEFACTS:
        published = ride.assets[PATHS.schema(name)].decode()
        assert published == schema_text(name)
        schema = json.loads(published)
        for definition in [schema, *schema.get("$defs", {}).values()]:
            for key, spec in definition.get("properties", {}).items():
                assert f"| <code>{text(key)}</code> |" in page
                assert inline(spec["description"]) in page


def test_required_settings_say_so_on_node_pages() -> None:
    model = load_model(TINY_SHOP).model
    worker = model.nodes_by_id["order-worker"]
    rows = {p.name: p for p in facts.parameters(worker)}
    assert rows["event_source.queue"].default == "required"
    assert rows["event_source.queue"].value == "orders-queue"


def test_shared_titles_are_told_apart_by_region() -> None:
    model = load_model(reference_model_path()).model
    titles = node_titles(model)
    assert len(set(titles.values())) == len(model.nodes)
    shared = [node.id for node in model.nodes if titles[node.id] != node.title]
    assert len(shared) == 18  # nine titles, each in two regions
    for node_id in shared:
        region = model.region_of(model.nodes_by_id[node_id].group)
        assert region is not None
        assert titles[node_id] == f"{model.nodes_by_id[node_id].title} — {region.title}"
    nav = page_titles(model, PATHS)
    assert nav[PATHS.node(shared[0])] == titles[shared[0]]


def test_titles_no_region_tells_apart_get_their_id() -> None:
    loaded = load_model_text(
        "archgen: 1\nsystem: {id: s, name: S}\nnodes:\n"
        "  - {id: a, kind: external, label: Partner}\n"
        "  - {id: b, kind: external, label: Partner}\n"
        "  - {id: c, kind: external, label: Other}\n"
    )
    assert node_titles(loaded.model) == {"a": "Partner (a)", "b": "Partner (b)", "c": "Other"}


def test_a_spike_reads_in_time_order() -> None:
    text_ = (ROOT / "tests" / "site" / "models" / "tiny-shop.yaml").read_text(encoding="utf-8")
    loaded = load_model_text(
        text_.replace(
            "sessions_per_s: 5",
            "sessions_per_s: 5\n      shape: {type: spike, at_s: 10, factor: 3, rise_s: 5, "
            "hold_s: 20, fall_s: 8}",
        ),
        "tiny.yaml",
    )
    content = build_content(loaded, PATHS, None, simulate=False)
    page = content.pages[PATHS.scenario("normal-day")]
    assert "spike, at 10 s, factor 3, rise 5 s, hold 20 s, fall 8 s" in page


def test_a_site_of_a_model_without_those_kinds_builds_strict(tmp_path: Path) -> None:
    """Every kind page's links and images resolve (mkdocs strict mode)."""
    (tmp_path / "docs").mkdir()
    config = {
        "site_name": "t",
        "strict": True,
        "theme": {"name": "material", "font": False},
        "plugins": [{"archgen": {"model": str(RIDE_HAILING), "simulate": False}}],
    }
    (tmp_path / "mkdocs.yml").write_text(json.dumps(config), encoding="utf-8")
    out = build_mkdocs(tmp_path / "mkdocs.yml", tmp_path / "out")
    page = (out / "reference" / "kinds" / "cloudfront" / "index.html").read_text(encoding="utf-8")
    assert 'src="../cloudfront.png"' in page
    assert (out / "reference" / "kinds" / "cloudfront.png").is_file()
    assert (out / "reference" / "schemas" / "summary.json").is_file()


def test_a_behavior_docstring_is_split_into_rules_left_out_and_metrics() -> None:
    doc = split_behavior_doc(
        """Queue: the rules.

        - one rule;
        - another.
        Metrics: ``Depth`` each
        period.
        Left out: large
        messages.

        Later words.
        """
    )
    assert doc.rules == "Queue: the rules.\n\n- one rule;\n- another.\n\n\nLater words."
    assert doc.metrics == "``Depth`` each period."
    assert doc.left_out == "Large messages."
