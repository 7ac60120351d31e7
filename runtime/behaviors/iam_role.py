"""IAM role: not a hop but the authority behind its nodes' calls.

Every ``aws-api`` call of a node with ``role: <this role>``, and every call made with a
presigned URL such a node signs (an edge's ``presigned_by``), is authorized by
:func:`archgen.runtime.aws.iam.authorize` on the call path (explicit Deny > Allow > implicit
deny); denied calls fail with ``AccessDenied`` and are counted on the target node. A call
*to* a role (``sts:AssumeRole``) simply succeeds after the flow's children.
Left out: permission boundaries, session policies, service control policies,
resource policies other than a KMS key policy, and the expiry of role sessions.
"""

from __future__ import annotations

from typing import Any

from archgen.model.kinds import IamRoleParams
from archgen.runtime.behavior import Behavior, register


@register("iam_role")
class IamRole(Behavior):
    def summary(self) -> dict[str, Any]:
        node = self.ctx.node
        assert isinstance(node.params, IamRoleParams)
        params = node.params
        members = sorted(n.id for n in self.ctx.model.nodes if n.role == self.ctx.node_id)
        return {
            "role": {
                "members": members,
                "statements": sum(len(p.Statement) for p in params.policies),
            }
        }
