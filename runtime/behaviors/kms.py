"""KMS key: envelope encryption with real AES-256-GCM and a shared request quota.

Rules (KMS Developer Guide: envelope encryption; KMS quotas):
- ``GenerateDataKey`` returns a fresh data key in plaintext and encrypted under this key;
  the caller keeps it for its next write in the same trace (see
  :func:`archgen.runtime.store.record_write`), which stores only ciphertext + encrypted key.
- ``Decrypt`` of a blob made by another key fails (``InvalidCiphertextException``);
  multi-Region replicas (``replica_of``) share the primary's key material, as MRKs do.
- Cryptographic operations share ``requests_per_s_quota`` per second (scaled); over it the
  call fails with ``ThrottlingException``.
- Every operation the key performs is counted (``CallCount``, as ``AWS/Usage`` does per
  account and operation), and each ``Decrypt`` in ``decrypts``, whether or not the call
  carried a ciphertext to decrypt (a flow step models the call, not the bytes).
Left out: key rotation (ciphertexts stay decryptable, so it changes nothing observable),
grants, and the per-operation quotas of asymmetric keys.
"""

from __future__ import annotations

from typing import Any

from archgen.model.kinds import KmsParams
from archgen.runtime.aws.kms_envelope import KmsError, RequestQuota
from archgen.runtime.behavior import Behavior, Call, NodeContext, register
from archgen.runtime.store import data_at_rest, key_ring

DATA_KEY_OPS = ("GenerateDataKey", "GenerateDataKeyWithoutPlaintext")


@register("kms")
class Kms(Behavior):
    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        node = ctx.node
        assert isinstance(node.params, KmsParams)
        params = node.params
        self.latency = ctx.sampler(params.latency)
        self.quota = RequestQuota(ctx.scaled(params.requests_per_s_quota))
        self.key = key_ring(ctx).key(ctx.node_id)
        self.data_keys = 0
        self.decrypts = 0
        self.failed_decrypts = 0

    def handle(self, call: Call) -> None:
        if not self.quota.acquire(self.ctx.now / 1000):
            self.ctx.fail(call, "ThrottlingException")
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
            return self.quota.throttled > 0
        return None

    def summary(self) -> dict[str, Any]:
        return {
            "kms": {
                "data_keys": self.data_keys,
                "decrypts": self.decrypts,
                "failed_decrypts": self.failed_decrypts,
                "throttled": self.quota.throttled,
                "quota_per_s": self.quota.per_second,
            }
        }
