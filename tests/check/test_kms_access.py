"""IAM and KMS as AWS evaluates them, told as stories on small models (the ticket shop,
the photo service, a two-Region ledger): SSE-KMS asks the caller for KMS actions on the
key, and a refusal fails the call in the run with the service's own code while the lint
names the role, the key and the action; a managed service writes as a service principal
that only the key policy can allow; a Lambda SQS event source needs what AWS polls with;
a read-only Aurora secondary refuses writes."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from archgen.model import LoadedModel, load_model_text
from archgen.runtime.aws.iam import authorize, authorizer_for
from archgen.runtime.check import lint
from archgen.runtime.check.api import check_run
from archgen.runtime.check.spans import RunFolder
from archgen.runtime.session import run_scenario
from tests.check.helpers import HERE, line_of, mutate

PHOTO = HERE.parent / "models" / "photo-sharing.yaml"
LEDGER = HERE / "models" / "ledger.yaml"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/data-key"
APP_KEY_ACTIONS = "              Action: [kms:GenerateDataKey, kms:Decrypt]\n"
WORKER_DECRYPT = (
    "            - Effect: Allow\n"
    "              Action: kms:Decrypt\n"
    f'              Resource: "{KEY}"\n'
)
Errors = Counter[tuple[str, str, str, str]]


def _rule(text: str, rule: str, name: str = "tickets.yaml") -> list[str]:
    return [str(f) for f in lint(load_model_text(text, name)).findings if f.rule == rule]


def _at(text: str, fragment: str, word: str) -> str:
    line = line_of(text, fragment)
    return f"{line}:{text.splitlines()[line - 1].index(word) + 1}"


def _run(loaded: LoadedModel, scenario: str, folder: Path) -> Errors:
    """The failed spans of a run, by (caller, node, operation, error)."""
    run_scenario(loaded.model, scenario, out=folder)
    return Counter(
        (s.source, s.node, s.op, s.error)
        for s in RunFolder.open(folder).spans()
        if s.error is not None
    )


def test_a_producer_without_generate_data_key_is_refused_by_sqs(
    tickets_text: str, tmp_path: Path
) -> None:
    """The app may decrypt with 'data-key' (its table needs no more) but not generate data
    keys: SQS refuses every SendMessage to the encrypted queue with
    KMS.AccessDeniedException; the lint names the role, the key and the action."""
    text = mutate(tickets_text, APP_KEY_ACTIONS, "              Action: kms:Decrypt\n")
    assert _rule(text, "kms-key-access") == [
        f"error: tickets.yaml:{_at(text, '{from: app, to: orders, operations', 'SendMessage')}: "
        "edges[3].operations[0]: [kms-key-access] role 'app-role' of 'app' may not use KMS "
        f"key 'data-key' ({KEY}) for kms:GenerateDataKey, which SendMessage on SQS queue "
        "'orders' needs: it encrypts with that key (SSE-KMS) and AWS answers "
        "KMS.AccessDeniedException (edge app -> orders; no statement of the key policy or of "
        "the role allows it)"
    ]
    loaded = load_model_text(text, "tickets.yaml")
    errors = _run(loaded, "quiet", tmp_path / "run")
    sends = errors[("app", "orders", "SendMessage", "KMS.AccessDeniedException")]
    assert sends > 0
    assert set(errors) == {("app", "orders", "SendMessage", "KMS.AccessDeniedException")}
    found = check_run(loaded, RunFolder.open(tmp_path / "run")).findings
    denials = [f.message for f in found if f.rule == "no-access-denied"]
    assert len(denials) == 1
    assert denials[0].startswith(f"IAM denied app -> orders: 'SendMessage' {sends} times in quiet")


def test_a_table_with_a_customer_key_refuses_a_caller_without_decrypt(
    tickets_text: str, tmp_path: Path
) -> None:
    """DynamoDB decrypts the table key on the caller's behalf for every read and write."""
    text = mutate(tickets_text, APP_KEY_ACTIONS, "              Action: kms:GenerateDataKey\n")
    findings = _rule(text, "kms-key-access")
    assert [f.split(": ")[2] for f in findings] == [
        "edges[2].operations[0]",
        "edges[2].operations[1]",
        "edges[3].operations[0]",
    ]
    assert "for kms:Decrypt, which GetItem on DynamoDB table 'tickets' needs" in findings[0]
    assert "AWS answers AccessDeniedException (edge app -> tickets;" in findings[0]
    errors = _run(load_model_text(text, "tickets.yaml"), "quiet", tmp_path / "run")
    assert errors[("app", "tickets", "GetItem", "AccessDeniedException")] > 0
    assert {key[3] for key in errors} == {"AccessDeniedException"}  # passed up to the fan
    assert not any(key[1] == "orders" for key in errors)  # a refused buy stops at the table


def test_a_consumer_without_decrypt_cannot_receive(tickets_text: str, tmp_path: Path) -> None:
    text = mutate(tickets_text, WORKER_DECRYPT, "")
    at = _at(text, "{from: worker, to: orders, operations", "ReceiveMessage")
    assert _rule(text, "kms-key-access") == [
        f"error: tickets.yaml:{at}: "
        "edges[4].operations[0]: [kms-key-access] role 'worker-role' of 'worker' may not use "
        f"KMS key 'data-key' ({KEY}) for kms:Decrypt, which ReceiveMessage on SQS queue "
        "'orders' needs: it encrypts with that key (SSE-KMS) and AWS answers "
        "KMS.AccessDeniedException (edge worker -> orders; no statement of the key policy "
        "or of the role allows it)"
    ]
    errors = _run(load_model_text(text, "tickets.yaml"), "quiet", tmp_path / "run")
    assert errors[("worker", "orders", "ReceiveMessage", "KMS.AccessDeniedException")] > 0
    assert not any(key[1] == "tickets" for key in errors)


def test_a_service_principal_needs_the_key_policy() -> None:
    """CloudFront reads an SSE-KMS bucket as cloudfront.amazonaws.com: no IAM role can
    grant that, only a key policy statement naming the service."""
    text = PHOTO.read_text(encoding="utf-8")
    statement = (
        "          - {Effect: Allow, Principal: {Service: cloudfront.amazonaws.com}, "
        "Action: kms:Decrypt,\n"
        '             Resource: "*"}\n'
    )
    assert _rule(text, "kms-key-access", "photo.yaml") == []
    model = load_model_text(text, "photo.yaml").model
    nodes = model.nodes_by_id
    assert authorize(model, nodes["edge"], nodes["photos"], "GetObject").allowed
    text = mutate(text, statement, "")
    assert _rule(text, "kms-key-access", "photo.yaml") == [
        f"error: photo.yaml:{_at(text, '{from: edge, to: photos, operations', 'GetObject')}: "
        "edges[2].operations[0]: [kms-key-access] 'edge' (as cloudfront.amazonaws.com) may "
        "not use KMS key 'photo-key' (arn:aws:kms:eu-west-1:210987654321:key/photo-key) for "
        "kms:Decrypt, which GetObject on S3 bucket 'photos' needs: it encrypts with that key "
        "(SSE-KMS) and AWS answers AccessDenied (edge edge -> photos; the key policy has no "
        "statement allowing Principal {Service: cloudfront.amazonaws.com})"
    ]
    model = load_model_text(text, "photo.yaml").model
    nodes = model.nodes_by_id
    refused = authorize(model, nodes["edge"], nodes["photos"], "GetObject")
    assert (refused.allowed, refused.error, refused.key, refused.action) == (
        False,
        "AccessDenied",
        "photo-key",
        "kms:Decrypt",
    )


def test_an_sqs_event_source_needs_what_lambda_polls_with(tickets_text: str) -> None:
    """AWS refuses the event source mapping without sqs:GetQueueAttributes, although no
    flow calls it; granting it is therefore not an unneeded permission."""
    assert _rule(tickets_text, "iam-least-privilege") == []
    text = mutate(
        tickets_text,
        "[sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes]",
        "[sqs:ReceiveMessage, sqs:DeleteMessage]",
    )
    assert _rule(text, "iam-required-calls") == [
        f"error: tickets.yaml:{_at(text, 'event_source: {queue: orders}', 'orders')}: "
        "nodes[10].params.event_source.queue: [iam-required-calls] role 'worker-role' of "
        "'worker' does not allow sqs:GetQueueAttributes on "
        "arn:aws:sqs:eu-west-1:123456789012:orders, which AWS requires of an SQS event "
        "source (no statement allows it): AWS refuses the configuration"
    ]


def test_a_read_only_secondary_refuses_writes(tmp_path: Path) -> None:
    """Tellers in Berlin use eu-central-1, whose cluster is the global database's
    secondary: every entry they post fails with PostgreSQL's read-only error, their
    balances read fine, and the lint flags the write before any run."""
    text = LEDGER.read_text(encoding="utf-8")
    assert _rule(text, "replica-write", "ledger.yaml") == [
        f"error: ledger.yaml:{_at(text, 'to: ledger-db, operations', 'INSERT entry')}: "
        "edges[3].operations[0]: [replica-write] 'books-euc1' writes ('INSERT entry') to "
        "'ledger-db-euc1', a read-only replica of 'ledger-db': AWS refuses every write "
        "there (read_only_sql_transaction); write to the primary, or forward writes "
        "(params.write_forwarding)"
    ]
    errors = _run(load_model_text(text, "ledger.yaml"), "quiet", tmp_path / "run")
    assert {key for key in errors if key[1].startswith("ledger-db")} == {
        ("books-euc1", "ledger-db-euc1", "INSERT entry", "read_only_sql_transaction")
    }
    assert {key[2] for key in errors} == {"INSERT entry", "POST /entries"}  # reads succeed


FORWARDING = (
    "params: {engine: aurora-postgresql, multi_az: false,\n"
    "             write_forwarding: {distribution: constant, mean_ms: 40},\n"
    "             global_failover_s: 20}\n"
)


def test_write_forwarding_then_a_promotion_when_the_primary_region_fails(
    tmp_path: Path,
) -> None:
    """With write forwarding the secondary takes writes while the primary answers; when
    eu-west-1 fails at 20 s, forwarded writes fail (ServiceUnavailable) until the secondary
    is promoted, 20 s after its watch first saw the primary down; then it takes them."""
    text = LEDGER.read_text(encoding="utf-8")
    text = mutate(
        text,
        "    replica_of: ledger-db\n    params: {engine: aurora-postgresql, multi_az: false}\n",
        "    replica_of: ledger-db\n    " + FORWARDING,
    )
    text = mutate(
        text,
        "    traffic: {sessions_per_s: 4, mix: {day: 1}}\n",
        "    traffic: {sessions_per_s: 4, mix: {day: 1}}\n"
        "    faults: [{type: region_outage, target: eu-west-1, start_s: 20, end_s: 60}]\n",
    )
    assert _rule(text, "replica-write", "ledger.yaml") == []
    loaded = load_model_text(text, "ledger.yaml")
    folder = tmp_path / "run"
    run_scenario(loaded.model, "quiet", out=folder)
    writes = [
        s
        for s in RunFolder.open(folder).spans()
        if s.node == "ledger-db-euc1" and s.op == "INSERT entry"
    ]
    promoted = 40.0  # watched every 5 s: down seen at 20 s, promoted 20 s later
    before = [s for s in writes if s.start_ms < 20_000]
    down = [s for s in writes if 20_000 <= s.start_ms < promoted * 1000]
    after = [s for s in writes if s.start_ms >= promoted * 1000]
    assert before
    assert down
    assert after
    assert {s.error for s in before} == {None}
    assert all(s.end_ms - s.start_ms >= 40 for s in before)  # the round trip to the writer
    assert {s.error for s in down} == {"ServiceUnavailable"}
    assert {s.error for s in after} == {None}
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    secondary = summary["nodes"]["ledger-db-euc1"]["secondary"]
    assert secondary["promoted_at_s"] == promoted
    assert secondary["read_only_refused_writes"] == 0
    assert secondary["forwarded_writes"] == len(before)


def test_the_reference_model_has_its_grants_and_no_replica_write(
    reference: LoadedModel,
) -> None:
    """Every role that encrypts or decrypts through the shop data key has it; SNS and
    CloudWatch may write to encrypted queues and topics; the second Region's processor
    writes through write forwarding, not to a read-only secondary."""
    rules = {"kms-key-access", "iam-required-calls", "replica-write", "iam-least-privilege"}
    assert [str(f) for f in lint(reference).findings if f.rule in rules] == []
    model = reference.model
    n = model.nodes_by_id
    for caller, target, op in [
        ("web-use1", "orders-queue", "SendMessage"),
        ("web-usw2", "cart-db-usw2", "PutItem"),
        ("order-processor", "orders-queue", "ReceiveMessage"),
        ("order-processor-usw2", "invoices-usw2", "PutObject"),
        ("order-processor", "order-events", "Publish"),
        ("order-events", "notifications-dlq", "Redrive"),
        ("monitoring", "ops-alerts", "Publish"),
    ]:
        uses = authorizer_for(model).key_uses(n[caller].id, n[target].id, op)
        assert uses, (caller, target, op)
        assert all(u.decision.allowed for u in uses), (caller, target, op)


NOTICES = """\
archgen: 1
system: {id: notices, name: Notices, account_id: "123456789012"}
groups:
  - {id: r1, kind: region, code: us-east-1}
nodes:
  - {id: desk, kind: client}
  - id: intake
    kind: lambda
    group: r1
    role: intake-role
    params:
      cold_start: {distribution: constant, mean_ms: 0}
      duration: {distribution: constant, mean_ms: 20}
  - id: intake-role
    kind: iam_role
    params:
      assumed_by: [lambda.amazonaws.com]
      policies:
        - Statement:
            - Effect: Allow
              Action: events:PutEvents
              Resource: "arn:aws:events:us-east-1:123456789012:event-bus/bus"
  - id: bus
    kind: eventbridge
    group: r1
    params:
      rules:
        - id: filed
          event_pattern: {source: [desk]}
          targets: [{target: notices}]
  - {id: notices, kind: sns, group: r1, params: {kms_key: notice-key}}
  - id: notice-key
    kind: kms
    group: r1
    params:
      key_policy:
        Statement:
          - {Effect: Allow, Principal: {AWS: "arn:aws:iam::123456789012:root"}, Action: "kms:*",
             Resource: "*"}
edges:
  - {from: desk, to: intake, operations: [Invoke]}
  - {from: intake, to: bus, operations: [PutEvents], protocol: aws-api}
  - {from: bus, to: notices, operations: [Publish], protocol: aws-api, mode: async}
flows:
  - id: file
    title: File
    steps:
      - {from: desk, to: intake, op: Invoke}
      - {from: intake, to: bus, op: PutEvents}
      - {from: bus, to: notices, op: Publish}
journeys:
  - {id: filer, title: Filer, flows: [{flow: file}]}
scenarios:
  - id: quiet
    title: Quiet
    duration_s: 60
    traffic: {sessions_per_s: 1, mix: {filer: 1}}
"""
EVENTS_STATEMENT = (
    "          - {Effect: Allow, Principal: {Service: events.amazonaws.com},\n"
    '             Action: ["kms:GenerateDataKey*", kms:Decrypt], Resource: "*"}\n'
)


def test_eventbridge_delivers_to_an_encrypted_topic_as_its_service_principal(
    tmp_path: Path,
) -> None:
    """An EventBridge rule publishes to an SNS topic (or sends to a queue) encrypted with a
    customer managed key as events.amazonaws.com (EventBridge User Guide): a key policy
    that allows only the account refuses it, in the lint and in the run; a statement for
    the service principal with kms:GenerateDataKey* and kms:Decrypt clears both."""
    edge = _at(NOTICES, "{from: bus, to: notices, operations", "Publish")
    assert _rule(NOTICES, "kms-key-access", "notices.yaml") == [
        f"error: notices.yaml:{edge}: edges[2].operations[0]: [kms-key-access] 'bus' (as "
        "events.amazonaws.com) may not use KMS key 'notice-key' "
        "(arn:aws:kms:us-east-1:123456789012:key/notice-key) for kms:GenerateDataKey and "
        "kms:Decrypt, which Publish on SNS topic 'notices' needs: it encrypts with that key "
        "(SSE-KMS) and AWS answers KMSAccessDenied (edge bus -> notices; the key policy has "
        "no statement allowing Principal {Service: events.amazonaws.com})"
    ]
    loaded = load_model_text(NOTICES, "notices.yaml")
    errors = _run(loaded, "quiet", tmp_path / "run")
    assert set(errors) == {("bus", "notices", "Publish", "KMSAccessDenied")}
    assert errors[("bus", "notices", "Publish", "KMSAccessDenied")] > 20

    queue = mutate(NOTICES, "kind: sns, group: r1,", "kind: sqs, group: r1,")
    queue = mutate(queue, "operations: [Publish]", "operations: [SendMessage]")
    queue = mutate(queue, "to: notices, op: Publish}", "to: notices, op: SendMessage}")
    assert [
        f.split("[kms-key-access] ")[1].split(" needs:")[0] for f in _rule(queue, "kms-key-access")
    ] == [
        "'bus' (as events.amazonaws.com) may not use KMS key 'notice-key' "
        "(arn:aws:kms:us-east-1:123456789012:key/notice-key) for kms:GenerateDataKey and "
        "kms:Decrypt, which SendMessage on SQS queue 'notices'"
    ]

    def allow_events(text: str) -> str:
        end = '             Resource: "*"}\n'
        return mutate(text, f"{end}edges:", f"{end}{EVENTS_STATEMENT}edges:")

    allowed = allow_events(NOTICES)
    assert _rule(allowed, "kms-key-access", "notices.yaml") == []
    assert _rule(allow_events(queue), "kms-key-access") == []
    loaded = load_model_text(allowed, "notices.yaml")
    model = loaded.model
    nodes = model.nodes_by_id
    assert authorize(model, nodes["bus"], nodes["notices"], "Publish").allowed
    assert _run(loaded, "quiet", tmp_path / "allowed") == Counter()
