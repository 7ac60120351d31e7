"""Where a node's resource lives, as AWS sees it: a Region code, or none when the model
does not say.

AWS enforces Regions in places a model can get wrong: a regional web ACL protects only
resources of its own Region, and a CloudWatch alarm watches only metrics of its own Region.
Global services (CloudFront, Route 53) have no Region of their own; AWS keeps their
metrics, and the web ACLs that protect them, in us-east-1.
"""

from __future__ import annotations

from archgen.model.schema import Model

GLOBAL_HOME = "us-east-1"
"""Where AWS keeps a global service's metrics and CloudFront-scope web ACLs."""


def region_code(model: Model, node_id: str) -> str | None:
    """The code of the Region group enclosing the node (its ``code``, else its id)."""
    node = model.nodes_by_id.get(node_id)
    region = None if node is None else model.region_of(node.group)
    return None if region is None else (region.code or region.id)


def is_global(model: Model, node_id: str) -> bool:
    """A node of a global service (CloudFront, Route 53): no Region of its own."""
    from archgen.model.kind import Capability
    from archgen.model.registry import has

    node = model.nodes_by_id.get(node_id)
    return node is not None and has(node.kind, Capability.global_service)


def metrics_region(model: Model, node_id: str) -> str | None:
    """The Region whose CloudWatch holds the node's metrics: its own, us-east-1 for a global
    service and for a web ACL protecting one; none when the model places it nowhere."""
    if is_global(model, node_id):
        return GLOBAL_HOME
    own = region_code(model, node_id)
    if own is not None:
        return own
    from archgen.model.kind import Protects

    node = model.nodes_by_id.get(node_id)
    if node is None or not isinstance(node.params, Protects):
        return None
    homes = {metrics_region(model, protected) for protected in node.params.protects}
    homes.discard(None)
    return homes.pop() if len(homes) == 1 else None
