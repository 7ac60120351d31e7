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
    """``AWS::IAM::Role``: the services that assume it and its inline policy documents."""
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
    if documents:
        params["policies"] = documents
    return params


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
    imports=(CfnImport("AWS::IAM::Role", _import_role),),
    cost=free("IAM roles and policies cost nothing"),
)
