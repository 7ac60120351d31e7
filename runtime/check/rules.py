"""The check rules: ids, severities and what each one means.

Ids are stable: they appear in ``lint_ignore``, in SARIF ``ruleId`` and in JUnit test
names, so renaming one breaks users' suppressions.
"""

from __future__ import annotations

from archgen.runtime.check.report import Rule, Severity

E = Severity.error
W = Severity.warning

STATIC_RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule(
            "entry-shield",
            E,
            "Entry points sit behind Shield",
            "A CloudFront distribution, Route 53 hosted zone or load balancer that a client "
            "calls directly is listed in a Shield node's protects (Shield Advanced protects "
            "nothing else: a bucket, queue or regional API a client calls is protected only "
            "by putting CloudFront in front of it).",
        ),
        Rule(
            "entry-waf",
            E,
            "Web entry points sit behind WAF",
            "A CloudFront distribution or load balancer that a client calls directly is "
            "listed in a WAF node's protects (WAF attaches to nothing else).",
        ),
        Rule(
            "monitored",
            E,
            "Compute and data nodes report to CloudWatch",
            "Every compute, ML, storage, database and queue node has a metric in some "
            "CloudWatch node's params.",
        ),
        Rule(
            "tls-sensitive",
            E,
            "Sensitive data travels over TLS",
            "An edge whose data is classified above 'internal' uses TLS.",
        ),
        Rule(
            "kms-at-rest",
            E,
            "Sensitive data lands encrypted through KMS",
            "An edge that stores data classified above 'internal' in a storage, database or "
            "messaging node names a KMS key (edge encrypted_with, or the store's kms_key).",
        ),
        Rule(
            "iam-edge-allowed",
            E,
            "Every AWS API edge is allowed by the caller's role",
            "For each operation of an aws-api edge, the caller's IAM role allows "
            "<service>:<operation> on the target's ARN; for an edge whose calls use a "
            "presigned URL (presigned_by), the role of the node that signed it. A replica "
            "of the caller takes the edge in its own region, to the target's replica there: "
            "its role must allow that call too.",
        ),
        Rule(
            "iam-required-calls",
            E,
            "Roles allow what AWS calls with them",
            "A role allows the calls AWS makes with it because of a node's settings: a "
            "Lambda SQS event source needs sqs:ReceiveMessage, sqs:DeleteMessage and "
            "sqs:GetQueueAttributes on its queue, or AWS refuses the event source mapping.",
        ),
        Rule(
            "kms-key-access",
            E,
            "Callers may use the key of what they encrypt through",
            "A call to an SQS queue, SNS topic, S3 bucket or DynamoDB table encrypted with a "
            "KMS key of the account's own (SSE-KMS) needs KMS actions on that key for the "
            "caller: a producer kms:GenerateDataKey (and kms:Decrypt for SQS and SNS), a "
            "consumer kms:Decrypt, allowed by the key policy and the caller's role; a "
            "managed service (SNS, CloudWatch alarms) needs a key policy statement naming "
            "its service principal; a call with a presigned URL, the signer's role. AWS "
            "refuses the call otherwise.",
        ),
        Rule(
            "iam-least-privilege",
            E,
            "Roles allow nothing that no edge needs",
            "Every Allow statement of a role grants only actions and resources that some "
            "aws-api edge of the nodes using the role needs (or an edge whose presigned URLs "
            "they sign); no wildcard actions.",
        ),
        Rule(
            "iam-known-action",
            W,
            "Policies name actions their services have",
            "Every action (or NotAction) a role's or key's policy names without a wildcard "
            "is one of its service's actions, for the services whose operations archgen "
            "lists: a misspelt action allows nothing, and the call it was meant for is "
            "denied.",
        ),
        Rule(
            "dlq",
            E,
            "Asynchronous deliveries have a dead-letter destination",
            "An async edge into an SQS queue (or a queue consumed by a Lambda event source) "
            "has a dead_letter_queue; into a Lambda, an async_invocation.on_failure; an SNS "
            "subscription reached by an async edge, a dead_letter_queue; and an edge carrying "
            "'Redrive' leads from the queue or topic to its dead-letter queue.",
        ),
        Rule(
            "visibility-timeout",
            E,
            "A queue hides a message at least as long as its consumer may run",
            "A queue's visibility_timeout_s is at least the timeout of every function that "
            "consumes it: AWS refuses an event source mapping with a shorter one.",
        ),
        Rule(
            "visibility-timeout-margin",
            W,
            "A queue hides a message six times as long as its consumer may run",
            "A queue's visibility_timeout_s is at least six times the timeout of every "
            "function that consumes it, as AWS recommends, so that a throttled batch is "
            "retried before it becomes visible again.",
        ),
        Rule(
            "batching-window",
            E,
            "Batches over ten messages have a batching window",
            "An SQS event source with a batch_size over 10 sets max_batching_window_s to at "
            "least 1 s: AWS refuses it otherwise.",
        ),
        Rule(
            "event-source-concurrency",
            W,
            "An event source starts no more than its function may run",
            "An SQS event source's maximum_concurrency is at most the function's "
            "reserved_concurrency, as AWS recommends: above it, the pollers start invocations "
            "the function throttles, and those batches come back only after the visibility "
            "timeout.",
        ),
        Rule(
            "fifo-name",
            E,
            "FIFO queues and topics are named '.fifo'",
            "The name of a FIFO queue or topic (the last part of its arn, else its id) ends "
            "in '.fifo', and a standard one's does not: AWS refuses any other name.",
        ),
        Rule(
            "fifo-subscription",
            E,
            "FIFO topics deliver to FIFO queues, standard topics to standard ones",
            "Every subscription of a FIFO topic is a FIFO queue, and no subscription of a "
            "standard topic is: AWS refuses the subscription otherwise.",
        ),
        Rule(
            "replica-write",
            E,
            "Nothing writes to a read-only replica",
            "No edge writes to a replica that AWS keeps read-only (an Aurora global "
            "database's secondary without write forwarding), directly or through a replica "
            "caller taking its original's edge: the engine refuses every write there.",
        ),
        Rule(
            "no-egress",
            E,
            "Private subnets have a way out",
            "A node in a private subnet (or a VPC without a public subnet of its own) that "
            "calls an AWS service outside the VPC goes through a VPC endpoint for that "
            "service or a NAT gateway of its VPC, and one that calls an external system "
            "through a NAT gateway: without one the call cannot leave the VPC.",
        ),
        Rule(
            "egress-per-zone",
            W,
            "Each zone has its own way out",
            "A node spread over several zones that calls out of its VPC through a NAT "
            "gateway finds one in each of its zones (or a VPC endpoint, which serves every "
            "zone): with a single NAT gateway, the failure of its zone cuts the way out of "
            "the tasks in the others too. AWS advises a NAT gateway per zone.",
        ),
        Rule(
            "flow-participation",
            W,
            "Every node takes part in a flow",
            "A node is a step of some flow, or supports one that is: its role, key, DLQ, "
            "failure destination, subscriber, origin, DNS target, replica, or the Shield, "
            "WAF or CloudWatch node protecting or monitoring it.",
        ),
        Rule(
            "flow-trigger",
            E,
            "Every step of a flow can run",
            "A flow step that no step of the flow leads to starts at a client or at a node "
            "that acts on its own (a Lambda function's event source or asynchronous "
            "invocation, an alarm, a schedule, a health check, a delivery); from a node that "
            "only answers calls (an ECS or EC2 service, a database, a partner) it never runs.",
        ),
        Rule(
            "slo-declared",
            E,
            "User-facing flows have SLOs",
            "A flow with user_facing: true declares an slo.",
        ),
        Rule(
            "lint-ignore",
            E,
            "Switched-off rules say why",
            "Each lint_ignore entry names a known rule and gives a non-empty reason.",
        ),
    )
}

DYNAMIC_RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule(
            "span-edge",
            E,
            "Every call follows a declared edge and operation",
            "Each span's caller → node pair is a declared edge (replicas map to their "
            "originals) and its operation is declared on it.",
            dynamic=True,
        ),
        Rule(
            "flow-sequence",
            E,
            "Flows run as declared",
            "The calls observed for each flow execution are its declared steps, in sequence, "
            "with only conditional steps left out.",
            dynamic=True,
        ),
        Rule(
            "slo",
            E,
            "Flows meet their SLOs",
            "Per flow and scenario (after warm-up): the latency percentile is within the "
            "threshold and the availability at least the objective.",
            dynamic=True,
        ),
        Rule(
            "slo-judged",
            W,
            "Every SLO in scope judges some requests",
            "Per flow and scenario: an SLO that applies has executions after warm-up, and "
            "its end-to-end objective has requests to judge (one that starts after warm-up "
            "and at least threshold_ms before the run ends); otherwise it is not met, only "
            "not measured.",
            dynamic=True,
        ),
        Rule(
            "alarms",
            E,
            "Alarms fire as the scenario expects",
            "Per scenario, from the run's alarm history: an alarm in alarms.must_not_fire "
            "never enters ALARM; one in alarms.must_fire_within_s enters ALARM no later than "
            "its seconds after the scenario's first fault (after the start of the run "
            "without one).",
            dynamic=True,
        ),
        Rule(
            "no-access-denied",
            E,
            "No IAM denial in a healthy run",
            "No call of the run was refused by IAM.",
            dynamic=True,
        ),
        Rule(
            "no-lost-messages",
            E,
            "No lost messages",
            "Invariant no_lost_messages: every message sent to a target queue is "
            "processed, in its dead-letter queue or still in the queue, and every event a "
            "target event bus matched is delivered, dead-lettered or still being retried, "
            "not dropped; the run's books agree with its spans.",
            dynamic=True,
        ),
        Rule(
            "exactly-once",
            E,
            "Each message takes effect once",
            "Invariant exactly_once: no message consumed by a target consumer makes the "
            "same successful call that changes something twice: a write, a send, a "
            "publish or an invocation, other than on its own queue. Reads (Get..., Query, "
            "Scan, SELECT, GET) and KMS operations (Decrypt, GenerateDataKey) are no "
            "effects: repeating them on a redelivery is harmless.",
            dynamic=True,
        ),
        Rule(
            "ordered-per-group",
            E,
            "Each group's messages are processed in sequence",
            "Invariant ordered_per_group: no message of a target queue is processed before "
            "an earlier message of its message group (the sending step's key) was processed "
            "or moved to the dead-letter queue: no delivery out of sequence.",
            dynamic=True,
        ),
        Rule(
            "encrypted-at-rest",
            E,
            "No plaintext sensitive values at rest",
            "Invariant encrypted_at_rest: a scan of the bytes stored in the target stores "
            "finds none of the sensitive values the run writes: primary account numbers "
            "(Luhn-valid runs of 13-19 digits) for card data, email addresses for card and "
            "pii data, as a data-discovery scanner finds them; no target queue or "
            "topic held a message with pii or card data (its edge's data) unencrypted: "
            "without its kms_key or the sending edge's encrypted_with.",
            dynamic=True,
        ),
        Rule(
            "scaled-capacity",
            W,
            "The scaled run keeps the real capacities",
            "Every capacity a run scales (instances, concurrency, connections, capacity "
            "units, quotas) is simulated within 5 % of real × scale, and a fleet's scaled "
            "instances still cover the zones the real one covers; otherwise the run's "
            "verdicts are about a different system (the warning names a scale that fits).",
            dynamic=True,
        ),
    )
}

COVERAGE_RULES: dict[str, Rule] = {
    "edge-coverage": Rule(
        "edge-coverage",
        W,
        "Declared edges are exercised",
        "Every declared edge carries at least one call in one of the checked runs "
        "(replicas count for their originals).",
        dynamic=True,
    ),
}

DRIFT_RULES: dict[str, Rule] = {
    "drift": Rule(
        "drift",
        E,
        "The model agrees with the infrastructure code",
        "With --against TEMPLATE or PLAN.json (repeatable: the files together are one "
        "system): each node of a kind the importers read has a resource of its kind in one "
        "of the files, named by the node's id or the last part of its arn (a resource's "
        "names: the importer's id, its logical id or address, its physical name, a state's "
        "ARN), and each resource a node; the params the template sets are the model's; a "
        "KMS key is set on both sides or neither; and the template's IAM policies allow "
        "every aws-api edge of the model whose ends come from that template.",
        against=True,
    ),
    "drift-default": Rule(
        "drift-default",
        W,
        "What the model leaves to a default is what the infrastructure code has",
        "With --against TEMPLATE or PLAN.json: a param the template sets and the model leaves "
        "out takes archgen's default, which is not always CloudFormation's (a KMS key rotates "
        "by default here, not in a template without EnableKeyRotation): where the two differ "
        "the run simulates something the code does not deploy. Write the param in the model "
        "(the template's value, or the default if that is meant) to say which.",
        against=True,
    ),
}

ALL_RULES: dict[str, Rule] = {
    **STATIC_RULES,
    **DYNAMIC_RULES,
    **COVERAGE_RULES,
    **DRIFT_RULES,
}
