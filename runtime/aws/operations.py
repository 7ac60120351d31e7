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
