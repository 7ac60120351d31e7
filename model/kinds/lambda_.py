"""Lambda: functions with concurrency limits, cold starts, retries and SQS event sources."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, model_validator

from archgen.model.base import (
    Duration,
    Id,
    Probability,
    Strict,
    ms,
)
from archgen.model.cost import Bill
from archgen.model.kind import (
    Arn,
    Capability,
    CfnImport,
    Checks,
    Extent,
    KindParams,
    Lints,
    Metrics,
    Node,
    Operations,
    OrderedQueue,
    Ref,
    RequiredCall,
    Shape,
    Unit,
    kind,
    metric,
)
from archgen.model.loader import PathKey

MAX_CONCURRENCY = 100_000
"""Bound of Lambda concurrency (AWS's default account quota is 1,000)."""

if TYPE_CHECKING:
    from archgen.model.importers.context import ImportContext


class LambdaEventSource(Strict):
    """An SQS event source mapping: pollers that take batches off a queue."""

    queue: Annotated[Id, Ref(("sqs",))] = Field(description="SQS queue node the function polls.")
    batch_size: int = Field(
        10,
        ge=1,
        le=10_000,
        description="Messages handed to one invocation (at most 10 for a FIFO queue).",
    )
    max_batching_window_s: float = Field(
        0, ge=0, le=300, description="How long the poller waits to fill a batch (at most 300 s)."
    )
    report_batch_item_failures: bool = Field(
        False,
        description="Only failed messages of a batch return to the queue, not the whole batch.",
    )
    maximum_concurrency: int | None = Field(
        None,
        ge=2,
        le=1_000,
        description="Most concurrent invocations this source starts (2 to 1,000): its pollers "
        "stop growing there; none: up to the function's concurrency limit.",
    )


class LambdaAsync(Strict):
    """What Lambda does with a failed asynchronous invocation."""

    max_retry_attempts: int = Field(
        2, ge=0, le=2, description="Retries of a failed asynchronous invocation (0 to 2)."
    )
    max_event_age_s: int = Field(
        21_600,
        ge=60,
        le=21_600,
        description="Oldest an event may be when an attempt starts (60 s to 6 h): an older "
        "one, waiting on a retry or a throttle, goes to on_failure (else is dropped).",
    )
    on_failure: Annotated[Id | None, Ref(("sqs", "sns", "lambda"))] = Field(
        None, description="Node (SQS, SNS or Lambda) that receives events whose retries ran out."
    )


class LambdaParams(KindParams):
    """Settings of a Lambda function."""

    architecture: Literal["x86_64", "arm64"] = Field(
        "x86_64",
        description="Instruction set (AWS Architectures): arm64 (Graviton) is billed 20 % "
        "less per GB-second; the simulation runs both alike.",
    )
    memory_mb: int = Field(
        128,
        ge=128,
        le=10_240,
        description="Memory of one execution environment (128 to 10,240 MB); the CPU share "
        "is proportional to it (1,769 MB: one vCPU), which sets how long cpu_time takes.",
    )
    timeout_s: float = Field(
        3,
        gt=0,
        le=900,
        description="How long one invocation may run before it is stopped (at most 900 s).",
    )
    reserved_concurrency: int | None = Field(
        None,
        ge=0,
        le=MAX_CONCURRENCY,
        description="Environments set aside for this function, and its ceiling; none: shared.",
    )
    account_concurrency_limit: int = Field(
        1_000,
        gt=0,
        le=MAX_CONCURRENCY,
        description="The account's concurrency quota in the function's Region (at most "
        "100,000): one per account and Region, so validation takes the smallest the "
        "Region's functions declare, and refuses reservations that leave less than 100 of "
        "it unreserved, as AWS does.",
    )
    duration: Duration = Field(
        default_factory=lambda: ms(50, 0.5),
        description="Run time of one invocation once warm, calls to others excluded, as "
        "measured at this memory_mb (cpu_time aside).",
    )
    cpu_time: Duration | None = Field(
        None,
        description="CPU-bound work of one invocation at one full vCPU (1,769 MB), added to "
        "duration: at memory_mb below 1,769 it takes 1,769 / memory_mb times as long, above "
        "it no less (one thread); none: duration says it all.",
    )
    provisioned_concurrency: int | None = Field(
        None,
        ge=1,
        le=MAX_CONCURRENCY,
        description="Execution environments kept initialised: that many concurrent "
        "invocations never cold-start; counted within reserved_concurrency (at most it).",
    )
    cold_start: Duration = Field(
        default_factory=lambda: ms(250, 0.3),
        description="Extra time of an invocation that needs a new environment.",
    )
    idle_environment_s: float = Field(
        600, gt=0, le=86_400, description="How long an idle environment stays warm (≤ a day)."
    )
    error_rate: Probability = Field(
        0.0, description="Share of invocations that fail on their own (0 to 1)."
    )
    event_source: LambdaEventSource | None = Field(
        None, description="SQS queue the function polls for batches; none: invoked by calls."
    )
    async_invocation: LambdaAsync = Field(
        default_factory=LambdaAsync,
        description="Retries and failure destination of asynchronous invocations.",
    )

    @model_validator(mode="after")
    def _reserved_within_account(self) -> LambdaParams:
        reserved = self.reserved_concurrency
        if reserved is not None and reserved > self.account_concurrency_limit:
            raise ValueError(
                f"reserved_concurrency ({reserved}) exceeds account_concurrency_limit "
                f"({self.account_concurrency_limit})"
            )
        provisioned = self.provisioned_concurrency
        ceiling = self.account_concurrency_limit if reserved is None else reserved
        if provisioned is not None and provisioned > ceiling:
            which = "account_concurrency_limit" if reserved is None else "reserved_concurrency"
            raise ValueError(
                f"provisioned_concurrency ({provisioned}) exceeds {which} ({ceiling}): AWS "
                "counts provisioned environments within it"
            )
        return self

    def call_timeout_ms(self) -> float:
        return self.timeout_s * 1000

    def consumed_queue(self) -> str | None:
        return self.event_source.queue if self.event_source is not None else None

    def public_address(self) -> bool:
        """A function attached to a VPC has no public IP address, even in a public subnet:
        it reaches the internet and AWS's public endpoints through a NAT gateway or a VPC
        endpoint only (Lambda Developer Guide, internet access for VPC functions)."""
        return False

    def log_group(self, node_id: str) -> str | None:
        """Lambda sends a function's output to ``/aws/lambda/<name>`` with its execution
        role (logs:CreateLogGroup, CreateLogStream, PutLogEvents: what
        AWSLambdaBasicExecutionRole grants)."""
        return f"/aws/lambda/{node_id}"

    def required_calls(self) -> tuple[RequiredCall, ...]:
        """Lambda polls an SQS event source with the function's execution role: AWS
        refuses the event source mapping unless the role allows sqs:ReceiveMessage,
        sqs:DeleteMessage and sqs:GetQueueAttributes on the queue."""
        if self.event_source is None:
            return ()
        queue = self.event_source.queue
        return tuple(
            RequiredCall(("event_source", "queue"), queue, op, "an SQS event source")
            for op in ("ReceiveMessage", "DeleteMessage", "GetQueueAttributes")
        )


def _validate(checks: Checks, path: PathKey, node: Node, params: LambdaParams) -> None:
    source = params.event_source
    if source and checks.node_ref((*path, "event_source", "queue"), source.queue, "sqs"):
        checks.edge_ref(
            (*path, "event_source", "queue"),
            node.id,
            source.queue,
            "an SQS event source (Lambda polls the queue)",
        )
        queue = checks.params_of(source.queue)
        fifo = isinstance(queue, OrderedQueue) and queue.fifo
        if fifo and source.batch_size > 10:
            checks.report(
                (*path, "event_source", "batch_size"),
                "a FIFO queue event source takes batches of at most 10",
            )
        if fifo and source.max_batching_window_s > 0:
            checks.report(
                (*path, "event_source", "max_batching_window_s"),
                'a FIFO queue event source has no batching window (AWS Lambda: "batching '
                'window is not supported for FIFO queues"): set it to 0',
            )
    _unreserved_kept(checks, path, node, params)
    on_failure = params.async_invocation.on_failure
    failure_path = (*path, "async_invocation", "on_failure")
    if checks.node_ref(failure_path, on_failure, "sqs", "sns", "lambda") and on_failure:
        checks.edge_ref(failure_path, node.id, on_failure, "an on-failure destination")


UNRESERVED_MINIMUM = 100
"""Concurrency AWS keeps unreserved in an account's Region, for the functions that reserve
none: a reservation that would leave less is refused."""


def _unreserved_kept(checks: Checks, path: PathKey, node: Node, params: LambdaParams) -> None:
    """AWS refuses the reservation that leaves less than 100 of the Region's account
    concurrency unreserved (``UnreservedConcurrentExecution below its minimum value of
    [100]``): the functions' reservations in a Region are summed in the model's order, and
    the one that crosses the line is reported. The account's limit is the smallest any
    function of the Region declares (a quota, one per account and Region), else AWS's
    default."""
    reserved = params.reserved_concurrency
    if not reserved:
        return
    model = checks.model
    region = model.region_of(node.group)
    where = None if region is None else region.id
    declared: list[int] = []  # the account's limit, where a function of the Region says it
    before: list[tuple[str, int]] = []  # the Region's reservations earlier in the model
    seen = False
    for other in model.nodes:
        other_params = other.params
        other_region = model.region_of(other.group)
        if not isinstance(other_params, LambdaParams) or (
            (None if other_region is None else other_region.id) != where
        ):
            continue
        if "account_concurrency_limit" in other_params.model_fields_set:
            declared.append(other_params.account_concurrency_limit)
        seen = seen or other.id == node.id
        if not seen and other_params.reserved_concurrency:
            before.append((other.id, other_params.reserved_concurrency))
    limit = min(declared, default=params.account_concurrency_limit)
    earlier = sum(n for _, n in before)
    most = limit - UNRESERVED_MINIMUM
    if earlier <= most < earlier + reserved:
        others = ", ".join(f"{name} {n}" for name, n in before)
        checks.report(
            (*path, "reserved_concurrency"),
            f"reserved_concurrency {reserved}"
            + (f" with the Region's other reservations ({others})" if before else "")
            + f" leaves {max(limit - earlier - reserved, 0)} of the account's {limit} "
            f"unreserved: AWS keeps at least {UNRESERVED_MINIMUM} unreserved for the "
            "functions that reserve none and refuses this reservation (reserve at most "
            f"{max(most - earlier, 0)}, or raise account_concurrency_limit)",
        )


def _lint(lints: Lints, path: PathKey, node: Node, params: LambdaParams) -> None:
    """``batching-window``: AWS refuses an SQS event source with batches over 10 messages
    and no batching window of at least a second. ``event-source-concurrency``: a source
    allowed more invocations than the function reserves gets throttled batches. ``dlq``: an
    event invoked asynchronously that fails every retry needs somewhere to go."""
    source = params.event_source
    if source is not None and source.batch_size > 10 and source.max_batching_window_s < 1:
        lints.add(
            "batching-window",
            (*path, "event_source", "max_batching_window_s"),
            f"Lambda '{node.id}' takes batches of {source.batch_size} messages from "
            f"'{source.queue}' with a batching window of {source.max_batching_window_s:g} s: "
            "AWS requires max_batching_window_s of at least 1 s for a batch_size over 10",
            node=node.id,
        )
    reserved = params.reserved_concurrency
    maximum = None if source is None else source.maximum_concurrency
    if source is not None and maximum is not None and reserved is not None and maximum > reserved:
        lints.add(
            "event-source-concurrency",
            (*path, "event_source", "maximum_concurrency"),
            f"Lambda '{node.id}' lets its event source on '{source.queue}' start {maximum} "
            f"concurrent invocations but reserves {reserved}: AWS recommends a "
            "maximum_concurrency no higher than the reserved concurrency, else batches are "
            "throttled and come back only after the visibility timeout",
            node=node.id,
        )
    if params.async_invocation.on_failure is not None:
        return
    for index, edge in lints.async_callers(node.id):
        lints.add(
            "dlq",
            ("edges", index),
            f"Lambda '{node.id}' is invoked asynchronously by '{edge.source}' but has no "
            "async_invocation.on_failure destination: events that fail every retry are lost",
            node=node.id,
        )


def _import_function(ctx: ImportContext) -> dict[str, object]:
    """``AWS::Lambda::Function``: memory, timeout, reserved concurrency, architecture, its
    role, its subnets."""
    params: dict[str, object] = {}
    for key, name in (
        ("MemorySize", "memory_mb"),
        ("Timeout", "timeout_s"),
        ("ReservedConcurrentExecutions", "reserved_concurrency"),
    ):
        value = ctx.number(key)
        if value is not None:
            params[name] = value
    architectures = ctx.prop("Architectures")
    if isinstance(architectures, list) and architectures:
        chosen = ctx.text(architectures[0])
        if chosen in ("x86_64", "arm64"):
            params["architecture"] = chosen
    ctx.in_subnets(ctx.prop("VpcConfig", "SubnetIds"))
    role = ctx.node(ctx.prop("Role"))
    this = ctx.this
    if role is not None and this is not None:
        this.role = role.id
    return params


def _import_event_source(ctx: ImportContext) -> None:
    """``AWS::Lambda::EventSourceMapping`` of an SQS queue: the function's event source
    (batching, partial failures, maximum concurrency) and the edge it polls along."""
    function = ctx.node(ctx.prop("FunctionName"))
    queue = ctx.node(ctx.prop("EventSourceArn"))
    if function is None or queue is None or queue.kind != "sqs":
        polled = ctx.text(ctx.prop("EventSourceArn"))
        ctx.skip(f"polls {polled}: archgen models SQS event sources only, not streams")
        return
    source: dict[str, object] = {"queue": queue.id}
    size = ctx.number("BatchSize")
    if size is not None:
        source["batch_size"] = int(size)
    window = ctx.number("MaximumBatchingWindowInSeconds")
    if window is not None:
        source["max_batching_window_s"] = window
    maximum = ctx.number("ScalingConfig", "MaximumConcurrency")
    if maximum is not None:
        source["maximum_concurrency"] = int(maximum)
    if "ReportBatchItemFailures" in ctx.text(ctx.prop("FunctionResponseTypes", default=[])):
        source["report_batch_item_failures"] = True
    function.params["event_source"] = source
    why = f"event source mapping {ctx.logical_id}: {function.id} polls {queue.id}"
    ctx.edge(function, queue, ["ReceiveMessage", "DeleteMessage"], why)


def _cost(bill: Bill, node: Node, params: LambdaParams) -> None:
    """Requests and GB-seconds: every invocation's init and duration at its memory, at the
    price of its architecture (x86_64 or arm64); provisioned concurrency for the window."""
    bill.charge("lambda.request", bill.real(bill.value("function", "invocations")), "invocations")
    seconds = bill.real(bill.value("function", "billed_ms")) / 1000
    bill.charge(
        f"lambda.gb_second.{params.architecture}",
        seconds * params.memory_mb / 1024,
        f"{seconds:,.0f} s of init + duration at {params.memory_mb} MB ({params.architecture})",
    )
    warm = params.provisioned_concurrency
    if warm:
        bill.charge(
            f"lambda.provisioned_gb_second.{params.architecture}",
            warm * params.memory_mb / 1024 * bill.duration_s,
            f"{warm} environments of provisioned concurrency kept warm",
        )
        bill.leave_out(
            "the lower duration price of invocations on provisioned concurrency: they are "
            "charged at the on-demand price above (an upper bound)"
        )


# Lambda API reference; InvokeFunction: Invoke's IAM action; Deliver: archgen's name for an
# SNS topic's delivery.
_OPERATIONS = Operations(
    "Lambda",
    """
    AddLayerVersionPermission AddPermission CreateAlias CreateCodeSigningConfig
    CreateEventSourceMapping CreateFunction CreateFunctionUrlConfig DeleteAlias
    DeleteCodeSigningConfig DeleteEventSourceMapping DeleteFunction
    DeleteFunctionCodeSigningConfig DeleteFunctionConcurrency DeleteFunctionEventInvokeConfig
    DeleteFunctionUrlConfig DeleteLayerVersion DeleteProvisionedConcurrencyConfig
    GetAccountSettings GetAlias GetCodeSigningConfig GetEventSourceMapping GetFunction
    GetFunctionCodeSigningConfig GetFunctionConcurrency GetFunctionConfiguration
    GetFunctionEventInvokeConfig GetFunctionRecursionConfig GetFunctionUrlConfig GetLayerVersion
    GetLayerVersionPolicy GetPolicy GetProvisionedConcurrencyConfig GetRuntimeManagementConfig
    Deliver Invoke InvokeAsync InvokeFunction InvokeFunctionUrl InvokeWithResponseStream ListAliases
    ListCodeSigningConfigs ListEventSourceMappings ListFunctionEventInvokeConfigs
    ListFunctionUrlConfigs ListFunctions ListFunctionsByCodeSigningConfig ListLayerVersions
    ListLayers ListProvisionedConcurrencyConfigs ListTags ListVersionsByFunction
    PublishLayerVersion PublishVersion PutFunctionCodeSigningConfig PutFunctionConcurrency
    PutFunctionEventInvokeConfig PutFunctionRecursionConfig PutProvisionedConcurrencyConfig
    PutRuntimeManagementConfig RemoveLayerVersionPermission RemovePermission TagResource
    UntagResource UpdateAlias UpdateCodeSigningConfig UpdateEventSourceMapping
    UpdateFunctionCode UpdateFunctionCodeSigningConfig UpdateFunctionConfiguration
    UpdateFunctionEventInvokeConfig UpdateFunctionUrlConfig
    """,
    http=True,
)


SPEC = kind(
    "lambda",
    LambdaParams,
    title="Lambda",
    category="compute",
    order=80,
    summary="Functions with concurrency limits, cold starts, retries, SQS event sources.",
    icon=("diagrams.aws.compute", "Lambda"),
    arn=Arn("lambda", "function:{id}"),
    iam_service="lambda",
    operations=_OPERATIONS,
    conditions=("throttled",),
    capabilities={
        Capability.runs_code,
        Capability.emits_metrics,
        Capability.consumer,
        Capability.triggered,
    },
    behavior="archgen.runtime.behaviors.lambda_:Lambda",
    validate=_validate,
    lint=_lint,
    metrics=Metrics(
        "AWS/Lambda",
        ("FunctionName",),
        (
            metric(
                "Invocations",
                Unit.count,
                "Runs of the function's code: each synchronous invocation, each asynchronous "
                "attempt, each SQS batch; failed ones included, throttled requests not.",
            ),
            metric(
                "Errors",
                Unit.count,
                "Invocations that ended in a function error: the code failed (error_rate, a "
                "consumer crash), a call it made failed and it did not catch it, or it timed out.",
            ),
            metric(
                "Throttles",
                Unit.count,
                "Invocation requests refused because the function was at its concurrency limit "
                "(a synchronous 429, an async event or SQS batch held back), and calls a "
                "throttling fault refused at the function. Not the throttles of what it calls.",
            ),
            metric(
                "Duration",
                Unit.milliseconds,
                "Time the function's code ran in one invocation, from the end of its init to "
                "its answer, calls it waited on included; the cold start is not in it; a "
                "timed-out invocation counts its timeout.",
            ),
            metric(
                "ProvisionedConcurrencyInvocations",
                Unit.count,
                "Invocations served by a provisioned (pre-initialised) environment; published "
                "only by a function with provisioned_concurrency.",
                sparse=True,
            ),
            metric(
                "ProvisionedConcurrencySpilloverInvocations",
                Unit.count,
                "Invocations beyond the provisioned environments, served on demand (they may "
                "cold-start); published only by a function with provisioned_concurrency.",
                sparse=True,
            ),
            metric(
                "ConcurrentExecutions",
                Unit.count,
                "Most execution environments busy at once during the period.",
                shape=Shape.gauge,
                statistic="Maximum",
                extent=Extent.servers,
            ),
        ),
    ),
    imports=(
        CfnImport(
            "AWS::Lambda::Function",
            _import_function,
            entry_operation="Invoke",
            physical_name="FunctionName",
        ),
        CfnImport("AWS::Lambda::EventSourceMapping", _import_event_source, creates_node=False),
    ),
    cost=_cost,
)
