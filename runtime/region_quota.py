"""Quotas AWS counts per account and Region, shared by every node of a kind there.

KMS cryptographic requests and Secrets Manager reads are both limited per account and
Region, not per key or secret: the nodes of the Region draw from one limiter, whose rate is
the smallest quota any of them declares (a model that lowers it on one node lowers it for
the Region, as a quota change would)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from archgen.model.kind import KindParams
    from archgen.runtime.behavior import NodeContext
    from archgen.runtime.services import Services

L = TypeVar("L")


def region_limiter(
    ctx: NodeContext,
    shared: Callable[[Services], dict[str | None, L]],
    name: str,
    quota_of: Callable[[KindParams], float | None],
    build: Callable[[float], L],
) -> L:
    """The limiter of ``ctx``'s Region in the run's ``shared`` table, built on first use by
    ``build`` from the smallest quota ``quota_of`` finds on the Region's nodes (the kinds it
    knows: it answers None for others), at the run's scale and booked as ``name``."""
    limiters = ctx.services.once(shared)
    limiter = limiters.get(ctx.region)
    if limiter is None:
        model = ctx.model
        quotas = []
        for node in model.nodes:
            region = model.region_of(node.group)
            quota = quota_of(node.params)
            if quota is not None and (region and region.id) == ctx.region:
                quotas.append(quota)
        own = quota_of(ctx.node.params)
        assert own is not None, "the node asking holds a quota of its own"
        rate = ctx.scaled_rate(name, min([own, *quotas]))
        limiter = limiters[ctx.region] = build(rate)
    return limiter
