"""ElastiCache (Valkey / Redis OSS, cluster mode disabled): a key-value cache in memory that
answers GETs with a hit or a miss, keeps what SETs write until their TTL, evicts the least
recently used key when memory is full, and fails over to a replica.

Rules (ElastiCache User Guide: node types and their memory, reserved memory, Redis OSS
parameters, Multi-AZ with automatic failover; CloudWatch metrics for Valkey/Redis OSS):
- A command's key is the step's declared key, else the flow's item (the scenario's
  Zipf-popular items), as S3 keys objects. Reads (``GET``, ``MGET``, ``HGET``…, ``EXISTS``)
  look the key up: a **hit** when it is cached and its TTL has not passed, else a **miss**
  (an expired key is removed then, as Redis expires lazily). A miss is an answer, not an
  error: the caller's later steps ``when: cache_miss`` run (cache-aside: the application
  reads its database, then SETs the cache), and its ``when: cache_hit`` steps when it hit.
- Deletes (``DEL``, ``UNLINK``) remove the key; every other command (``SET``, ``HSET``…)
  stores it for ``ttl_s`` (none: no expiry), as the most recently used.
- Memory: the node type's memory less ``reserved_memory_percent`` holds
  ``memory / item_size_bytes`` items (memory is the data's size, not the traffic's, so it
  is not scaled). Storing one more evicts the least recently used key, a key with a TTL
  under ``volatile-lru`` (ElastiCache's default) or any under ``allkeys-lru``; each is an
  ``Evictions``. With nothing evictable (``noeviction``, or ``volatile-lru`` and items
  without TTL) a write into a full memory fails with ``OOM``.
- One engine thread executes the commands, ``engine_ops_per_s`` (scaled) of them a
  second; commands queue behind it, and its busy share of a period is the
  ``EngineCPUUtilization``. Each command in flight holds a client connection, at most
  ``max_connections`` (scaled, time-shared); one more is refused with
  ``ERR max number of clients reached``.
- The primary sits in ``zones[0]``, the replicas in the zones after it. When the primary's
  zone goes out, Multi-AZ automatic failover promotes a replica in a zone still up after
  ``failover_s``: meanwhile writes fail (``ServiceUnavailable``) and reads are answered by
  a replica; the promoted replica keeps the data. Without Multi-AZ writes fail until the
  zone comes back, with a node replaced empty unless a replica kept the data; without a
  replica up, reads fail too.
- Metrics (``AWS/ElastiCache``): ``CacheHits`` and ``CacheMisses`` per read lookup,
  ``Evictions`` per key evicted, ``CurrConnections`` (the most connections open at once in
  the period) and ``EngineCPUUtilization`` as gauges.
Left out: cluster mode (several shards), replication lag (replicas read what the primary
has), the replacement of a failed node after a failover (one replica fewer from then on),
data tiering, and big keys' longer commands (every command takes the same engine time).
"""

from __future__ import annotations

from typing import Any

from archgen.model.kinds import ElastiCacheParams, EvictionPolicy
from archgen.model.schema import Fault
from archgen.runtime.aws.lru_cache import NEVER, LruCache
from archgen.runtime.aws.operations import is_read
from archgen.runtime.behavior import Behavior, Call, Footprint, NodeContext, register

READS = ("MGET", "HGET", "HMGET", "HGETALL", "EXISTS", "TTL")
"""Read commands that :func:`is_read` does not already know by their verb."""
DELETES = ("DEL", "UNLINK")
OOM = "OOM"
"""Redis's answer to a write into a full memory with nothing to evict."""
MAX_CLIENTS = "ERR max number of clients reached"
UNAVAILABLE = "ServiceUnavailable"


def is_lookup(op: str) -> bool:
    """Whether a command only reads a key (a hit or a miss)."""
    return is_read(op) or op.upper().startswith(READS)


@register("elasticache")
class ElastiCache(Behavior):
    @classmethod
    def footprint(cls, params: Any, scale: float, items: int) -> Footprint:
        """The cache may come to hold every distinct item its memory fits."""
        assert isinstance(params, ElastiCacheParams)
        return Footprint(cached_objects=min(params.capacity_items(), items))

    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        params = ctx.node.params
        assert isinstance(params, ElastiCacheParams)
        self.cache: LruCache[int | str] = LruCache(max(1, params.capacity_items()))
        self.ttl_ms = NEVER if params.ttl_s is None else params.ttl_s * 1000.0
        policy = params.maxmemory_policy
        self.evictable = policy is EvictionPolicy.allkeys_lru or (
            policy is EvictionPolicy.volatile_lru and params.ttl_s is not None
        )
        rate = ctx.scaled_rate("engine_ops_per_s", params.engine_ops_per_s)
        self.command_ms = 1000.0 / rate
        self.slots = ctx.scaled_slots("max_connections", params.max_connections)
        self.latency = ctx.sampler(params.latency)
        zones = list(params.zones)
        self.primary = zones[0] if zones else None
        others = zones[1:]
        self.replica_zones = (
            [others[i % len(others)] for i in range(params.replicas)] if others else []
        )
        self.replicas = params.replicas
        self.multi_az = params.multi_az
        self.failover_ms = params.failover_s * 1000.0
        self.promote_at: float | None = None
        self.promote_to: str | None = None
        self.busy_until = 0.0
        self.busy_ms = 0.0
        self.period_start_ms = 0.0
        self.connections = 0
        self.peak = 0
        self.hits = 0
        self.misses = 0
        self.expired = 0
        self.oom = 0
        self.refused = 0
        self.failed_writes = 0
        self.failovers: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ failover

    def _up(self, zone: str | None) -> bool:
        return zone is None or zone not in self.ctx.faults.zones_down

    def _replica_up(self) -> bool:
        if self.replicas and not self.replica_zones:
            return True  # replicas without zones share the primary's fate only by node
        return any(self._up(zone) for zone in self.replica_zones)

    def on_fault(self, fault: Fault, active: bool) -> None:
        if self._up(self.primary) or self.promote_at is not None:
            return
        standby = [zone for zone in self.replica_zones if self._up(zone)]
        if self.multi_az and standby:
            self.promote_to = standby[0]
            self.promote_at = self.ctx.now + self.failover_ms
            self.ctx.after(self.failover_ms, self._promote)
        elif not standby and not self._replica_up():
            self.cache.clear()  # no replica holds the data: the node comes back empty

    def _promote(self, _: Any = None) -> None:
        assert self.promote_to is not None
        self.failovers.append(
            {
                "t_s": round(self.ctx.now / 1000, 3),
                "from": self.primary,
                "to": self.promote_to,
            }
        )
        self.replica_zones.remove(self.promote_to)
        if self.primary is not None:
            self.replica_zones.append(self.primary)
        self.primary = self.promote_to
        self.promote_to = None
        self.promote_at = None

    def healthy(self) -> bool:
        return not self.ctx.faults.down and (self._up(self.primary) or self._replica_up())

    # ------------------------------------------------------------------ commands

    def handle(self, call: Call) -> None:
        lookup = is_lookup(call.op)
        if not self._up(self.primary):
            if not lookup:
                self.failed_writes += 1
                self.ctx.fail(call, UNAVAILABLE)
                return
            if not self._replica_up():
                self.ctx.fail(call, UNAVAILABLE)
                return
            call.note("replica", True)
        now = self.ctx.now
        if not self.slots.take(now):
            self.refused += 1
            self.ctx.fail(call, MAX_CLIENTS)
            return
        self.connections += 1
        self.peak = max(self.peak, self.connections)
        start = max(now, self.busy_until)
        self.busy_until = start + self.command_ms
        self.busy_ms += self.command_ms
        self.ctx.after(self.busy_until - now + self.latency(), self._execute, call)

    def _execute(self, call: Call) -> None:
        key = call.object_key()
        now = self.ctx.now
        cache = self.cache
        op = call.op.upper()
        error: str | None = None
        if is_lookup(call.op):
            if cache.fresh(key, now):
                self.hits += 1
                call.note("cache", "hit")
                self.ctx.emit("CacheHits", 1)
            else:
                if cache.expiry(key) is not None:
                    cache.drop(key)
                    self.expired += 1
                self.misses += 1
                call.note("cache", "miss")
                self.ctx.emit("CacheMisses", 1)
        elif op.startswith(DELETES):
            cache.drop(key)
        elif not self.evictable and len(cache) >= cache.capacity and cache.expiry(key) is None:
            self.oom += 1
            error = OOM
        else:
            evicted = cache.store(key, now + self.ttl_ms)
            if evicted:
                self.ctx.emit("Evictions", evicted)
        self.connections -= 1
        self.slots.give(now)
        if error is not None:
            self.ctx.fail(call, error)
            return
        self.ctx.run_children(call, self.ctx.finish)

    def condition(self, name: str, call: Call) -> bool | None:
        """A lookup's answer decides the caller's ``cache_miss`` / ``cache_hit`` steps."""
        answer = call.attrs.get("cache") if call.attrs else None
        if answer is None:
            return None
        if name == "cache_miss":
            return bool(answer != "hit")
        if name == "cache_hit":
            return bool(answer == "hit")
        return None

    def on_period(self, t_s: float) -> None:
        now = t_s * 1000.0
        span = now - self.period_start_ms
        emit = self.ctx.emit
        emit("CurrConnections", float(self.peak))
        if span > 0:
            ahead = max(0.0, self.busy_until - now)  # queued work belongs to later periods
            emit("EngineCPUUtilization", min(100.0, 100.0 * (self.busy_ms - ahead) / span))
            self.busy_ms = ahead
        self.period_start_ms = now
        self.peak = self.connections

    def summary(self) -> dict[str, Any]:
        lookups = self.hits + self.misses
        return {
            "keyspace": {
                "hits": self.hits,
                "misses": self.misses,
                "hit_ratio": round(self.hits / lookups, 6) if lookups else None,
                "evictions": self.cache.evicted,
                "expired": self.expired,
                "items": len(self.cache),
                "capacity_items": self.cache.capacity,
                "oom_refused_writes": self.oom,
            },
            "refused_connections": self.refused,
            "failed_writes": self.failed_writes,
            "failovers": self.failovers,
        }
