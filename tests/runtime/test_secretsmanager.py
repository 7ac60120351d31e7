"""Secrets Manager (issue 14): the Region's read quota as a token bucket, decryption with
the secret's own KMS key on the caller's behalf (and its refusal), a caching
client's fewer calls, and rotation by a Lambda function with AWSPENDING in between.
Callers are sent at chosen instants, so every count is exact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from archgen.main import cli
from archgen.model import load_model_text
from archgen.model.errors import ModelError
from tests.runtime.metrics_lab import Lab, run_lab

CONSTANT_1MS = {"distribution": "constant", "mean_ms": 1}
FUNCTION = {
    "timeout_s": 60,
    "cold_start": {"distribution": "constant", "mean_ms": 0},
    "duration": {"distribution": "constant", "mean_ms": 5},
}


def secret_model(
    secret: dict[str, Any],
    *,
    key: bool = False,
    decrypt: bool = True,
    rotation: dict[str, Any] | None = None,
    duration_s: float = 300,
    region: str = "eu-west-1",
) -> Any:
    """users → app (a function with a role) → secret GetSecretValue; with ``key`` the
    secret is encrypted with ``key`` (a key node whose default policy delegates to IAM) and the
    role is allowed kms:Decrypt when ``decrypt``; with ``rotation`` (the rotator's params)
    a rotation function."""
    actions = ["secretsmanager:GetSecretValue", *(["kms:Decrypt"] if decrypt else [])]
    nodes: list[dict[str, Any]] = [
        {"id": "users", "kind": "client", "params": {"timeout_ms": 600_000}},
        {"id": "app", "kind": "lambda", "group": "r1", "role": "app-role", "params": FUNCTION},
        {
            "id": "app-role",
            "kind": "iam_role",
            "params": {
                "assumed_by": ["lambda.amazonaws.com"],
                "policies": [
                    {"Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
                ],
            },
        },
        {
            "id": "secret",
            "kind": "secretsmanager",
            "group": "r1",
            "params": {"latency": CONSTANT_1MS, **secret},
        },
    ]
    edges: list[dict[str, Any]] = [
        {"from": "users", "to": "app", "operations": ["Invoke"]},
        {"from": "app", "to": "secret", "operations": ["GetSecretValue"], "protocol": "aws-api"},
    ]
    if key:
        nodes.append(
            {"id": "key", "kind": "kms", "group": "r1", "params": {"latency": CONSTANT_1MS}}
        )
        nodes[-2]["params"]["kms_key"] = "key"
        edges.append(
            {"from": "secret", "to": "key", "operations": ["Decrypt"], "protocol": "aws-api"}
        )
    if rotation is not None:
        nodes.append(
            {"id": "rotator", "kind": "lambda", "group": "r1", "params": {**FUNCTION, **rotation}}
        )
        nodes[3]["params"]["rotation_lambda"] = "rotator"
        edges.append({"from": "secret", "to": "rotator", "operations": ["Invoke"]})
    data = {
        "archgen": 1,
        "system": {"id": "lab", "name": "Secrets lab"},
        "groups": [{"id": "r1", "kind": "region", "code": region}],
        "nodes": nodes,
        "edges": edges,
        "flows": [
            {
                "id": "main",
                "title": "Main",
                "steps": [
                    {"from": "users", "to": "app", "op": "Invoke"},
                    {"from": "app", "to": "secret", "op": "GetSecretValue"},
                ],
            }
        ],
        "journeys": [{"id": "go", "title": "Go", "flows": [{"flow": "main"}]}],
        "scenarios": [
            {
                "id": "lab",
                "title": "Lab",
                "duration_s": duration_s,
                "traffic": {"sessions_per_s": 1e-9, "mix": {"go": 1}},
            }
        ],
    }
    return load_model_text(yaml.safe_dump(data, sort_keys=False), "lab.yaml").model


def steady(rate: float, seconds: float, start: float = 1.0) -> list[float]:
    return [start + (i + 0.5) / rate for i in range(round(rate * seconds))]


def errors(lab: Lab, node: str, error: str) -> int:
    return sum(1 for s in lab.on(node) if s["error"] == error)


def secrets(lab: Lab) -> dict[str, Any]:
    found: dict[str, Any] = lab.summary("secret")["secrets"]
    return found


ROTATOR = {"duration": {"distribution": "constant", "mean_ms": 1_000}}


def test_reads_over_the_regions_quota_are_throttled() -> None:
    """A quota of 10/s (a bucket of 10 refilled at 10/s) under 20 reads a second for 10 s,
    without SDK retries: each 50 ms gap refills half a token, so the first 19 reads pass
    (10 − 0.5·18 ≥ 1), then every other one: 91 of the 200 are ThrottlingException."""
    lab = run_lab(secret_model({"requests_per_s_quota": 10, "max_attempts": 1}), steady(20, 10))
    assert errors(lab, "secret", "ThrottlingException") == 91
    assert (secrets(lab)["api_calls"], secrets(lab)["throttled_requests"]) == (109, 91)
    assert lab.total("secret", "CallCount") == 109


def test_the_secrets_key_decrypts_each_read_for_the_caller() -> None:
    """Each read decrypts through the key (10 KMS Decrypt calls); a role without
    kms:Decrypt on the key is refused with AccessDeniedException, before any API call."""
    lab = run_lab(secret_model({}, key=True), [1.0 + i for i in range(10)])
    assert len(lab.on("key", "Decrypt")) == 10
    assert lab.summary("key")["kms"]["decrypts"] == 10
    assert errors(lab, "app", "AccessDeniedException") == 0
    denied = run_lab(secret_model({}, key=True, decrypt=False), [1.0 + i for i in range(10)])
    assert errors(denied, "secret", "AccessDeniedException") == 10
    assert (secrets(denied)["api_calls"], len(denied.on("key"))) == (0, 0)


def test_a_caching_client_calls_once_per_ttl() -> None:
    """One read a second for 100 s with a 60 s client cache: API calls at 1 s and 61 s,
    the 98 others answered by the caller's cache (not billed, not counted)."""
    lab = run_lab(secret_model({"client_cache_ttl_s": 60}), [1.0 + i for i in range(100)])
    assert (secrets(lab)["api_calls"], secrets(lab)["cached_reads"]) == (2, 98)
    assert lab.total("secret", "CallCount") == 2


def test_rotation_invokes_the_function_for_each_step_with_awspending_meanwhile() -> None:
    """Rotation at 10 s, a 1 s function: createSecret, setSecret, testSecret, finishSecret
    from 10 s to 14 s; the reads at 11, 12, 13 and 14 s find AWSPENDING (and get
    AWSCURRENT, version 1); from then on version 2."""
    lab = run_lab(
        secret_model({"next_rotation_s": 10}, rotation=ROTATOR), [1.0 + i for i in range(40)]
    )
    assert len(lab.on("rotator", "Invoke")) == 4
    found = secrets(lab)
    assert found["rotations"] == [{"started_s": 10.0, "ended_s": 14.0, "version": 2}]
    assert (found["version"], found["pending"], found["reads_while_pending"]) == (2, None, 4)


def test_a_cached_value_is_the_previous_version_until_it_expires() -> None:
    """With a 60 s client cache read at 1 s, the 27 reads from 14 s (rotation done) to
    40 s are answered with version 1: stale."""
    lab = run_lab(
        secret_model({"next_rotation_s": 10, "client_cache_ttl_s": 60}, rotation=ROTATOR),
        [1.0 + i for i in range(40)],
    )
    assert (secrets(lab)["api_calls"], secrets(lab)["stale_reads"]) == (1, 27)


def test_a_failed_step_leaves_awspending_and_the_old_version() -> None:
    lab = run_lab(
        secret_model({"next_rotation_s": 10}, rotation={**ROTATOR, "error_rate": 1.0}),
        [1.0 + i for i in range(40)],
    )
    found = secrets(lab)
    assert found["rotations"] == [
        {
            "started_s": 10.0,
            "failed_step": "createSecret",
            "error": "FunctionError",
            "ended_s": 11.0,
        }
    ]
    assert (found["version"], found["pending"]) == (1, 2)
    assert errors(lab, "app", "FunctionError") == 0  # reads go on with AWSCURRENT


def test_rotation_needs_its_function_and_a_key_needs_its_edge() -> None:
    model = secret_model({}, key=True)
    data = model.model_dump(by_alias=True, exclude_defaults=True, mode="json")
    data["edges"] = [e for e in data["edges"] if e["to"] != "key"]
    secret = next(n for n in data["nodes"] if n["id"] == "secret")
    secret["params"]["rotation_days"] = 30
    with pytest.raises(ModelError) as raised:
        load_model_text(yaml.safe_dump(data, sort_keys=False), "lab.yaml")
    assert [p.message for p in raised.value.problems] == [
        "its KMS key needs a declared edge secret -> key",
        "rotation needs a rotation_lambda",
    ]


def test_the_bill_charges_the_secret_month_and_its_api_calls() -> None:
    """An hour of a secret: 1/730 of a month at $0.40, API calls at $0.05 per 10,000
    (the summary's api_calls, which leave out what a caching client answered)."""
    from archgen.runtime.session import run_scenario

    model = secret_model({"client_cache_ttl_s": 60}, duration_s=3_600, region="us-east-1")
    summary = run_scenario(model, "lab", seed=1).summary
    lines = summary["cost"]["nodes"]["secret"]["lines"]
    assert [(line["item"], line["unit_usd"]) for line in lines] == [
        ("secretsmanager.secret_month", 0.4),
        ("secretsmanager.api_call", 0.000005),
    ]
    assert lines[0]["quantity"] == round(1 / 730, 6)


def test_the_lint_names_the_role_the_key_refuses(tmp_path: Path) -> None:
    """kms-key-access says before a run what the run refuses: app-role may not decrypt
    the secret's key."""
    model = secret_model({}, key=True, decrypt=False)
    path = tmp_path / "lab.yaml"
    data = model.model_dump(by_alias=True, exclude_defaults=True, mode="json")
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(path), "--lint-only", "--format", "json"])
    report = json.loads(result.stdout)
    found = [
        f for scope in report["scopes"] for f in scope["findings"] if f["rule"] == "kms-key-access"
    ]
    assert len(found) == 1
    assert "app" in found[0]["message"]
    assert "kms:Decrypt" in found[0]["message"]
