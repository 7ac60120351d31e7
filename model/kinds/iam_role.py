"""IAM role: the policies that authorize the calls of the nodes it is given to."""

from __future__ import annotations

from pydantic import Field

from archgen.model.iam import PolicyDocument
from archgen.model.kind import (
    Arn,
    Capability,
    GrantsPolicies,
    KindParams,
    kind,
)


class IamRoleParams(KindParams, GrantsPolicies):
    """Settings of an IAM role: who may assume it and what its policies allow."""

    policies: tuple[PolicyDocument, ...] = Field(
        (), description="Identity policies attached to the role."
    )
    assumed_by: tuple[str, ...] = Field(
        (), description="Service principals that may assume the role (ec2.amazonaws.com…)."
    )


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
)
