"""How each kind of group box is drawn: the group conventions of AWS's architecture icons.

Colours, border styles and group icons follow AWS's guidelines (AWS Cloud squid-ink solid,
Region and Availability Zone teal dashed, VPC purple, public subnet green, private subnet
teal, Auto Scaling group orange dashed, a generic group grey dashed). diagrams ships the
icons of the VPC, the subnets and Auto Scaling, not those of AWS Cloud or Region: those
two are told apart by colour and border, as the guidelines also allow.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archgen.renderers.views import ViewCluster


@dataclass(frozen=True)
class GroupStyle:
    colour: str
    dashed: bool = False
    fill: str = "none"
    icon: str = ""
    """``module:Class`` of diagrams' group icon, drawn before the label."""


GENERIC = GroupStyle("#7D8998", dashed=True)
STYLES: dict[str, GroupStyle] = {
    "aws_cloud": GroupStyle("#232F3E"),
    "region": GroupStyle("#00A4A6", dashed=True),
    "availability_zone": GroupStyle("#00A4A6", dashed=True),
    "vpc": GroupStyle("#8C4FFF", icon="diagrams.aws.network:VPC"),
    "subnet": GroupStyle("#00A4A6", fill="#E6F6F7", icon="diagrams.aws.network:PrivateSubnet"),
    "auto_scaling_group": GroupStyle(
        "#ED7100", dashed=True, icon="diagrams.aws.compute:EC2AutoScaling"
    ),
}
PUBLIC_SUBNET = GroupStyle("#7AA116", fill="#F2F6E8", icon="diagrams.aws.network:PublicSubnet")
ICON_PT = 22
"""Size of a group icon in the box's top-left corner."""


def group_style(cluster: ViewCluster) -> GroupStyle:
    if cluster.public:
        return PUBLIC_SUBNET
    return STYLES.get(cluster.kind, GENERIC)


def cluster_attrs(cluster: ViewCluster, icon: Callable[[str], str]) -> str:
    """The DOT attributes of a cluster: border, fill, and its label (with the group icon
    as an HTML-like label, whose text is escaped so it shows literally)."""
    style = group_style(cluster)
    text = html.escape(cluster.label, quote=True)
    if style.icon:
        label = (
            '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>'
            f'<TD FIXEDSIZE="TRUE" WIDTH="{ICON_PT}" HEIGHT="{ICON_PT}">'
            f'<IMG SRC="{html.escape(icon(style.icon), quote=True)}" SCALE="TRUE"/></TD>'
            f"<TD> {text}</TD></TR></TABLE>>"
        )
    else:
        label = f"<{text}>"
    border = "dashed" if style.dashed else "solid"
    return (
        f'label={label}, style="{border}", color="{style.colour}", '
        f'fontcolor="{style.colour}", bgcolor="{style.fill}", penwidth=1.5'
    )
