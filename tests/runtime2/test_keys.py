"""Keys come from the model: a step's ``key`` names a journey's entity (or a built-in key)
and FIFO message groups, S3 objects and data records follow it; without one, each behavior
has its documented default."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from archgen.main import cli
from archgen.model import load_model_text
from archgen.runtime.session import run_scenario
from tests.conftest import PHOTO_MODEL, TESTS

RIDE = (TESTS / "models" / "ride-hailing.yaml").read_text(encoding="utf-8")
SEND = "      - {from: dispatch, to: ride-requests, op: SendMessage, key: city}\n"


def _groups(text: str) -> tuple[Counter[str], int, int]:
    """Sends per FIFO group id (from the spans), the queue's group count, its sends."""
    result = run_scenario(load_model_text(text, "ride.yaml").model, "rush-hour", keep_spans=True)
    sends = Counter(
        str(s["attrs"]["group"])
        for s in result.spans
        if s["node"] == "ride-requests" and s["op"] == "SendMessage" and s["status"] == "ok"
    )
    queue = result.summary["nodes"]["ride-requests"]["queue"]
    return sends, queue["groups"], queue["sent"]


def test_fifo_groups_follow_the_declared_key() -> None:
    assert SEND in RIDE
    sends, groups, sent = _groups(RIDE)
    assert groups == len(sends) == 40  # the journey's entity: city: {values: 40}
    assert set(sends) == {f"city-{i}" for i in range(40)}
    assert sum(sends.values()) == sent > 1000


def test_without_a_key_fifo_groups_are_per_session() -> None:
    sends, groups, sent = _groups(RIDE.replace(SEND, SEND.replace(", key: city", "")))
    assert groups == len(sends) == sent > 1000  # one ride per session
    assert all(group.startswith("session-") for group in sends)


def test_a_built_in_key_needs_no_entity() -> None:
    sends, groups, _ = _groups(RIDE.replace(SEND, SEND.replace("key: city", "key: trace")))
    assert all(group.startswith("trace-") for group in sends)
    assert groups == len(sends)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("citty", "unknown key 'citty' (did you mean 'city'?)"),
        ("Session", "unknown key 'Session' (did you mean 'session'?)"),
    ],
)
def test_an_undeclared_key_is_reported(tmp_path: Path, key: str, message: str) -> None:
    text = RIDE.replace(SEND, SEND.replace("key: city", f"key: {key}"))
    line = RIDE[: RIDE.index(SEND)].count("\n") + 1
    column = SEND.index("key: city") + 1
    bad = tmp_path / "ride.yaml"
    bad.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(bad)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {bad}:{line}:{column + 5}: flows[0].steps[4].key: {message}\n"
    )


def test_records_keyed_by_an_entity_replace_each_other(tmp_path: Path) -> None:
    text = RIDE.replace(
        "      - {from: dispatch, to: trips, op: PutItem}\n",
        "      - {from: dispatch, to: trips, op: PutItem, key: city}\n",
    )
    out = tmp_path / "run"
    model = tmp_path / "ride.yaml"
    model.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["run", str(model), "--scenario", "rush-hour", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    stores = json.loads((out / "data-at-rest.json").read_text(encoding="utf-8"))["stores"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    sessions = summary["flows"]["request-ride"]["completed"]
    # PutItem: one record per city (40); UpdateItem (no key): one per trace, as before.
    assert stores["trips"]["records"] == 40 + sessions


def test_s3_objects_follow_the_declared_key() -> None:
    """By default an upload writes the flow's item (Zipf-popular: uploads land on few
    keys); keyed by ``trace`` each upload writes an object of its own."""
    text = PHOTO_MODEL.read_text(encoding="utf-8")
    put = "      - {from: api, to: photos, op: PutObject}\n"
    assert put in text
    keyed = text.replace(put, put.replace("PutObject}", "PutObject, key: trace}"))
    before, after = (
        run_scenario(load_model_text(t, "photo.yaml").model, "quiet-evening").summary
        for t in (text, keyed)
    )
    uploads = after["flows"]["upload"]["completed"]
    assert uploads > 100
    # The thumbnailer's writes (same trace, same item) still land on the items.
    assert after["nodes"]["photos"]["objects"]["written"] == (
        before["nodes"]["photos"]["objects"]["written"] + uploads
    )
