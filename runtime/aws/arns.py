"""Amazon Resource Names of model nodes: the one place where an ARN is derived.

A node's own ``arn`` wins. Otherwise the ARN follows AWS's format for the kind's service,
``arn:aws:<service>:<region code>:<system.account_id>:<resource>``, with the region taken
from the node's enclosing region group (its ``code``, else its id). Services whose names
are global leave the region (S3, IAM, Route 53, CloudFront, Shield) or the account (S3,
Route 53) empty, as AWS does. Kinds that are not AWS services (client, external) have none.
"""

from __future__ import annotations

from archgen.model import regions
from archgen.model.registry import kinds
from archgen.model.schema import AnyNode, Model


def region_code(model: Model, node: AnyNode) -> str:
    """AWS name of the node's region (``us-east-1``), or "" for a node outside any region."""
    return regions.region_code(model, node.id) or ""


def derived_arn(model: Model, node: AnyNode) -> str | None:
    """The ARN AWS would give the node, ignoring any ``arn`` written in the model."""
    fmt = kinds()[node.kind].arn
    if fmt is None:
        return None
    region = region_code(model, node) if fmt.regional else ""
    account = model.system.account_id if fmt.with_account else ""
    return f"arn:aws:{fmt.service}:{region}:{account}:{fmt.resource.format(id=node.id)}"


def arn_of(model: Model, node: AnyNode) -> str | None:
    """The node's ARN: the model's ``arn`` if given, else the derived one."""
    return node.arn if node.arn is not None else derived_arn(model, node)


def resource_arn(model: Model, node: AnyNode, op: str) -> str | None:
    """The ARN a call of ``op`` on ``node`` is authorized against.

    Mostly the node's ARN; S3 object operations act on objects, ``<bucket ARN>/<key>``, and
    the key of a simulated call is not known in advance, so it is ``<bucket ARN>/*``: a
    policy must grant the whole bucket's objects (``arn:aws:s3:::bucket/*``) to match.
    """
    arn = arn_of(model, node)
    fmt = kinds()[node.kind].arn
    if arn is not None and fmt is not None and fmt.object_ops and op.startswith(fmt.object_ops):
        return f"{arn}/*"
    return arn
