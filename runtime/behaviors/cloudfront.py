"""CloudFront: an LRU cache per edge location, TTLs, origin failover, stale-if-error.

Rules (CloudFront Developer Guide):
- Each edge location keeps up to ``cache_capacity_objects`` objects, evicting the least
  recently used. Viewers reach the edge locations of their client location (CloudFront
  routes each viewer to a nearby PoP): the distinct location ids, as the clients first
  declare them (an id two clients declare is one place), are dealt the
  ``edge_locations`` as listed, each a consecutive share as even as can be. With as many
  edges as locations each location has its own; with more, a location's sessions are
  spread over its edges (by session); with fewer, neighbouring locations share one.
  The model gives no distance between a location and an edge, so where each of the
  ``edge_locations`` stands in the list is what says which edge is near whom.
- Cache key = operation + the flow's item (items are Zipf-popular, from the scenario).
- TTL: the origin's ``Cache-Control: max-age`` (S3 ``cache_max_age_s``) clamped to
  [min_ttl_s, max_ttl_s]; no header → ``default_ttl_s``.
- A hit answers from the edge (``hit`` latency). A miss runs the flow's children (the
  ``cache_miss`` steps go to the origin) and stores the answer.
- Objects are the primary origin's (its ``object_size_kb``): an answer that carries one
  reaches a viewer with a ``downlink_mbps`` after size ÷ that bandwidth (CloudFront sets
  no per-connection limit of its own); an origin fetch takes the origin's transfer time
  first (store and forward: the edge does not pass bytes on while they arrive).
- Origin groups: when the primary origin fails (5xx, no connection), the secondary is tried
  (a non-step span); a 4xx (``NoSuchKey`` → ``404``) goes back to the viewer as is.
- ``stale-if-error``: an expired copy no older than ``stale_if_error_s`` past expiry is
  served when the origin fails; otherwise the viewer gets ``502``.
- ``origin_shield``: one more cache (the Origin Shield, a regional edge cache of the same
  capacity) between every edge location and the origin: an edge's miss that the shield
  holds is answered from it (``hit`` latency again, for the edge-to-shield hop) and never
  reaches the origin, so misses of several edges for one object cost one origin fetch.
- Only reads are cached (operations starting with GET/HEAD or Get).
- Metrics (``AWS/CloudFront``): ``Requests`` per viewer request answered; each period the
  shares of them answered with a 4xx, a 5xx or either (``4xxErrorRate``, ``5xxErrorRate``,
  ``TotalErrorRate``), the ``CacheHitRate`` of cacheable requests, and per cache miss the
  ``OriginLatency`` of the primary origin's answer; a shield hit is a cache hit.
- Hybrid fidelity: each cache sees the whole load's refills, not only the traced ones'
  (:mod:`~archgen.runtime.cache_fill`: a lookup that finds its object expired first draws
  the untraced lookups of that key since it expired, each refilling it unless the
  distribution or both origins were out then). The rate of an edge's untraced lookups is
  its traced rate per operation; the shield's, that of all edges. Eviction is left to the
  traced lookups: by Che's approximation an LRU that sees a share s of the lookups of
  every key keeps each key with the probability the whole load's LRU does (its
  characteristic time is t_C/s); so once a cache has evicted, a key it does not hold is a
  miss. An edge refilled by an untraced lookup keeps its copy a full TTL, not the
  shield's remaining one (approximate with ``origin_shield``).
Left out: query-string/header cache keys, collapsing of simultaneous misses in flight.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from archgen.model.kind import CacheControl, KindParams, UserLocations
from archgen.model.kinds import CloudFrontParams, FailoverRole
from archgen.runtime.aws.lru_cache import LruCache
from archgen.runtime.aws.operations import is_client_error, is_read
from archgen.runtime.behavior import Behavior, Call, Footprint, NodeContext, register
from archgen.runtime.cache_fill import LookupRate, UntracedFills, available_from

NOT_FOUND = frozenset({"NoSuchKey", "404", "NotFound"})
SHIELD = "\0shield"
"""The Origin Shield's name among the edge locations' (no declared id can be it)."""


def origin_failure(error: str) -> bool:
    """5xx, connection failures and throttling make CloudFront fail over; 4xx pass through."""
    return not (error[:1] == "4" or error in NOT_FOUND or error == "AccessDenied")


def edges_by_location(locations: Iterable[str], edges: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Client location id → the edge locations that serve its viewers: the distinct ids in
    sequence of first declaration are dealt ``edges`` as listed, a consecutive share each (every
    id at least one). Declaring an id again (a second client in the same place) changes
    nothing: an id names one place, and one place is near the same edges for every client."""
    distinct = list(dict.fromkeys(locations))
    count = len(distinct)
    total = len(edges)
    shares: dict[str, tuple[str, ...]] = {}
    for i, location in enumerate(distinct):
        first = i * total // count
        last = max((i + 1) * total // count, first + 1)
        shares[location] = tuple(edges[first:last])
    return shares


@register("cloudfront")
class CloudFront(Behavior):
    @classmethod
    def footprint(cls, params: KindParams, scale: float, items: int) -> Footprint:
        """Every edge location may cache up to its capacity of the distinct items."""
        assert isinstance(params, CloudFrontParams)
        capacity = min(params.cache_capacity_objects, items)
        return Footprint(cached_objects=capacity * len(params.edge_locations))

    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        node = ctx.node
        assert isinstance(node.params, CloudFrontParams)
        params = node.params
        model = ctx.model
        self.capacity = params.cache_capacity_objects
        self.stale_ms = params.stale_if_error_s * 1000.0
        self.hit_latency = ctx.sampler(params.hit)
        self.edges = list(params.edge_locations) or ["edge"]
        self.caches: dict[str, LruCache[tuple[str, int]]] = {
            edge: LruCache(self.capacity) for edge in self.edges
        }
        self.shield: LruCache[tuple[str, int]] | None = (
            LruCache(self.capacity) if params.origin_shield else None
        )
        locations: list[str] = []
        for node in model.nodes:
            if isinstance(node.params, UserLocations):
                locations.extend(location.id for location in node.params.locations)
        self.edge_of = edges_by_location(locations, self.edges)
        self.primary = next(
            (o.target for o in params.origins if o.failover is FailoverRole.primary), None
        )
        self.secondary = next(
            (o.target for o in params.origins if o.failover is FailoverRole.secondary), None
        )
        ttl = params.default_ttl_s
        origin = model.nodes_by_id.get(self.primary or "")
        max_age = (
            origin.params.cache_max_age_s
            if origin is not None and isinstance(origin.params, CacheControl)
            else None
        )
        if max_age is not None:
            ttl = min(max(max_age, params.min_ttl_s), params.max_ttl_s)
        self.ttl_ms = ttl * 1000.0
        self.fills: dict[str, UntracedFills] | None = None
        self.rates: dict[tuple[str, str], LookupRate] = {}
        fidelity = ctx.fidelity
        if fidelity.hybrid and fidelity.sample < 1.0:
            answers = available_from(
                ctx.outages(ctx.node_id),
                *(ctx.outages(origin) for origin in (self.primary, self.secondary) if origin),
            )
            self.fills = {
                name: UntracedFills(
                    fidelity.sample,
                    self.ttl_ms,
                    ctx.rng,
                    self._share,
                    answers,
                )
                for name in [*self.edges, SHIELD]
            }
        self.hits = 0
        self.misses = 0
        self.shield_hits = 0
        self.stale_served = 0
        self.failovers = 0
        self.period_hits = 0
        self.period_lookups = 0
        self.period_requests = 0
        self.period_4xx = 0
        self.period_5xx = 0

    def _share(self, item: int) -> float:
        """The item's share of the flows (the traffic publishes it once built)."""
        return self.ctx.services.item_share(item)

    def _untraced(
        self,
        name: str,
        cache: LruCache[tuple[str, int]],
        key: tuple[str, int],
        item: int,
        expires: float | None,
        now: float,
    ) -> float | None:
        """Hybrid fidelity: ``key``'s expiry in edge location ``name`` (or the shield) once
        the untraced lookups since it expired have refilled it; counts the traced lookup
        in the rate of its stream (the shield's: every edge's)."""
        assert self.fills is not None
        stream = (name, key[0])
        rate = self.rates.get(stream)
        if rate is None:
            rate = self.rates[stream] = LookupRate()
        if name != SHIELD:
            rate.add(now)
            if self.shield is not None:
                shield = self.rates.get((SHIELD, key[0]))
                if shield is None:
                    shield = self.rates[(SHIELD, key[0])] = LookupRate()
                shield.add(now)
        if expires is not None and expires > now:
            return expires  # fresh: nothing to draw
        if expires is None and cache.evicted:
            return None  # evicted or never held, in a cache that evicts: a miss (Che)
        refilled = self.fills[name].refill(key, item, rate, expires, now)
        if refilled is not None and refilled != expires:
            cache.store(key, refilled)
        return refilled

    def condition(self, name: str, call: Call) -> bool | None:
        cache = call.attrs.get("cache") if call.attrs else None
        if name == "cache_miss":
            return cache != "hit"
        if name == "cache_hit":
            return cache == "hit"
        return None

    def handle(self, call: Call) -> None:
        if not is_read(call.op):
            self.ctx.run_children(call, self.ctx.finish)
            return
        session = call.trace.session
        edges = self.edge_of.get(session.location or "")
        edge = self.edges[0] if edges is None else edges[session.id % len(edges)]
        cache = self.caches[edge]
        key = (call.op, call.trace.item)
        expires = cache.expiry(key)
        now = self.ctx.now
        if self.fills is not None:
            expires = self._untraced(edge, cache, key, call.trace.item, expires, now)
        call.note("edge", edge)
        self.period_lookups += 1
        if cache.fresh(key, now):
            self.hits += 1
            self.period_hits += 1
            call.note("cache", "hit")
            self.ctx.after(self.hit_latency(), self.ctx.finish, call)
            return
        shield = self.shield
        if shield is not None:
            shielded = shield.expiry(key)
            if self.fills is not None:
                shielded = self._untraced(SHIELD, shield, key, call.trace.item, shielded, now)
            if shielded is not None and shield.fresh(key, now):
                cache.store(key, shielded)
                self.hits += 1
                self.shield_hits += 1
                self.period_hits += 1
                call.note("cache", "hit")
                call.note("shield", "hit")
                self.ctx.after(self.hit_latency() + self.hit_latency(), self.ctx.finish, call)
                return
        self.misses += 1
        call.note("cache", "miss" if expires is None else "expired")
        call.payload = (edge, key, expires, now)
        self.ctx.run_children(call, self._origin_answered)

    def _origin_answered(self, call: Call) -> None:
        edge, key, expires, asked = call.payload
        self.ctx.emit("OriginLatency", self.ctx.now - asked)
        if call.error is not None and not origin_failure(call.error):
            call.note("origin_error", call.error)
            self.ctx.finish(call, "404" if call.error in NOT_FOUND else call.error)
            return
        if call.error is not None and self.secondary is not None:
            self.failovers += 1
            call.note("origin_failover", self.secondary)
            call.error = None
            call.origin = None
            op = self._origin_op(call)
            self.ctx.call(call, self.secondary, op, self._secondary_answered)
            return
        self._store_or_fail(call, edge, key, expires)

    def _secondary_answered(self, child: Call) -> None:
        call = child.parent
        assert call is not None
        if child.error is not None:
            call.error = child.error
            call.origin = child.origin
        edge, key, expires, _ = call.payload
        self._store_or_fail(call, edge, key, expires)

    def _store_or_fail(
        self, call: Call, edge: str, key: tuple[str, int], expires: float | None
    ) -> None:
        cache = self.caches[edge]
        now = self.ctx.now
        if call.error is None:
            cache.store(key, now + self.ttl_ms)
            if self.shield is not None:
                self.shield.store(key, now + self.ttl_ms)
            self.ctx.finish(call)
            return
        call.note("origin_error", call.error)
        if expires is not None and now - expires <= self.stale_ms:
            self.stale_served += 1
            call.note("cache", "stale")
            call.error = None
            call.origin = None
            self.ctx.finish(call)
            return
        self.ctx.finish(call, "502")

    def _origin_op(self, call: Call) -> str:
        plan = call.trace.flow
        if plan is not None and call.step is not None:
            for index in plan.steps[call.step].children:
                if plan.steps[index].target == self.primary:
                    return str(plan.steps[index].op)
        return "GetObject"

    def completed(self, call: Call) -> None:
        self.ctx.emit("Requests", 1)
        self.period_requests += 1
        if call.error is not None:
            if is_client_error(call.error):
                self.period_4xx += 1
            else:
                self.period_5xx += 1

    def on_period(self, t_s: float) -> None:
        emit = self.ctx.emit
        if self.period_lookups:
            emit("CacheHitRate", 100.0 * self.period_hits / self.period_lookups)
        requests = self.period_requests
        if requests:
            emit("4xxErrorRate", 100.0 * self.period_4xx / requests)
            emit("5xxErrorRate", 100.0 * self.period_5xx / requests)
            emit("TotalErrorRate", 100.0 * (self.period_4xx + self.period_5xx) / requests)
        self.period_hits = 0
        self.period_lookups = 0
        self.period_requests = self.period_4xx = self.period_5xx = 0

    def summary(self) -> dict[str, Any]:
        lookups = self.hits + self.misses
        return {
            "cache": {
                "hits": self.hits,
                "misses": self.misses,
                "hit_ratio": round(self.hits / lookups, 6) if lookups else None,
                "shield_hits": self.shield_hits,
                "stale_served": self.stale_served,
                "origin_failovers": self.failovers,
            }
        }
