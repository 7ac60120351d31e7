"""Scripts of SQS operations, run against moto's SQS and ours: same receive counts, same
redeliveries, same messages moved to the dead-letter queue — on a standard queue, and on a
FIFO queue with message groups (a group stays blocked while any of its messages is in
flight, order is kept within a group, a visibility timeout that runs out or is changed
releases the group, deduplication drops a resend).

moto measures visibility timeouts with the wall clock; freezegun stops it and the script
moves it forward, so the test takes no real time. Where moto and AWS's guide differ, the
scripts stay on common ground: a FIFO receive capped below what is visible (AWS fills it
from one group first, moto in send order); a FIFO receive where one group's message times
out and another's is handed out (moto then blocks the second group within the same call,
AWS returns as many of a group's messages as it can); a deduplication id resent after its
message was deleted (moto forgets it, AWS keeps it 5 minutes); VisibilityTimeout 0 on a
receive.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

Op = tuple[Any, ...]

SCRIPT: list[Op] = [
    ("send", "a"),
    ("send", "b"),
    ("send", "c"),
    ("send", "d"),
    ("receive", 2, None),  # a, b (count 1)
    ("delete", "a"),
    ("tick", 10),
    ("receive", 10, None),  # c, d (b is still hidden)
    ("tick", 21),  # b's 30 s timeout is over; c, d still hidden
    ("receive", 10, 5),  # b again (count 2), hidden for 5 s only
    ("change_visibility", "c", 0),  # c visible again at once
    ("tick", 0.001),  # moto's "visible" is strictly after visible_at
    ("receive", 10, None),  # c (count 2)
    ("tick", 30),  # b, c, d all visible
    ("receive", 10, None),  # b exceeds maxReceiveCount=2 -> DLQ; d (count 2) returned
    ("delete", "d"),
    ("tick", 31),
    ("receive", 10, None),  # c (received twice already) -> DLQ; nothing returned
    ("send", "e"),
    ("receive", 10, None),  # e
    ("delete", "e"),
    ("receive_dlq", 10),  # b, c with their receive counts carried over
]

# FIFO: ("send", body, group); the body is also the deduplication id.
FIFO_SCRIPT: list[Op] = [
    ("send", "a1", "A"),
    ("send", "a2", "A"),
    ("send", "b1", "B"),
    ("send", "a3", "A"),
    ("send", "b2", "B"),
    ("send", "c1", "C"),
    ("send", "a2", "A"),  # same deduplication id within 5 minutes: dropped
    ("receive", 2, None),  # a1, a2: the first group, in order; A is now blocked
    ("receive", 10, None),  # b1, b2, c1 — not a3 (A has messages in flight)
    ("delete", "a1"),
    ("receive", 10, None),  # nothing: a2 still holds group A
    ("change_visibility", "b1", 0),  # b1 visible again, but b2 still holds group B
    ("tick", 0.001),
    ("receive", 10, None),  # nothing
    ("delete", "b2"),
    ("delete", "c1"),
    ("receive", 10, 5),  # b1 (count 2): B is free; hidden for 5 s only
    ("tick", 6),
    ("receive", 10, None),  # b1 received twice -> DLQ; nothing (a2 holds A)
    ("tick", 25),  # a2's 30 s are over
    ("receive", 10, 5),  # a2 (count 2) then a3, in order, hidden for 5 s
    ("change_visibility", "a2", 60),  # a heartbeat: a2 stays in flight
    ("tick", 10),  # a3's 5 s are over, a2's 60 s are not
    ("receive", 10, None),  # nothing: a2 still holds group A, a3 waits behind it
    ("delete", "a2"),
    ("receive", 10, None),  # a3 (count 2)
    ("delete", "a3"),
    ("receive", 10, None),  # empty queue
    ("receive_dlq", 10),  # b1, its receive count carried over
]


def receive_entry(op: str, got: list[tuple[str, int, str | None]]) -> Op:
    """What a receive returned: (body, count) pairs, and each group's bodies in the order
    delivered (FIFO keeps order within a group; across groups the order is free)."""
    groups: dict[str, list[str]] = {}
    for body, _, group in got:
        if group is not None:
            groups.setdefault(group, []).append(body)
    return (
        op,
        sorted((body, count) for body, count, _ in got),
        sorted((group, tuple(bodies)) for group, bodies in groups.items()),
    )


def run_ours(script: list[Op], *, fifo: bool = False) -> list[Any]:
    from archgen.runtime.aws.sqs_queue import SqsQueue

    now = [0.0]
    dlq = SqsQueue("dlq", lambda: now[0], fifo=fifo)
    queue = SqsQueue(
        "src",
        lambda: now[0],
        fifo=fifo,
        visibility_timeout_s=30,
        max_receive_count=2,
        dead_letter_queue=dlq,
    )
    handles: dict[str, str] = {}
    log: list[Any] = []
    for op in script:
        if op[0] == "send":
            if fifo:
                queue.send(op[1], group_id=op[2], dedup_id=op[1])
            else:
                queue.send(op[1])
        elif op[0] == "tick":
            now[0] += op[1]
        elif op[0] in ("receive", "receive_dlq"):
            source = queue if op[0] == "receive" else dlq
            got = (
                source.receive(op[1])
                if op[0] == "receive_dlq" or op[2] is None
                else (source.receive(op[1], visibility_timeout_s=op[2]))
            )
            handles.update({m.body: m.receipt_handle for m in got})
            log.append(receive_entry(op[0], [(m.body, m.receive_count, m.group_id) for m in got]))
        elif op[0] == "delete":
            queue.delete(handles[op[1]])
        elif op[0] == "change_visibility":
            queue.change_visibility(handles[op[1]], op[2])
    log.append(("moved_to_dlq", queue.stats.moved_to_dlq))
    return log


@pytest.fixture
def moto_sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    pytest.importorskip("moto")
    from freezegun import freeze_time
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with freeze_time("2024-07-16 00:00:00") as frozen, mock_aws():
        import boto3

        yield boto3.client("sqs", region_name="us-east-1"), frozen


def run_moto(client: Any, frozen: Any, script: list[Op], *, fifo: bool = False) -> list[Any]:
    suffix = ".fifo" if fifo else ""
    kind = {"FifoQueue": "true"} if fifo else {}
    dlq_url = client.create_queue(QueueName="dlq" + suffix, Attributes=kind)["QueueUrl"]
    dlq_arn = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    url = client.create_queue(
        QueueName="src" + suffix,
        Attributes={
            **kind,
            "VisibilityTimeout": "30",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
        },
    )["QueueUrl"]
    handles: dict[str, str] = {}
    log: list[Any] = []
    moved = 0
    for op in script:
        if op[0] == "send":
            group = {"MessageGroupId": op[2], "MessageDeduplicationId": op[1]} if fifo else {}
            client.send_message(QueueUrl=url, MessageBody=op[1], **group)
        elif op[0] == "tick":
            frozen.tick(timedelta(seconds=op[1]))
        elif op[0] in ("receive", "receive_dlq"):
            kwargs: dict[str, Any] = {
                "QueueUrl": url if op[0] == "receive" else dlq_url,
                "MaxNumberOfMessages": op[1],
                "MessageSystemAttributeNames": ["ApproximateReceiveCount", "MessageGroupId"],
                "WaitTimeSeconds": 0,
            }
            if op[0] == "receive" and op[2] is not None:
                kwargs["VisibilityTimeout"] = op[2]
            before = _dlq_depth(client, dlq_url)
            got = client.receive_message(**kwargs).get("Messages", [])
            if op[0] == "receive":
                moved += _dlq_depth(client, dlq_url) - before
            handles.update({m["Body"]: m["ReceiptHandle"] for m in got})
            log.append(
                receive_entry(
                    op[0],
                    [
                        (
                            m["Body"],
                            int(m["Attributes"]["ApproximateReceiveCount"]),
                            m["Attributes"].get("MessageGroupId"),
                        )
                        for m in got
                    ],
                )
            )
        elif op[0] == "delete":
            client.delete_message(QueueUrl=url, ReceiptHandle=handles[op[1]])
        elif op[0] == "change_visibility":
            client.change_message_visibility(
                QueueUrl=url, ReceiptHandle=handles[op[1]], VisibilityTimeout=op[2]
            )
    log.append(("moved_to_dlq", moved))
    return log


def _dlq_depth(client: Any, url: str) -> int:
    attrs = client.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(
        attrs["ApproximateNumberOfMessagesNotVisible"]
    )


def test_our_sqs_matches_moto(moto_sqs: tuple[Any, Any]) -> None:
    client, frozen = moto_sqs
    theirs = run_moto(client, frozen, SCRIPT)
    ours = run_ours(SCRIPT)
    assert ours == theirs
    # And the script does exercise what it claims to.
    assert ("receive", [("b", 2)], []) in ours
    assert ("receive_dlq", [("b", 3), ("c", 3)], []) in ours
    assert ours[-1] == ("moved_to_dlq", 2)


def test_our_fifo_queue_matches_moto(moto_sqs: tuple[Any, Any]) -> None:
    client, frozen = moto_sqs
    theirs = run_moto(client, frozen, FIFO_SCRIPT, fifo=True)
    ours = run_ours(FIFO_SCRIPT, fifo=True)
    assert ours == theirs
    receives = [entry for entry in ours if entry[0] == "receive"]
    assert receives == [
        ("receive", [("a1", 1), ("a2", 1)], [("A", ("a1", "a2"))]),
        ("receive", [("b1", 1), ("b2", 1), ("c1", 1)], [("B", ("b1", "b2")), ("C", ("c1",))]),
        ("receive", [], []),  # a2 in flight holds a3
        ("receive", [], []),  # b2 in flight holds b1, made visible again
        ("receive", [("b1", 2)], [("B", ("b1",))]),
        ("receive", [], []),  # b1 went to the dead-letter queue
        ("receive", [("a2", 2), ("a3", 1)], [("A", ("a2", "a3"))]),
        ("receive", [], []),  # the heartbeat keeps a2 in flight, a3 waits
        ("receive", [("a3", 2)], [("A", ("a3",))]),
        ("receive", [], []),
    ]
    assert ours[-2:] == [("receive_dlq", [("b1", 3)], [("B", ("b1",))]), ("moved_to_dlq", 1)]
