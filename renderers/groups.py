"""The boxes a diagram draws the AWS way, beyond the model's own groups.

AWS architecture diagrams put everything AWS runs in an *AWS Cloud* box (users and
partners stay outside it), draw a zonal resource inside the availability zones it spans,
and an Auto Scaling group as a dashed orange box around its instances. These boxes are
computed from declared facts only: a kind's capabilities (``outside_aws``,
``scaling_group``) and a node's ``zones``. Their ids contain ``:``, which a model id
cannot, so they never clash with a group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from archgen.model.kind import Capability, Zonal
from archgen.model.registry import kinds

if TYPE_CHECKING:
    from archgen.model.schema import Model
    from archgen.renderers.views import ViewCluster, ViewNode

AWS_CLOUD = "aws:cloud"


@dataclass(frozen=True)
class _Box:
    id: str
    kind: str
    label: str
    parent: str | None


def aws_boxes(
    model: Model, nodes: Sequence[ViewNode], clusters: Sequence[ViewCluster]
) -> tuple[tuple[ViewNode, ...], tuple[_Box, ...], dict[str, str | None]]:
    """Nodes moved into their zone and scaling-group boxes, the new boxes, and the new
    parent of each model cluster (top-level ones go into the AWS Cloud box)."""
    boxes: dict[str, _Box] = {}
    placed = []
    for node in nodes:
        group = node.group
        params = model.node(node.id).params
        if isinstance(params, Zonal) and params.zones:
            zones = [model.groups_by_id[zone] for zone in params.zones]
            box = _Box(
                f"az:{group or ''}:{'+'.join(params.zones)}",
                "availability_zone",
                " · ".join(zone.title for zone in zones),
                group,
            )
            boxes[box.id] = box
            group = box.id
        if kinds()[node.kind].has(Capability.scaling_group):
            box = _Box(f"asg:{node.id}", "auto_scaling_group", "Auto Scaling group", group)
            boxes[box.id] = box
            group = box.id
        placed.append(replace(node, group=group))
    outside = {node.id for node in nodes if kinds()[node.kind].has(Capability.outside_aws)}
    parents: dict[str, str | None] = {cluster.id: cluster.parent for cluster in clusters}
    if len(outside) == len(nodes):
        return tuple(placed), tuple(boxes.values()), parents

    def inside_aws(cluster_id: str) -> bool:
        members = [n for n in placed if _under(n.group, cluster_id, parents, boxes)]
        return any(n.id not in outside for n in members)

    for cluster in clusters:
        if cluster.parent is None and inside_aws(cluster.id):
            parents[cluster.id] = AWS_CLOUD
    placed = [
        replace(n, group=AWS_CLOUD) if n.group is None and n.id not in outside else n
        for n in placed
    ]
    cloud = _Box(AWS_CLOUD, "aws_cloud", "AWS Cloud", None)
    return tuple(placed), (cloud, *boxes.values()), parents


def _under(
    group: str | None, cluster_id: str, parents: dict[str, str | None], boxes: dict[str, _Box]
) -> bool:
    while group is not None:
        if group == cluster_id:
            return True
        group = boxes[group].parent if group in boxes else parents.get(group)
    return False
