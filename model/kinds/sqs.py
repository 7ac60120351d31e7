"""SQS: a queue with visibility timeout, redrive to a dead-letter queue, FIFO groups.

The whole declaration of the kind: its parameters, how it is drawn, its ARN, what it is
for the generic rules, its semantic checks and where its behavior lives.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, model_validator

from archgen.model.base import Duration, Id, ms
from archgen.model.cost import Bill
from archgen.model.kind import (
    Arn,
    Capability,
    CfnImport,
    Checks,
    EncryptableAtRest,
    KindParams,
    Lints,
    Metrics,
    Node,
    Operations,
    OrderedQueue,
    Ref,
    Shape,
    SseKms,
    Unit,
    kind,
    lint_fifo_name,
    metric,
)
from archgen.model.loader import PathKey

if TYPE_CHECKING:
    from archgen.model.importers.context import ImportContext


class FifoThroughputLimit(StrEnum):
    """AWS's ``FifoThroughputLimit``: whether a FIFO queue's throughput quota applies to the
    whole queue or per message group (high throughput, with ``messageGroup`` deduplication)."""

    per_queue = "perQueue"
    per_message_group_id = "perMessageGroupId"


class DeduplicationScope(StrEnum):
    """AWS's ``DeduplicationScope``: where a FIFO queue looks for duplicates."""

    queue = "queue"
    message_group = "messageGroup"


FIFO_REQUESTS_PER_S = 300
"""SQS Developer Guide, "Amazon SQS message quotas": a FIFO queue without high throughput
supports "300 transactions per second, per API action (SendMessage, ReceiveMessage, and
DeleteMessage)"; with batches of 10, 3,000 messages a second, which are "300 API calls,
each with a batch of 10 messages": the quota counts calls, whatever a call carries."""

HIGH_THROUGHPUT_REQUESTS_PER_S: dict[str, int] = {
    "us-east-1": 70_000,
    "us-west-2": 70_000,
    "eu-west-1": 70_000,
    "us-east-2": 19_000,
    "eu-central-1": 19_000,
    "ap-south-1": 9_000,
    "ap-southeast-1": 9_000,
    "ap-southeast-2": 9_000,
    "ap-northeast-1": 9_000,
    "eu-west-2": 4_500,
    "sa-east-1": 4_500,
}
"""The same page, high throughput for FIFO queues, per API action (non-batched calls; a
batch of 10 carries ten times as many messages): N. Virginia, Oregon and Ireland "up to
70,000 transactions per second"; Ohio and Frankfurt 19,000; Mumbai, Singapore, Sydney and
Tokyo 9,000; London and São Paulo 4,500."""

HIGH_THROUGHPUT_OTHER_REGIONS_PER_S = 2_400
"""The same page: "All other AWS Regions: Default throughput of 2,400 TPS" (also what a
queue placed in no Region is given)."""


class SqsParams(KindParams, EncryptableAtRest, OrderedQueue):
    """Settings of an SQS queue."""

    fifo: bool = Field(False, description="FIFO queue: ordered per message group, deduplicated.")
    visibility_timeout_s: int = Field(
        30, ge=0, le=43_200, description="How long a received message stays invisible."
    )
    message_retention_s: int = Field(
        345_600, ge=60, le=1_209_600, description="How long an unreceived message is kept."
    )
    receive_wait_time_s: int = Field(
        0, ge=0, le=20, description="Long polling: how long a receive waits for a message."
    )
    delay_s: int = Field(0, ge=0, le=900, description="Delay before a new message is visible.")
    max_receive_count: int | None = Field(
        None, ge=1, le=1_000, description="Receives before a message moves to the DLQ."
    )
    dead_letter_queue: Annotated[Id | None, Ref(("sqs",), dead_letter=True)] = Field(
        None, description="Queue that keeps messages received max_receive_count times."
    )
    content_based_deduplication: bool = Field(
        False, description="FIFO: deduplicate on a hash of the body."
    )
    deduplication_scope: DeduplicationScope | None = Field(
        None,
        description="FIFO (AWS's DeduplicationScope): where duplicates are looked for, "
        "`queue` (AWS's default) or `messageGroup`; `messageGroup` with "
        "fifo_throughput_limit `perMessageGroupId` turns on high throughput.",
    )
    fifo_throughput_limit: FifoThroughputLimit | None = Field(
        None,
        description="FIFO (AWS's FifoThroughputLimit): `perQueue` (AWS's default: 300 "
        "calls a second per action, SendMessage, ReceiveMessage, DeleteMessage, a batch "
        "of 10 messages counting as one call) or `perMessageGroupId` (high throughput, "
        "with deduplication_scope `messageGroup`: the Region's quota, 2,400 to 70,000 "
        "calls a second per action). Calls over the quota are throttled "
        "(`RequestThrottled`).",
    )
    max_attempts: int = Field(
        3,
        ge=1,
        le=10,
        description="Attempts the caller's AWS SDK makes when a call is throttled "
        "(standard retry mode: 3), with exponential backoff and full jitter before each "
        "retry.",
    )
    latency: Duration = Field(
        default_factory=lambda: ms(10, 0.4), description="Latency of one API call."
    )
    kms_key: Annotated[Id | None, Ref(("kms",))] = Field(
        None, description="KMS key node that encrypts the messages at rest."
    )
    kms_data_key_reuse_period_s: int = Field(
        300,
        ge=60,
        le=86_400,
        description=(
            "SSE-KMS: how long SQS reuses a data key for one principal before it calls KMS "
            "again (AWS: KmsDataKeyReusePeriodSeconds, 60 s to 24 h, default 300 s). Within "
            "the period a fault on the key does not reach that principal's calls."
        ),
    )

    def sse_kms_reuse_s(self) -> float | None:
        return float(self.kms_data_key_reuse_period_s)

    @property
    def high_throughput(self) -> bool:
        """AWS's rule: high throughput needs both attributes set for it (any other
        combination keeps the normal throughput)."""
        return (
            self.fifo
            and self.deduplication_scope is DeduplicationScope.message_group
            and self.fifo_throughput_limit is FifoThroughputLimit.per_message_group_id
        )

    def requests_per_s_quota(self, region: str | None) -> int | None:
        """Calls a second per API action this queue accepts in ``region`` (an AWS Region
        code, None when the model places it nowhere); None for a standard queue ("nearly
        unlimited")."""
        if not self.fifo:
            return None
        if not self.high_throughput:
            return FIFO_REQUESTS_PER_S
        if region is None:
            return HIGH_THROUGHPUT_OTHER_REGIONS_PER_S
        return HIGH_THROUGHPUT_REQUESTS_PER_S.get(region, HIGH_THROUGHPUT_OTHER_REGIONS_PER_S)

    @model_validator(mode="after")
    def _redrive(self) -> SqsParams:
        if (self.max_receive_count is None) != (self.dead_letter_queue is None):
            raise ValueError("max_receive_count and dead_letter_queue go together")
        return self


def _validate(checks: Checks, path: PathKey, node: Node, params: SqsParams) -> None:
    _validate_throughput(checks, path, params)
    dlq = params.dead_letter_queue
    dlq_path = (*path, "dead_letter_queue")
    if not (checks.node_ref(dlq_path, dlq, "sqs") and dlq):
        return
    if dlq == node.id:
        checks.report(dlq_path, "a queue cannot be its own DLQ")
    dlq_params = checks.params_of(dlq)
    assert isinstance(dlq_params, SqsParams)
    if dlq_params.fifo != params.fifo:
        what = "FIFO" if params.fifo else "standard"
        checks.report(dlq_path, f"the DLQ of a {what} queue must be {what} too")


def _validate_throughput(checks: Checks, path: PathKey, params: SqsParams) -> None:
    """What SetQueueAttributes refuses: the high-throughput attributes on a standard queue
    (``InvalidAttributeName``: they apply only to FIFO queues), and ``perMessageGroupId``
    without ``messageGroup`` deduplication (the SQS API Reference: "The perMessageGroupId
    value is allowed only when the value for DeduplicationScope is messageGroup")."""
    for name, value in (
        ("deduplication_scope", params.deduplication_scope),
        ("fifo_throughput_limit", params.fifo_throughput_limit),
    ):
        if value is not None and not params.fifo:
            checks.report(
                (*path, name),
                f"{name} applies only to FIFO queues (AWS refuses the attribute on a "
                "standard queue): remove it or set fifo",
            )
    if (
        params.fifo
        and params.fifo_throughput_limit is FifoThroughputLimit.per_message_group_id
        and params.deduplication_scope is not DeduplicationScope.message_group
    ):
        checks.report(
            (*path, "fifo_throughput_limit"),
            'perMessageGroupId needs deduplication_scope messageGroup (AWS: "The '
            "perMessageGroupId value is allowed only when the value for DeduplicationScope "
            'is messageGroup")',
        )


RECOMMENDED_VISIBILITY_FACTOR = 6
"""AWS recommends a visibility timeout of at least six times the consuming function's
timeout, so a batch throttled or retried by the pollers is not received twice."""


def _lint(lints: Lints, path: PathKey, node: Node, params: SqsParams) -> None:
    """``fifo-name``; ``visibility-timeout``: AWS refuses an event source mapping whose
    function may run longer than the queue hides a message (it would be received again
    while still being processed), and recommends six times the function's timeout."""
    lint_fifo_name(lints, path, node, params.fifo, "queue")
    visibility_s = params.visibility_timeout_s
    for consumer in lints.model.nodes:
        timeout_ms = consumer.params.call_timeout_ms()
        if consumer.params.consumed_queue() != node.id or timeout_ms is None:
            continue
        timeout_s = timeout_ms / 1000
        at = (*path, "visibility_timeout_s")
        if visibility_s < timeout_s:
            lints.add(
                "visibility-timeout",
                at,
                f"queue '{node.id}' hides a received message for {visibility_s} s, less than "
                f"the {timeout_s:g} s timeout of its consumer '{consumer.id}': AWS refuses "
                f"the event source mapping (it requires at least {timeout_s:g} s and "
                f"recommends {RECOMMENDED_VISIBILITY_FACTOR * timeout_s:g} s)",
                node=node.id,
            )
        elif visibility_s < RECOMMENDED_VISIBILITY_FACTOR * timeout_s:
            lints.add(
                "visibility-timeout-margin",
                at,
                f"queue '{node.id}' hides a received message for {visibility_s} s, less than "
                f"the {RECOMMENDED_VISIBILITY_FACTOR * timeout_s:g} s AWS recommends "
                f"({RECOMMENDED_VISIBILITY_FACTOR} × the {timeout_s:g} s timeout of its "
                f"consumer '{consumer.id}') so that a throttled batch is retried before it "
                "becomes visible again",
                node=node.id,
            )


def _import_queue(ctx: ImportContext) -> dict[str, object]:
    """``AWS::SQS::Queue``: timeouts, FIFO (high throughput too), encryption and the
    redrive policy."""
    params: dict[str, object] = {}
    for key, name in (
        ("VisibilityTimeout", "visibility_timeout_s"),
        ("MessageRetentionPeriod", "message_retention_s"),
        ("ReceiveMessageWaitTimeSeconds", "receive_wait_time_s"),
        ("DelaySeconds", "delay_s"),
        ("KmsDataKeyReusePeriodSeconds", "kms_data_key_reuse_period_s"),
    ):
        value = ctx.number(key)
        if value is not None:
            params[name] = int(value)
    if ctx.flag("FifoQueue"):
        params["fifo"] = True
    if ctx.flag("ContentBasedDeduplication"):
        params["content_based_deduplication"] = True
    for key, name, values in (
        ("DeduplicationScope", "deduplication_scope", DeduplicationScope),
        ("FifoThroughputLimit", "fifo_throughput_limit", FifoThroughputLimit),
    ):
        attribute = ctx.prop(key)
        if attribute in {v.value for v in values}:  # Terraform writes "" on a standard queue
            params[name] = attribute
    kms = ctx.node(ctx.prop("KmsMasterKeyId"))
    if kms is not None:
        params["kms_key"] = kms.id
    dlq = ctx.node(ctx.prop("RedrivePolicy", "deadLetterTargetArn"))
    receives = ctx.number("RedrivePolicy", "maxReceiveCount")
    this = ctx.this
    if dlq is not None and receives is not None and this is not None:
        params["max_receive_count"] = int(receives)
        params["dead_letter_queue"] = dlq.id
        ctx.edge(this, dlq, ["Redrive"], f"redrive policy of {ctx.logical_id}", "async")
    return params


def _cost(bill: Bill, node: Node, params: SqsParams) -> None:
    """API requests, empty receives included; dead-letter moves are SQS's own. A Lambda
    consumer's receives and deletes are its pollers' (one per poll, one per batch): its
    flow's ReceiveMessage and DeleteMessage steps stand for them and are not counted."""
    bill.charge(
        "sqs.fifo.request" if params.fifo else "sqs.standard.request",
        bill.calls(exclude=("Redrive",)),
        "API requests, each message one 64 KB chunk (sizes are not modelled)",
    )


# SQS API reference; archgen's own: Redrive (a move to this dead-letter queue), Deliver (an
# SNS topic's delivery, as its behavior names it when the edge says so).
_OPERATIONS = Operations(
    "SQS",
    """
    AddPermission CancelMessageMoveTask ChangeMessageVisibility ChangeMessageVisibilityBatch
    CreateQueue DeleteMessage DeleteMessageBatch DeleteQueue GetQueueAttributes GetQueueUrl
    ListDeadLetterSourceQueues ListMessageMoveTasks ListQueueTags ListQueues PurgeQueue
    ReceiveMessage Redrive RemovePermission Deliver SendMessage SendMessageBatch SetQueueAttributes
    StartMessageMoveTask TagQueue UntagQueue
    """,
)


SPEC = kind(
    "sqs",
    SqsParams,
    title="SQS queue",
    order=150,
    category="integration",
    summary="Queue with visibility timeout and DLQ.",
    icon=("diagrams.aws.integration", "SQS"),
    arn=Arn("sqs", "{id}"),
    iam_service="sqs",
    operations=_OPERATIONS,
    # SQS Developer Guide, "Key management": a producer needs kms:GenerateDataKey and
    # kms:Decrypt on the queue's key (SQS reuses and verifies data keys), a consumer
    # kms:Decrypt; deleting and queue attributes never touch the key.
    sse_kms=SseKms(
        (
            ("ReceiveMessage", ("kms:Decrypt",)),
            ("DeleteMessage*", ()),
            ("ChangeMessageVisibility*", ()),
            ("GetQueueAttributes", ()),
            ("PurgeQueue", ()),
            ("*", ("kms:GenerateDataKey", "kms:Decrypt")),
        ),
        error="KMS.AccessDeniedException",
    ),
    capabilities={
        Capability.queue,
        Capability.emits_metrics,
        Capability.data_store,
        Capability.triggered,
    },
    validate=_validate,
    lint=_lint,
    behavior="archgen.runtime.behaviors.sqs:Sqs",
    metrics=Metrics(
        "AWS/SQS",
        ("QueueName",),
        (
            metric(
                "NumberOfMessagesSent",
                Unit.count,
                "Messages added to the queue by a send (FIFO duplicates and messages moved "
                "here by a redrive policy excluded).",
            ),
            metric(
                "NumberOfMessagesReceived",
                Unit.count,
                "Messages returned by ReceiveMessage calls (redeliveries included).",
            ),
            metric(
                "NumberOfMessagesDeleted",
                Unit.count,
                "Messages deleted by DeleteMessage with a valid receipt handle.",
            ),
            metric(
                "NumberOfEmptyReceives",
                Unit.count,
                "ReceiveMessage calls that returned no message.",
            ),
            metric(
                "ApproximateNumberOfMessagesVisible",
                Unit.count,
                "Messages available for retrieval at the end of the period.",
                shape=Shape.gauge,
                statistic="Maximum",
            ),
            metric(
                "ApproximateNumberOfMessagesNotVisible",
                Unit.count,
                "Messages in flight (received, not yet deleted) at the end of the period.",
                shape=Shape.gauge,
                statistic="Maximum",
            ),
            metric(
                "ApproximateNumberOfMessagesDelayed",
                Unit.count,
                "Messages sent with a delay that are not yet visible, at the end of the period.",
                shape=Shape.gauge,
                statistic="Maximum",
            ),
            metric(
                "ApproximateAgeOfOldestMessage",
                Unit.seconds,
                "Age of the oldest message in the queue at the end of the period.",
                shape=Shape.gauge,
                statistic="Maximum",
            ),
        ),
    ),
    imports=(
        CfnImport(
            "AWS::SQS::Queue",
            _import_queue,
            entry_operation="SendMessage",
            physical_name="QueueName",
        ),
    ),
    cost=_cost,
)
