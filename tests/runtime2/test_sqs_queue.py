"""SQS rules, each shown on the kernel-independent queue driven by an explicit clock."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archgen.runtime.aws.sqs_queue import SendEntry, SqsError, SqsQueue


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_message_not_deleted_comes_back_after_visibility_timeout(clock: Clock) -> None:
    q = SqsQueue("q", clock, visibility_timeout_s=30)
    q.send("order-1")
    first = q.receive()
    assert [m.body for m in first] == ["order-1"]
    assert first[0].receive_count == 1
    clock.t = 29.999
    assert q.receive() == []  # still hidden
    assert q.next_visible_at() == 30.0
    clock.t = 30.0
    again = q.receive()
    assert [m.receive_count for m in again] == [2]
    assert again[0].receipt_handle != first[0].receipt_handle
    assert q.stats.redelivered == 1


def test_delete_with_the_latest_handle_removes_a_stale_one_does_not(clock: Clock) -> None:
    q = SqsQueue("q", clock, visibility_timeout_s=10)
    q.send("a")
    stale = q.receive()[0].receipt_handle
    clock.t = 10
    latest = q.receive()[0].receipt_handle
    assert q.delete(stale) is False
    assert len(q) == 1
    assert q.delete(latest) is True
    assert len(q) == 0
    with pytest.raises(SqsError) as error:
        q.delete("never-issued")
    assert error.value.code == "ReceiptHandleIsInvalid"


def test_dlq_after_max_receive_count(clock: Clock) -> None:
    dlq = SqsQueue("dlq", clock)
    q = SqsQueue("q", clock, visibility_timeout_s=5, max_receive_count=3, dead_letter_queue=dlq)
    q.send("poison")
    for attempt in range(1, 4):
        got = q.receive()
        assert [m.receive_count for m in got] == [attempt]
        clock.t += 5
    # The fourth receive finds a message already received 3 times: it moves to the DLQ.
    assert q.receive() == []
    assert len(q) == 0
    assert q.stats.moved_to_dlq == 1
    moved = dlq.receive()
    assert [(m.body, m.message_id, m.receive_count) for m in moved] == [("poison", "q-00000001", 4)]


def test_change_visibility_zero_makes_the_message_visible_now(clock: Clock) -> None:
    q = SqsQueue("q", clock, visibility_timeout_s=300)
    q.send("a")
    handle = q.receive()[0].receipt_handle
    q.change_visibility(handle, 0)
    assert [m.receive_count for m in q.receive()] == [2]
    q.send("b")
    done = next(m for m in q.receive(10) if m.body == "b").receipt_handle
    q.delete(done)
    with pytest.raises(SqsError, match="MessageNotInflight"):
        q.change_visibility(done, 1)
    with pytest.raises(SqsError, match="ReceiptHandleIsInvalid"):
        q.change_visibility("missing", 1)


def test_receive_returns_at_most_ten_and_batches_hold_ten(clock: Clock) -> None:
    q = SqsQueue("q", clock)
    for i in range(25):
        q.send(f"m{i}")
    assert len(q.receive(10)) == 10
    with pytest.raises(SqsError) as error:
        q.receive(11)
    assert error.value.code == "InvalidParameterValue"
    entries = [SendEntry(id=str(i), body="x") for i in range(11)]
    with pytest.raises(SqsError) as error:
        q.send_batch(entries)
    assert error.value.code == "TooManyEntriesInBatchRequest"
    with pytest.raises(SqsError) as error:
        q.send_batch([SendEntry(id="a", body="x"), SendEntry(id="a", body="y")])
    assert error.value.code == "BatchEntryIdsNotDistinct"
    with pytest.raises(SqsError) as error:
        q.delete_batch([])
    assert error.value.code == "EmptyBatchRequest"


def test_standard_queue_keeps_send_order_and_redelivers_in_place(clock: Clock) -> None:
    q = SqsQueue("q", clock, visibility_timeout_s=10)
    for body in "abc":
        q.send(body)
    first = q.receive(1)[0]
    assert first.body == "a"
    q.delete(q.receive(1)[0].receipt_handle)  # b done
    clock.t = 10  # a's timeout expires: it returns before c
    assert [m.body for m in q.receive(10)] == ["a", "c"]


def test_fifo_order_per_group_and_one_group_in_flight(clock: Clock) -> None:
    q = SqsQueue("q.fifo", clock, fifo=True, visibility_timeout_s=30)
    for group, body in [("g1", "1a"), ("g2", "2a"), ("g1", "1b"), ("g2", "2b"), ("g1", "1c")]:
        q.send(body, group_id=group, dedup_id=body)
    batch = q.receive(2)
    assert [m.body for m in batch] == ["1a", "1b"]
    # g1 is blocked while its messages are in flight; g2 is served in order.
    assert [m.body for m in q.receive(10)] == ["2a", "2b"]
    assert q.receive(10) == []
    q.delete(batch[0].receipt_handle)
    assert q.receive(10) == []  # 1b still in flight: g1 stays blocked
    clock.t = 30  # everything times out: groups by oldest head, in order within a group
    assert [m.body for m in q.receive(10)] == ["2a", "2b", "1b", "1c"]


def test_fifo_deduplication_window_is_five_minutes(clock: Clock) -> None:
    q = SqsQueue("q.fifo", clock, fifo=True, content_based_deduplication=True)
    first = q.send("same", group_id="g")
    clock.t = 299.9
    dup = q.send("same", group_id="g")
    assert dup.duplicate
    assert dup.message_id == first.message_id
    assert len(q) == 1
    clock.t = 300.0
    assert not q.send("same", group_id="g").duplicate
    assert len(q) == 2
    assert q.stats.duplicates == 1
    with pytest.raises(SqsError, match="MissingParameter"):
        q.send("x")


def test_retention_deletes_old_messages_even_in_flight(clock: Clock) -> None:
    q = SqsQueue("q", clock, retention_s=60, visibility_timeout_s=120)
    q.send("old")
    q.receive()
    clock.t = 30
    q.send("young")
    clock.t = 60
    assert q.message_ids() == ["q-00000002"]
    assert q.stats.expired == 1


def test_standard_dlq_keeps_enqueue_time_fifo_dlq_resets_it(clock: Clock) -> None:
    for fifo in (False, True):
        clock.t = 0
        dlq = SqsQueue("dlq", clock, fifo=fifo, retention_s=100)
        q = SqsQueue(
            "q",
            clock,
            fifo=fifo,
            visibility_timeout_s=10,
            max_receive_count=1,
            dead_letter_queue=dlq,
            content_based_deduplication=True,
        )
        q.send("m", group_id="g" if fifo else None)
        q.receive()
        clock.t = 90
        q.receive()  # moves it
        clock.t = 100
        assert len(dlq) == (1 if fifo else 0)


def test_delay_hides_new_messages_and_long_polling_wakes_up(clock: Clock) -> None:
    q = SqsQueue("q", clock, delay_s=5)
    woken: list[float] = []
    q.on_available = lambda: woken.append(clock.t)
    q.send("late")
    assert q.receive() == []
    assert woken == []  # not visible yet
    assert q.next_visible_at() == 5
    q.send("now", delay_s=0)
    assert woken == [0.0]
    clock.t = 5
    assert [m.body for m in q.receive(10)] == ["late", "now"]  # send order


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["send", "receive", "delete", "tick"]), st.integers(0, 9)),
        max_size=60,
    )
)
def test_every_message_is_in_exactly_one_place(ops: list[tuple[str, int]]) -> None:
    """Accounting identity: sent = in queue + deleted + in DLQ, whatever happens."""
    clock = Clock()
    dlq = SqsQueue("dlq", clock)
    q = SqsQueue("q", clock, visibility_timeout_s=3, max_receive_count=2, dead_letter_queue=dlq)
    handles: list[str] = []
    for op, n in ops:
        if op == "send":
            q.send(f"m{n}")
        elif op == "receive":
            handles.extend(m.receipt_handle for m in q.receive(1 + n))
        elif op == "delete" and handles:
            q.delete(handles.pop(n % len(handles)))
        else:
            clock.t += n
    assert q.stats.sent == len(q) + q.stats.deleted + len(dlq)
    assert q.in_flight_count + q.visible_count <= len(q)
