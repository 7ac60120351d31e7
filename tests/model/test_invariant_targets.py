"""An invariant's targets must be of a kind its rule can judge: ``validate`` refuses the
others with their positions, all at once, before any run (the full set of cases is pinned in
``invalid/invariant-targets.yaml``); here on a second, unrelated architecture."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from archgen.main import cli
from archgen.model import load_model_text
from archgen.model.errors import ModelError

RIDES = Path(__file__).parents[1] / "models" / "ride-hailing.yaml"
INVARIANTS = """\
  - {id: no-lost-requests, rule: no_lost_messages, targets: [ride-requests]}
  - {id: one-match-each, rule: exactly_once, targets: [matcher]}
  - {id: trips-encrypted, rule: encrypted_at_rest, targets: [trips]}
"""


def _rides(invariants: str) -> str:
    text = RIDES.read_text(encoding="utf-8")
    assert text.count(INVARIANTS) == 1
    return text.replace(INVARIANTS, invariants)


def test_the_model_as_written_validates() -> None:
    load_model_text(RIDES.read_text(encoding="utf-8"), "ride-hailing.yaml")


def test_every_wrong_target_is_refused_at_once() -> None:
    wrong = """\
  - {id: no-lost-requests, rule: no_lost_messages, targets: [trips]}
  - {id: one-match-each, rule: exactly_once, targets: [ride-requests]}
  - {id: trips-encrypted, rule: encrypted_at_rest, targets: [matcher]}
  - {id: in-sequence, rule: ordered_per_group, targets: [driver-alerts]}
"""
    with pytest.raises(ModelError) as raised:
        load_model_text(_rides(wrong), "ride-hailing.yaml")
    line = _rides(wrong).splitlines().index(wrong.splitlines()[0]) + 1
    assert [str(problem) for problem in raised.value.problems] == [
        f"error: ride-hailing.yaml:{line}:62: invariants[0].targets[0]: 'trips' is a dynamodb "
        "node; no_lost_messages judges where the messages of a queue or an event bus ended "
        "(sqs or eventbridge)",
        f"error: ride-hailing.yaml:{line + 1}:56: invariants[1].targets[0]: 'ride-requests' is a "
        "sqs node; exactly_once judges queue consumers (lambda with an event_source)",
        f"error: ride-hailing.yaml:{line + 2}:62: invariants[2].targets[0]: 'matcher' is a lambda "
        "node; encrypted_at_rest judges what a store keeps at rest (s3 or dynamodb or rds "
        "or elasticache or sqs or sns)",
        f"error: ride-hailing.yaml:{line + 3}:58: invariants[3].targets[0]: 'driver-alerts' is a "
        "sns node; ordered_per_group judges the messages of a queue (sqs)",
    ]


def test_validate_exits_2_before_any_run(tmp_path: Path) -> None:
    model = tmp_path / "rides.yaml"
    model.write_text(
        _rides("  - {id: no-lost-trips, rule: no_lost_messages, targets: [trips]}\n"),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["validate", str(model)], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.endswith(
        "invariants[0].targets[0]: 'trips' is a dynamodb node; no_lost_messages judges where "
        "the messages of a queue or an event bus ended (sqs or eventbridge)\n"
    )
