"""A ``poison_message`` fault poisons a share of the messages sent to a queue: every attempt
to process one fails, so it comes back after the visibility timeout until
``max_receive_count`` receives, then moves to the dead-letter queue; on a FIFO queue its
message group waits behind it until then. Shown on the ride-hailing model (a FIFO queue
grouped by city feeds a matcher) and the photo-sharing model (a standard job queue feeds a
thumbnailer), in full and hybrid fidelity; nothing is lost and nothing applied twice."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from archgen.model import load_model_text
from archgen.runtime.check.api import check_run
from archgen.runtime.check.spans import RunFolder
from archgen.runtime.fluid import FULL, Fidelity
from archgen.runtime.run import RunResult
from archgen.runtime.session import run_scenario
from tests.check.helpers import mutate

MODELS = Path(__file__).parents[1] / "models"
RIDES = MODELS / "ride-hailing.yaml"
PHOTOS = MODELS / "photo-sharing.yaml"
RIDES_CRASH = (
    "      - {type: consumer_crash, target: matcher, start_s: 60, end_s: 120, rate: 0.5}\n"
)
RIDES_POISON = (
    "      - {type: poison_message, target: ride-requests, start_s: 0, end_s: 150, rate: 0.01}\n"
)
PHOTOS_CRASH = "      - {type: consumer_crash, target: thumbnailer, start_s: 120, end_s: 240}\n"
PHOTOS_POISON = (
    "      - {type: poison_message, target: thumbnail-jobs, start_s: 0, end_s: 240, rate: 0.01}\n"
)


EXACTLY_ONCE = "  - {id: one-match-each, rule: exactly_once, targets: [matcher]}\n"
IN_ORDER = "  - {id: city-order, rule: ordered_per_group, targets: [ride-requests]}\n"


def _rides_text() -> str:
    """The ride-hailing model, its crash replaced by 1 % poison for 150 s, and an invariant
    that each city's rides are processed in the order they were sent."""
    text = mutate(RIDES.read_text(encoding="utf-8"), RIDES_CRASH, RIDES_POISON)
    return mutate(text, EXACTLY_ONCE, EXACTLY_ONCE + IN_ORDER)


def _rides(out: Path, fidelity: Fidelity = FULL) -> RunResult:
    loaded = load_model_text(_rides_text(), "ride-hailing.yaml")
    return run_scenario(
        loaded.model, "matcher-crash", duration_s=300, keep_spans=True, out=out, fidelity=fidelity
    )


@pytest.fixture(scope="module")
def rides(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    return _rides(tmp_path_factory.mktemp("rides") / "run")


def _poisoned_sends(result: RunResult, queue: str) -> dict[str, dict[str, Any]]:
    assert result.spans is not None
    return {
        span["attrs"]["message_id"]: span
        for span in result.spans
        if span["node"] == queue and span["op"] == "SendMessage" and span["attrs"].get("poisoned")
    }


def _work(result: RunResult, consumer: str) -> dict[str, list[dict[str, Any]]]:
    """Each message's work spans on the consumer (one per attempt), in order."""
    assert result.spans is not None
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for span in result.spans:
        if span["node"] == consumer and span["step"] is None and "message_id" in span["attrs"]:
            found[span["attrs"]["message_id"]].append(span)
    for spans in found.values():
        spans.sort(key=lambda span: (span["attrs"]["receive_count"], span["start_ms"]))
    return found


def _redrives(result: RunResult, dlq: str) -> dict[str, float]:
    assert result.spans is not None
    return {
        span["attrs"]["message_id"]: span["start_ms"]
        for span in result.spans
        if span["node"] == dlq and span["op"] == "Redrive"
    }


def _dead_letters_are_the_poisoned(result: RunResult, queue: str, dlq: str, consumer: str) -> int:
    """The DLQ holds exactly the poisoned messages, each after max_receive_count failed
    attempts; the books balance and nothing is lost. Returns how many were poisoned."""
    poisoned = _poisoned_sends(result, queue)
    assert poisoned
    assert set(_redrives(result, dlq)) == set(poisoned)
    nodes = result.summary["nodes"]
    assert nodes[queue]["queue"]["poisoned"] == len(poisoned)
    assert nodes[queue]["queue"]["moved_to_dlq"] == len(poisoned)
    assert nodes[dlq]["queue"]["in_queue"] == len(poisoned)
    assert nodes[consumer]["consumer"]["poisoned_failures"] == 3 * len(poisoned)
    work = _work(result, consumer)
    for message_id in poisoned:
        attempts = work[message_id]
        assert [span["attrs"]["receive_count"] for span in attempts] == [1, 2, 3]
        assert {span["error"] for span in attempts} == {"FunctionError"}
        assert all(span["attrs"]["poisoned"] for span in attempts)
    clean = [spans for message_id, spans in work.items() if message_id not in poisoned]
    assert all(not span["attrs"].get("poisoned") for spans in clean for span in spans)
    books = result.summary["pipeline"]["queues"][queue]
    assert books["in_dlq"] == len(poisoned)
    assert books["lost"] == 0
    assert books["applied_twice"] == 0
    assert books["sent"] == books["processed"] + books["in_dlq"] + books["in_queue"]
    return len(poisoned)


def test_the_dead_letter_queue_receives_exactly_the_poisoned_messages(rides: RunResult) -> None:
    assert (
        _dead_letters_are_the_poisoned(rides, "ride-requests", "ride-requests-dlq", "matcher") == 8
    )
    sent = rides.summary["nodes"]["ride-requests"]["queue"]["sent"]
    assert sent == 1155  # 8 of 1,155 poisoned at rate 0.01 (sent in the first 150 s: ~600)


def test_the_invariants_still_hold(rides: RunResult) -> None:
    """no_lost_messages counts a dead-lettered message as accounted for; exactly_once
    is not broken by the redeliveries (a poisoned message never succeeds); each city's
    rides are still processed in order (the group waited, nothing overtook)."""
    loaded = load_model_text(_rides_text(), "ride-hailing.yaml")
    assert rides.out is not None
    scope = check_run(loaded, RunFolder.open(rides.out))
    facts = dict(scope.facts)
    assert facts["messages ride-requests"] == (
        "sent 1155 = processed 1147 + in the dead-letter queue 8 + still in the queue 0 + lost 0"
    )
    assert facts["effects matcher"] == "1155 messages, 0 with an effect more than once"
    assert facts["sequence ride-requests"] == (
        "1155 messages in 40 groups, 0 processed out of sequence"
    )
    # The only finding: the 8 poisoned rides never reach a driver, and the rides queued
    # behind them in their city's group wait, so the end-to-end objective is missed.
    (slo,) = scope.findings
    assert slo.rule == "slo"
    assert "(1,125 reached, 8 never reached of 1,133 requests after warm-up)" in slo.message


def test_a_poisoned_message_blocks_its_fifo_group_until_it_is_dead_lettered(
    rides: RunResult,
) -> None:
    """The rides of a poisoned ride's city sent before it leaves for the DLQ wait: none is
    processed until then (those the FIFO receive handed out behind it, in its batch, fail
    with it), and the receive that dead-letters it hands them out at once."""
    assert rides.spans is not None
    sends = [
        span
        for span in rides.spans
        if span["node"] == "ride-requests" and span["op"] == "SendMessage"
    ]
    work = _work(rides, "matcher")
    redriven = _redrives(rides, "ride-requests-dlq")
    held = 0
    for message_id, send in _poisoned_sends(rides, "ride-requests").items():
        left = redriven[message_id]
        assert left - send["start_ms"] > 2 * 30_000  # three receives, 30 s apart at least
        behind = [
            s["attrs"]["message_id"]
            for s in sends
            if s["attrs"].get("group") == send["attrs"]["group"]
            and send["start_ms"] < s["start_ms"] < left
        ]
        assert behind
        held += len(behind)
        starts = [work[m][0]["start_ms"] for m in behind]
        assert min(starts) >= left  # blocked until the poisoned ride left ...
        assert min(starts) - left < 1_000  # ... released at once ...
        assert {work[m][-1]["status"] for m in behind} == {"ok"}  # ... and all processed
    assert held == 69


def test_hybrid_fidelity_poisons_the_traced_messages(tmp_path: Path) -> None:
    result = _rides(tmp_path / "run", Fidelity("hybrid", 0.25))
    assert result.summary["fidelity"]["mode"] == "hybrid"
    assert (
        _dead_letters_are_the_poisoned(result, "ride-requests", "ride-requests-dlq", "matcher") == 4
    )


DEPTH = (
    "        - {id: jobs-depth, node: thumbnail-jobs, name: ApproximateNumberOfMessagesVisible}\n"
)
DEAD = (
    "        - {id: dead-letters, node: thumbnail-dlq, name: ApproximateNumberOfMessagesVisible,"
    " statistic: Maximum}\n"
)
BACKLOG = "           datapoints_to_alarm: 2, actions: [{type: notify, target: new-photo}]}\n"
DEAD_ALARM = (
    "        - {id: jobs-dead-lettered, metric: dead-letters, threshold: 0,\n"
    "           evaluation_periods: 1, datapoints_to_alarm: 1,\n"
    "           actions: [{type: notify, target: new-photo}]}\n"
)
SOURCE = "event_source: {queue: thumbnail-jobs, batch_size: 5}"
# Two pollers gathering for 5 s: batches of several messages, so a poisoned message has
# batch-mates (at 5 sessions/s about one upload a second).
BATCHED = (
    "event_source: {{queue: thumbnail-jobs, batch_size: 10, max_batching_window_s: 5, "
    "maximum_concurrency: 2{rbif}}}"
)


def _photos(out: Path, *, report_failures: bool) -> tuple[RunResult, Any]:
    """The photo-sharing model with 1 % of the thumbnail jobs poisoned for 240 s, an alarm
    on the dead-letter queue's depth that must fire within 400 s, and batched polling."""
    text = PHOTOS.read_text(encoding="utf-8")
    text = mutate(
        text,
        PHOTOS_CRASH,
        PHOTOS_POISON + "    alarms: {must_fire_within_s: {jobs-dead-lettered: 400}}\n",
    )
    text = mutate(text, DEPTH, DEPTH + DEAD)
    text = mutate(text, BACKLOG, BACKLOG + DEAD_ALARM)
    rbif = ", report_batch_item_failures: true" if report_failures else ""
    text = mutate(text, SOURCE, BATCHED.format(rbif=rbif))
    loaded = load_model_text(text, "photo-sharing.yaml")
    result = run_scenario(
        loaded.model, "thumbnailer-down", duration_s=480, keep_spans=True, out=out
    )
    assert result.out is not None
    return result, check_run(loaded, RunFolder.open(result.out))


def test_reported_item_failures_dead_letter_only_the_poisoned(tmp_path: Path) -> None:
    """With partial batch responses only the poisoned message fails: it alone comes back
    (twice, then the DLQ), and the dead-letter alarm fires in time."""
    result, scope = _photos(tmp_path / "run", report_failures=True)
    poisoned = _dead_letters_are_the_poisoned(
        result, "thumbnail-jobs", "thumbnail-dlq", "thumbnailer"
    )
    assert poisoned == 2
    queue = result.summary["nodes"]["thumbnail-jobs"]["queue"]
    assert queue["redelivered"] == 2 * poisoned
    consumer = result.summary["nodes"]["thumbnailer"]["consumer"]
    assert consumer["failed_messages"] == consumer["poisoned_failures"] == 3 * poisoned
    assert [f.message for f in scope.findings] == []
    assert dict(scope.facts)["alarm jobs-dead-lettered"] == (
        "fired 360 s after the first fault at 0 s (must fire within 400 s)"
    )


def test_without_them_a_poisoned_message_drags_its_batch_mates_along(tmp_path: Path) -> None:
    """Without partial batch responses a poisoned message fails its whole batch every time:
    its batch-mates come back with it, and those that shared its batch on every receive
    reach max_receive_count and are dead-lettered too (AWS's reason for
    ReportBatchItemFailures), some of them after they were processed. Still none is lost."""
    result, _ = _photos(tmp_path / "run", report_failures=False)
    poisoned = set(_poisoned_sends(result, "thumbnail-jobs"))
    dead = set(_redrives(result, "thumbnail-dlq"))
    assert len(poisoned) == 3
    assert poisoned < dead
    assert len(dead) == 15
    books = result.summary["pipeline"]["queues"]["thumbnail-jobs"]
    assert (books["lost"], books["applied_twice"], books["processed_and_in_dlq"]) == (0, 0, 5)
    assert books["sent"] == books["processed"] + books["in_dlq"] + books["in_queue"]
