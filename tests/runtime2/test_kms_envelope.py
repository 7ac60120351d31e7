"""Envelope encryption with real AES-GCM, and the KMS request quota."""

from __future__ import annotations

import pytest

from archgen.runtime.aws.kms_envelope import (
    Envelope,
    Kms,
    KmsError,
    ThrottlingException,
    open_envelope,
    seal,
)

CARD = b"4111111111111111"


def test_ciphertext_decrypts_only_with_the_right_key() -> None:
    kms = Kms.create({"card-key": 100, "other-key": 100}, seed=7)
    data_key = kms.generate_data_key("card-key", now_s=0)
    envelope = seal(data_key, CARD, aad=b"payments-db/record-1")
    stored = envelope.to_bytes()
    assert CARD not in stored
    assert data_key.plaintext not in stored
    restored = Envelope.from_bytes(stored)
    assert open_envelope(kms, restored, now_s=0, aad=b"payments-db/record-1") == CARD
    # The encrypted data key names card-key; the other key's material cannot open it.
    with pytest.raises(KmsError) as error:
        kms.decrypt(restored.encrypted_key, now_s=0, key_id="other-key")
    assert error.value.code == "InvalidCiphertextException"
    # A different seed is a different key ring: same key id, other material.
    stranger = Kms.create({"card-key": 100}, seed=8)
    with pytest.raises(KmsError, match="InvalidCiphertextException"):
        open_envelope(stranger, restored, now_s=0, aad=b"payments-db/record-1")


def test_tampering_and_wrong_context_are_detected() -> None:
    from cryptography.exceptions import InvalidTag

    kms = Kms.create({"k": 100}, seed=1)
    envelope = seal(kms.generate_data_key("k", 0), CARD, aad=b"a")
    with pytest.raises(InvalidTag):
        open_envelope(kms, envelope, 0, aad=b"b")
    flipped = Envelope(
        envelope.key_id,
        envelope.encrypted_key,
        envelope.nonce,
        bytes([envelope.ciphertext[0] ^ 1]) + envelope.ciphertext[1:],
    )
    with pytest.raises(InvalidTag):
        open_envelope(kms, flipped, 0, aad=b"a")


def test_same_seed_same_bytes_and_fresh_data_keys() -> None:
    a = Kms.create({"k": 100}, seed=3)
    b = Kms.create({"k": 100}, seed=3)
    keys_a = [a.generate_data_key("k", 0) for _ in range(3)]
    keys_b = [b.generate_data_key("k", 0) for _ in range(3)]
    assert keys_a == keys_b
    assert len({k.plaintext for k in keys_a}) == 3
    assert len({k.ciphertext_blob for k in keys_a}) == 3


def test_quota_throttles_within_a_second_and_recovers_in_the_next() -> None:
    kms = Kms.create({"k": 3}, seed=1)
    for _ in range(3):
        kms.generate_data_key("k", now_s=10.2)
    with pytest.raises(ThrottlingException) as error:
        kms.generate_data_key("k", now_s=10.9)
    assert error.value.code == "ThrottlingException"
    assert kms.quotas["k"].throttled == 1
    kms.generate_data_key("k", now_s=11.0)


def test_keys_of_one_account_and_region_share_one_quota() -> None:
    """AWS counts cryptographic operations per account and Region, not per key."""
    kms = Kms.create({"a": 3, "b": 3}, seed=1)
    kms.generate_data_key("a", now_s=5.0)
    kms.generate_data_key("b", now_s=5.1)
    kms.generate_data_key("a", now_s=5.2)
    with pytest.raises(ThrottlingException):
        kms.generate_data_key("b", now_s=5.3)
    assert kms.quotas["a"] is kms.quotas["b"]
    assert kms.quotas["b"].throttled == 1
