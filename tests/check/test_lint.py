"""Static rules: each planted defect is caught with a precise message at its YAML line."""

from __future__ import annotations

import pytest

from archgen.model import LoadedModel, load_model_text
from archgen.runtime.check import STATIC_RULES, Finding, lint
from archgen.runtime.check.lint import participating_nodes
from tests.check.helpers import line_of, mutate


def findings(text: str) -> list[Finding]:
    return list(lint(load_model_text(text, "tickets.yaml")).findings)


def only(text: str, rule: str) -> list[str]:
    return [str(f) for f in findings(text) if f.rule == rule]


def worker_line(text: str) -> int:
    return text.splitlines().index("  - id: worker") + 1


def test_the_clean_model_has_no_finding(tickets: LoadedModel) -> None:
    scope = lint(tickets)
    assert scope.findings == ()
    assert scope.rules == tuple(sorted(STATIC_RULES))


def test_entry_point_without_shield(tickets_text: str) -> None:
    text = mutate(tickets_text, "protects: [lb]}}\n  - {id: waf", "protects: []}}\n  - {id: waf")
    line = line_of(text, "- {id: lb, kind: alb")
    assert only(text, "entry-shield") == [
        f"error: tickets.yaml:{line}:5: nodes[3]: [entry-shield] 'lb' is called by a client but "
        "no Shield node protects it (add it to a shield's params.protects)"
    ]


def test_entry_points_shield_cannot_protect_are_not_asked_for_it(tickets_text: str) -> None:
    """Shield Advanced protects CloudFront, Route 53, load balancers (and accelerators and
    Elastic IPs): a bucket or queue a client calls (a presigned upload) needs none; the
    load balancer still does."""
    text = mutate(tickets_text, "protects: [lb]}}\n  - {id: waf", "protects: []}}\n  - {id: waf")
    text = mutate(
        text,
        "  - {from: fan, to: lb, operations",
        "  - {from: fan, to: orders, operations: [SendMessage], protocol: aws-api}\n"
        "  - {from: fan, to: lb, operations",
    )
    assert [f.path for f in findings(text) if f.rule == "entry-shield"] == ["nodes[3]"]


def test_web_entry_point_without_waf(tickets_text: str) -> None:
    text = mutate(
        tickets_text,
        "{id: waf, kind: waf, params: {protects: [lb]}}",
        "{id: waf, kind: waf, params: {protects: []}}",
    )
    assert only(text, "entry-waf") == [
        f"error: tickets.yaml:{line_of(text, '- {id: lb,')}:5: nodes[3]: [entry-waf] 'lb' (alb) "
        "is called by a client but no WAF node protects it (add it to a waf's params.protects)"
    ]


def test_compute_node_without_metric(tickets_text: str) -> None:
    text = mutate(
        tickets_text,
        "        - {id: worker-errors, node: worker, name: Errors, statistic: Sum}\n",
        "",
    )
    assert only(text, "monitored") == [
        f"error: tickets.yaml:{worker_line(text)}:5: nodes[10]: [monitored] lambda "
        "node 'worker' reports no metric to CloudWatch (add a metric with node: worker to a "
        "cloudwatch node's params.metrics)"
    ]


def test_personal_data_over_plain_http(tickets_text: str) -> None:
    text = mutate(
        tickets_text,
        'operations: ["GET /", "POST /buy"], data: pii}\n  - {from: lb',
        'operations: ["GET /", "POST /buy"], protocol: http, data: pii}\n  - {from: lb',
    )
    line = line_of(text, "protocol: http")
    column = text.splitlines()[line - 1].index("http") + 1
    assert only(text, "tls-sensitive") == [
        f"error: tickets.yaml:{line}:{column}: edges[0].protocol: [tls-sensitive] edge fan -> lb "
        "carries pii data without TLS (protocol http)"
    ]


def test_card_data_stored_unencrypted(tickets_text: str) -> None:
    text = mutate(
        tickets_text,
        "{id: tickets, kind: dynamodb, group: eu-west-1, params: {kms_key: data-key}}",
        "{id: tickets, kind: dynamodb, group: eu-west-1}",
    )
    text = mutate(
        text,
        "operations: [GetItem, PutItem], protocol: aws-api, data: pii}",
        "operations: [GetItem, PutItem], protocol: aws-api, data: card}",
    )
    line = line_of(text, "data: card")
    assert only(text, "kms-at-rest") == [
        f"error: tickets.yaml:{line}:5: edges[2]: [kms-at-rest] edge app -> tickets stores card "
        "data in dynamodb 'tickets' without a KMS key (set the edge's encrypted_with or the "
        "store's params.kms_key)"
    ]
    # Naming the key on the edge is enough.
    fixed = mutate(text, "data: card}", "data: card, encrypted_with: data-key}")
    assert only(fixed, "kms-at-rest") == []


def test_edge_not_allowed_by_the_callers_role(tickets_text: str) -> None:
    text = mutate(
        tickets_text, "Action: [dynamodb:GetItem, dynamodb:PutItem]", "Action: [dynamodb:GetItem]"
    )
    line = line_of(text, "operations: [GetItem, PutItem], protocol: aws-api")
    column = text.splitlines()[line - 1].index("PutItem") + 1
    assert only(text, "iam-edge-allowed") == [
        f"error: tickets.yaml:{line}:{column}: edges[2].operations[1]: [iam-edge-allowed] role "
        "'app-role' of 'app' does not allow dynamodb:PutItem on "
        "arn:aws:dynamodb:eu-west-1:123456789012:table/tickets (edge app -> tickets; no "
        "statement allows it)"
    ]


def test_compute_calling_aws_without_role(tickets_text: str) -> None:
    text = mutate(tickets_text, "    role: worker-role\n", "")
    line = line_of(text, "{from: worker, to: orders, operations")
    assert only(text, "iam-edge-allowed") == [
        f"error: tickets.yaml:{line}:5: edges[4]: "
        "[iam-edge-allowed] lambda 'worker' calls 'orders' over aws-api but has no IAM role"
    ]


def test_over_broad_wildcard_action(tickets_text: str) -> None:
    text = mutate(
        tickets_text, "Action: [dynamodb:GetItem, dynamodb:PutItem]", 'Action: ["dynamodb:*"]'
    )
    line = line_of(text, '"dynamodb:*"')
    column = text.splitlines()[line - 1].index('"dynamodb:*"') + 1
    assert only(text, "iam-least-privilege") == [
        f"error: tickets.yaml:{line}:{column}: nodes[5].params.policies[0].Statement[0]."
        "Action[0]: [iam-least-privilege] role 'app-role' (used by app): 'dynamodb:*' is a "
        "wildcard: it allows actions no declared edge needs (the edges need: "
        "dynamodb:GetItem, dynamodb:PutItem)"
    ]


def test_over_broad_unneeded_action_and_resource(tickets_text: str) -> None:
    text = mutate(
        tickets_text,
        "Action: [dynamodb:GetItem, dynamodb:PutItem]",
        "Action: [dynamodb:GetItem, dynamodb:PutItem, dynamodb:DeleteTable]",
    )
    text = mutate(
        text,
        'Resource: "arn:aws:sqs:eu-west-1:123456789012:orders"\n  - {id: tickets',
        'Resource: "*"\n  - {id: tickets',
    )
    messages = [f.message for f in findings(text) if f.rule == "iam-least-privilege"]
    assert messages == [
        "role 'app-role' (used by app): allows 'dynamodb:DeleteTable', which no declared edge "
        "needs",
        "role 'app-role' (used by app): '*' also covers "
        "arn:aws:sqs:eu-west-1:123456789012:orders-dlq, which no declared edge of the role's "
        "users needs",
    ]


def test_explicit_deny_is_never_over_broad(tickets_text: str) -> None:
    text = mutate(
        tickets_text,
        '              Resource: "arn:aws:sqs:eu-west-1:123456789012:orders"\n  - {id: tickets',
        '              Resource: "arn:aws:sqs:eu-west-1:123456789012:orders"\n'
        '            - {Effect: Deny, Action: "kms:*", Resource: "*"}\n'
        "  - {id: tickets",
    )
    assert only(text, "iam-least-privilege") == []


QUEUE_WORKER_ON_ECS = """\
archgen: 1
system: {id: media, name: Media}
groups:
  - {id: r1, kind: region, code: us-east-1}
nodes:
  - {id: creators, kind: client}
  - {id: api, kind: lambda, group: r1}
  - {id: jobs, kind: sqs, group: r1}
  - {id: transcoder, kind: ecs, group: r1}
  - {id: encoder, kind: lambda, group: r1, params: {event_source: {queue: jobs}}}
edges:
  - {from: creators, to: api, operations: [Invoke]}
  - {from: api, to: jobs, operations: [SendMessage]}
  - {from: transcoder, to: jobs, operations: [ReceiveMessage, DeleteMessage]}
  - {from: encoder, to: jobs, operations: [ReceiveMessage]}
flows:
  - id: upload
    title: Upload
    steps:
      - {from: creators, to: api, op: Invoke}
      - {from: api, to: jobs, op: SendMessage}
  - id: transcode
    title: Transcode
    steps:
      - {from: transcoder, to: jobs, op: ReceiveMessage}
      - {from: transcoder, to: jobs, op: DeleteMessage}
      - {from: encoder, to: jobs, op: ReceiveMessage}
"""


def test_a_step_from_a_node_that_only_answers_calls_never_runs() -> None:
    """An ECS service does not poll a queue in a run (a new user's transcoding pipeline
    processed nothing while every command said the model was fine); a function's event
    source does."""
    text = QUEUE_WORKER_ON_ECS
    line = line_of(text, "{from: transcoder, to: jobs, op: ReceiveMessage}")
    assert only(text, "flow-trigger") == [
        f"error: tickets.yaml:{line}:9: flows[1].steps[0]: [flow-trigger] flow 'transcode': "
        "ecs node 'transcoder' starts this step, but no step of the flow calls it, and in a "
        "run a node of that kind acts only when called: the step never runs (a queue is "
        "consumed by a Lambda function's event_source; a step from a node the flow calls "
        "goes after that call)"
    ]


def test_a_misspelt_action_is_named_with_the_action_meant(tickets_text: str) -> None:
    """Listed (Action[1]) or alone (the key's Action), in a role or a key policy; the
    misspelt write also leaves the edge denied, which iam-edge-allowed reports."""
    text = mutate(
        tickets_text,
        "Action: [dynamodb:GetItem, dynamodb:PutItem]",
        "Action: [dynamodb:GetItem, dynamodb:PutItme]",
    )
    text = mutate(text, "Action: kms:Decrypt", "Action: KMS:decrypt")  # IAM ignores case
    text = mutate(text, "Action: sqs:SendMessage", "Action: sqs:SendMesage")
    put = line_of(text, "dynamodb:PutItme")
    send = line_of(text, "sqs:SendMesage")
    assert only(text, "iam-known-action") == [
        f"warning: tickets.yaml:{put}:{text.splitlines()[put - 1].index('dynamodb:PutItme') + 1}: "
        "nodes[5].params.policies[0].Statement[0].Action[1]: [iam-known-action] 'app-role': "
        "dynamodb:PutItme is no DynamoDB action archgen knows (did you mean 'PutItem'?); it "
        "matches no call",
        f"warning: tickets.yaml:{send}:{text.splitlines()[send - 1].index('sqs:') + 1}: "
        "nodes[5].params.policies[0].Statement[2].Action: [iam-known-action] 'app-role': "
        "sqs:SendMesage is no SQS action archgen knows (did you mean 'SendMessage'?); it "
        "matches no call",
    ]


def test_consumed_queue_without_dlq(tickets_text: str) -> None:
    text = mutate(
        tickets_text,
        "params: {max_receive_count: 3, dead_letter_queue: orders-dlq, kms_key: data-key}",
        "params: {kms_key: data-key}",
    )
    text = mutate(
        text,
        "  - {from: orders, to: orders-dlq, operations: [Redrive], protocol: aws-api, "
        "mode: async, data: pii}\n",
        "",
    )
    messages = [str(f) for f in findings(text) if f.rule == "dlq"]
    params_line = [
        n
        for n, row in enumerate(text.splitlines(), start=1)
        if row.strip() == "params: {kms_key: data-key}"
    ]
    assert messages == [
        f"error: tickets.yaml:{params_line[0]}:13: nodes[8].params: [dlq] SQS queue 'orders' "
        "receives async edge app -> orders but has no dead_letter_queue: a message that keeps "
        "failing is retried until retention drops it"
    ]


def test_async_lambda_without_failure_destination(tickets_text: str) -> None:
    text = mutate(
        tickets_text,
        "{from: worker, to: orders, operations: [ReceiveMessage, "
        "DeleteMessage], protocol: aws-api, data: pii}",
        "{from: worker, to: orders, operations: [ReceiveMessage, DeleteMessage], "
        "protocol: aws-api, data: pii}\n  - {from: app, to: worker, operations: "
        "[Invoke], protocol: aws-api, mode: async}",
    )
    assert only(text, "dlq") == [
        f"error: tickets.yaml:{line_of(text, 'operations: [Invoke]')}:5: edges[5]: [dlq] Lambda "
        "'worker' is invoked asynchronously by 'app' but has no async_invocation.on_failure "
        "destination: events that fail every retry are lost"
    ]


def test_sns_subscription_without_dlq_is_the_topics_finding(tickets_text: str) -> None:
    """SNS's own lint hook reports the subscription; the Lambda it invokes asynchronously
    needs no on_failure destination of its own for it (a fan-out checks its deliveries)."""
    text = mutate(
        tickets_text,
        "  - id: worker-role\n",
        "  - {id: alerts, kind: sns, group: eu-west-1, params: {kms_key: data-key, "
        "subscriptions: [{endpoint: worker, protocol: lambda}]}}\n  - id: worker-role\n",
    )
    text = mutate(
        text,
        "  - {from: orders, to: orders-dlq,",
        "  - {from: app, to: alerts, operations: [Publish], protocol: aws-api, mode: async}\n"
        "  - {from: alerts, to: worker, operations: [Invoke], protocol: aws-api, mode: async}\n"
        "  - {from: orders, to: orders-dlq,",
    )
    line = line_of(text, "subscriptions: [{endpoint: worker")
    column = text.splitlines()[line - 1].index("{endpoint: worker") + 1
    assert only(text, "dlq") == [
        f"error: tickets.yaml:{line}:{column}: nodes[11].params.subscriptions[0]: [dlq] SNS "
        "subscription of 'alerts' to 'worker' has no dead_letter_queue: deliveries that run "
        "out of retries are discarded"
    ]
    with_dlq = mutate(text, "protocol: lambda}", "protocol: lambda, dead_letter_queue: orders-dlq}")
    with_dlq = mutate(
        with_dlq,
        "  - {from: orders, to: orders-dlq,",
        "  - {from: alerts, to: orders-dlq, operations: [Redrive], protocol: aws-api}\n"
        "  - {from: orders, to: orders-dlq,",
    )
    assert only(with_dlq, "dlq") == []


def test_node_outside_every_flow(tickets_text: str) -> None:
    text = mutate(
        tickets_text,
        "  - {id: data-key, kind: kms, group: eu-west-1}\n",
        "  - {id: data-key, kind: kms, group: eu-west-1}\n"
        "  - {id: spare-key, kind: kms, group: eu-west-1}\n",
    )
    found = [f for f in findings(text) if f.rule == "flow-participation"]
    assert [str(f) for f in found] == [
        f"warning: tickets.yaml:{line_of(text, 'spare-key')}:5: nodes[8]: [flow-participation] "
        "kms node 'spare-key' takes part in no flow, directly or as the support of a node "
        "that does"
    ]
    assert not found[0].failing  # a warning does not fail the check


EGRESS_MODEL = """\
archgen: 1
system: {id: meters, name: Meters}
groups:
  - {id: r1, kind: region, code: eu-west-1}
  - {id: vpc, kind: vpc, parent: r1}
  - {id: az-a, kind: availability_zone, parent: vpc}
  - {id: az-b, kind: availability_zone, parent: vpc}
  - {id: public-a, kind: subnet, parent: az-a, public: true}
  - {id: public-b, kind: subnet, parent: az-b, public: true}
  - {id: app-b, kind: subnet, parent: az-b}
nodes:
  - {id: users, kind: client}
  - {id: api, kind: external, group: app-b}
  - {id: partner, kind: external}
  - {id: readings, kind: dynamodb, group: r1}
  - {id: nat-a, kind: nat_gateway, group: public-a}
  - {id: nat-b, kind: nat_gateway, group: public-b}
  - {id: tables, kind: vpc_endpoint, group: vpc, params: {service: dynamodb}}
  - {id: objects, kind: vpc_endpoint, group: vpc, params: {service: s3}}
edges:
  - {from: users, to: api, operations: [GET /]}
  - {from: api, to: partner, operations: [GET /quote]}
  - {from: api, to: readings, operations: [PutItem]}
flows:
  - id: meter
    title: Meter
    steps:
      - {from: users, to: api, op: GET /}
      - {from: api, to: partner, op: GET /quote}
      - {from: api, to: readings, op: PutItem}
"""


def test_an_egress_takes_part_when_a_flows_call_leaves_the_vpc_through_it() -> None:
    """api (private subnet app-b, zone az-b) calls a partner through nat-b (its zone's) and
    DynamoDB through the gateway endpoint: both take part. nat-a (the other zone) and the
    S3 endpoint carry nothing and are told so."""
    loaded = load_model_text(EGRESS_MODEL, "meters.yaml")
    taking_part = participating_nodes(loaded.model)
    assert {"nat-b", "tables"} <= taking_part
    assert not {"nat-a", "objects"} & taking_part
    found = [str(f) for f in lint(loaded).findings if f.rule == "flow-participation"]
    assert found == [
        f"warning: meters.yaml:{line}:5: nodes[{index}]: [flow-participation] {kind} node "
        f"'{node}' carries no call of a flow out of its VPC (no node of a flow calls through "
        "it from a private subnet)"
        for node, kind, index, line in (
            ("nat-a", "nat_gateway", 4, 16),
            ("objects", "vpc_endpoint", 7, 19),
        )
    ]


def test_monitored_asks_no_metric_of_a_gateway_endpoint_and_refuses_one() -> None:
    """AWS publishes AWS/PrivateLinkEndpoints metrics for interface endpoints only: the
    lint asks the NAT gateways and an interface endpoint for a metric, not the gateway
    endpoints; a metric of a gateway endpoint (never emitted, its alarm would wait for data
    for ever) is a validation error."""
    from archgen.model.errors import ModelError

    text = EGRESS_MODEL.replace(
        "params: {service: s3}}", "params: {service: s3, endpoint_type: interface}}"
    )
    loaded = load_model_text(text, "meters.yaml")
    assert [str(f) for f in lint(loaded).findings if f.rule == "monitored"] == [
        f"error: meters.yaml:{line}:5: nodes[{index}]: [monitored] {kind} node '{node}' "
        f"reports no metric to CloudWatch (add a metric with node: {node} to a cloudwatch "
        "node's params.metrics)"
        for node, kind, index, line in (
            ("readings", "dynamodb", 3, 15),
            ("nat-a", "nat_gateway", 4, 16),
            ("nat-b", "nat_gateway", 5, 17),
            ("objects", "vpc_endpoint", 7, 19),
        )
    ]
    watched = text.replace(
        "edges:\n",
        "  - id: watch\n"
        "    kind: cloudwatch\n"
        "    params:\n"
        "      metrics:\n"
        "        - {id: drops, node: tables, name: PacketsDropped, statistic: Sum}\n"
        "        - {id: bytes, node: objects, name: BytesProcessed, statistic: Sum}\n"
        "edges:\n",
    )
    with pytest.raises(ModelError) as raised:
        load_model_text(watched, "meters.yaml")
    assert str(raised.value) == (
        "error: meters.yaml:24:43: nodes[8].params.metrics[0].name: vpc_endpoint node 'tables' "
        "publishes no metric 'PacketsDropped': a gateway endpoint publishes none (interface "
        "endpoints do)"
    )


def test_participation_reaches_supporting_nodes(tickets: LoadedModel) -> None:
    # Steps name fan, lb, app, tickets, orders, worker; the rest take part by support.
    assert participating_nodes(tickets.model) == {n.id for n in tickets.model.nodes}


def test_user_facing_flow_without_slo(tickets_text: str) -> None:
    text = mutate(tickets_text, "    slo: {latency: {percentile: 99, threshold_ms: 800}}\n", "")
    assert only(text, "slo-declared") == [
        f"error: tickets.yaml:{line_of(text, '- id: browse')}:5: flows[0]: [slo-declared] "
        "user-facing flow 'browse' has no SLO (add slo: latency and/or availability_percent, "
        "or set user_facing: false)"
    ]
    internal = mutate(text, "    title: Browse\n", "    title: Browse\n    user_facing: false\n")
    assert only(internal, "slo-declared") == []


def test_lint_ignore_switches_a_rule_off_with_its_reason(tickets_text: str) -> None:
    text = mutate(
        tickets_text,
        'operations: ["GET /", "POST /buy"], data: pii}\n  - {from: lb',
        'operations: ["GET /", "POST /buy"], protocol: http, data: pii}\n  - {from: lb',
    )
    text = mutate(
        text,
        "  - {id: lb, kind: alb, group: eu-west-1}",
        "  - {id: lb, kind: alb, group: eu-west-1,\n"
        "     lint_ignore: {tls-sensitive: TLS ends at the CDN in front of it}}",
    )
    found = [f for f in findings(text) if f.rule == "tls-sensitive"]
    assert len(found) == 1
    assert found[0].suppressed == "TLS ends at the CDN in front of it"
    assert not found[0].failing


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{tls-sensitive: ''}", "'lb' switches off 'tls-sensitive' without a reason"),
        (
            "{tls-sensitve: because}",
            "'lb' switches off unknown rule 'tls-sensitve' (did you mean 'tls-sensitive'?)",
        ),
    ],
)
def test_lint_ignore_needs_a_known_rule_and_a_reason(
    tickets_text: str, entry: str, message: str
) -> None:
    text = mutate(
        tickets_text,
        "  - {id: lb, kind: alb, group: eu-west-1}",
        f"  - id: lb\n    kind: alb\n    group: eu-west-1\n    lint_ignore: {entry}",
    )
    line = line_of(text, "lint_ignore:")
    column = text.splitlines()[line - 1].index("{") + 2
    assert only(text, "lint-ignore") == [
        f"error: tickets.yaml:{line}:{column}: nodes[3].lint_ignore."
        f"{entry[1 : entry.index(':')]}: [lint-ignore] {message}"
    ]


def test_every_static_rule_is_exercised_by_a_test() -> None:
    tested = {
        "entry-shield",
        "entry-waf",
        "monitored",
        "tls-sensitive",
        "kms-at-rest",
        "iam-edge-allowed",
        "iam-least-privilege",
        "iam-known-action",
        "iam-required-calls",  # these three: test_kms_access.py
        "kms-key-access",
        "replica-write",
        "dlq",
        "visibility-timeout",  # these six: test_deploy_rules.py
        "visibility-timeout-margin",
        "batching-window",
        "event-source-concurrency",
        "fifo-name",
        "fifo-subscription",
        "flow-participation",
        "flow-trigger",
        "slo-declared",
        "lint-ignore",
        "no-egress",  # tests/runtime/test_egress.py
        "egress-per-zone",
    }
    assert tested == set(STATIC_RULES)


def test_dead_letter_queue_without_a_redrive_edge(tickets_text: str) -> None:
    """The run moves a message to its DLQ over a declared edge; without one it is lost."""
    text = mutate(
        tickets_text,
        "  - {from: orders, to: orders-dlq, operations: [Redrive], protocol: aws-api, "
        "mode: async, data: pii}\n",
        "",
    )
    line = line_of(text, "dead_letter_queue: orders-dlq")
    column = text.splitlines()[line - 1].index("orders-dlq") + 1
    assert only(text, "dlq") == [
        f"error: tickets.yaml:{line}:{column}: nodes[8].params.dead_letter_queue: [dlq] SQS "
        "queue 'orders' dead-letters to 'orders-dlq' but no edge orders -> orders-dlq declares "
        "'Redrive': the run refuses the move and the message is lost"
    ]


def test_a_service_over_two_zones_needs_a_way_out_in_each() -> None:
    """One NAT gateway for a service over two zones: its zone's failure cuts the other
    zone's way out too. A second NAT gateway in the other zone, or a way out that belongs to
    no zone, answers it."""
    from archgen.runtime.check.examples import EXAMPLES

    text = EXAMPLES["egress-per-zone"].model
    assert only(text, "egress-per-zone") == [
        "warning: tickets.yaml:16:5: edges[1]: [egress-per-zone] 'api' runs in zones az-a, "
        "az-b, but its calls to 'partner' leave VPC 'vpc' through 'nat', and the VPC has such "
        "a way out only in az-a: when that zone fails, 'api' loses it in az-b too (put a NAT "
        "gateway in each zone)"
    ]
    both = (
        text.replace(
            "  - {id: nat, kind: nat_gateway, group: public-a}\n",
            "  - {id: nat, kind: nat_gateway, group: public-a}\n"
            "  - {id: nat-b, kind: nat_gateway, group: public-b}\n",
        )
        + "  - {id: public-b, kind: subnet, parent: az-b, public: true}\n"
    )
    assert only(both, "egress-per-zone") == []
    one_zone = text.replace("zones: [az-a, az-b]", "zones: [az-a]")
    assert only(one_zone, "egress-per-zone") == []


TWO_REGION_WRITER = """\
archgen: 1
system: {id: notes, name: Notes, account_id: "123456789012"}
groups:
  - {id: use1, kind: region, code: us-east-1}
  - {id: usw2, kind: region, code: us-west-2}
nodes:
  - {id: users, kind: client}
  - {id: api, kind: lambda, group: use1, role: api-role}
  - {id: api-usw2, kind: lambda, group: usw2, role: api-role, replica_of: api}
  - id: notes
    kind: dynamodb
    group: use1
    arn: "arn:aws:dynamodb:us-east-1:123456789012:table/notes"
  - id: notes-usw2
    kind: dynamodb
    group: usw2
    replica_of: notes
    arn: "arn:aws:dynamodb:us-west-2:123456789012:table/notes"
  - id: api-role
    kind: iam_role
    params:
      policies:
        - Version: "2012-10-17"
          Statement:
            - {Effect: Allow, Action: dynamodb:PutItem, Resource: "RESOURCE"}
edges:
  - {from: users, to: api, operations: [Invoke]}
  - {from: api, to: notes, operations: [PutItem], protocol: aws-api}
flows:
  - id: write
    title: Write
    steps:
      - {from: users, to: api, op: Invoke}
      - {from: api, to: notes, op: PutItem}
"""


def test_a_replica_callers_role_must_allow_its_regions_call() -> None:
    """The replica of a function in us-west-2 writes to the table's replica there, through
    its original's edge: a role that names us-east-1's table only is denied there, which
    the lint says before a region-failure run does."""
    east_only = TWO_REGION_WRITER.replace(
        "RESOURCE", "arn:aws:dynamodb:us-east-1:123456789012:table/notes"
    )
    assert only(east_only, "iam-edge-allowed") == [
        "error: tickets.yaml:28:41: edges[1].operations[0]: [iam-edge-allowed] role "
        "'api-role' of 'api-usw2' (the replica of 'api' in us-west-2) does not allow "
        "dynamodb:PutItem on arn:aws:dynamodb:us-west-2:123456789012:table/notes (edge "
        "api -> notes, as it runs there; no statement allows it)"
    ]
    every_region = TWO_REGION_WRITER.replace(
        "RESOURCE", "arn:aws:dynamodb:*:123456789012:table/notes"
    )
    assert only(every_region, "iam-edge-allowed") == []
