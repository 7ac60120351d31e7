"""SNS: fan-out to subscriptions, with filter policies and dead-letter queues."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, model_validator

from archgen.model.base import (
    Duration,
    Id,
    Strict,
    ms,
)
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
    SseKms,
    Unit,
    kind,
    lint_fifo_name,
    metric,
)
from archgen.model.loader import PathKey

if TYPE_CHECKING:
    from archgen.model.importers.context import ImportContext


class SnsProtocol(StrEnum):
    """How a subscription receives notifications."""

    sqs = "sqs"
    lambda_ = "lambda"
    email = "email"
    sms = "sms"
    https = "https"
    application = "application"


class PushPlatform(StrEnum):
    """The push notification service of a mobile platform application."""

    apns = "APNS"
    apns_sandbox = "APNS_SANDBOX"
    fcm = "GCM"
    adm = "ADM"
    baidu = "BAIDU"
    mpns = "MPNS"
    wns = "WNS"


class SnsSubscription(Strict):
    """One endpoint a topic delivers to, with its filter and dead-letter queue."""

    endpoint: Annotated[Id, Ref()] = Field(
        description="Node that receives the notifications (for mobile push, the external "
        "node standing for the platform's push service and the devices behind it)."
    )
    protocol: SnsProtocol = Field(
        description="How notifications are delivered (sqs, lambda, email, sms, https, or "
        "application: mobile push to a platform application endpoint)."
    )
    platform: PushPlatform | None = Field(
        None,
        description="Mobile push (protocol application) only: the platform of the "
        "application endpoint (APNS, APNS_SANDBOX, GCM for Firebase, ADM, BAIDU, MPNS, WNS).",
    )
    filter_policy: dict[str, tuple[str | int | float | bool, ...]] | None = Field(
        None, description="Message attribute → accepted values: keys AND, values OR."
    )
    raw_message_delivery: bool = Field(
        False, description="Deliver the message body alone, without the SNS envelope."
    )
    dead_letter_queue: Annotated[Id | None, Ref(("sqs",), dead_letter=True)] = Field(
        None, description="SQS queue that keeps messages whose delivery retries ran out."
    )

    @model_validator(mode="after")
    def _platform_with_application(self) -> SnsSubscription:
        push = self.protocol is SnsProtocol.application
        if push and self.platform is None:
            raise ValueError("a mobile push subscription (protocol application) needs a platform")
        if not push and self.platform is not None:
            raise ValueError(
                f"platform is for mobile push (protocol application), not {self.protocol.value}"
            )
        return self


DATA_KEY_REUSE_S = 300.0
"""SNS Developer Guide, "Key management" (estimating KMS costs): SNS reuses a data key for
up to 5 minutes per publishing principal."""


class SnsParams(KindParams, EncryptableAtRest):
    """Settings of an SNS topic: its subscriptions."""

    fifo: bool = Field(
        False, description="FIFO topic: ordered, deduplicated, delivers to FIFO queues only."
    )
    subscriptions: tuple[SnsSubscription, ...] = Field(
        (), description="Endpoints the topic delivers to."
    )
    latency: Duration = Field(
        default_factory=lambda: ms(30, 0.5), description="Latency of a publish."
    )
    kms_key: Annotated[Id | None, Ref(("kms",))] = Field(
        None,
        description=(
            "KMS key node that encrypts the messages at rest. SNS reuses a data key for a "
            "publisher for up to 5 minutes, so a fault on the key reaches a publisher's "
            "calls only when its data key is renewed."
        ),
    )

    def sse_kms_reuse_s(self) -> float | None:
        return DATA_KEY_REUSE_S


def _validate(checks: Checks, path: PathKey, node: Node, params: SnsParams) -> None:
    endpoint_kinds = {
        SnsProtocol.sqs: ("sqs",),
        SnsProtocol.lambda_: ("lambda",),
        SnsProtocol.application: ("external",),
    }
    for i, sub in enumerate(params.subscriptions):
        sub_path = (*path, "subscriptions", i, "endpoint")
        if checks.node_ref(sub_path, sub.endpoint, *endpoint_kinds.get(sub.protocol, ())):
            checks.edge_ref(sub_path, node.id, sub.endpoint, "a subscription")
        dlq_path = (*path, "subscriptions", i, "dead_letter_queue")
        dlq = sub.dead_letter_queue
        if checks.node_ref(dlq_path, dlq, "sqs") and dlq:
            checks.edge_ref(dlq_path, node.id, dlq, "a subscription's dead-letter queue")


def _lint(lints: Lints, path: PathKey, node: Node, params: SnsParams) -> None:
    """``dlq``: an asynchronous subscription drops what runs out of retries without a DLQ.
    ``fifo-name``; ``fifo-subscription``: AWS subscribes a FIFO topic to FIFO queues only,
    and a standard topic to no FIFO queue."""
    lint_fifo_name(lints, path, node, params.fifo, "topic")
    nodes = lints.model.nodes_by_id
    for index, sub in enumerate(params.subscriptions):
        endpoint = nodes.get(sub.endpoint)
        queue = endpoint.params if endpoint is not None else KindParams()
        fifo_queue = queue.fifo if isinstance(queue, OrderedQueue) else False
        if params.fifo and not fifo_queue:
            lints.add(
                "fifo-subscription",
                (*path, "subscriptions", index, "endpoint"),
                f"FIFO topic '{node.id}' subscribes '{sub.endpoint}' ({sub.protocol.value}), "
                "which is not a FIFO queue: AWS delivers a FIFO topic to FIFO queues only",
                node=node.id,
            )
        elif not params.fifo and fifo_queue:
            lints.add(
                "fifo-subscription",
                (*path, "subscriptions", index, "endpoint"),
                f"standard topic '{node.id}' subscribes FIFO queue '{sub.endpoint}': AWS "
                "delivers a standard topic to standard queues only",
                node=node.id,
            )
    for index, sub in enumerate(params.subscriptions):
        edge = lints.model.edge(node.id, sub.endpoint)
        if edge is None or not edge.is_async or sub.dead_letter_queue is not None:
            continue
        lints.add(
            "dlq",
            (*path, "subscriptions", index),
            f"SNS subscription of '{node.id}' to '{sub.endpoint}' has no dead_letter_queue: "
            "deliveries that run out of retries are discarded",
            node=node.id,
        )


def _import_topic(ctx: ImportContext) -> dict[str, object]:
    """``AWS::SNS::Topic``: FIFO, encryption, inline subscriptions."""
    params: dict[str, object] = {}
    if ctx.flag("FifoTopic"):
        params["fifo"] = True
    key = ctx.node(ctx.prop("KmsMasterKeyId"))
    if key is not None:
        params["kms_key"] = key.id
    inline = ctx.prop("Subscription", default=[])
    for index, item in enumerate(inline if isinstance(inline, list) else []):
        if isinstance(item, dict):
            where = f"Subscription[{index}]"
            _subscribe(ctx, item.get("Endpoint"), item.get("Protocol"), None, where)
    return params


def _import_subscription(ctx: ImportContext) -> None:
    """``AWS::SNS::Subscription``: a subscription of its topic, and the edge it delivers on."""
    topic = ctx.node(ctx.prop("TopicArn"))
    if topic is None:
        ctx.skip("its topic (TopicArn) is not in the template")
        return
    _subscribe(ctx, ctx.prop("Endpoint"), ctx.prop("Protocol"), topic, "")


RECIPIENTS: dict[str, tuple[SnsProtocol, str, str, str]] = {
    "email": (SnsProtocol.email, "smtp", "email", "email"),
    "email-json": (SnsProtocol.email, "smtp", "email", "email"),
    "sms": (SnsProtocol.sms, "sms", "sms", "phone"),
    "https": (SnsProtocol.https, "https", "https endpoint", "service"),
}
"""SNS protocols whose endpoints lie outside AWS: the subscription's protocol in the model,
its edge's protocol, and the ``external`` node's role and appearance."""


def _subscribe(
    ctx: ImportContext, endpoint: object, protocol: object, topic: object, where: str
) -> None:
    """A subscription of ``topic`` (else this resource's topic): to a queue or function of
    the template, or to an ``external`` node for an address outside AWS (email, SMS,
    HTTPS); anything else is reported, never dropped."""
    from archgen.model.importers.context import ImportedNode

    topic_node = topic if topic is not None else ctx.this
    name = ctx.text(protocol) if protocol is not None else ""
    address = ctx.text(endpoint) if endpoint is not None else ""
    what = f"{where}: " if where else ""
    if not isinstance(topic_node, ImportedNode):
        return
    if name in ("sqs", "lambda"):
        target = ctx.node(endpoint)
        if target is None:
            ctx.skip(f"{what}its {name} endpoint {address} is not in the template")
            return
        model_protocol, edge_protocol = name, "aws-api"
        op = "SendMessage" if name == "sqs" else "Invoke"
    elif name in RECIPIENTS and address:
        sub_protocol, edge_protocol, role, appearance = RECIPIENTS[name]
        params: dict[str, object] = {"role": role, "appearance": appearance}
        target = ctx.add_outside(
            f"{sub_protocol.value}:{address}", _recipient_id(name, address), "external", params
        )
        if not target.notes:
            target.notes.append(f"the {name} endpoint {address} of {topic_node.id}")
        model_protocol, op = sub_protocol.value, "Deliver"
    else:
        ctx.skip(
            f"{what}the {name or 'unnamed'} subscription is not modeled (sqs, lambda, email, "
            "email-json, sms and https are)"
        )
        return
    sub: dict[str, object] = {"endpoint": target.id, "protocol": model_protocol}
    if ctx.flag("RawMessageDelivery"):
        sub["raw_message_delivery"] = True
    subs = topic_node.params.setdefault("subscriptions", [])
    assert isinstance(subs, list)
    subs.append(sub)
    source = f"subscription {ctx.logical_id}" + (f" {where}" if where else "")
    why = f"{source}: {topic_node.id} delivers to {target.id}" + (
        f" ({address})" if name in RECIPIENTS else ""
    )
    ctx.edge(topic_node, target, [op], why, "async", protocol=edge_protocol)


def _recipient_id(protocol: str, address: str) -> str:
    """A node id for an address outside AWS: ``oncall@example.com`` → ``oncall-example-com``,
    a URL without its scheme, a phone number after its protocol (``sms-15550100``)."""
    from archgen.model.importers.context import kebab

    base = kebab(address.split("://", 1)[-1])
    return base if base[:1].isalpha() else f"{protocol}-{base}".rstrip("-")


def _cost(bill: Bill, node: Node, params: SnsParams) -> None:
    """Publishes, then each delivered notification at its protocol's price."""
    bill.charge(
        "sns.fifo.publish" if params.fifo else "sns.standard.publish",
        bill.calls("Publish"),
        "publishes, each one 64 KB chunk",
    )
    channels = bill.activity.get("notifications")
    for protocol, figures in sorted((channels or {}).items()):
        delivered = bill.real(float(figures.get("delivered", 0)))
        if protocol == SnsProtocol.sms.value:
            bill.leave_out("SMS: priced per message by destination country and sender")
            continue
        bill.charge(f"sns.delivery.{protocol}", delivered, f"{protocol} notifications delivered")


# SNS API reference.
_OPERATIONS = Operations(
    "SNS",
    """
    AddPermission CheckIfPhoneNumberIsOptedOut ConfirmSubscription CreatePlatformApplication
    CreatePlatformEndpoint CreateSMSSandboxPhoneNumber CreateTopic DeleteEndpoint
    DeletePlatformApplication DeleteSMSSandboxPhoneNumber DeleteTopic GetDataProtectionPolicy
    GetEndpointAttributes GetPlatformApplicationAttributes GetSMSAttributes
    GetSMSSandboxAccountStatus GetSubscriptionAttributes GetTopicAttributes
    ListEndpointsByPlatformApplication ListOriginationNumbers ListPhoneNumbersOptedOut
    ListPlatformApplications ListSMSSandboxPhoneNumbers ListSubscriptions
    ListSubscriptionsByTopic ListTagsForResource ListTopics OptInPhoneNumber Publish
    PublishBatch PutDataProtectionPolicy RemovePermission SetEndpointAttributes
    SetPlatformApplicationAttributes SetSMSAttributes SetSubscriptionAttributes
    SetTopicAttributes Subscribe TagResource Unsubscribe UntagResource
    VerifySMSSandboxPhoneNumber
    """,
)


SPEC = kind(
    "sns",
    SnsParams,
    title="SNS topic",
    category="integration",
    order=160,
    summary="Fan-out with filter policies.",
    icon=("diagrams.aws.integration", "SNS"),
    arn=Arn("sns", "{id}"),
    iam_service="sns",
    operations=_OPERATIONS,
    # SNS Developer Guide, "Encryption at rest": a publisher to an encrypted topic needs
    # kms:GenerateDataKey and kms:Decrypt on its key (SNS answers KMSAccessDenied). SNS
    # itself writes to encrypted queues (subscriptions, dead-letter queues) as
    # sns.amazonaws.com, which the queue key's policy must allow.
    sse_kms=SseKms(
        (("Publish*", ("kms:GenerateDataKey", "kms:Decrypt")),),
        error="KMSAccessDenied",
        unavailable="KMSDisabled",
        throttled="KMSThrottling",
    ),
    service_principal="sns.amazonaws.com",
    capabilities={Capability.async_fanout, Capability.data_store, Capability.triggered},
    behavior="archgen.runtime.behaviors.sns:Sns",
    validate=_validate,
    lint=_lint,
    metrics=Metrics(
        "AWS/SNS",
        ("TopicName",),
        (
            metric(
                "NumberOfMessagesPublished",
                Unit.count,
                "Messages published to the topic (alarm notifications included).",
            ),
            metric(
                "NumberOfNotificationsDelivered",
                Unit.count,
                "Deliveries a subscription endpoint accepted.",
            ),
            metric(
                "NumberOfNotificationsFailed",
                Unit.count,
                "Deliveries SNS gave up on once the protocol's retries ran out.",
            ),
            metric(
                "NumberOfNotificationsFilteredOut",
                Unit.count,
                "Deliveries a subscription's filter policy rejected.",
            ),
            metric(
                "NumberOfNotificationsRedrivenToDlq",
                Unit.count,
                "Failed deliveries moved to the subscription's dead-letter queue.",
            ),
        ),
    ),
    imports=(
        CfnImport(
            "AWS::SNS::Topic",
            _import_topic,
            entry_operation="Publish",
            ref_is_arn=True,
            physical_name="TopicName",
        ),
        CfnImport("AWS::SNS::Subscription", _import_subscription, creates_node=False),
    ),
    cost=_cost,
)
