"""KMS envelope encryption with real AES-256-GCM, and KMS's request quota.

``GenerateDataKey`` returns a fresh 256-bit data key twice: in plaintext (used once to
encrypt locally, then forgotten) and encrypted under the KMS key (stored next to the data).
``Decrypt`` turns the encrypted data key back into the plaintext key, and only the key that
encrypted it can: the key id travels in the blob as authenticated data, and AES-GCM's tag
check fails for any other key material.

Determinism: key material and data keys come from a seeded stream, and nonces follow
NIST SP 800-38D's deterministic construction (fixed field + counter), so a run is
reproducible and no nonce repeats under one key.
"""

from __future__ import annotations

import hashlib
import math
import random
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

DATA_KEY_BYTES = 32
NONCE_BYTES = 12
_BLOB_MAGIC = b"AGK1"


class KmsError(Exception):
    """A KMS API error; ``code`` is AWS's error name."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class ThrottlingException(KmsError):  # noqa: N818 - AWS's error name
    def __init__(self, message: str) -> None:
        super().__init__("ThrottlingException", message)


@dataclass(frozen=True, slots=True)
class DataKey:
    key_id: str
    plaintext: bytes
    ciphertext_blob: bytes


@dataclass(frozen=True, slots=True)
class Envelope:
    """What is stored at rest: ciphertext and the encrypted data key, never the key itself."""

    key_id: str
    encrypted_key: bytes
    nonce: bytes
    ciphertext: bytes

    def to_bytes(self) -> bytes:
        key_id = self.key_id.encode()
        return b"".join(
            (
                struct.pack(">HH", len(key_id), len(self.encrypted_key)),
                key_id,
                self.encrypted_key,
                self.nonce,
                self.ciphertext,
            )
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Envelope:
        id_len, key_len = struct.unpack_from(">HH", data)
        at = 4
        key_id = data[at : at + id_len].decode()
        at += id_len
        encrypted_key = data[at : at + key_len]
        at += key_len
        return cls(key_id, encrypted_key, data[at : at + NONCE_BYTES], data[at + NONCE_BYTES :])


class _NonceSequence:
    """96-bit nonces: a 4-byte fixed field per key, then a 64-bit invocation counter."""

    def __init__(self, fixed: bytes) -> None:
        self._fixed = fixed[:4]
        self._counter = 0

    def next(self) -> bytes:
        self._counter += 1
        return self._fixed + self._counter.to_bytes(8, "big")


class KmsKey:
    """One symmetric KMS key: AES-256 key material that never leaves this object."""

    def __init__(self, key_id: str, seed: int) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self.key_id = key_id
        material = hashlib.sha256(f"archgen-kms:{seed}:{key_id}".encode()).digest()
        self._aead: AESGCM = AESGCM(material)
        self._nonces = _NonceSequence(hashlib.sha256(material).digest())
        # Reproducible runs need reproducible data keys; this is a simulation, not a vault.
        self._data_keys = random.Random(f"data-keys:{seed}:{key_id}")  # noqa: S311

    def generate_data_key(self) -> DataKey:
        plaintext = self._data_keys.randbytes(DATA_KEY_BYTES)
        return DataKey(self.key_id, plaintext, self.encrypt(plaintext))

    def encrypt(self, plaintext: bytes) -> bytes:
        """Encrypt up to 4 KiB under the key (KMS's own Encrypt): a self-describing blob."""
        nonce = self._nonces.next()
        key_id = self.key_id.encode()
        sealed = self._aead.encrypt(nonce, plaintext, key_id)
        return _BLOB_MAGIC + struct.pack(">H", len(key_id)) + key_id + nonce + sealed

    def decrypt(self, blob: bytes) -> bytes:
        from cryptography.exceptions import InvalidTag

        key_id, nonce, sealed = parse_blob(blob)
        try:
            # The key id this key believes in is the associated data: a blob made by
            # another key fails the tag check even if its header were rewritten.
            return self._aead.decrypt(nonce, sealed, self.key_id.encode())
        except InvalidTag:
            raise KmsError(
                "InvalidCiphertextException",
                f"ciphertext for key {key_id!r} cannot be decrypted with key {self.key_id!r}",
            ) from None


def parse_blob(blob: bytes) -> tuple[str, bytes, bytes]:
    """Split a ciphertext blob into (key id, nonce, sealed bytes)."""
    if not blob.startswith(_BLOB_MAGIC) or len(blob) < 6:
        raise KmsError("InvalidCiphertextException", "not a KMS ciphertext blob")
    (id_len,) = struct.unpack_from(">H", blob, 4)
    at = 6 + id_len
    return blob[6:at].decode(), blob[at : at + NONCE_BYTES], blob[at + NONCE_BYTES :]


class RequestQuota:
    """A requests-per-second quota counted in one-second windows of the simulated clock; a
    fractional quota (a scaled run's) grants whole requests whose average is exact
    (2.5/s: 2, 3, 2, 3…)."""

    def __init__(self, per_second: float) -> None:
        self.per_second = per_second
        self._window = -1
        self._used = 0
        self._budget = 0
        self.throttled = 0

    def acquire(self, now_s: float) -> bool:
        window = int(now_s)
        if window != self._window:
            rate = self.per_second
            self._window, self._used = window, 0
            self._budget = math.floor((window + 1) * rate + 1e-9) - math.floor(window * rate + 1e-9)
        if self._used >= self._budget:
            self.throttled += 1
            return False
        self._used += 1
        return True


SDK_MAX_BACKOFF_MS = 20_000.0
"""AWS SDK standard retry mode: no backoff is longer than 20 s."""


def sdk_backoff_ms(retries: int, jitter: float) -> float:
    """Delay before retry ``retries + 1`` in the AWS SDKs' standard retry mode: full jitter
    (``jitter`` drawn from [0, 1)) over 2^retries seconds, at most 20 s."""
    return min(jitter * 1000.0 * 2.0**retries, SDK_MAX_BACKOFF_MS)


class Kms:
    """The KMS API over the keys of one account and Region: their cryptographic operations
    share one request quota, as AWS counts them."""

    def __init__(self, keys: Mapping[str, KmsKey], quotas: Mapping[str, RequestQuota]) -> None:
        self.keys = dict(keys)
        self.quotas = dict(quotas)

    @classmethod
    def create(cls, key_ids: Mapping[str, int], seed: int) -> Kms:
        """Keys by id with the quota each declares; the smallest applies to all of them."""
        shared = RequestQuota(min(key_ids.values(), default=1))
        return cls(
            {key_id: KmsKey(key_id, seed) for key_id in key_ids},
            dict.fromkeys(key_ids, shared),
        )

    def _charge(self, key_id: str, now_s: float) -> KmsKey:
        key = self.keys.get(key_id)
        if key is None:
            raise KmsError("NotFoundException", f"key {key_id!r} does not exist")
        if not self.quotas[key_id].acquire(now_s):
            raise ThrottlingException(f"rate exceeded (account quota, at key {key_id!r})")
        return key

    def generate_data_key(self, key_id: str, now_s: float) -> DataKey:
        return self._charge(key_id, now_s).generate_data_key()

    def decrypt(self, blob: bytes, now_s: float, key_id: str | None = None) -> bytes:
        """Decrypt a blob; ``key_id`` (as KMS's KeyId parameter) pins the expected key."""
        blob_key, _, _ = parse_blob(blob)
        wanted = key_id or blob_key
        return self._charge(wanted, now_s).decrypt(blob)


@cache
def _aesgcm() -> type[AESGCM]:
    """The AES-GCM class, imported on first use (cryptography is heavy) and then only
    looked up: an import statement costs microseconds on every data write."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM


def seal(data_key: DataKey, plaintext: bytes, aad: bytes = b"") -> Envelope:
    """Encrypt locally with the plaintext data key (AES-256-GCM)."""
    AESGCM = _aesgcm()  # noqa: N806 - the class

    # Deterministic yet safe: the nonce is a hash of key, data and context (as in SIV
    # modes), so it repeats only for an identical message under the same data key.
    digest = hashlib.sha256(data_key.plaintext + b"\0" + aad + b"\0" + plaintext).digest()
    nonce = digest[:NONCE_BYTES]
    ciphertext = AESGCM(data_key.plaintext).encrypt(nonce, plaintext, aad)
    return Envelope(data_key.key_id, data_key.ciphertext_blob, nonce, ciphertext)


def open_envelope(kms: Kms, envelope: Envelope, now_s: float, aad: bytes = b"") -> bytes:
    """Decrypt the data key with KMS, then the data locally."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    data_key = kms.decrypt(envelope.encrypted_key, now_s)
    return AESGCM(data_key).decrypt(envelope.nonce, envelope.ciphertext, aad)
