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
