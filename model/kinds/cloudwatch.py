"""CloudWatch: metrics of other nodes, M-of-N alarms and their actions."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, model_validator

from archgen.model.base import (
    MAX_INSTANCES,
    Id,
    Strict,
)
from archgen.model.cost import Bill
from archgen.model.kind import (
    Arn,
    Capability,
    CfnImport,
    Checks,
    KindParams,
    Node,
    Operations,
    Ref,
    kind,
)
from archgen.model.loader import PathKey

if TYPE_CHECKING:
    from archgen.model.importers.context import ImportContext, ImportedNode


class Comparison(StrEnum):
    """How an alarm compares a datapoint with its threshold (CloudWatch's names)."""

    greater_than = "GreaterThanThreshold"
    greater_or_equal = "GreaterThanOrEqualToThreshold"
    less_than = "LessThanThreshold"
    less_or_equal = "LessThanOrEqualToThreshold"


class MissingData(StrEnum):
    """How an alarm treats a period without datapoint (CloudWatch's names)."""

    missing = "missing"
    not_breaching = "notBreaching"
    breaching = "breaching"
    ignore = "ignore"


class Statistic(StrEnum):
    """How the datapoints of one period are reduced to one value."""

    average = "Average"
    sum = "Sum"
    minimum = "Minimum"
    maximum = "Maximum"
    sample_count = "SampleCount"
    p99 = "p99"


class Metric(Strict):
    """A metric of another node that alarms may watch."""

    id: Id
    node: Annotated[Id, Ref(role="watches")] = Field(description="Node that publishes the metric.")
    name: Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_.-]+$")] = Field(
        description="Which of the node's metrics, as AWS names it (each kind publishes its "
        "own: Lambda Throttles, ALB TargetResponseTime, SQS ApproximateAgeOfOldestMessage…)."
    )
    statistic: Statistic = Field(
        Statistic.average, description="How the datapoints of one period are reduced."
    )


class AlarmActionType(StrEnum):
    """The kinds of alarm action."""

    scale = "scale"
    failover = "failover"
    notify = "notify"


class AlarmAction(Strict):
    """What an alarm does when it fires: scale a fleet, fail a DNS record over, notify a topic."""

    type: AlarmActionType = Field(
        description="Scale a fleet, fail a DNS record over, or notify a topic."
    )
    target: Annotated[Id, Ref()] = Field(
        description="Fleet to scale, Route 53 node to fail over, topic to notify."
    )
    adjustment: int = Field(
        0,
        ge=-MAX_INSTANCES,
        le=MAX_INSTANCES,
        description="Instances or tasks to add (scale actions).",
    )


class Alarm(Strict):
    """A CloudWatch alarm: M of N datapoints of a metric past a threshold, and its actions."""

    id: Id
    metric: Id = Field(description="Id of the metric the alarm watches.")
    comparison: Comparison = Field(
        Comparison.greater_than, description="How a datapoint is compared with the threshold."
    )
    threshold: float = Field(
        ge=-1e15,
        le=1e15,
        description="Value a datapoint is compared with, in the metric's unit for the real "
        "system (a run of a share of it publishes its metrics in real units).",
    )
    evaluation_periods: int = Field(
        1,
        gt=0,
        le=1_440,
        description="N of M-of-N: the periods looked at (at most a day of minutes).",
    )
    datapoints_to_alarm: int | None = Field(
        None,
        gt=0,
        le=1_440,
        description="M of M-of-N: breaching periods that set ALARM; defaults to N.",
    )
    treat_missing_data: MissingData = Field(
        MissingData.missing, description="What a period without data counts as."
    )
    actions: tuple[AlarmAction, ...] = Field(
        (), description="What happens when the alarm enters ALARM."
    )
    ok_actions: tuple[AlarmAction, ...] = Field(
        (), description="What happens when the alarm returns to OK."
    )

    @model_validator(mode="after")
    def _m_of_n(self) -> Alarm:
        m = self.datapoints_to_alarm
        if m is not None and m > self.evaluation_periods:
            raise ValueError(
                f"datapoints_to_alarm ({m}) exceeds evaluation_periods ({self.evaluation_periods})"
            )
        return self


class CloudWatchParams(KindParams):
    """Settings of CloudWatch: the metric period, the metrics and the alarms."""

    period_s: int = Field(60, gt=0, le=86_400, description="At most a day.")
    metrics: tuple[Metric, ...] = Field((), description="Metrics of other nodes that alarms watch.")
    alarms: tuple[Alarm, ...] = Field(
        (), description="Alarms over the metrics, with their actions."
    )

    def alarm_ids(self) -> tuple[str, ...]:
        return tuple(alarm.id for alarm in self.alarms)

    def metric_period_s(self) -> float:
        return float(self.period_s)


def _validate(checks: Checks, path: PathKey, node: Node, params: CloudWatchParams) -> None:
    metric_ids = [metric.id for metric in params.metrics]
    for i, metric in enumerate(params.metrics):
        if checks.node_ref((*path, "metrics", i, "node"), metric.node):
            _metric_name(checks, (*path, "metrics", i, "name"), metric)
    for i, alarm in enumerate(params.alarms):
        checks.ref((*path, "alarms", i, "metric"), alarm.metric, metric_ids, "metric")
        for field in ("actions", "ok_actions"):
            for j, action in enumerate(getattr(alarm, field)):
                _alarm_action(checks, (*path, "alarms", i, field, j, "target"), node.id, action)
    _alarms_in_own_region(checks, path, node, params)


def _alarms_in_own_region(
    checks: Checks, path: PathKey, node: Node, params: CloudWatchParams
) -> None:
    """An alarm lives in one Region and AWS refuses one on another Region's metric ("Cannot
    create an Alarm in region …") or with an SNS or Auto Scaling action elsewhere ("Invalid
    region … specified"). Route 53 is global: a failover action may cross. Global services
    publish in us-east-1. A node the model places in no Region is not compared."""
    from archgen.model.regions import metrics_region, region_code

    home = region_code(checks.model, node.id)
    if home is None:
        return
    metrics = {metric.id: metric for metric in params.metrics}
    for i, alarm in enumerate(params.alarms):
        metric = metrics.get(alarm.metric)
        if metric is not None:
            where = metrics_region(checks.model, metric.node)
            if where is not None and where != home:
                checks.report(
                    (*path, "alarms", i, "metric"),
                    f"alarm '{alarm.id}' watches metric '{metric.id}' of '{metric.node}', "
                    f"which AWS publishes in {where}, but cloudwatch node '{node.id}' is in "
                    f"{home}: an alarm watches metrics of its own Region only (put a "
                    f"cloudwatch node in {where} for it)",
                )
        for field in ("actions", "ok_actions"):
            for j, action in enumerate(getattr(alarm, field)):
                if action.type is AlarmActionType.failover:
                    continue
                where = region_code(checks.model, action.target)
                if where is not None and where != home:
                    checks.report(
                        (*path, "alarms", i, field, j, "target"),
                        f"alarm '{alarm.id}' acts on '{action.target}' in {where}, but "
                        f"cloudwatch node '{node.id}' is in {home}: an alarm's {action.type.value} "
                        f"actions stay in its own Region",
                    )


def _metric_name(checks: Checks, path: PathKey, metric: Metric) -> None:
    """The node's kind must publish the metric (AWS's name for it), and the node too: a
    metric it never emits would leave its alarms without data for ever."""
    from archgen.model.errors import did_you_mean
    from archgen.model.registry import kinds

    kind_name = checks.kind_of(metric.node)
    spec = kinds().get(kind_name) if kind_name is not None else None
    if spec is None:
        return
    known = spec.metrics.names()
    silent = checks.params_of(metric.node).unpublished_metrics()
    if silent is not None:
        checks.report(
            path, f"{kind_name} node '{metric.node}' publishes no metric '{metric.name}': {silent}"
        )
        return
    if metric.name in known:
        return
    if not known:
        checks.report(path, f"{kind_name} node '{metric.node}' publishes no metrics")
        return
    checks.report(
        path,
        f"{kind_name} node '{metric.node}' publishes no metric '{metric.name}'"
        f"{did_you_mean(metric.name, known)}; its metrics: {', '.join(known)}",
    )


def _alarm_action(checks: Checks, path: PathKey, source: str, action: AlarmAction) -> None:
    expected = {
        AlarmActionType.scale: ("ec2", "ecs"),
        AlarmActionType.failover: ("route53",),
        AlarmActionType.notify: ("sns",),
    }[action.type]
    if checks.node_ref(path, action.target, *expected):
        checks.edge_ref(path, source, action.target, f"a {action.type.value} action")


STATISTICS = {s.value: s.value for s in Statistic}


def _actions_enabled(ctx: ImportContext, this: ImportedNode) -> bool:
    """Whether the alarm's actions run (``ActionsEnabled``), noting what is not read."""
    enabled = str(ctx.prop("ActionsEnabled", default="true")).lower() != "false"
    if not enabled:
        this.notes.append(f"{ctx.logical_id}: ActionsEnabled is false, its actions are not read")
    if ctx.prop("InsufficientDataActions"):
        this.notes.append(f"{ctx.logical_id}: INSUFFICIENT_DATA actions are not modeled")
    return enabled


def _import_alarm(ctx: ImportContext) -> dict[str, object] | None:
    """``AWS::CloudWatch::Alarm`` on one metric of a node of the model: its metric, M of N,
    threshold and its SNS actions (with the edge they publish on). All alarms of a template
    go into one ``cloudwatch`` node; an alarm the model cannot hold is reported."""
    from archgen.model.importers.context import kebab
    from archgen.model.registry import kinds

    this = ctx.this
    assert this is not None
    name = ctx.text(ctx.prop("MetricName", default=""))
    dimensions = ctx.prop("Dimensions", default=[])
    watched = [
        ctx.node(item.get("Value"))
        for item in (dimensions if isinstance(dimensions, list) else [])
        if isinstance(item, dict)
    ]
    node = next((n for n in watched if n is not None), None)
    if not name or node is None:
        ctx.skip("its metric is not one of a node of the model (metric math, or no dimension)")
        return None
    if name not in kinds()[node.kind].metrics.names():
        ctx.skip(f"archgen's {node.kind} kind does not publish {name}")
        return None
    statistic = ctx.text(ctx.prop("Statistic", default=ctx.prop("ExtendedStatistic", default="")))
    comparison = ctx.text(ctx.prop("ComparisonOperator", default=""))
    threshold = ctx.number("Threshold")
    if statistic not in STATISTICS or comparison not in set(Comparison) or threshold is None:
        ctx.skip(f"statistic '{statistic}' or comparison '{comparison}' is not modeled")
        return None
    metrics = this.params.setdefault("metrics", [])
    alarms = this.params.setdefault("alarms", [])
    assert isinstance(metrics, list)
    assert isinstance(alarms, list)
    metric_id = kebab(f"{node.id}-{name}")
    if not any(m["id"] == metric_id for m in metrics):
        metrics.append({"id": metric_id, "node": node.id, "name": name, "statistic": statistic})
    alarm: dict[str, object] = {"id": ctx.name, "metric": metric_id}
    alarm["comparison"] = comparison
    alarm["threshold"] = threshold
    for key, field in (
        ("EvaluationPeriods", "evaluation_periods"),
        ("DatapointsToAlarm", "datapoints_to_alarm"),
    ):
        value = ctx.number(key)
        if value is not None:
            alarm[field] = value
    missing = ctx.prop("TreatMissingData")
    if missing is not None:
        alarm["treat_missing_data"] = ctx.text(missing)
    enabled = _actions_enabled(ctx, this)
    for key, field in (("AlarmActions", "actions"), ("OKActions", "ok_actions")):
        targets = ctx.prop(key, default=[]) if enabled else []
        for target in targets if isinstance(targets, list) else []:
            topic = ctx.node(target)
            if topic is not None and topic.kind == "sns":
                actions = alarm.setdefault(field, [])
                assert isinstance(actions, list)
                actions.append({"type": "notify", "target": topic.id})
                ctx.edge(this, topic, ["Publish"], f"alarm {ctx.logical_id} notifies it", "async")
            else:
                this.notes.append(f"{ctx.logical_id}: action {ctx.text(target)} not modeled")
    period = ctx.number("Period")
    if period is not None:
        current = this.params.get("period_s")
        this.params["period_s"] = min(int(period), int(str(current))) if current else int(period)
    alarms.append(alarm)
    return None


def _cost(bill: Bill, node: Node, params: CloudWatchParams) -> None:
    """Its alarms (AWS services' own metrics are free)."""
    high = params.period_s < 60
    item = "cloudwatch.alarm_month.high_resolution" if high else "cloudwatch.alarm_month"
    bill.charge(item, len(params.alarms) * bill.months, f"{len(params.alarms)} metric alarms")


# CloudWatch and CloudWatch Logs API references.
_OPERATIONS = Operations(
    "CloudWatch",
    """
    CreateLogGroup CreateLogStream DeleteAlarms DeleteAnomalyDetector DeleteDashboards
    DeleteInsightRules DeleteMetricStream DescribeAlarmHistory DescribeAlarms
    DescribeAlarmsForMetric DescribeAnomalyDetectors DescribeInsightRules DescribeLogGroups
    DescribeLogStreams DisableAlarmActions DisableInsightRules EnableAlarmActions
    EnableInsightRules FilterLogEvents GetDashboard GetInsightRuleReport GetLogEvents
    GetMetricData GetMetricStatistics GetMetricStream GetMetricWidgetImage GetQueryResults
    ListDashboards ListManagedInsightRules ListMetricStreams ListMetrics ListTagsForResource
    PutAnomalyDetector PutCompositeAlarm PutDashboard PutInsightRule PutLogEvents
    PutManagedInsightRules PutMetricAlarm PutMetricData PutMetricStream SetAlarmState
    StartMetricStreams StartQuery StopMetricStreams StopQuery TagResource UntagResource
    """,
)


SPEC = kind(
    "cloudwatch",
    CloudWatchParams,
    title="CloudWatch",
    category="management",
    order=170,
    summary="Metrics, M-of-N alarms and their actions.",
    icon=("diagrams.aws.management", "Cloudwatch"),
    arn=Arn("cloudwatch", "alarm:{id}"),
    iam_service="cloudwatch",
    operations=_OPERATIONS,
    # Alarm actions publish to SNS as cloudwatch.amazonaws.com: an encrypted topic's key
    # policy must allow it (CloudWatch User Guide, alarm actions).
    service_principal="cloudwatch.amazonaws.com",
    conditions=("alarm",),
    capabilities={Capability.collects_metrics, Capability.triggered},
    behavior="archgen.runtime.behaviors.cloudwatch:CloudWatch",
    validate=_validate,
    imports=(CfnImport("AWS::CloudWatch::Alarm", _import_alarm, shared_node="cloudwatch"),),
    cost=_cost,
)
