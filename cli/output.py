"""Writing files atomically (the helper lives in ``archgen.model.files``, shared with the
runtime and the site, which may not import the command line)."""

from __future__ import annotations

from archgen.model.files import write_atomic

__all__ = ["write_atomic"]
