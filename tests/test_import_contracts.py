"""The import directions of pyproject's [tool.importlinter] hold (``make lint`` runs them too):
model at the bottom, renderers and runtime on it only, the pure AWS rules (runtime.aws) on model
alone, check beside the runtime core, the CLI on top. A new import across a boundary fails here,
not in review."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_every_import_contract_is_kept() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 9 kept, 0 broken." in result.stdout
    kept = " ".join(result.stdout.split())  # the report wraps long contract names
    assert "the pure AWS rules (runtime.aws) import only model, not the engine KEPT" in kept
    assert "never by the engine KEPT" in kept  # the session is on top of the runtime
    assert "only the CLI imports click: errors are archgen's own" in kept
    assert "the importers (a model from CloudFormation) are used by the CLI only" in kept


def test_importing_the_aws_rules_loads_no_engine() -> None:
    """Contracts see static imports; this sees what importing runtime.aws really loads
    (package ``__init__`` files included)."""
    code = (
        "import sys, archgen.runtime.aws.iam, archgen.runtime.aws.arns, "
        "archgen.runtime.aws.operations, archgen.runtime.aws.sqs_queue, "
        "archgen.runtime.aws.sns_filter, archgen.runtime.aws.kms_envelope, "
        "archgen.runtime.aws.dynamodb_capacity\n"
        "print(sorted(m for m in sys.modules if m.startswith(('archgen.runtime', 'simpy'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.split("\n")[0] == str(
        [
            "archgen.runtime",
            "archgen.runtime.aws",
            "archgen.runtime.aws.arns",
            "archgen.runtime.aws.dynamodb_capacity",
            "archgen.runtime.aws.iam",
            "archgen.runtime.aws.kms_envelope",
            "archgen.runtime.aws.operations",
            "archgen.runtime.aws.sns_filter",
            "archgen.runtime.aws.sqs_queue",
        ]
    )
