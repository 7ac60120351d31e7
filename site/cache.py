"""A content-addressed cache, so an unchanged model rebuilds without simulating again.

Keys are SHA-256 digests of everything the value depends on (model text, scenario, seed,
archgen's version, the format of the cached value); a changed input is a new key, so
entries never go stale and never need invalidating.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from archgen.model.files import write_atomic


def archgen_version() -> str:
    try:
        return version("archgen")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


def content_key(*parts: str | bytes) -> str:
    """A digest of ``parts``; each part is length-prefixed so ("ab", "c") ≠ ("a", "bc")."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


class Cache:
    """Bytes stored under ``directory/<namespace>/<key>``; ``None`` disables caching."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.hits = 0
        self.misses = 0

    def get(self, namespace: str, key: str) -> bytes | None:
        """The stored value, counted as a hit, or ``None``, counted as a miss."""
        if self.directory is not None:
            try:
                data = (self.directory / namespace / key).read_bytes()
            except FileNotFoundError:
                pass
            else:
                self.hits += 1
                return data
        self.misses += 1
        return None

    def put(self, namespace: str, key: str, data: bytes) -> None:
        if self.directory is not None:
            write_atomic(self.directory / namespace / key, data)

    def get_or_make(self, namespace: str, key: str, make: Callable[[], bytes]) -> bytes:
        data = self.get(namespace, key)
        if data is None:
            data = make()
            self.put(namespace, key, data)
        return data
