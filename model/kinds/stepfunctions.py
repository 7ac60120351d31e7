"""Step Functions: a state machine (standard or express) whose Task states call the model's
nodes through its edges, with Retry and Catch, Choice, Parallel, Wait, Pass, Succeed and
Fail states.

The whole declaration of the kind: its parameters, how it is drawn, its ARN, its metrics,
what it costs and the CloudFormation type it reads (its Amazon States Language definition).
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, model_validator

from archgen.model.base import Duration, Id, Strict, ms
from archgen.model.cost import Bill
from archgen.model.kind import (
    Arn,
    Capability,
    CfnImport,
    Checks,
    KindParams,
    Metrics,
    Node,
    Operations,
    Ref,
    Unit,
    kind,
    metric,
)
from archgen.model.loader import PathKey

if TYPE_CHECKING:
    from archgen.model.importers.context import ImportContext, ImportedNode

EXPRESS_MAX_S = 300
"""An express execution runs at most five minutes."""
STANDARD_MAX_S = 31_536_000
"""A standard execution runs at most a year."""
BILLED_MEMORY_MB = 64
"""Express executions are billed per 64 MB of memory used; the model assumes the first
chunk (small payloads)."""


class WorkflowType(StrEnum):
    """Standard (exactly-once, up to a year) or express (at-least-once, up to 5 minutes)."""

    standard = "standard"
    express = "express"


class StateType(StrEnum):
    """The Amazon States Language state types the simulation runs."""

    task = "task"
    choice = "choice"
    parallel = "parallel"
    wait = "wait"
    pass_ = "pass"  # noqa: S105 - the ASL state type, no secret
    succeed = "succeed"
    fail = "fail"


class Retrier(Strict):
    """A ``Retry`` entry: which errors it retries, how often and how far apart."""

    error_equals: tuple[str, ...] = Field(
        ("States.ALL",),
        min_length=1,
        description="Error names it retries (States.ALL: any; States.TaskFailed: any but "
        "States.Timeout; or the error codes the called node answers).",
    )
    interval_s: float = Field(
        1, gt=0, le=99_999_999, description="Wait before the first retry (IntervalSeconds)."
    )
    max_attempts: int = Field(
        3, ge=0, le=99_999_999, description="Retries at most (MaxAttempts; 0: never)."
    )
    backoff_rate: float = Field(
        2.0, ge=1.0, le=1_000, description="Multiplier of the wait at each retry (BackoffRate)."
    )


class Catcher(Strict):
    """A ``Catch`` entry: the errors it catches and the fallback state they go to."""

    error_equals: tuple[str, ...] = Field(
        ("States.ALL",), min_length=1, description="Error names it catches."
    )
    next: Id = Field(description="The state the execution goes on with.")


class ChoiceRule(Strict):
    """A branch of a Choice state, taken with a probability (the model has no data to test)."""

    next: Id = Field(description="The state this branch goes to.")
    probability: float = Field(ge=0, le=1, description="How often the branch is taken.")


class State(Strict):
    """One state of the definition."""

    id: Id = Field(description="The state's name.")
    type: StateType = Field(StateType.task, description="What the state does.")
    resource: Annotated[Id | None, Ref()] = Field(
        None, description="Task: the node it calls, through a declared edge."
    )
    operation: str | None = Field(
        None,
        max_length=128,
        description="Task: the operation called (default: the edge's first operation).",
    )
    timeout_s: float | None = Field(
        None,
        gt=0,
        le=STANDARD_MAX_S,
        description="Task: give up on the call after this long (States.Timeout).",
    )
    wait_s: float = Field(0, ge=0, le=STANDARD_MAX_S, description="Wait: how long it waits.")
    retry: tuple[Retrier, ...] = Field((), description="Task, Parallel: Retry entries.")
    catch: tuple[Catcher, ...] = Field((), description="Task, Parallel: Catch entries.")
    choices: tuple[ChoiceRule, ...] = Field(
        (), description="Choice: its branches; what they leave goes to ``default``."
    )
    default: Id | None = Field(None, description="Choice: the state when no branch is taken.")
    branches: tuple[Id, ...] = Field(
        (),
        description="Parallel: the first state of each branch; a branch ends at a state "
        "without ``next``.",
    )
    next: Id | None = Field(
        None, description="The state after this one; none: the execution (or branch) ends."
    )
    error: str = Field("States.Fail", max_length=256, description="Fail: the error it ends with.")

    @model_validator(mode="after")
    def _shape(self) -> State:
        if self.type is StateType.task and self.resource is None:
            raise ValueError("a task state needs a resource (the node it calls)")
        if self.type is not StateType.task and self.resource is not None:
            raise ValueError(f"a {self.type.value} state calls no resource")
        if self.type is StateType.choice and sum(c.probability for c in self.choices) > 1:
            raise ValueError("a choice state's branch probabilities add up to more than 1")
        if self.type is StateType.parallel and not self.branches:
            raise ValueError("a parallel state needs branches")
        return self


class StepFunctionsParams(KindParams):
    """Settings of a state machine: its type and definition."""

    workflow_type: WorkflowType = Field(
        WorkflowType.standard, description="standard or express (StateMachineType)."
    )
    states: tuple[State, ...] = Field(
        (), description="The definition's states; the first is where executions start."
    )
    timeout_s: float | None = Field(
        None,
        gt=0,
        le=STANDARD_MAX_S,
        description="The execution's TimeoutSeconds (express: at most 300 s, always).",
    )
    start_rate_per_s: float | None = Field(
        None,
        gt=0,
        le=1_000_000,
        description="StartExecution quota, a token bucket's refill per second (default: "
        "standard 300, express 6,000).",
    )
    start_burst: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="StartExecution quota, the bucket (default: standard 1,300, express 6,000).",
    )
    duplicate_rate: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Express only (at-least-once): share of Task calls the service makes "
        "twice; AWS publishes no rate, so 0 unless a scenario needs it.",
    )
    transition: Duration = Field(
        default_factory=lambda: ms(5, 0.3), description="Time the service takes per state."
    )
    latency: Duration = Field(
        default_factory=lambda: ms(25, 0.4),
        description="Latency of a StartExecution call: the service answers once it has "
        "recorded the execution, which has started by then (StartSyncExecution answers "
        "when the execution ends).",
    )


def _validate(checks: Checks, path: PathKey, node: Node, params: StepFunctionsParams) -> None:
    """State names unique, every ``next``/``default``/branch/catch names a state, every
    Task's resource has its edge; express limits."""
    names = [state.id for state in params.states]
    seen: set[str] = set()
    for i, state in enumerate(params.states):
        where = (*path, "states", i)
        if state.id in seen:
            checks.report((*where, "id"), f"state '{state.id}' is declared twice")
        seen.add(state.id)
        refs: list[tuple[PathKey, str | None]] = [((*where, "next"), state.next)]
        refs.append(((*where, "default"), state.default))
        refs += [((*where, "branches", j), b) for j, b in enumerate(state.branches)]
        refs += [((*where, "choices", j, "next"), c.next) for j, c in enumerate(state.choices)]
        refs += [((*where, "catch", j, "next"), c.next) for j, c in enumerate(state.catch)]
        for ref_path, name in refs:
            if name is not None:
                checks.ref(ref_path, name, names, "state")
        if state.resource is not None and checks.node_ref((*where, "resource"), state.resource):
            checks.edge_ref((*where, "resource"), node.id, state.resource, "a task state")
    express = params.workflow_type is WorkflowType.express
    if express and params.timeout_s is not None and params.timeout_s > EXPRESS_MAX_S:
        checks.report((*path, "timeout_s"), "an express execution runs at most 300 s")
    if not express and params.duplicate_rate > 0:
        checks.report(
            (*path, "duplicate_rate"),
            "standard workflows run each task exactly once: duplicate_rate is for express",
        )


# --------------------------------------------------------------------------- import

_SERVICE_OPS = {
    "lambda:invoke": ("lambda", "Invoke", "FunctionName"),
    "sqs:sendMessage": ("sqs", "SendMessage", "QueueUrl"),
    "sns:publish": ("sns", "Publish", "TopicArn"),
    "dynamodb:putItem": ("dynamodb", "PutItem", "TableName"),
    "dynamodb:getItem": ("dynamodb", "GetItem", "TableName"),
    "dynamodb:updateItem": ("dynamodb", "UpdateItem", "TableName"),
    "dynamodb:deleteItem": ("dynamodb", "DeleteItem", "TableName"),
    "events:putEvents": ("eventbridge", "PutEvents", "EventBusName"),
    "states:startExecution": ("stepfunctions", "StartExecution", "StateMachineArn"),
}
"""Optimized service integrations: (kind, operation, the parameter naming the resource)."""
_INTEGRATION = re.compile(r"^arn:aws[-a-z]*:states:::([a-zA-Z0-9]+:[a-zA-Z]+)")


def state_id(name: str) -> str:
    """An ASL state name (any text) as a model id."""
    text = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.")[:64]
    return text or "state"


def _definition(ctx: ImportContext) -> dict[str, Any] | None:
    raw = ctx.prop("Definition")
    if raw is None:
        raw = ctx.prop("DefinitionString")
    if raw is None:
        return None
    if not isinstance(raw, str):
        plain = ctx.plain(raw)
        return plain if isinstance(plain, dict) else None
    text = ctx.text(raw)
    substitutions = ctx.prop("DefinitionSubstitutions", default={})
    for key, value in substitutions.items() if isinstance(substitutions, dict) else []:
        text = text.replace("${" + str(key) + "}", ctx.text(value))
    try:
        loaded = json.loads(text)
    except ValueError:
        return None
    return loaded if isinstance(loaded, dict) else None


def _find(ctx: ImportContext, kind_: str, value: object) -> ImportedNode | None:
    """The node of ``kind_`` an ARN, a URL or a bare name names."""
    found = ctx.node(value) if isinstance(value, str) else None
    if found is not None and found.kind == kind_:
        return found
    text = str(value).rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1] if value else ""
    for node in ctx.graph.unique():
        if node.kind == kind_ and (node.id == text or node.arn.rsplit("/", 1)[-1] == text):
            return node
        if node.kind == kind_ and node.arn.rsplit(":", 1)[-1] == text:
            return node
    return None


def _task(
    ctx: ImportContext, machine: ImportedNode, name: str, body: dict[str, Any]
) -> tuple[ImportedNode, str, str] | None:
    """The node and operation a Task state calls, and the resource as written."""
    resource = str(body.get("Resource", ""))
    params = body.get("Parameters") or body.get("Arguments") or {}
    params = params if isinstance(params, dict) else {}
    found = _INTEGRATION.match(resource)
    if found is not None:
        integration = _SERVICE_OPS.get(found.group(1))
        if integration is None:
            return None
        kind_, op, key = integration
        value = params.get(key) or params.get(key + ".$")
        if kind_ == "eventbridge":
            entries = params.get("Entries")
            first = entries[0] if isinstance(entries, list) and entries else {}
            value = first.get("EventBusName", "default") if isinstance(first, dict) else None
        target = _find(ctx, kind_, value)
        return (target, op, resource) if target is not None else None
    if ":lambda:" in resource:
        target = _find(ctx, "lambda", resource)
        return (target, "Invoke", resource) if target is not None else None
    return None


def _rules(items: object, make: type[Any]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        rule: dict[str, object] = {"error_equals": list(item.get("ErrorEquals", ["States.ALL"]))}
        if make is Catcher:
            rule["next"] = state_id(str(item.get("Next", "")))
        else:
            for key, name in (
                ("IntervalSeconds", "interval_s"),
                ("MaxAttempts", "max_attempts"),
                ("BackoffRate", "backoff_rate"),
            ):
                if key in item:
                    rule[name] = item[key]
        out.append(rule)
    return out


def _states(
    ctx: ImportContext, machine: ImportedNode, definition: dict[str, Any]
) -> list[dict[str, object]]:
    """The definition's states, from StartAt, then the rest in written order; Parallel
    branches' states follow (their names are kept)."""
    body = definition.get("States")
    states = body if isinstance(body, dict) else {}
    start = str(definition.get("StartAt", ""))
    order = [start] + [name for name in states if name != start] if start in states else []
    out: list[dict[str, object]] = []
    for name in order:
        spec = states[name]
        if isinstance(spec, dict):
            out += _state(ctx, machine, str(name), spec)
    return out


def _state(
    ctx: ImportContext, machine: ImportedNode, name: str, body: dict[str, Any]
) -> list[dict[str, object]]:
    kind_ = str(body.get("Type", "Pass"))
    state: dict[str, object] = {"id": state_id(name)}
    nested: list[dict[str, object]] = []
    if kind_ == "Task":
        found = _task(ctx, machine, name, body)
        if found is None:
            state["type"] = "pass"
            resource = body.get("Resource", "?")
            machine.notes.append(f"state {name}: {resource} is not modeled (a pass state)")
        else:
            target, op, resource = found
            state["resource"] = target.id
            state["operation"] = op
            why = f"state machine {ctx.logical_id}: state {name} calls {resource}"
            ctx.edge(machine, target, [op], why)
        if "TimeoutSeconds" in body:
            state["timeout_s"] = body["TimeoutSeconds"]
    elif kind_ == "Choice":
        _choice(machine, name, body, state)
    elif kind_ == "Parallel":
        nested = _parallel(ctx, machine, body, state)
    elif kind_ == "Wait":
        state["type"] = "wait"
        if isinstance(body.get("Seconds"), int | float):
            state["wait_s"] = body["Seconds"]
    elif kind_ in ("Succeed", "Fail"):
        state["type"] = kind_.lower()
        if kind_ == "Fail" and body.get("Error"):
            state["error"] = str(body["Error"])
    else:  # Pass, and Map (not modeled: its iterations are not run)
        state["type"] = "pass"
        if kind_ != "Pass":
            machine.notes.append(f"state {name}: a {kind_} state is simulated as a pass state")
    if kind_ in ("Task", "Parallel"):
        retry = _rules(body.get("Retry"), Retrier)
        catch = _rules(body.get("Catch"), Catcher)
        if retry:
            state["retry"] = retry
        if catch:
            state["catch"] = catch
    if body.get("Next") and kind_ not in ("Choice", "Succeed", "Fail"):
        state["next"] = state_id(str(body["Next"]))
    return [state, *nested]


def _choice(
    machine: ImportedNode, name: str, body: dict[str, Any], state: dict[str, object]
) -> None:
    """A Choice's rules test the input, which the model does not have: equal shares."""
    state["type"] = "choice"
    rules = body.get("Choices")
    listed = rules if isinstance(rules, list) else []
    share = round(1 / (len(listed) + (1 if "Default" in body else 0)), 6) if listed else 0
    state["choices"] = [
        {"next": state_id(str(rule.get("Next", ""))), "probability": share}
        for rule in listed
        if isinstance(rule, dict)
    ]
    if "Default" in body:
        state["default"] = state_id(str(body["Default"]))
    machine.notes.append(
        f"state {name}: its {len(listed)} choice rules are taken with equal "
        "probabilities (TODO: the real shares)"
    )


def _parallel(
    ctx: ImportContext, machine: ImportedNode, body: dict[str, Any], state: dict[str, object]
) -> list[dict[str, object]]:
    """A Parallel's branches: their first states, and their states to add."""
    state["type"] = "parallel"
    branches = body.get("Branches")
    starts: list[str] = []
    nested: list[dict[str, object]] = []
    for branch in branches if isinstance(branches, list) else []:
        if isinstance(branch, dict) and branch.get("StartAt"):
            starts.append(state_id(str(branch["StartAt"])))
            nested += _states(ctx, machine, branch)
    state["branches"] = starts
    return nested


def _import_machine(ctx: ImportContext) -> dict[str, object]:
    """``AWS::StepFunctions::StateMachine`` (SAM's ``AWS::Serverless::StateMachine``
    expands to it): type, role, and its definition's states with an edge per Task."""
    params: dict[str, object] = {}
    machine = ctx.this
    assert machine is not None
    if ctx.text(ctx.prop("StateMachineType", default="STANDARD")).upper() == "EXPRESS":
        params["workflow_type"] = "express"
    role = ctx.node(ctx.prop("RoleArn"))
    if role is not None:
        machine.role = role.id
    definition = _definition(ctx)
    if definition is None:
        machine.notes.append("no readable definition: TODO its states")
        return params
    states = _states(ctx, machine, definition)
    if states:
        params["states"] = states
    if isinstance(definition.get("TimeoutSeconds"), int):
        params["timeout_s"] = definition["TimeoutSeconds"]
    return params


def _cost(bill: Bill, node: Node, params: StepFunctionsParams) -> None:
    """Standard: state transitions; express: requests and GB-seconds (64 MB, 100 ms steps)."""
    if params.workflow_type is WorkflowType.standard:
        bill.charge(
            "stepfunctions.standard.transition",
            bill.real(bill.value("executions", "transitions")),
            "state transitions, retries included",
        )
        return
    bill.charge(
        "stepfunctions.express.request",
        bill.real(bill.value("executions", "started")),
        "executions started",
    )
    seconds = bill.real(bill.value("executions", "billed_ms")) / 1000
    bill.charge(
        "stepfunctions.express.gb_second",
        seconds * BILLED_MEMORY_MB / 1024,
        "execution time in 100 ms steps at 64 MB (payload sizes are not modelled)",
    )


# Step Functions API reference.
_OPERATIONS = Operations(
    "Step Functions",
    """
    CreateActivity CreateStateMachine CreateStateMachineAlias DeleteActivity DeleteStateMachine
    DeleteStateMachineAlias DeleteStateMachineVersion DescribeActivity DescribeExecution
    DescribeMapRun DescribeStateMachine DescribeStateMachineAlias
    DescribeStateMachineForExecution GetActivityTask GetExecutionHistory ListActivities
    ListExecutions ListMapRuns ListStateMachineAliases ListStateMachineVersions
    ListStateMachines ListTagsForResource PublishStateMachineVersion RedriveExecution
    RevealSecrets SendTaskFailure SendTaskHeartbeat SendTaskSuccess StartExecution
    StartSyncExecution StopExecution TagResource TestState UntagResource UpdateMapRun
    UpdateStateMachine UpdateStateMachineAlias ValidateStateMachineDefinition
    """,
)


SPEC = kind(
    "stepfunctions",
    StepFunctionsParams,
    title="Step Functions state machine",
    category="integration",
    order=168,
    summary="State machine (standard or express): tasks with Retry and Catch.",
    icon=("diagrams.aws.integration", "StepFunctions"),
    arn=Arn("states", "stateMachine:{id}"),
    iam_service="states",
    operations=_OPERATIONS,
    capabilities={Capability.emits_metrics, Capability.triggered},
    behavior="archgen.runtime.behaviors.stepfunctions:StepFunctions",
    validate=_validate,
    metrics=Metrics(
        "AWS/States",
        ("StateMachineArn",),
        (
            metric("ExecutionsStarted", Unit.count, "Executions started."),
            metric("ExecutionsSucceeded", Unit.count, "Executions that succeeded."),
            metric(
                "ExecutionsFailed",
                Unit.count,
                "Executions that failed (an uncaught error, a Fail state, a timeout).",
            ),
            metric(
                "ExecutionThrottled",
                Unit.count,
                "StartExecution calls refused by the quota (ThrottlingException).",
            ),
            metric(
                "ExecutionTime",
                Unit.milliseconds,
                "Time from an execution's start to its end, succeeded or failed.",
            ),
        ),
    ),
    imports=(
        CfnImport(
            "AWS::StepFunctions::StateMachine",
            _import_machine,
            entry_operation="StartExecution",
            ref_is_arn=True,
            physical_name="StateMachineName",
        ),
    ),
    cost=_cost,
)
