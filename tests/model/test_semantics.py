"""Semantics that live once, in the model layer: edge-operation matching, replicas, flow
nesting, async defaults and continuations, and the traffic shapes. The last tests scan
archgen for a second copy of any of them."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

from archgen.model import LoadedModel, load_model_text
from archgen.model.errors import ModelError
from archgen.model.flows import Continuations, compile_flows, step_is_async, step_parents
from archgen.model.schema import (
    ConstantShape,
    DiurnalShape,
    Edge,
    RampShape,
    SpikeShape,
    operation_matches,
)
from archgen.runtime.aws.iam import wildcard

ROOT = Path(__file__).parents[2]
PACKAGES = ("cli", "model", "renderers", "runtime", "site")

MODEL = """\
archgen: 1
system: {id: two-regions, name: Two regions}
groups:
  - {id: east, kind: region}
  - {id: west, kind: region}
nodes:
  - {id: user, kind: client}
  - {id: api, kind: ec2, group: east}
  - {id: api-west, kind: ec2, group: west, replica_of: api}
  - {id: jobs, kind: sqs, group: east}
  - {id: worker, kind: lambda, group: east}
  - {id: table, kind: dynamodb, group: east}
  - {id: table-west, kind: dynamodb, group: west, replica_of: table}
edges:
  - {from: user, to: api, operations: ["GET /items/*", POST /orders]}
  - {from: api, to: table, operations: [GetItem], protocol: aws-api}
  - {from: api, to: jobs, operations: [SendMessage], protocol: aws-api, mode: async}
  - {from: worker, to: jobs, operations: [ReceiveMessage], protocol: aws-api}
  - {from: worker, to: table, operations: [PutItem], protocol: aws-api}
flows:
  - id: order
    title: Order
    steps:
      - {from: user, to: api, op: POST /orders}
      - {from: api, to: table, op: GetItem}
      - {from: api, to: jobs, op: SendMessage}
      - {from: user, to: api, op: GET /items/42}
      - {from: api, to: table, op: GetItem, async: true}
  - id: work
    title: Work
    user_facing: false
    steps:
      - {from: worker, to: jobs, op: ReceiveMessage}
      - {from: worker, to: table, op: PutItem}
"""


@pytest.fixture(scope="module")
def two_regions() -> LoadedModel:
    return load_model_text(MODEL, "two-regions.yaml")


# --------------------------------------------------------------------------- operations


def test_an_edge_carries_its_operations_and_what_its_globs_match() -> None:
    assert operation_matches("GetItem", "GetItem")
    assert operation_matches("GET /items/*", "GET /items/42")
    assert operation_matches("GET /items/*", "GET /items/*")
    assert not operation_matches("GET /items/*", "get /items/42")  # case-sensitive
    assert not operation_matches("GET /item?", "GET /items")  # no '*': taken literally
    assert operation_matches("GET /item?/*", "GET /items/1")  # with '*': a glob
    edge = Edge.model_validate({"from": "a", "to": "b", "operations": ["Put*", "GetItem"]})
    assert [edge.carries(op) for op in ("PutItem", "GetItem", "Get", "DeleteItem")] == [
        True,
        True,
        False,
        False,
    ]


def test_iam_actions_match_differently_and_say_so() -> None:
    """IAM actions are case-insensitive; edge operations are not."""
    assert wildcard("dynamodb:get*", ignore_case=True).fullmatch("dynamodb:GetItem")
    assert not operation_matches("dynamodb:get*", "dynamodb:GetItem")
    assert "case-insensitively" in (operation_matches.__doc__ or "")


def test_a_step_may_use_an_operation_an_edge_declares_by_glob(two_regions: LoadedModel) -> None:
    step = two_regions.model.flow("order").steps[3]
    assert step.op == "GET /items/42"  # validated against "GET /items/*"


# --------------------------------------------------------------------------- replicas


def test_replica_lookup(two_regions: LoadedModel) -> None:
    model = two_regions.model
    assert model.originals == {"api-west": "api", "table-west": "table"}
    assert [model.original_of(n) for n in ("api-west", "api", "user", "nowhere")] == [
        "api",
        "api",
        "user",
        "nowhere",
    ]
    assert model.replicas == {("api", "west"): "api-west", ("table", "west"): "table-west"}
    assert model.replica_in("table", "west") == "table-west"
    assert model.replica_in("table", "east") == "table"
    assert model.replica_in("table", None) == "table"
    assert model.replica_in("jobs", "west") == "jobs"
    assert model.replicas_of("table") == ("table-west",)
    assert model.replicas_of("jobs") == ()


def test_replicas_use_their_originals_edges(two_regions: LoadedModel) -> None:
    model = two_regions.model
    declared = model.declared_edge("api-west", "table-west")
    assert declared is not None
    assert declared.key == ("api", "table")
    assert model.declared_edge("api", "table") is model.edge("api", "table")
    assert model.declared_edge("table", "api") is None


def test_one_replica_per_region() -> None:
    text = MODEL.replace(
        "  - {id: jobs,",
        "  - {id: api-west-2, kind: ec2, group: west, replica_of: api}\n  - {id: jobs,",
    )
    with pytest.raises(ModelError) as raised:
        load_model_text(text, "two-regions.yaml")
    assert raised.value.message.splitlines() == [
        "error: two-regions.yaml:10:58: nodes[3].replica_of: 'api' already has a replica in region "
        "'west': 'api-west'"
    ]


# --------------------------------------------------------------------------- flows


def test_nesting_and_async_defaults(two_regions: LoadedModel) -> None:
    model = two_regions.model
    order = model.flow("order")
    assert step_parents(order) == (None, 0, 0, None, 3)
    assert [step_is_async(model, step) for step in order.steps] == [
        False,  # sync edge
        False,
        True,  # the edge is async
        False,
        True,  # the step says so
    ]
    plan = compile_flows(model)["order"]
    assert [(s.parent, s.is_async, s.children) for s in plan.steps] == [
        (None, False, (1, 2)),
        (0, False, ()),
        (0, True, ()),
        (None, False, (4,)),
        (3, True, ()),
    ]
    assert plan.top == (0, 3)
    assert compile_flows(model)["work"].triggered == {"worker": (0, 1)}


def test_a_triggered_node_continues_its_flow_else_the_first_that_declares_it(
    two_regions: LoadedModel,
) -> None:
    plans = compile_flows(two_regions.model)
    continuation = Continuations(plans)
    assert continuation(plans["work"], "worker") is plans["work"]
    assert continuation(plans["order"], "worker") is plans["work"]
    assert continuation(None, "worker") is plans["work"]
    assert continuation(plans["order"], "api") is None


# --------------------------------------------------------------------------- shapes


RAMP = RampShape(type="ramp", start_factor=1, end_factor=3, start_s=10, end_s=30)
SPIKE = SpikeShape(type="spike", at_s=100, factor=10, rise_s=10, hold_s=50, fall_s=10)
DIURNAL = DiurnalShape(type="diurnal", period_s=100, trough_factor=0.2, peak_at_s=25)
CONSTANT = ConstantShape(type="constant")


def test_shape_factors() -> None:
    assert [RAMP.factor_at(t) for t in (0, 10, 20, 30, 99)] == [1, 1, 2, 3, 3]
    assert [SPIKE.factor_at(t) for t in (99, 105, 110, 159, 165, 170)] == [
        1,
        5.5,
        10,
        10,
        5.5,
        1,
    ]
    assert DIURNAL.factor_at(25) == pytest.approx(1)
    assert DIURNAL.factor_at(75) == pytest.approx(0.2)
    assert CONSTANT.factor_at(5) == 1


def test_peak_factors_bound_every_factor() -> None:
    """Arrivals are drawn by thinning against the peak: no factor may exceed it."""
    zero = RampShape(type="ramp", start_factor=0, end_factor=0, end_s=10)
    dip = SpikeShape(type="spike", at_s=5, factor=0.5, hold_s=10)
    shapes = (RAMP, SPIKE, DIURNAL, CONSTANT, zero, dip)
    assert [s.peak_factor for s in shapes] == [3, 10, 1, 1, 1e-9, 1]
    for shape, t in itertools.product(shapes, range(0, 200, 3)):
        assert shape.factor_at(t) <= shape.peak_factor


def test_the_shapes_are_integrated_exactly() -> None:
    assert CONSTANT.integral(100.0) == pytest.approx(100.0)
    assert RAMP.integral(100.0) == pytest.approx(10 + 40 + 70 * 3)
    assert RAMP.integral(20.0) == pytest.approx(10 + 15)
    sudden = SpikeShape(type="spike", at_s=10, factor=5, hold_s=20)  # sudden, both ways
    assert sudden.integral(100.0) == pytest.approx(80 + 20 * 5)
    sloped = SpikeShape(type="spike", at_s=10, factor=5, rise_s=10, hold_s=20, fall_s=10)
    assert sloped.integral(100.0) == pytest.approx(60 + 10 * 3 + 20 * 5 + 10 * 3)
    day = DiurnalShape(type="diurnal", period_s=100, trough_factor=0.4)
    assert day.integral(100.0) == pytest.approx(70.0)
    assert day.integral(50.0) == pytest.approx(0.4 * 50 + 0.6 * 25)


# --------------------------------------------------------------------------- one copy

SHAPES = {"ConstantShape", "RampShape", "SpikeShape", "DiurnalShape"}

ALLOWED: dict[tuple[str, str], str] = {
    # (file, what): why that file may
    ("model/schema.py", "fnmatch"): "operation_matches, the one edge-operation matcher",
    ("model/schema.py", "replica_of"): "Model.originals, the one replica map",
    ("model/validate.py", "replica_of"): "checks the field itself",
    ("model/kinds/rds.py", "replica_of"): "write forwarding and promotion need a replica",
    ("site/pages.py", "replica_of"): "shows the field on the node's page",
    ("model/schema.py", "Mode.async_"): "Edge.is_async",
    ("model/validate.py", "Mode.async_"): "an async edge refuses a sync step",
    ("model/flows.py", "is_async is"): "step_is_async, the one async default",
    ("model/validate.py", "is_async is"): "an async edge refuses a sync step",
    ("model/validate.py", "isinstance shape"): "reports out-of-range shape times",
}


def _found(tree: ast.AST) -> set[str]:
    """What in ``tree`` re-derives one of the semantics above."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            if "fnmatch" in names:
                found.add("fnmatch")
        elif isinstance(node, ast.Attribute):
            if node.attr == "replica_of":
                found.add("replica_of")
            if node.attr == "async_" and ast.unparse(node.value) == "Mode":
                found.add("Mode.async_")
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute):
            if node.left.attr == "is_async" and isinstance(node.ops[0], ast.Is | ast.IsNot):
                found.add("is_async is")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "isinstance"
            and len(node.args) == 2
            and SHAPES & {n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)}
        ):
            found.add("isinstance shape")
    return found


def _scan() -> set[tuple[str, str]]:
    hits: set[tuple[str, str]] = set()
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            if where == "model/shapes.py":
                continue  # the shapes' own methods
            tree = ast.parse(path.read_text(encoding="utf-8"))
            hits.update((where, what) for what in _found(tree))
    return hits


def test_no_second_copy_of_the_semantics() -> None:
    assert sorted(_scan() - set(ALLOWED)) == []


def test_the_allow_list_is_still_needed() -> None:
    assert sorted(set(ALLOWED) - _scan()) == []


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("import fnmatch", "fnmatch"),
        ("x = node.replica_of or node.id", "replica_of"),
        ("y = edge.mode is Mode.async_", "Mode.async_"),
        ("z = step.is_async if step.is_async is not None else False", "is_async is"),
        ("if isinstance(shape, RampShape | SpikeShape): pass", "isinstance shape"),
    ],
)
def test_the_scan_sees_a_second_copy(source: str, what: str) -> None:
    assert _found(ast.parse(source)) == {what}
