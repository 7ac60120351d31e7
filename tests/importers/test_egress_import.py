"""NAT gateways and VPC endpoints imported (issue 14): a VPC template in the shape of the
public samples (public and private subnets, routes, one NAT gateway, an S3 gateway and an
SQS interface endpoint) and the same in a Terraform plan; the subnets whose routes lead to
an internet gateway are public; without the NAT gateway the lint says which call cannot
leave the VPC."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from archgen.main import cli
from archgen.model.importers.cloudformation import import_cloudformation
from archgen.model.importers.terraform import import_terraform
from archgen.model.load import load_model_text
from tests.golden import assert_golden

DATA = Path(__file__).parent / "data"
TEMPLATE = DATA / "private-worker.yaml"
FINDING = re.compile(r"^  error: \S+ (edges\[\d+\]): \[no-egress\] (.*)$", re.M)


def test_imported_model_is_the_golden() -> None:
    assert_golden(DATA / "private-worker.model.yaml", import_cloudformation(TEMPLATE).text)


def test_routes_make_subnets_public_and_the_egress_nodes_sit_in_the_vpc() -> None:
    imported = import_cloudformation(TEMPLATE)
    assert (imported.resources, imported.nodes, imported.edges) == (24, 8, 3)
    model = load_model_text(imported.text).model
    assert [(g.id, g.public) for g in model.groups if g.kind.value == "subnet"] == [
        ("public-a", True),
        ("public-b", True),
        ("private-a", False),
        ("private-b", False),
    ]
    nodes = model.nodes_by_id
    assert (nodes["nat"].kind, nodes["nat"].group) == ("nat_gateway", "public-a")
    s3, sqs = nodes["archive-endpoint"].params, nodes["queue-endpoint"].params
    assert (s3.service, s3.endpoint_type.value, nodes["archive-endpoint"].group) == (  # type: ignore[attr-defined]
        "s3",
        "gateway",
        "network",
    )
    assert (sqs.service, sqs.endpoint_type.value, sqs.zones) == ("sqs", "interface", 2)  # type: ignore[attr-defined]
    assert [u.type for u in imported.unmodeled].count("AWS::EC2::NatGateway") == 0
    assert [u.type for u in imported.unmodeled].count("AWS::EC2::VPCEndpoint") == 0


def _lint(template: Path, tmp_path: Path) -> list[tuple[str, str]]:
    model = tmp_path / "model.yaml"
    runner = CliRunner()
    args = ["import", "cloudformation", str(template), "-o", str(model)]
    assert runner.invoke(cli, args, catch_exceptions=False).exit_code == 0
    result = runner.invoke(cli, ["check", str(model), "--lint-only"], catch_exceptions=False)
    return FINDING.findall(result.stdout)


def test_without_the_nat_gateway_only_dynamodb_has_no_way_out(tmp_path: Path) -> None:
    """S3 and SQS have their endpoints; DynamoDB went through the NAT gateway."""
    assert _lint(TEMPLATE, tmp_path) == []
    text = TEMPLATE.read_text(encoding="utf-8")
    for name in ("  Nat:\n", "  DefaultPrivateRoute:\n"):
        start = text.index(name)
        text = text[:start] + text[text.index("\n\n", start) + 2 :]
    bare = tmp_path / "bare.yaml"
    bare.write_text(text, encoding="utf-8")
    assert _lint(bare, tmp_path) == [
        (
            "edges[2]",
            "'worker' runs in VPC 'network' (in no public subnet) and calls DynamoDB table "
            "'results', but VPC 'network' has neither a NAT gateway nor a VPC endpoint for "
            "dynamodb: the call cannot leave the VPC (a run fails it with ConnectTimeoutError)",
        )
    ]


def _add(
    plan: dict[str, Any], type_: str, name: str, values: dict[str, Any], refs: dict[str, str]
) -> None:
    """A resource in the plan's three places: planned values, changes, configuration."""
    address = f"{type_}.{name}"
    base = {"address": address, "mode": "managed", "type": type_, "name": name}
    provider = "registry.terraform.io/hashicorp/aws"
    plan["planned_values"]["root_module"]["resources"].append(
        {**base, "provider_name": provider, "schema_version": 0, "values": values}
    )
    unknown = {"id": True, "arn": True, **dict.fromkeys(refs, True)}
    plan["resource_changes"].append(
        {
            **base,
            "provider_name": provider,
            "change": {
                "actions": ["create"],
                "before": None,
                "after": values,
                "after_unknown": unknown,
            },
        }
    )
    expressions: dict[str, Any] = {k: {"constant_value": v} for k, v in values.items()}
    for key, target in refs.items():
        expressions[key] = {"references": [f"{target}.id", target]}
    plan["configuration"]["root_module"]["resources"].append(
        {**base, "provider_config_key": "aws", "expressions": expressions, "schema_version": 0}
    )


def test_terraform_nat_gateway_and_vpc_endpoint(tmp_path: Path) -> None:
    plan = json.loads((DATA / "web-plan.json").read_text(encoding="utf-8"))
    plan = copy.deepcopy(plan)
    _add(
        plan,
        "aws_nat_gateway",
        "egress",
        {"connectivity_type": "public"},
        {"subnet_id": "aws_subnet.public_a"},
    )
    _add(
        plan,
        "aws_vpc_endpoint",
        "s3",
        {"service_name": "com.amazonaws.us-east-2.s3", "vpc_endpoint_type": "Gateway"},
        {"vpc_id": "aws_vpc.main"},
    )
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, indent=2), encoding="utf-8")
    imported = import_terraform(path)
    model = load_model_text(imported.text).model
    nodes = model.nodes_by_id
    assert (nodes["egress"].kind, nodes["egress"].group) == ("nat_gateway", "public-a")
    assert (nodes["s3"].kind, nodes["s3"].group) == ("vpc_endpoint", "main")
    assert nodes["s3"].params.service == "s3"  # type: ignore[attr-defined]
    assert not any(
        u.logical_id.startswith(("aws_nat_gateway", "aws_vpc_endpoint")) for u in imported.unmodeled
    )
