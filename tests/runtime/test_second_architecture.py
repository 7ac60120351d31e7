"""The second, unrelated architecture runs and checks like the reference one: a
serverless photo-sharing app (ALB → Lambda, S3 events through SQS, SNS fan-out)."""

from __future__ import annotations

import json
from collections import Counter

from click.testing import CliRunner

from archgen.main import cli
from archgen.model import LoadedModel
from archgen.runtime.session import run_scenario
from tests.conftest import PHOTO_MODEL


def test_a_quiet_evening_serves_every_flow(photo: LoadedModel) -> None:
    result = run_scenario(photo.model, "quiet-evening")
    summary = result.summary
    assert summary["violations"] == 0
    for flow in ("upload", "view-feed"):
        assert summary["flows"][flow]["completed"] > 100
        assert summary["flows"][flow]["ok"] == summary["flows"][flow]["completed"]
    jobs = summary["pipeline"]["queues"]["thumbnail-jobs"]
    assert jobs["sent"] > 100
    assert jobs["lost"] == jobs["applied_twice"] == 0
    assert jobs["sent"] == jobs["processed"] + jobs["in_dlq"] + jobs["in_queue"]


def test_its_runs_conform_and_the_lint_finds_its_real_gaps() -> None:
    result = CliRunner().invoke(
        cli, ["check", str(PHOTO_MODEL), "--scenario", "thumbnailer-down", "--format", "json"]
    )
    assert result.exit_code == 1  # the lint findings below, nothing from the run
    report = json.loads(result.stdout)
    scopes = {scope["name"]: scope["findings"] for scope in report["scopes"]}
    assert [f for f in scopes["thumbnailer-down"] if f["severity"] == "error"] == []
    assert Counter(f["rule"] for f in scopes["lint"]) == {
        "entry-shield": 3,
        "monitored": 4,
        "dlq": 1,
        # '*' also covers the DLQ, in two roles; the thumbnailer's kms:Decrypt and
        # kms:GenerateDataKey are needed (its bucket is SSE-KMS), no longer "unneeded".
        "iam-least-privilege": 2,
        "visibility-timeout-margin": 1,  # 60 s < 6 x the thumbnailer's 30 s timeout
    }
