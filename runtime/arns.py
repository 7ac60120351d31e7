"""Amazon Resource Names of model nodes: the one place where an ARN is derived.

A node's own ``arn`` wins. Otherwise the ARN follows AWS's format for the kind's service,
``arn:aws:<service>:<region code>:<system.account_id>:<resource>``, with the region taken
from the node's enclosing region group (its ``code``, else its id). Services whose names
are global leave the region (S3, IAM, Route 53, CloudFront, Shield) or the account (S3,
Route 53) empty, as AWS does. Kinds that are not AWS services (client, external) have none.
"""

from __future__ import annotations

from archgen.model.schema import AnyNode, Model

# kind -> (ARN service, resource template, regional?, carries the account id?)
_FORMATS: dict[str, tuple[str, str, bool, bool]] = {
    "route53": ("route53", "hostedzone/{id}", False, False),
    "cloudfront": ("cloudfront", "distribution/{id}", False, True),
    "shield": ("shield", "protection/{id}", False, True),
    "waf": ("wafv2", "regional/webacl/{id}", True, True),
    "alb": ("elasticloadbalancing", "loadbalancer/app/{id}", True, True),
    "ec2": ("autoscaling", "autoScalingGroup:*:autoScalingGroupName/{id}", True, True),
    "lambda": ("lambda", "function:{id}", True, True),
    "sagemaker_endpoint": ("sagemaker", "endpoint/{id}", True, True),
    "s3": ("s3", "{id}", False, False),
    "dynamodb": ("dynamodb", "table/{id}", True, True),
    "rds": ("rds-db", "dbuser:{id}/*", True, True),
    "kms": ("kms", "key/{id}", True, True),
    "iam_role": ("iam", "role/{id}", False, True),
    "sqs": ("sqs", "{id}", True, True),
    "sns": ("sns", "{id}", True, True),
    "cloudwatch": ("cloudwatch", "alarm:{id}", True, True),
}


def region_code(model: Model, node: AnyNode) -> str:
    """AWS name of the node's region (``us-east-1``), or "" for a node outside any region."""
    region = model.region_of(node.group)
    if region is None:
        return ""
    return region.code or region.id


def derived_arn(model: Model, node: AnyNode) -> str | None:
    """The ARN AWS would give the node, ignoring any ``arn`` written in the model."""
    fmt = _FORMATS.get(node.kind)
    if fmt is None:
        return None
    service, resource, regional, with_account = fmt
    region = region_code(model, node) if regional else ""
    account = model.system.account_id if with_account else ""
    return f"arn:aws:{service}:{region}:{account}:{resource.format(id=node.id)}"


def arn_of(model: Model, node: AnyNode) -> str | None:
    """The node's ARN: the model's ``arn`` if given, else the derived one."""
    return node.arn if node.arn is not None else derived_arn(model, node)


S3_OBJECT_OPS = (
    "GetObject",
    "PutObject",
    "DeleteObject",
    "HeadObject",
    "CopyObject",
    "RestoreObject",
    "GetObjectAcl",
    "PutObjectAcl",
    "AbortMultipartUpload",
)


def resource_arn(model: Model, node: AnyNode, op: str) -> str | None:
    """The ARN a call of ``op`` on ``node`` is authorized against.

    Mostly the node's ARN; S3 object operations act on objects, ``<bucket ARN>/<key>``, and
    the key of a simulated call is not known in advance, so it is ``<bucket ARN>/*``: a
    policy must grant the whole bucket's objects (``arn:aws:s3:::bucket/*``) to match.
    """
    arn = arn_of(model, node)
    if arn is not None and node.kind == "s3" and op.startswith(S3_OBJECT_OPS):
        return f"{arn}/*"
    return arn
