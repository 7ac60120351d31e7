"""Every imported model in ``data/`` (every fixture's golden, whatever importer wrote it)
runs its starter scenario as it comes out, as the import promises: a fixture added without
a starter (a template whose only resource no kind says how to call) fails here."""

from __future__ import annotations

from pathlib import Path

import pytest

from archgen.model.load import load_model
from archgen.runtime.session import run_scenario

DATA = Path(__file__).parent / "data"
GOLDENS = sorted(DATA.glob("*.model.yaml"))


def test_there_are_goldens_to_check() -> None:
    assert len(GOLDENS) >= 20


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda path: path.name.removesuffix(".model.yaml"))
def test_the_starter_scenario_runs(golden: Path) -> None:
    model = load_model(golden).model
    assert model.system.default_scenario == "starter"
    summary = run_scenario(model, "starter", seed=1).summary
    assert summary["requests"] > 0
    assert summary["violations"] == 0
