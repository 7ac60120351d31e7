"""Secrets Manager: a secret read under the account's request quota, decrypted with its
KMS key, rotated by a Lambda function, and read less often by callers that cache it.

Rules (Secrets Manager User Guide: quotas, secret encryption and decryption, rotation by
Lambda function, caching secrets client-side; AWS SDK standard retry mode):
- ``GetSecretValue``, ``BatchGetSecretValue`` and ``DescribeSecret`` of every secret in
  one Region share one token bucket: ``requests_per_s_quota`` tokens a second (scaled; the
  smallest any secret of the Region declares) refill a bucket of one second's worth, full
  at the start. A read that finds it empty is throttled; the caller's SDK retries it
  (``max_attempts`` attempts in all, full-jitter backoff) before ``ThrottlingException``
  reaches the caller.
- With a ``kms_key`` (a key node, not the AWS managed key), Secrets Manager decrypts the
  secret for each read (and encrypts it for each write) with that key on the caller's
  behalf: the caller needs ``kms:Decrypt`` (``kms:GenerateDataKey``) on the key, or the
  call is refused with ``AccessDeniedException`` (the ``kms-key-access`` rule says so
  before a run), and the secret calls its key (``Decrypt``, ``GenerateDataKey``), which
  counts against the KMS quota; a throttled or failed decryption fails the read. The
  default aws/secretsmanager key asks nothing of the caller.
- A caching client (``client_cache_ttl_s``: the AWS caching libraries, the Parameters and
  Secrets Lambda extension) keeps the value it read, one cache per calling node: for that
  long its reads are answered by the cache, from the caller's memory, instantly, and are
  not API calls: they never leave the caller, so no quota, key, charge, egress (a NAT
  gateway that is down), network or fault of this node applies
  (:meth:`~archgen.runtime.behavior.Behavior.client_cached`); the span stays, on this
  node, noted ``client_cache: hit``. After a rotation a cached value is the previous
  version until it expires (``stale_reads``).
- Rotation starts at ``next_rotation_s``, then every ``rotation_days``, or on a
  ``RotateSecret`` call: Secrets Manager invokes the rotation function once per step
  (``createSecret``, ``setSecret``, ``testSecret``, ``finishSecret``), one after the other.
  From the first step the new version is ``AWSPENDING`` while reads still get
  ``AWSCURRENT``; after ``finishSecret`` it becomes ``AWSCURRENT`` (the old one
  ``AWSPREVIOUS``). A step that fails stops the rotation: ``AWSPENDING`` stays and reads
  keep the old version. A rotation requested while one runs is refused
  (``InvalidRequestException``). Each step waits for the function's answer when the edge
  to it is synchronous; declared asynchronous (as an import writes it: the function's own
  calls back to the secret would close a cycle of synchronous edges), each step follows
  the acceptance of the previous invocation, so the rotation takes no simulated time.
- Metrics (``AWS/Usage``): ``CallCount`` per API call that reached Secrets Manager.
Left out: the database side of rotation (a single-user rotation's old password stops
working at ``setSecret``), replica secrets in other Regions, the rotation window, and the
per-second quotas of the other APIs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archgen.model.kinds import SecretsManagerParams
from archgen.model.kinds.secretsmanager import ROTATION_STEPS
from archgen.runtime.aws.kms_envelope import sdk_backoff_ms
from archgen.runtime.aws.token_bucket import TokenBucket
from archgen.runtime.behavior import Behavior, Call, NodeContext, register
from archgen.runtime.region_quota import region_limiter

if TYPE_CHECKING:
    from archgen.model.kind import KindParams
    from archgen.runtime.services import Services

READS = ("GetSecretValue", "BatchGetSecretValue", "DescribeSecret")
"""The API calls the shared read quota counts."""
WRITES = ("PutSecretValue", "UpdateSecret", "CreateSecret")
THROTTLED = "ThrottlingException"
BUSY = "InvalidRequestException"
DAY_MS = 86_400_000.0


def _no_buckets(_services: Services) -> dict[str | None, TokenBucket]:
    return {}


def _read_quota(params: KindParams) -> float | None:
    return params.requests_per_s_quota if isinstance(params, SecretsManagerParams) else None


def _bucket(rate: float) -> TokenBucket:
    return TokenBucket(rate, max(1.0, rate))


def region_bucket(ctx: NodeContext) -> TokenBucket:
    """The read quota of the run's account in this node's Region, shared by its secrets."""
    return region_limiter(
        ctx, _no_buckets, "region_read_requests_per_s_quota", _read_quota, _bucket
    )


@register("secretsmanager")
class SecretsManager(Behavior):
    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        params = ctx.node.params
        assert isinstance(params, SecretsManagerParams)
        self.bucket = region_bucket(ctx)
        self.max_attempts = params.max_attempts
        self.latency = ctx.sampler(params.latency)
        self.key = params.kms_key
        ttl = params.client_cache_ttl_s
        self.cache_ttl_ms = None if ttl is None else ttl * 1000.0
        self.cached: dict[str, tuple[float, int]] = {}  # caller → (read at, version)
        self.function = params.rotation_lambda
        self.every_ms = None if params.rotation_days is None else params.rotation_days * DAY_MS
        self.first_ms = None if params.next_rotation_s is None else params.next_rotation_s * 1000
        self.version = 1  # AWSCURRENT
        self.pending: int | None = None  # AWSPENDING, while a rotation runs or after it failed
        self.rotating = False
        self.rotations: list[dict[str, Any]] = []
        self.api_calls = 0
        self.cached_reads = 0
        self.stale_reads = 0
        self.reads_while_pending = 0
        self.throttled = 0
        self.throttled_requests = 0

    def start(self) -> None:
        if self.function is not None and self.first_ms is not None:
            self.ctx.after(self.first_ms, self._scheduled)

    # ------------------------------------------------------------------ API calls

    def client_cached(self, call: Call) -> bool:
        """A read the caller's cache still holds is answered from its memory, before the
        call would leave it: no egress, network, fault, quota or key applies, and it takes
        no time. Its span stays, on this node, with ``client_cache: hit``."""
        if call.op != "GetSecretValue" or self.cache_ttl_ms is None:
            return False
        held = self.cached.get(call.source)
        if held is None or self.ctx.now - held[0] >= self.cache_ttl_ms:
            return False
        self.cached_reads += 1
        if held[1] != self.version:
            self.stale_reads += 1
        call.note("client_cache", "hit")
        call.note("version", held[1])
        self.ctx.run_children(call, self._from_memory)
        return True

    def _from_memory(self, call: Call) -> None:
        self.ctx.finish(call, slowed=False)  # a latency fault of the service is not met

    def handle(self, call: Call) -> None:
        op = call.op
        if op.startswith(READS):
            self._attempt(call)
            return
        self._api(call)

    def _attempt(self, call: Call) -> None:
        if self.bucket.take(self.ctx.now):
            self._api(call)
            return
        self.throttled += 1
        retries = (call.attrs or {}).get("retries", 0)
        if retries + 1 >= self.max_attempts:
            self.throttled_requests += 1
            self.ctx.fail(call, THROTTLED)
            return
        call.note("retries", retries + 1)
        self.ctx.after(sdk_backoff_ms(retries, self.ctx.rng.random()), self._attempt, call)

    def _api(self, call: Call) -> None:
        self.api_calls += 1
        self.ctx.emit("CallCount", 1)
        self.ctx.after(self.latency(), self._answer, call)

    def _answer(self, call: Call) -> None:
        op = call.op
        if op == "RotateSecret":
            if self.rotating:
                self.ctx.fail(call, BUSY)
                return
            self._rotate()
            self.ctx.run_children(call, self.ctx.finish)
            return
        crypto = (
            "Decrypt"
            if op.startswith(("GetSecretValue", "BatchGetSecretValue"))
            else "GenerateDataKey"
            if op.startswith(WRITES)
            else None
        )
        if crypto is not None and self.key is not None:
            self.ctx.call(call, self.key, crypto, self._decrypted)
            return
        self._read(call)

    def _decrypted(self, child: Call) -> None:
        call = child.parent
        assert call is not None
        if child.error is not None:
            self.ctx.fail(call, child.error)
            return
        self._read(call)

    def _read(self, call: Call) -> None:
        if call.op.startswith(("GetSecretValue", "BatchGetSecretValue")):
            if self.pending is not None:
                self.reads_while_pending += 1
            call.note("version", self.version)
            if self.cache_ttl_ms is not None:
                self.cached[call.source] = (self.ctx.now, self.version)
        self.ctx.run_children(call, self.ctx.finish)

    # ------------------------------------------------------------------ rotation

    def _scheduled(self, _: Any = None) -> None:
        if not self.rotating:
            self._rotate()
        if self.every_ms is not None:
            self.ctx.after(self.every_ms, self._scheduled)

    def _rotate(self) -> None:
        assert self.function is not None
        self.rotating = True
        self.pending = self.version + 1
        record: dict[str, Any] = {"started_s": round(self.ctx.now / 1000, 3)}
        self.rotations.append(record)
        self._step(0, record)

    def _step(self, index: int, record: dict[str, Any]) -> None:
        assert self.function is not None

        def done(child: Call) -> None:
            if child.error is not None:
                record.update(failed_step=ROTATION_STEPS[index], error=child.error)
                record["ended_s"] = round(self.ctx.now / 1000, 3)
                self.rotating = False  # AWSPENDING stays: the next rotation starts over
                return
            if index + 1 < len(ROTATION_STEPS):
                self._step(index + 1, record)
                return
            assert self.pending is not None
            self.version, self.pending = self.pending, None
            record.update(ended_s=round(self.ctx.now / 1000, 3), version=self.version)
            self.rotating = False

        self.ctx.call(None, self.function, "Invoke", done, payload={"Step": ROTATION_STEPS[index]})

    def condition(self, name: str, call: Call) -> bool | None:
        if name == "throttled":
            return bool(call.attrs and call.attrs.get("retries"))
        return None

    def summary(self) -> dict[str, Any]:
        return {
            "secrets": {
                "api_calls": self.api_calls,
                "cached_reads": self.cached_reads,
                "stale_reads": self.stale_reads,
                "reads_while_pending": self.reads_while_pending,
                "throttled": self.throttled,
                "throttled_requests": self.throttled_requests,
                "version": self.version,
                "pending": self.pending,
                "rotations": self.rotations,
            }
        }
