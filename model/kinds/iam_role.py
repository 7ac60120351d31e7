"""IAM role: the policies that authorize the calls of the nodes it is given to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from archgen.model.cost import free
from archgen.model.iam import PolicyDocument
from archgen.model.kind import (
    Arn,
    Capability,
    CfnImport,
    GrantsPolicies,
    KindParams,
    kind,
)

if TYPE_CHECKING:
    from archgen.model.importers.context import ImportContext


class IamRoleParams(KindParams, GrantsPolicies):
    """Settings of an IAM role: who may assume it and what its policies allow."""

    policies: tuple[PolicyDocument, ...] = Field(
        (), description="Identity policies attached to the role."
    )
    assumed_by: tuple[str, ...] = Field(
        (), description="Service principals that may assume the role (ec2.amazonaws.com…)."
    )


def _import_role(ctx: ImportContext) -> dict[str, object]:
    """``AWS::IAM::Role``: the services that assume it, its inline policy documents and
    the AWS managed policies it attaches."""
    params: dict[str, object] = {}
    trust = ctx.plain(ctx.prop("AssumeRolePolicyDocument", default={}))
    statements = trust.get("Statement", []) if isinstance(trust, dict) else []
    services: list[str] = []
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal", {}) if isinstance(statement, dict) else {}
        found = principal.get("Service", []) if isinstance(principal, dict) else []
        services += [found] if isinstance(found, str) else [str(s) for s in found]
    if services:
        params["assumed_by"] = services
    policies = ctx.prop("Policies", default=[])
    documents = [
        ctx.plain(item["PolicyDocument"])
        for item in (policies if isinstance(policies, list) else [])
        if isinstance(item, dict) and isinstance(item.get("PolicyDocument"), dict)
    ]
    documents += _managed(ctx)
    if documents:
        params["policies"] = documents
    return params


def _managed(ctx: ImportContext) -> list[object]:
    """``ManagedPolicyArns``: each AWS managed policy archgen ships, read in inline as AWS
    defines it (a note names its version); any other is reported, not guessed."""
    from archgen.model.importers.context import Unmodeled
    from archgen.model.importers.managed import aws_managed_name, lookup

    arns = ctx.prop("ManagedPolicyArns", default=[])
    documents: list[object] = []
    this = ctx.this
    for value in arns if isinstance(arns, list) else []:
        arn = ctx.text(value)
        policy = lookup(arn)
        if policy is not None:
            documents.append(policy.document)
            if this is not None:
                this.notes.append(
                    f"managed policy {policy.name} ({policy.label}) read in inline (AWS's document)"
                )
            continue
        name = aws_managed_name(arn)
        why = (
            f"AWS managed policy {name} is not among those archgen ships: its statements "
            "are missing (add them inline to see them)"
            if name is not None
            else f"managed policy {arn} is not an AWS managed one: its statements are "
            "missing (inline them in the role)"
        )
        ctx.graph.unresolved.append(Unmodeled(ctx.type, ctx.logical_id, why))
        if this is not None:
            this.notes.append(f"not resolved: {why}")
    return documents


SPEC = kind(
    "iam_role",
    IamRoleParams,
    title="IAM role",
    category="security",
    order=140,
    summary="Role with policy documents.",
    icon=("diagrams.aws.security", "IAMRole"),
    arn=Arn("iam", "role/{id}", regional=False),
    iam_service="iam",
    capabilities={Capability.security, Capability.role},
    behavior="archgen.runtime.behaviors.iam_role:IamRole",
    imports=(CfnImport("AWS::IAM::Role", _import_role, physical_name="RoleName"),),
    cost=free("IAM roles and policies cost nothing"),
)
