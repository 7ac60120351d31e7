"""Data at rest: what each data node (DynamoDB, RDS, S3) holds after a run, as stored bytes.

Data behaviors call :func:`record_write` for every write. The record's content follows the
edge's ``data`` classification: card data (``card``) carries a primary account number (Luhn-valid)
and its holder's email address, personal data (``pii``) an email address. It is stored

- as an envelope (AES-256-GCM ciphertext + the KMS-encrypted data key) when the edge says
  ``encrypted_with: <kms key>``: with the data key the caller obtained from that key by a
  ``GenerateDataKey`` call earlier in the same trace (client-side envelope encryption), or,
  if it made none, with one the data service gets itself (server-side, SSE-KMS);
- in plaintext otherwise. Transparent at-rest encryption by AWS-owned keys (DynamoDB's
  default, SSE-S3) does not count: anyone who can read the table reads plaintext, so a
  scan shows what the API returns.

The check "no plaintext sensitive values at rest" scans the stored bytes with
:func:`find_sensitive_values`, as a data-discovery scanner (Amazon Macie) would: primary
account numbers (Luhn-valid 13–19 digit runs) and email addresses, so a table of personal
data stored in the clear fails it as a table of account numbers does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from archgen.model.base import Classification
from archgen.model.kind import EncryptableAtRest
from archgen.runtime.aws import kms_envelope
from archgen.runtime.aws.kms_envelope import KmsKey

if TYPE_CHECKING:
    from archgen.model.schema import Model
    from archgen.runtime.aws.kms_envelope import DataKey
    from archgen.runtime.behavior import Call, NodeContext

_DIGIT_RUN = re.compile(rb"(?<!\d)\d{13,19}(?!\d)")
# An email address with a local part of 6+ characters and a dotted domain: long enough that
# the random bytes of ciphertext never spell one (about 1e-13 per stored byte).
_EMAIL = re.compile(
    rb"(?<![\w.+-])[a-z0-9][a-z0-9._+-]{5,63}@[a-z0-9-]{2,63}(?:\.[a-z0-9-]{2,63})*"
    rb"\.[a-z]{2,24}(?![\w.-])"
)
SENSITIVE_CLASSES = ("card", "pii")
"""What a scan tells apart: primary account numbers (``card``) and email addresses (``pii``)."""


@dataclass(frozen=True, slots=True)
class Record:
    key: str
    stored: bytes  # exactly what is at rest
    encryption: str  # "none" | "client-kms" | "sse-kms"
    key_id: str | None = None


class DataStore:
    """The records of one data node, by key; a later write to a key replaces it."""

    def __init__(self, node_id: str) -> None:
        self.node_id = node_id
        self._records: dict[str, Record] = {}

    def put(self, record: Record) -> None:
        self._records[record.key] = record

    def get(self, key: str) -> Record | None:
        return self._records.get(key)

    def scan(self) -> Iterator[Record]:
        """Every record, in key order."""
        for key in sorted(self._records):
            yield self._records[key]

    def __len__(self) -> int:
        return len(self._records)


class DataAtRest:
    """Every data node's store, plus the data keys callers hold until they write."""

    def __init__(self) -> None:
        self.stores: dict[str, DataStore] = {}
        self.pending_keys: dict[tuple[int, str], DataKey] = {}

    def store(self, node_id: str) -> DataStore:
        found = self.stores.get(node_id)
        if found is None:
            found = self.stores[node_id] = DataStore(node_id)
        return found


def at_rest_report(found: DataAtRest) -> dict[str, Any]:
    """What a run folder's ``data-at-rest.json`` holds: per data node, how its records are
    stored and what a scan for plaintext sensitive values finds (counts and the first record's
    key, never the data itself), so that ``archgen check`` can judge a run from disk."""
    stores: dict[str, Any] = {}
    for node_id in sorted(found.stores):
        counts: dict[str, Any] = {"records": 0, "client-kms": 0, "sse-kms": 0, "none": 0}
        by_class = dict.fromkeys(SENSITIVE_CLASSES, 0)
        exposed: list[str] = []
        for record in found.stores[node_id].scan():
            counts["records"] += 1
            counts[record.encryption] = counts.get(record.encryption, 0) + 1
            values = find_sensitive_values(record.stored)
            if values:
                for value in values:
                    by_class[sensitive_class(value)] += 1
                exposed.append(record.key)
        counts["plaintext_sensitive_values"] = sum(by_class.values())
        counts["plaintext_by_class"] = by_class
        counts["plaintext_sensitive_records"] = len(exposed)
        counts["first_plaintext_sensitive_record"] = exposed[0] if exposed else None
        stores[node_id] = counts
    return {"stores": stores}


def data_at_rest(ctx: NodeContext) -> DataAtRest:
    return ctx.services.data_at_rest


# --------------------------------------------------------------------------- sensitive values


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


@lru_cache(maxsize=65_536)
def sensitive_value(seed: int) -> str:
    """A Luhn-valid 16-digit value in a test range (4000 00…): detectable in stored bytes
    by :func:`find_sensitive_values` whatever the record around it."""
    body = f"400000{seed % 10**9:09d}"
    for check in "0123456789":
        if luhn_ok(body + check):
            return body + check
    raise AssertionError("unreachable: one check digit always fits")


def email_address(seed: int) -> str:
    """A personal email address on a reserved domain (RFC 2606), detectable in stored bytes
    by :func:`find_sensitive_values`."""
    return f"subject-{seed}@example.com"


def find_sensitive_values(data: bytes) -> list[str]:
    """Plaintext sensitive values in stored bytes, in the order they appear: primary account numbers
    (Luhn-valid runs of 13–19 digits) and email addresses."""
    found = []
    for match in _DIGIT_RUN.finditer(data):
        digits = match.group().decode()
        if luhn_ok(digits):
            found.append((match.start(), digits))
    found.extend((match.start(), match.group().decode()) for match in _EMAIL.finditer(data))
    return [value for _, value in sorted(found)]


def sensitive_class(value: str) -> str:
    """Which of :data:`SENSITIVE_CLASSES` a value :func:`find_sensitive_values` found is."""
    return "card" if value.isdigit() else "pii"


# --------------------------------------------------------------------------- writes


def record_write(ctx: NodeContext, call: Call) -> Record:
    """Store what ``call`` (a write arriving at ``ctx``'s node) puts at rest."""
    edge = ctx.model.declared_edge(call.source, call.node)
    session = call.trace.session.id
    classification = edge.data if edge is not None else Classification.internal
    card = classification is Classification.card
    # json.dumps(content, sort_keys=True) of {trace, session, op} and, for card data,
    # sensitive_value and expiry, for card and personal data the subject's email; written
    # directly.
    content = [f'"op": {json.dumps(call.op)}', f'"session": {session}']
    if card:
        content.insert(0, '"expiry": "12/29"')
        content.insert(2, f'"sensitive_value": "{sensitive_value(session)}"')
    if card or classification is Classification.pii:
        content.append(f'"subject": "{email_address(session)}"')
    content.append(f'"trace": {call.trace.id}')
    plaintext = ("{" + ", ".join(content) + "}").encode()
    declared = call.key()  # the step's key: writes to one key replace each other
    key = f"t{call.trace.id:08d}-{call.op}" if declared is None else f"{declared}-{call.op}"
    stores = data_at_rest(ctx)
    # Client-side envelope encryption (the edge's key) or server-side encryption with the
    # store's own KMS key (SSE-KMS): either way, only ciphertext lands at rest.
    key_node = edge.encrypted_with if edge is not None else None
    params = ctx.node.params
    if key_node is None and isinstance(params, EncryptableAtRest):
        key_node = params.kms_key
    if key_node is None:
        record = Record(key, plaintext, "none")
    else:
        data_key = stores.pending_keys.pop((call.trace.id, call.source), None)
        encryption = "client-kms"
        if data_key is None:
            data_key = key_ring(ctx).key(key_node).generate_data_key()
            encryption = "sse-kms"
        envelope = kms_envelope.seal(data_key, plaintext, aad=f"{ctx.node_id}/{key}".encode())
        record = Record(key, envelope.to_bytes(), encryption, data_key.key_id)
    stores.store(ctx.node_id).put(record)
    return record


class KeyRing:
    """The run's KMS keys; a multi-Region replica shares its primary's key material."""

    def __init__(self, model: Model, seed: int) -> None:
        self.model = model
        self.seed = seed
        self._keys: dict[str, KmsKey] = {}

    def key(self, node_id: str) -> KmsKey:
        key_id = self.model.original_of(node_id)
        found = self._keys.get(key_id)
        if found is None:
            found = self._keys[key_id] = KmsKey(key_id, self.seed)
        return found


def key_ring(ctx: NodeContext) -> KeyRing:
    return ctx.services.key_ring
