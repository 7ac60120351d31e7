"""Every built-in kind is one declaration: a module of its own under ``model/kinds/``,
registered as an ``archgen.kinds`` entry point, whose params say what each field means."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from archgen.model import registry
from archgen.model.kind import (
    Capability,
    KindParams,
    KindSpec,
    OrderedQueue,
    StartsSessions,
    kind,
)

KINDS_DIR = Path(__file__).parents[2] / "model" / "kinds"


def _own_models(spec: KindSpec) -> list[type[BaseModel]]:
    """The params class and the models nested in it that the kind's module declares
    (shared models such as ``Duration`` or IAM's ``PolicyDocument`` are described where
    they are declared)."""
    found: list[type[BaseModel]] = []

    def visit(annotation: object) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in found and annotation.__module__ == spec.params.__module__:
                found.append(annotation)
                for info in annotation.model_fields.values():
                    visit(info.annotation)
            return
        for arg in typing.get_args(annotation):
            visit(arg)

    visit(spec.params)
    return found


def test_every_params_field_has_a_description() -> None:
    missing = [
        f"{spec.name}: {model.__name__}.{name}"
        for spec in registry.kinds().values()
        for model in _own_models(spec)
        for name, info in model.model_fields.items()
        if not (info.description or "").strip()
    ]
    assert missing == []


def test_the_walk_sees_nested_models() -> None:
    models = {m.__name__ for spec in registry.kinds().values() for m in _own_models(spec)}
    assert {"DnsRecord", "AutoScaling", "LambdaEventSource", "Alarm", "AlarmAction"} <= models


def test_one_module_per_built_in_kind() -> None:
    built_in = {
        ep.name: ep.value
        for ep in registry.entry_points()
        if ep.dist is not None and ep.dist.name == registry.OWN_DISTRIBUTION
    }
    assert len(built_in) == 26
    for name, value in built_in.items():
        module = value.removesuffix(":SPEC")
        assert module == f"archgen.model.kinds.{name}" + ("_" if name == "lambda" else "")
        assert (KINDS_DIR / f"{module.rsplit('.', 1)[1]}.py").is_file()
    modules = {p.stem for p in KINDS_DIR.glob("*.py")} - {"__init__"}
    assert modules == {value.removesuffix(":SPEC").rsplit(".", 1)[1] for value in built_in.values()}


def test_capabilities_replace_the_old_kind_sets() -> None:
    assert {
        capability: registry.with_capability(capability)
        for capability in (
            Capability.traffic_source,
            Capability.dns,
            Capability.queue,
            Capability.role,
            Capability.key,
            Capability.consumer,
            Capability.ddos_protection,
            Capability.web_acl,
            Capability.shield_protectable,
            Capability.waf_attachable,
            Capability.collects_metrics,
            Capability.presigned_requests,
        )
    } == {
        Capability.traffic_source: ("client",),
        Capability.dns: ("route53",),
        Capability.queue: ("sqs",),
        Capability.role: ("iam_role",),
        Capability.key: ("kms",),
        Capability.consumer: ("lambda",),  # EC2 ignores consumer_crash: refused on it
        Capability.ddos_protection: ("shield",),
        Capability.web_acl: ("waf",),
        # AWS::Shield::Protection's resource types that are kinds (no accelerator, EIP, CLB)
        Capability.shield_protectable: ("route53", "cloudfront", "alb"),
        Capability.waf_attachable: ("cloudfront", "alb"),
        Capability.collects_metrics: ("cloudwatch",),
        Capability.presigned_requests: ("s3",),  # an edge to it may say presigned_by
    }
    assert not registry.has("no-such-kind", Capability.queue)


def test_protections_screen_in_their_declared_order() -> None:
    from archgen.model.kind import Protects

    screening = sorted(
        (spec.screen_order, spec.name)
        for spec in registry.kinds().values()
        if issubclass(spec.params, Protects)
    )
    assert screening == [(0, "shield"), (1, "waf")]


def test_aws_services_declare_their_operations() -> None:
    """An AWS service's kind lists its operations, so validation refuses made-up ones; a
    kind whose operations the model names (HTTP paths, SQL, DNS names, commands) lists
    none. The names archgen's own code calls are among them."""
    specs = registry.kinds()
    declared = sorted(name for name, spec in specs.items() if spec.operations is not None)
    assert declared == [
        "cloudwatch",
        "dynamodb",
        "eventbridge",
        "kms",
        "lambda",
        "s3",
        "sagemaker_endpoint",
        "secretsmanager",
        "sns",
        "sqs",
        "stepfunctions",
    ]
    for spec in specs.values():
        ops = spec.operations
        if ops is None:
            continue
        for entry in spec.imports:
            assert entry.entry_operation is None or ops.knows(entry.entry_operation), spec.name
        for pattern, _ in spec.sse_kms.actions if spec.sse_kms else ():
            assert ops.covers_some(pattern), (spec.name, pattern)
    sqs, lambda_ = specs["sqs"].operations, specs["lambda"].operations
    assert sqs is not None
    assert lambda_ is not None
    assert [sqs.knows(op) for op in ("Redrive", "Deliver", "SendMsg", "GET /x")] == [
        True,
        True,
        False,
        False,
    ]
    assert [lambda_.knows(op) for op in ("Invoke", "POST /scans", "GET", "GETX /", "Call")] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert sqs.covers_some("SendMessage*")
    assert not sqs.covers_some("Recieve*")


def test_params_hooks_the_runtime_and_check_ask() -> None:
    specs = registry.kinds()
    timeouts = {name: spec.params().call_timeout_ms() for name, spec in specs.items()}
    assert {name: t for name, t in timeouts.items() if t is not None} == {
        "client": 10_000,
        "lambda": 3_000,
    }
    periods = {name: spec.params().metric_period_s() for name, spec in specs.items()}
    assert {name: p for name, p in periods.items() if p is not None} == {"cloudwatch": 60.0}
    lambda_params = specs["lambda"].params.model_validate({"event_source": {"queue": "jobs"}})
    assert lambda_params.consumed_queue() == "jobs"
    assert [name for name, spec in specs.items() if spec.params().consumed_queue()] == []


def test_references_name_what_a_node_relies_on_and_watches() -> None:
    params = registry.spec("cloudwatch").params.model_validate(
        {
            "metrics": [{"id": "m", "node": "web", "name": "CPUUtilization"}],
            "alarms": [
                {
                    "id": "a",
                    "metric": "m",
                    "threshold": 1,
                    "actions": [{"type": "scale", "target": "web", "adjustment": 1}],
                }
            ],
        }
    )
    assert [(r.path, r.target, r.ref.role) for r in params.references()] == [
        (("metrics", 0, "node"), "web", "watches"),
        (("alarms", 0, "actions", 0, "target"), "web", "supports"),
    ]


def test_field_capabilities_and_lint_hooks_of_the_built_in_kinds() -> None:
    specs = registry.kinds()
    assert [n for n, s in specs.items() if issubclass(s.params, StartsSessions)] == ["client"]
    assert [n for n, s in specs.items() if issubclass(s.params, OrderedQueue)] == ["sqs"]
    assert [n for n, s in specs.items() if s.lint is not None] == [
        "lambda",
        "sqs",
        "sns",
        "eventbridge",
    ]


def test_a_traffic_source_must_start_sessions() -> None:
    class Beacon(KindParams):
        pass

    spec = kind(
        "beacon",
        Beacon,
        title="Beacon",
        category="edge",
        capabilities={Capability.traffic_source},
    )
    with pytest.raises(registry.KindError) as raised:
        registry.check(spec, "beacon", "test")
    assert str(raised.value) == (
        "kind 'beacon': a traffic_source kind's params need the StartsSessions mixin"
    )
