"""A minimal model that breaks each static rule (and some run rules), for the check
rules' reference page.

Each example is a whole model file that breaks its rule and no other (a test lints every
one, and checks a run of the run rules' examples, and asserts exactly that; with the
``lint_ignore`` the page shows, a static finding is switched off), so the page that prints
them cannot show an example that no longer fits.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Example:
    model: str
    """A model file whose lint finds this rule and nothing else."""
    silence: str | None
    """Node whose ``lint_ignore`` switches the finding off; None: the rule cannot be."""
    scenario: str | None = None
    """For a run rule: the scenario whose run breaks it."""


_HEAD = """\
archgen: 1
system: {id: demo, name: Demo}
nodes:
  - {id: users, kind: client}
"""

_SHIELD = "  - {id: shield, kind: shield, params: {protects: [api]}}\n"
"""Shield for an ``api`` it can protect (a load balancer); other examples' entry points
(an external, a function) are nothing Shield protects, so they need none."""

_VISIT = """\
flows:
  - id: visit
    title: Visit
    slo: {availability_percent: 99}
    steps:
"""


def _model(nodes: str, edges: str, steps: str, shield: str = "") -> str:
    return f"{_HEAD}{nodes}{shield}edges:\n{edges}{_VISIT}{steps}"


_API = "  - {id: api, kind: external}\n"
_USERS_API = "  - {from: users, to: api, operations: [GET /]}\n"
_STEP = "      - {from: users, to: api, op: GET /}\n"
_TABLE = """\
  - {id: table, kind: dynamodb}
  - id: monitoring
    kind: cloudwatch
    params:
      metrics:
        - {id: table-throttles, node: table, name: ThrottledRequests}
"""

_QUEUE_API = (
    _USERS_API
    + """\
  - {from: api, to: jobs, operations: [SendMessage]}
  - {from: jobs, to: jobs-dlq, operations: [Redrive]}
  - {from: worker, to: jobs, operations: [ReceiveMessage, DeleteMessage]}
"""
)
_QUEUE_STEPS = (
    _STEP
    + "      - {from: api, to: jobs, op: SendMessage}\n"
    + "      - {from: worker, to: jobs, op: ReceiveMessage}\n"
)


def _api_role(statements: str) -> str:
    """A function ``api`` whose role ``api-role`` has one policy of ``statements``."""
    return (
        "  - {id: api, kind: lambda, role: api-role}\n"
        "  - id: api-role\n"
        "    kind: iam_role\n"
        "    params:\n"
        "      assumed_by: [lambda.amazonaws.com]\n"
        "      policies:\n"
        "        - Statement:\n" + statements
    )


_TABLE_RESOURCE = "              Resource: arn:aws:dynamodb::123456789012:table/table\n"
_API_TABLE_EDGE = "  - {from: api, to: table, operations: [PutItem], protocol: aws-api}\n"
_API_TABLE_STEP = "      - {from: api, to: table, op: PutItem}\n"


def _consumer(queue: str, worker: str) -> str:
    """A queue with its dead-letter queue, consumed by a function, every node monitored."""
    return (
        _API
        + f"""\
  - {{id: jobs, kind: sqs, params: {{max_receive_count: 3, dead_letter_queue: jobs-dlq{queue}}}}}
  - {{id: jobs-dlq, kind: sqs}}
  - id: worker
    kind: lambda
    params: {{event_source: {{queue: jobs{worker}}}}}
  - id: monitoring
    kind: cloudwatch
    params:
      metrics:
        - {{id: jobs-depth, node: jobs, name: ApproximateNumberOfMessagesVisible}}
        - {{id: dlq-depth, node: jobs-dlq, name: ApproximateNumberOfMessagesVisible}}
        - {{id: worker-errors, node: worker, name: Errors}}
"""
    )


_TOPIC = """\
  - id: events.fifo
    kind: sns
    params:
      fifo: true
      subscriptions: [{endpoint: jobs, protocol: sqs}]
"""

EXAMPLES: dict[str, Example] = {
    "entry-shield": Example(
        _model(
            "  - {id: api, kind: alb}\n  - {id: waf, kind: waf, params: {protects: [api]}}\n",
            _USERS_API,
            _STEP,
        ),
        "api",
    ),
    "entry-waf": Example(
        _model(
            "  - {id: api, kind: alb}\n",
            _USERS_API,
            _STEP,
            shield=_SHIELD,
        ),
        "api",
    ),
    "monitored": Example(
        _model(
            _API + "  - {id: table, kind: dynamodb}\n",
            _USERS_API + "  - {from: api, to: table, operations: [PutItem]}\n",
            _STEP + "      - {from: api, to: table, op: PutItem}\n",
        ),
        "table",
    ),
    "tls-sensitive": Example(
        _model(
            _API,
            "  - {from: users, to: api, operations: [GET /], protocol: http, data: pii}\n",
            _STEP,
        ),
        "api",
    ),
    "kms-at-rest": Example(
        _model(
            _API + _TABLE,
            _USERS_API + "  - {from: api, to: table, operations: [PutItem], data: pii}\n",
            _STEP + "      - {from: api, to: table, op: PutItem}\n",
        ),
        "table",
    ),
    "iam-edge-allowed": Example(
        _model(
            "  - {id: api, kind: lambda}\n"
            + _TABLE
            + "        - {id: api-errors, node: api, name: Errors}\n",
            _USERS_API + "  - {from: api, to: table, operations: [PutItem], protocol: aws-api}\n",
            _STEP + "      - {from: api, to: table, op: PutItem}\n",
        ),
        "api",
    ),
    "iam-required-calls": Example(
        _model(
            _consumer("", "").replace(
                "    kind: lambda\n", "    kind: lambda\n    role: worker-role\n"
            )
            + """\
  - id: worker-role
    kind: iam_role
    params:
      assumed_by: [lambda.amazonaws.com]
      policies:
        - Statement:
            - Effect: Allow
              Action: [sqs:ReceiveMessage, sqs:DeleteMessage]
              Resource: arn:aws:sqs::123456789012:jobs
""",
            _QUEUE_API,
            _QUEUE_STEPS,
        ),
        "worker",
    ),
    "kms-key-access": Example(
        _model(
            _api_role(
                "            - Effect: Allow\n              Action: dynamodb:PutItem\n"
                + _TABLE_RESOURCE
            )
            + "  - {id: key, kind: kms}\n"
            + _TABLE.replace("kind: dynamodb}", "kind: dynamodb, params: {kms_key: key}}")
            + "        - {id: api-errors, node: api, name: Errors}\n",
            _USERS_API + _API_TABLE_EDGE,
            _STEP + _API_TABLE_STEP,
        ),
        "api",
    ),
    "iam-least-privilege": Example(
        _model(
            _api_role(
                "            - Effect: Allow\n"
                "              Action: [dynamodb:PutItem, dynamodb:DeleteItem]\n" + _TABLE_RESOURCE
            )
            + _TABLE
            + "        - {id: api-errors, node: api, name: Errors}\n",
            _USERS_API + _API_TABLE_EDGE,
            _STEP + _API_TABLE_STEP,
        ),
        "api-role",
    ),
    "iam-known-action": Example(
        _model(
            _api_role(
                "            - Effect: Allow\n              Action: dynamodb:PutItem\n"
                + _TABLE_RESOURCE
                + "            - Effect: Deny\n              Action: dynamodb:DeleteTabel\n"
                + _TABLE_RESOURCE
            )
            + _TABLE
            + "        - {id: api-errors, node: api, name: Errors}\n",
            _USERS_API + _API_TABLE_EDGE,
            _STEP + _API_TABLE_STEP,
        ),
        "api-role",
    ),
    "dlq": Example(
        _model(
            _API
            + """\
  - {id: queue, kind: sqs}
  - id: monitoring
    kind: cloudwatch
    params:
      metrics: [{id: queue-depth, node: queue, name: ApproximateNumberOfMessagesVisible}]
""",
            _USERS_API + "  - {from: api, to: queue, operations: [SendMessage], mode: async}\n",
            _STEP + "      - {from: api, to: queue, op: SendMessage}\n",
        ),
        "queue",
    ),
    "visibility-timeout": Example(
        _model(
            _consumer(", visibility_timeout_s: 30", "").replace(
                "event_source", "timeout_s: 60, event_source"
            ),
            _QUEUE_API,
            _QUEUE_STEPS,
        ),
        "jobs",
    ),
    "visibility-timeout-margin": Example(
        _model(
            _consumer(", visibility_timeout_s: 60", "").replace(
                "event_source", "timeout_s: 30, event_source"
            ),
            _QUEUE_API,
            _QUEUE_STEPS,
        ),
        "jobs",
    ),
    "batching-window": Example(
        _model(_consumer("", ", batch_size: 100"), _QUEUE_API, _QUEUE_STEPS), "worker"
    ),
    "event-source-concurrency": Example(
        _model(
            _consumer("", ", maximum_concurrency: 20").replace(
                "params: {event_source:", "params: {reserved_concurrency: 10, event_source:"
            ),
            _QUEUE_API,
            _QUEUE_STEPS,
        ),
        "worker",
    ),
    "fifo-name": Example(
        _model(
            _consumer(", fifo: true", "").replace(
                "{id: jobs-dlq, kind: sqs}", "{id: jobs-dlq, kind: sqs, params: {fifo: true}}"
            ),
            _QUEUE_API,
            _QUEUE_STEPS,
        ).replace("jobs-dlq", "jobs-dlq.fifo"),
        "jobs",
    ),
    "fifo-subscription": Example(
        _model(
            _consumer("", "") + _TOPIC,
            _QUEUE_API.replace(
                "to: jobs, operations: [SendMessage]", "to: events.fifo, operations: [Publish]"
            )
            + "  - {from: events.fifo, to: jobs, operations: [SendMessage]}\n",
            _STEP
            + "      - {from: api, to: events.fifo, op: Publish}\n"
            + "      - {from: worker, to: jobs, op: ReceiveMessage}\n",
        ),
        "events.fifo",
    ),
    "replica-write": Example(
        _model(
            _API
            + """\
  - {id: db, kind: rds, group: r1, params: {multi_az: false}}
  - {id: db-r2, kind: rds, group: r2, replica_of: db, params: {multi_az: false}}
  - id: monitoring
    kind: cloudwatch
    params:
      metrics:
        - {id: db-connections, node: db, name: DatabaseConnections}
        - {id: db-r2-connections, node: db-r2, name: DatabaseConnections}
""",
            _USERS_API
            + "  - {from: api, to: db, operations: [INSERT row], protocol: sql}\n"
            + "  - {from: api, to: db-r2, operations: [INSERT row], protocol: sql}\n",
            _STEP + "      - {from: api, to: db, op: INSERT row}\n",
        )
        + "groups:\n  - {id: r1, kind: region}\n  - {id: r2, kind: region}\n",
        "api",
    ),
    "no-egress": Example(
        _model(
            "  - {id: api, kind: external, group: app}\n  - {id: partner, kind: external}\n",
            _USERS_API + "  - {from: api, to: partner, operations: [GET /quote]}\n",
            _STEP + "      - {from: api, to: partner, op: GET /quote}\n",
        )
        + "groups:\n  - {id: r1, kind: region}\n  - {id: vpc, kind: vpc, parent: r1}\n"
        + "  - {id: app, kind: subnet, parent: vpc}\n",
        "api",
    ),
    "egress-per-zone": Example(
        _model(
            "  - {id: api, kind: ecs, group: vpc, params: {zones: [az-a, az-b]}}\n"
            "  - {id: nat, kind: nat_gateway, group: public-a}\n"
            "  - {id: partner, kind: external}\n"
            "  - id: monitoring\n    kind: cloudwatch\n    params:\n      metrics:\n"
            "        - {id: api-cpu, node: api, name: CPUUtilization}\n"
            "        - {id: nat-errors, node: nat, name: ErrorPortAllocation}\n",
            _USERS_API + "  - {from: api, to: partner, operations: [GET /quote]}\n",
            _STEP + "      - {from: api, to: partner, op: GET /quote}\n",
        )
        + "groups:\n  - {id: r1, kind: region}\n  - {id: vpc, kind: vpc, parent: r1}\n"
        + "  - {id: az-a, kind: availability_zone, parent: vpc}\n"
        + "  - {id: az-b, kind: availability_zone, parent: vpc}\n"
        + "  - {id: public-a, kind: subnet, parent: az-a, public: true}\n",
        "api",
    ),
    "flow-participation": Example(
        _model(_API + "  - {id: partner, kind: external}\n", _USERS_API, _STEP), "partner"
    ),
    "flow-trigger": Example(
        _model(
            _API + "  - {id: partner, kind: external}\n",
            _USERS_API + "  - {from: partner, to: api, operations: [POST /callback]}\n",
            _STEP + "      - {from: partner, to: api, op: POST /callback}\n",
        ),
        "partner",
    ),
    "slo-declared": Example(
        _model(_API, _USERS_API, _STEP).replace("    slo: {availability_percent: 99}\n", ""),
        None,
    ),
    "lint-ignore": Example(
        _model(
            "  - id: api\n    kind: external\n"
            "    lint_ignore: {entry-sheild: behind a partner's CDN}\n",
            _USERS_API,
            _STEP,
        ),
        None,
    ),
}


_DAY = """\
scenarios:
  - id: day
    title: A day
    duration_s: 60
    traffic: {sessions_per_s: 2, mix: {visitor: 1}}
"""

_JOURNEY = """\
journeys:
  - {id: visitor, title: Visitor, flows: [{flow: visit}]}
"""

RUN_EXAMPLES: dict[str, Example] = {
    "slo": Example(
        _model(
            "  - id: api\n    kind: external\n"
            "    params: {latency: {distribution: constant, mean_ms: 200}}\n",
            _USERS_API,
            _STEP,
        ).replace("slo: {availability_percent: 99}", "slo: {latency: {threshold_ms: 100}}")
        + _JOURNEY
        + _DAY,
        None,
        "day",
    ),
    "slo-judged": Example(
        _model(
            "  - id: api\n    kind: external\n"
            "    params: {latency: {distribution: constant, mean_ms: 20}}\n",
            _USERS_API,
            _STEP,
        ).replace(
            "slo: {availability_percent: 99}",
            "slo: {availability_percent: 99, end_to_end: {threshold_ms: 120000, until: api}}",
        )
        + _JOURNEY
        + _DAY,
        None,
        "day",
    ),
    "encrypted-at-rest": Example(
        _model(
            _API
            + _TABLE.replace(
                "kind: dynamodb}",
                "kind: dynamodb, lint_ignore: {kms-at-rest: the application encrypts}}",
            ),
            "  - {from: users, to: api, operations: [POST /details], data: card}\n"
            "  - {from: api, to: table, operations: [PutItem], data: card}\n",
            "      - {from: users, to: api, op: POST /details}\n"
            "      - {from: api, to: table, op: PutItem}\n",
        )
        + _JOURNEY
        + _DAY
        + "invariants:\n  - {id: no-plaintext, rule: encrypted_at_rest, targets: [table]}\n",
        None,
        "day",
    ),
    "edge-coverage": Example(
        _model(
            _API + "  - {id: partner, kind: external}\n",
            _USERS_API
            + "  - {from: api, to: partner, operations: [GET /quote]}\n"
            + "  - {from: partner, to: api, operations: [POST /callback], mode: async}\n",
            _STEP + "      - {from: api, to: partner, op: GET /quote}\n",
        )
        + _JOURNEY
        + _DAY,
        None,
        "day",
    ),
}
"""Run rules' examples: ``archgen check`` of the scenario finds this rule and no other."""
