"""Oracle results as a table: with ``ARCHGEN_ORACLE_REPORT=FILE`` each comparison is
appended to FILE as one JSON line (what the docs and release notes quote)."""

from __future__ import annotations

import json
import os

from tests.oracles.analytic import Estimate


def record(case: str, quantity: str, simulated: Estimate, exact: float) -> None:
    path = os.environ.get("ARCHGEN_ORACLE_REPORT")
    if not path:
        return
    row = {
        "case": case,
        "quantity": quantity,
        "exact": exact,
        "simulated": simulated.mean,
        "ci95": simulated.half_width,
        "replications": simulated.replications,
        "error_pct": 100 * (simulated.mean - exact) / exact if exact else None,
    }
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(row) + "\n")
