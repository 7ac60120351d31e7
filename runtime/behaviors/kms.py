"""KMS key: envelope encryption with real AES-256-GCM and a shared request quota.

Rules (KMS Developer Guide: envelope encryption; KMS quotas):
- ``GenerateDataKey`` returns a fresh data key in plaintext and encrypted under this key;
  the caller keeps it for its next write in the same trace (see
  :func:`archgen.runtime.store.record_write`), which stores only ciphertext + encrypted key.
- ``Decrypt`` of a blob made by another key fails (``InvalidCiphertextException``);
  multi-Region replicas (``replica_of``) share the primary's key material, as MRKs do.
- Cryptographic operations of every key in one Region share one request quota, as AWS
  counts it per account and Region: ``requests_per_s_quota`` per second (scaled; the
  smallest any key of the Region declares). An attempt over it, or drawn by a throttling
  fault on the key, is throttled; the caller's SDK retries it (standard retry mode:
  ``max_attempts`` attempts in all, full-jitter backoff of up to 2^retries s, at most 20 s)
  before ``ThrottlingException`` reaches the caller, so a fault throttling 30 % of attempts
  fails about 0.3³ = 2.7 % of the calls. The span notes its ``retries``.
- Every operation the key performs is counted (``CallCount``, as ``AWS/Usage`` does per
  account and operation), and each ``Decrypt`` in ``decrypts``, whether or not the call
  carried a ciphertext to decrypt (a flow step models the call, not the bytes).
- A service that encrypts at rest with this key on its callers' behalf (SSE-KMS) makes no
  call to it in a run: the key's faults act on the service's calls at their door instead
  (:meth:`archgen.runtime.system.Simulation.dispatch`), and only on those that must ask
  KMS. A service that caches what KMS gave it (:meth:`KindParams.sse_kms_reuse_s`: SQS
  reuses a data key per principal for ``kms_data_key_reuse_period_s``, SNS for 5 minutes,
  DynamoDB caches the table key per caller for 5 minutes) asks once per principal and
  period; the others (S3 without a Bucket Key, Secrets Manager) on every call. A renewal
  that meets an outage or a throttle fails that call with the service's ``unavailable``
  or ``throttled`` code (:class:`archgen.model.kind.SseKms`), which the AWS SDKs do not
  retry (SQS's ``KmsThrottled`` is a client error not modelled as retryable, and its code
  is not among the standard retry mode's throttling codes); the principal's next call
  renews again. The run starts warm: each principal's cached key has a random age.
- The summary counts every request the key throttled, whoever made it: ``throttled`` the
  attempts (quota or fault) and the refused SSE-KMS renewals, ``throttled_requests`` the
  calls that failed for it (the throttling codes among ``errors``), ``sse_throttled`` and
  ``sse_unavailable`` the SSE-KMS calls the services failed with their own codes.
Left out: the SDK's retry-token bucket (retry quota) and adaptive mode; key rotation
(ciphertexts stay decryptable, so it changes nothing observable), grants, the
per-operation quotas of asymmetric keys; S3 Bucket Keys (AWS does not say how long a
bucket-level key lives); SSE-KMS renewals as requests (they are neither in ``CallCount``
nor in the quota nor billed); a principal's renewals do not scale with ``scale`` (one per
period whatever the load), so at a small scale the share of a store's calls that renew a
key is 1/scale times AWS's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archgen.model.kinds import KmsParams
from archgen.runtime.aws.kms_envelope import KmsError, RequestQuota, sdk_backoff_ms
from archgen.runtime.behavior import Behavior, Call, NodeContext, register
from archgen.runtime.region_quota import region_limiter
from archgen.runtime.store import data_at_rest, key_ring

if TYPE_CHECKING:
    from archgen.model.kind import KindParams
    from archgen.runtime.services import Services

DATA_KEY_OPS = ("GenerateDataKey", "GenerateDataKeyWithoutPlaintext")


def _no_quotas(_services: Services) -> dict[str | None, RequestQuota]:
    return {}


def _kms_quota(params: KindParams) -> float | None:
    return params.requests_per_s_quota if isinstance(params, KmsParams) else None


def region_quota(ctx: NodeContext) -> RequestQuota:
    """The request quota of the run's account in this node's Region, shared by its keys."""
    return region_limiter(ctx, _no_quotas, "region_requests_per_s_quota", _kms_quota, RequestQuota)


@register("kms")
class Kms(Behavior):
    handles_throttling = True  # a throttling fault throttles attempts, which the SDK retries

    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        node = ctx.node
        assert isinstance(node.params, KmsParams)
        params = node.params
        self.latency = ctx.sampler(params.latency)
        self.quota = region_quota(ctx)
        self.max_attempts = params.max_attempts
        self.key = key_ring(ctx).key(ctx.node_id)
        self.data_keys = 0
        self.decrypts = 0
        self.failed_decrypts = 0
        self.throttled = 0
        self.throttled_requests = 0

    def handle(self, call: Call) -> None:
        self._attempt(call)

    def _attempt(self, call: Call) -> None:
        rate = self.ctx.faults.throttle_rate
        if (rate > 0 and self.ctx.rng.random() < rate) or not self.quota.acquire(
            self.ctx.now / 1000
        ):
            self.throttled += 1
            retries = (call.attrs or {}).get("retries", 0)
            if retries + 1 >= self.max_attempts:
                self.throttled_requests += 1
                self.ctx.fail(call, "ThrottlingException")
                return
            call.note("retries", retries + 1)
            self.ctx.after(sdk_backoff_ms(retries, self.ctx.rng.random()), self._attempt, call)
            return
        self.ctx.emit("CallCount", 1)
        self.ctx.after(self.latency(), self._answer, call)

    def _answer(self, call: Call) -> None:
        if call.op.startswith(DATA_KEY_OPS):
            data_key = self.key.generate_data_key()
            self.data_keys += 1
            call.payload = data_key
            data_at_rest(self.ctx).pending_keys[(call.trace.id, call.source)] = data_key
        elif call.op == "Decrypt":
            self.decrypts += 1
            if isinstance(call.payload, bytes):
                try:
                    call.payload = self.key.decrypt(call.payload)
                except KmsError as error:
                    self.failed_decrypts += 1
                    self.ctx.fail(call, error.code)
                    return
        self.ctx.run_children(call, self.ctx.finish)

    def condition(self, name: str, call: Call) -> bool | None:
        if name == "throttled":
            return bool(call.attrs and call.attrs.get("retries"))
        return None

    def summary(self) -> dict[str, Any]:
        """Throttling counted once for every request the key refused, whoever asked: the
        attempts of the calls made to it (quota or throttling fault) and the SSE-KMS
        renewals a throttling fault refused a service (``sse_throttled``, failed with the
        service's own code), so that ``throttled_requests`` is the sum of the throttling
        codes among the key's ``errors``."""
        counters = self.ctx.counters
        sse_throttled = counters.get("sse_kms.throttled", 0)
        return {
            "kms": {
                "data_keys": self.data_keys,
                "decrypts": self.decrypts,
                "failed_decrypts": self.failed_decrypts,
                "throttled": self.throttled + sse_throttled,
                "throttled_requests": self.throttled_requests + sse_throttled,
                "sse_throttled": sse_throttled,
                "sse_unavailable": counters.get("sse_kms.unavailable", 0),
                "region_quota_per_s": self.quota.per_second,
            }
        }
