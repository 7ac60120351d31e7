"""One script of SQS operations, run against moto's SQS and ours: same receive counts,
same redeliveries, same messages moved to the dead-letter queue.

moto measures visibility timeouts with the wall clock; freezegun stops it and the script
moves it forward, so the test takes no real time.
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


def run_ours() -> list[Any]:
    from archgen.runtime.aws.sqs_queue import SqsQueue

    now = [0.0]
    dlq = SqsQueue("dlq", lambda: now[0])
    queue = SqsQueue(
        "src", lambda: now[0], visibility_timeout_s=30, max_receive_count=2, dead_letter_queue=dlq
    )
    handles: dict[str, str] = {}
    log: list[Any] = []
    for op in SCRIPT:
        if op[0] == "send":
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
            log.append((op[0], sorted((m.body, m.receive_count) for m in got)))
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


def run_moto(client: Any, frozen: Any) -> list[Any]:
    dlq_url = client.create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    url = client.create_queue(
        QueueName="src",
        Attributes={
            "VisibilityTimeout": "30",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
        },
    )["QueueUrl"]
    handles: dict[str, str] = {}
    log: list[Any] = []
    moved = 0
    for op in SCRIPT:
        if op[0] == "send":
            client.send_message(QueueUrl=url, MessageBody=op[1])
        elif op[0] == "tick":
            frozen.tick(timedelta(seconds=op[1]))
        elif op[0] in ("receive", "receive_dlq"):
            kwargs: dict[str, Any] = {
                "QueueUrl": url if op[0] == "receive" else dlq_url,
                "MaxNumberOfMessages": op[1],
                "MessageSystemAttributeNames": ["ApproximateReceiveCount"],
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
                (
                    op[0],
                    sorted(
                        (m["Body"], int(m["Attributes"]["ApproximateReceiveCount"])) for m in got
                    ),
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
    theirs = run_moto(client, frozen)
    ours = run_ours()
    assert ours == theirs
    # And the script does exercise what it claims to.
    assert ("receive", [("b", 2)]) in ours
    assert ("receive_dlq", [("b", 3), ("c", 3)]) in ours
    assert ours[-1] == ("moved_to_dlq", 2)
