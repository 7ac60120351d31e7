"""Rules AWS enforces when a stack is deployed are lint findings, each at its YAML line:
the queue's visibility timeout against its consumer's timeout, the SQS event source's
batching window and maximum concurrency, FIFO names and FIFO subscriptions."""

from __future__ import annotations

from pathlib import Path

from archgen.model import LoadedModel, load_model, load_model_text
from archgen.runtime.check import lint
from tests.check.helpers import line_of, mutate

MODELS = Path(__file__).parents[1] / "models"


def only(text: str, rule: str) -> list[str]:
    found = lint(load_model_text(text, "tickets.yaml")).findings
    return [str(f) for f in found if f.rule == rule]


def _orders_params(text: str, params: str) -> str:
    return mutate(
        text,
        "params: {max_receive_count: 3, dead_letter_queue: orders-dlq, kms_key: data-key}",
        "params: {max_receive_count: 3, dead_letter_queue: orders-dlq, kms_key: data-key"
        + params
        + "}",
    )


def _fifo_orders(tickets_text: str) -> str:
    """The orders queue and its dead-letter queue made FIFO (the DLQ named as AWS wants)."""
    text = _orders_params(tickets_text, ", fifo: true")
    text = mutate(
        text,
        "{id: orders-dlq, kind: sqs, group: eu-west-1, params: {kms_key: data-key}}",
        "{id: orders-dlq.fifo, kind: sqs, group: eu-west-1, "
        "params: {fifo: true, kms_key: data-key}}",
    )
    return text.replace("orders-dlq,", "orders-dlq.fifo,")  # its uses, edges and metric


def test_a_visibility_timeout_under_the_function_timeout_is_an_error(tickets_text: str) -> None:
    text = _orders_params(tickets_text, ", visibility_timeout_s: 20")
    text = mutate(
        text, "event_source: {queue: orders}", "timeout_s: 25\n      event_source: {queue: orders}"
    )
    line = line_of(text, "visibility_timeout_s: 20")
    column = text.splitlines()[line - 1].index("20}") + 1
    assert only(text, "visibility-timeout") == [
        f"error: tickets.yaml:{line}:{column}: nodes[8].params.visibility_timeout_s: "
        "[visibility-timeout] queue 'orders' hides a received message for 20 s, less than the "
        "25 s timeout of its consumer 'worker': AWS refuses the event source mapping (it "
        "requires at least 25 s and recommends 150 s)"
    ]
    assert only(text, "visibility-timeout-margin") == []  # the error says it all


def test_a_visibility_timeout_under_six_times_the_function_timeout_is_a_warning(
    tickets_text: str,
) -> None:
    text = mutate(
        tickets_text,
        "event_source: {queue: orders}",
        "timeout_s: 10\n      event_source: {queue: orders}",
    )
    found = only(text, "visibility-timeout-margin")
    assert [f.split(": [")[1] for f in found] == [
        "visibility-timeout-margin] queue 'orders' hides a received message for 30 s, less "
        "than the 60 s AWS recommends (6 × the 10 s timeout of its consumer 'worker') so that "
        "a throttled batch is retried before it becomes visible again"
    ]
    assert found[0].startswith("warning: ")
    # Exactly six times is what AWS recommends: no finding.
    assert (
        only(_orders_params(text, ", visibility_timeout_s: 60"), "visibility-timeout-margin") == []
    )


def test_a_big_batch_without_a_batching_window_is_an_error(tickets_text: str) -> None:
    text = mutate(
        tickets_text,
        "event_source: {queue: orders}",
        "event_source: {queue: orders, batch_size: 11}",
    )
    line = line_of(text, "batch_size: 11")
    column = text.splitlines()[line - 1].index("{queue") + 1  # the event source: no window
    assert only(text, "batching-window") == [
        f"error: tickets.yaml:{line}:{column}: "
        "nodes[10].params.event_source.max_batching_window_s: "
        "[batching-window] Lambda 'worker' takes batches of 11 messages from 'orders' with a "
        "batching window of 0 s: AWS requires max_batching_window_s of at least 1 s for a "
        "batch_size over 10"
    ]
    windowed = mutate(text, "batch_size: 11}", "batch_size: 11, max_batching_window_s: 1}")
    assert only(windowed, "batching-window") == []


def test_an_event_source_above_the_reserved_concurrency_is_warned(tickets_text: str) -> None:
    text = mutate(
        tickets_text,
        "event_source: {queue: orders}",
        "reserved_concurrency: 10\n      event_source: {queue: orders, maximum_concurrency: 20}",
    )
    line = line_of(text, "maximum_concurrency: 20")
    column = text.splitlines()[line - 1].index("20") + 1
    assert only(text, "event-source-concurrency") == [
        f"warning: tickets.yaml:{line}:{column}: "
        "nodes[10].params.event_source.maximum_concurrency: [event-source-concurrency] "
        "Lambda 'worker' lets its event source on 'orders' start 20 concurrent invocations "
        "but reserves 10: AWS recommends a maximum_concurrency no higher than the reserved "
        "concurrency, else batches are throttled and come back only after the visibility "
        "timeout"
    ]
    within = mutate(text, "maximum_concurrency: 20}", "maximum_concurrency: 10}")
    assert only(within, "event-source-concurrency") == []


def test_fifo_names_end_in_fifo_and_standard_ones_do_not(tickets_text: str) -> None:
    text = _fifo_orders(tickets_text)
    line = line_of(text, "  - id: orders")
    assert only(text, "fifo-name") == [
        f"error: tickets.yaml:{line}:9: nodes[8].id: [fifo-name] FIFO queue 'orders' is named "
        "'orders' (its id): AWS requires the name of a FIFO one to end in '.fifo'"
    ]
    # The name is the last part of the ARN when the node has one.
    arn = mutate(
        text,
        "  - id: orders\n",
        '  - id: orders\n    arn: "arn:aws:sqs:eu-west-1:123456789012:orders.fifo"\n',
    )
    assert only(arn, "fifo-name") == []
    standard = mutate(
        tickets_text,
        "  - id: orders\n",
        '  - id: orders\n    arn: "arn:aws:sqs:eu-west-1:123456789012:orders.fifo"\n',
    )
    arn_line = line_of(standard, "orders.fifo")
    assert only(standard, "fifo-name") == [
        f"error: tickets.yaml:{arn_line}:10: nodes[8].arn: [fifo-name] standard queue 'orders' "
        "is named 'orders.fifo' (its arn): only a FIFO one may end in '.fifo' (set "
        "params.fifo: true or rename it)"
    ]


def test_fifo_topics_deliver_to_fifo_queues_only(tickets_text: str) -> None:
    topic = (
        "  - id: events.fifo\n    kind: sns\n    group: eu-west-1\n"
        "    params: {fifo: true, subscriptions: [{endpoint: orders, protocol: sqs}]}\n"
    )
    text = mutate(tickets_text, "  - id: watch\n", topic + "  - id: watch\n")
    text = mutate(
        text,
        "\nflows:\n",
        "  - {from: events.fifo, to: orders, operations: [SendMessage]}\n\nflows:\n",
    )
    line = line_of(text, "endpoint: orders")
    column = text.splitlines()[line - 1].index("orders") + 1
    assert only(text, "fifo-subscription") == [
        f"error: tickets.yaml:{line}:{column}: nodes[12].params.subscriptions[0].endpoint: "
        "[fifo-subscription] FIFO topic 'events.fifo' subscribes 'orders' (sqs), which is not a "
        "FIFO queue: AWS delivers a FIFO topic to FIFO queues only"
    ]
    standard = text.replace("events.fifo", "events").replace("fifo: true, ", "")
    standard = _fifo_orders(standard)
    assert [f.split("] ")[1] for f in only(standard, "fifo-subscription")] == [
        "standard topic 'events' subscribes FIFO queue 'orders': AWS delivers a standard "
        "topic to standard queues only"
    ]


def test_the_reference_model_breaks_no_deploy_time_rule(reference: LoadedModel) -> None:
    rules = {
        "visibility-timeout",
        "visibility-timeout-margin",
        "batching-window",
        "event-source-concurrency",
        "fifo-name",
        "fifo-subscription",
    }
    assert [str(f) for f in lint(reference).findings if f.rule in rules] == []


def test_other_models_deploy_time_findings() -> None:
    """A second and a third architecture: the FIFO ride queue and the photo queue."""
    rides = load_model(MODELS / "ride-hailing.yaml")
    assert [
        f.message
        for f in lint(rides).findings
        if f.rule in ("fifo-name", "visibility-timeout-margin")
    ] == [
        "FIFO queue 'ride-requests' is named 'ride-requests' (its id): AWS requires the name "
        "of a FIFO one to end in '.fifo'",
        "FIFO queue 'ride-requests-dlq' is named 'ride-requests-dlq' (its id): AWS requires "
        "the name of a FIFO one to end in '.fifo'",
    ]
    photos = load_model(MODELS / "photo-sharing.yaml")
    assert [
        str(f).split(": ", 1)[0] + ": " + f.message
        for f in lint(photos).findings
        if f.rule.startswith("visibility")
    ] == [
        "warning: queue 'thumbnail-jobs' hides a received message for 60 s, less than the "
        "180 s AWS recommends (6 × the 30 s timeout of its consumer 'thumbnailer') so that a "
        "throttled batch is retried before it becomes visible again"
    ]
