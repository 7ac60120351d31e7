"""Card data is encrypted before it is stored: a scan of the stores finds no card number,
and the stored envelopes decrypt with the right KMS key only."""

from __future__ import annotations

import json

from archgen.model import LoadedModel
from archgen.runtime.aws.kms_envelope import Envelope
from archgen.runtime.session import run_scenario
from archgen.runtime.store import (
    DataAtRest,
    email_address,
    find_sensitive_values,
    luhn_ok,
    sensitive_class,
    sensitive_value,
)
from tests.scales import QUICK_SCALE


def test_card_numbers_are_luhn_valid_and_found_in_plaintext() -> None:
    number = sensitive_value(12345)
    assert len(number) == 16
    assert luhn_ok(number)
    assert find_sensitive_values(b'{"card_number": "' + number.encode() + b'"}') == [number]
    assert find_sensitive_values(b"order 1234567890123") == []  # not Luhn-valid


def test_email_addresses_are_found_in_plaintext_and_told_apart() -> None:
    number = sensitive_value(7)
    stored = f'{{"card": "{number}", "subject": "{email_address(7)}"}}'.encode()
    assert find_sensitive_values(stored) == [number, "subject-7@example.com"]
    assert [sensitive_class(v) for v in find_sensitive_values(stored)] == ["card", "pii"]
    # Too short to be told from noise, or not an address: not found.
    assert find_sensitive_values(b"a@b.cd x@example.com subject-7@example") == []


def test_reference_checkout_stores_only_envelopes(reference: LoadedModel) -> None:
    result = run_scenario(reference.model, "normal-day", duration_s=240, scale=QUICK_SCALE)
    assert result.simulation is not None
    stores = result.simulation.services.data_at_rest
    assert isinstance(stores, DataAtRest)
    payments = list(stores.store("payments-db").scan())
    assert len(payments) > 10
    assert {r.encryption for r in payments} == {"client-kms"}  # GenerateDataKey, then seal
    assert all(find_sensitive_values(r.stored) == [] for r in payments)
    # The carts table encrypts with its own key (SSE-KMS): its edge has no encrypted_with.
    carts = list(stores.store("cart-db").scan())
    assert carts
    assert all(r.encryption == "sse-kms" for r in carts)
    assert all(find_sensitive_values(r.stored) == [] for r in carts)
    # Envelopes open with the card key (through the run's key ring) and hold the card.
    from archgen.runtime.store import KeyRing

    ring = result.simulation.services.key_ring
    assert isinstance(ring, KeyRing)
    record = payments[0]
    envelope = Envelope.from_bytes(record.stored)
    data_key = ring.key("card-key").decrypt(envelope.encrypted_key)
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    content = json.loads(
        AESGCM(data_key).decrypt(
            envelope.nonce, envelope.ciphertext, f"payments-db/{record.key}".encode()
        )
    )
    assert luhn_ok(content["sensitive_value"])
    assert result.summary["nodes"]["payments-db"]["errors"] == {}
    assert result.summary["nodes"]["card-key"]["kms"]["data_keys"] == len(payments)
