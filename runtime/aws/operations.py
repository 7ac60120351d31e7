"""What an operation name means to a data store or a cache: a read, or a write.

Model operations are free text — AWS API names (``GetItem``), HTTP (``GET /images``) or
SQL (``SELECT …``) — so the verb they start with decides.
"""

from __future__ import annotations

READ_VERBS = (
    "Get",
    "GET",
    "Head",
    "HEAD",
    "Query",
    "Scan",
    "BatchGet",
    "List",
    "Describe",
    "Read",
    "Select",
    "SELECT",
)


def is_read(op: str) -> bool:
    """Whether ``op`` only reads: everything else writes (puts, deletes, inserts, posts)."""
    return op.startswith(READ_VERBS)


KEEPS_NOTHING = frozenset(
    {
        # KMS's cryptographic operations compute an answer from the key and store nothing
        # (a second GenerateDataKey only hands out another data key).
        "Decrypt",
        "Encrypt",
        "ReEncrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "GenerateMac",
        "VerifyMac",
        "GenerateRandom",
        "DeriveSharedSecret",
        "Sign",
        "Verify",
        # STS hands out temporary credentials; DNS answers a name.
        "AssumeRole",
        "AssumeRoleWithWebIdentity",
        "Resolve",
    }
)
"""Operations that are no reads by their verb yet change nothing a caller could see twice."""


def changes_state(op: str) -> bool:
    """Whether a successful ``op`` changes something, so that calling it twice is a side
    effect twice (a write, a send, a publish, an invocation). Reads (:func:`is_read`, and
    DynamoDB's ``TransactGet…``) and :data:`KEEPS_NOTHING` (KMS encrypts, decrypts and data
    keys; credentials; name resolution) do not: repeating them is harmless."""
    return not (is_read(op) or op.startswith("TransactGet") or op in KEEPS_NOTHING)


CLIENT_ERRORS = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "KMS.AccessDeniedException",
        "KMSAccessDenied",
        "NoSuchKey",
        "NotFound",
        "NXDOMAIN",
        "ThrottlingException",
        "TooManyRequestsException",
        "InvalidCiphertextException",
        "ValidationException",
        "ProvisionedThroughputExceededException",
    }
)
"""Error codes AWS answers with a 4xx status (the client's fault or a refusal)."""


def is_client_error(error: str) -> bool:
    """Whether ``error`` is a 4xx answer (``403``, ``NoSuchKey``, a throttle…); everything
    else a service answers with (``ServiceUnavailable``, ``502``, a function error) is 5xx."""
    return error[:1] == "4" or error in CLIENT_ERRORS
