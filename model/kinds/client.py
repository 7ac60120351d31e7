"""Client: where users sit and how they pace a journey; the source of every session."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from archgen.model.base import (
    MAX_MS,
    Duration,
    Id,
    Strict,
    Weight,
    ms,
)
from archgen.model.cost import not_priced
from archgen.model.kind import (
    Capability,
    Checks,
    KindParams,
    Node,
    StartsSessions,
    kind,
)
from archgen.model.loader import PathKey
from archgen.model.schema import GroupKind


class ClientLocation(Strict):
    """Where a share of the users sits, and its network round trip to each region group."""

    id: Id
    weight: Weight = Field(1.0, description="Relative share of the users at this location.")
    latency_ms: dict[Id, Annotated[float, Field(ge=0, le=60_000)]] = Field(
        default_factory=dict,
        description="Round-trip time from here to each region group id (at most 60 s).",
    )


class ClientParams(KindParams, StartsSessions):
    """Settings of the users' devices: where they are and how long they think."""

    locations: tuple[ClientLocation, ...] = Field(
        (),
        description="Where the users sit, each with a weight and its round trips to the regions.",
    )
    think_time: Duration = Field(
        default_factory=lambda: ms(8000, 1.0, "exponential"),
        description="Pause between two flows of a journey.",
    )
    timeout_ms: float = Field(
        10_000,
        gt=0,
        le=MAX_MS,
        description="How long a call may wait for its answer (at most a day); the time an "
        "object takes to move counts apart.",
    )
    downlink_mbps: float | None = Field(
        None,
        gt=0,
        le=100_000,
        description="Download bandwidth of one user, in Mbit/s: an object they fetch takes "
        "its size ÷ this; none: their network does not limit it.",
    )
    uplink_mbps: float | None = Field(
        None,
        gt=0,
        le=100_000,
        description="Upload bandwidth of one user, in Mbit/s: an object they send takes its "
        "size ÷ this; none: their network does not limit it.",
    )

    def call_timeout_ms(self) -> float:
        return self.timeout_ms

    def link_mbps(self, upload: bool) -> float | None:
        return self.uplink_mbps if upload else self.downlink_mbps


def _validate(checks: Checks, path: PathKey, node: Node, params: ClientParams) -> None:
    for i, location in enumerate(params.locations):
        for region in location.latency_ms:
            checks.group_ref(
                (*path, "locations", i, "latency_ms", region), region, GroupKind.region
            )


SPEC = kind(
    "client",
    ClientParams,
    title="Client",
    category="edge",
    order=10,
    summary="Users' devices, spread over locations.",
    icon=("diagrams.aws.general", "Users"),
    capabilities={Capability.traffic_source, Capability.outside_aws},
    behavior="archgen.runtime.behaviors.client:Client",
    validate=_validate,
    cost=not_priced("users' devices and networks are outside AWS"),
)
