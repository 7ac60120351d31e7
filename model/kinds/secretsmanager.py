"""Secrets Manager: a secret read through GetSecretValue under the account's request
quota, decrypted with its KMS key on the caller's behalf, rotated by a Lambda function on
schedule, and read less often by callers that cache it.

The whole declaration of the kind: its parameters, how it is drawn, its ARN, its metrics,
what it costs and the CloudFormation types it reads.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from archgen.model.base import DAY_S, Duration, Id, ms
from archgen.model.cost import Bill
from archgen.model.kind import (
    Arn,
    Capability,
    CfnImport,
    Checks,
    EncryptableAtRest,
    KindParams,
    Metrics,
    Node,
    Operations,
    Ref,
    SseKms,
    Unit,
    kind,
    metric,
)
from archgen.model.loader import PathKey

if TYPE_CHECKING:
    from archgen.model.importers.context import ImportContext

READ_QUOTA_PER_S = 10_000
"""Combined DescribeSecret and GetSecretValue requests per second an account may make in
a Region (Secrets Manager quotas)."""
ROTATION_STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
"""The steps Secrets Manager invokes a rotation function for, in order."""


class SecretsManagerParams(KindParams, EncryptableAtRest):
    """Settings of a secret: its key, the account's read quota, rotation and caching."""

    kms_key: Annotated[Id | None, Ref(("kms",))] = Field(
        None,
        description="KMS key node that encrypts the secret; none: the AWS managed "
        "aws/secretsmanager key, which callers need no permission on.",
    )
    requests_per_s_quota: int = Field(
        READ_QUOTA_PER_S,
        gt=0,
        le=1_000_000,
        description="GetSecretValue and DescribeSecret requests per second the account may "
        "make in the Region (10,000), shared by its secrets: the smallest any of them "
        "declares applies.",
    )
    max_attempts: int = Field(
        3,
        ge=1,
        le=10,
        description="Attempts the caller's AWS SDK makes when throttled (standard retry "
        "mode: 3), with exponential backoff and full jitter before each retry.",
    )
    latency: Duration = Field(
        default_factory=lambda: ms(12, 0.4), description="Latency of one API call."
    )
    client_cache_ttl_s: int | None = Field(
        None,
        ge=1,
        le=DAY_S,
        description="How long the callers' caching client (the Secrets Manager caching "
        "libraries, the Lambda extension) keeps a value before asking again (the "
        "libraries' default: 3600); none: every read is an API call.",
    )
    rotation_lambda: Annotated[Id | None, Ref(("lambda",))] = Field(
        None, description="Lambda function that rotates the secret."
    )
    rotation_days: int | None = Field(
        None, ge=1, le=1000, description="Days between two rotations (AutomaticallyAfterDays)."
    )
    next_rotation_s: float | None = Field(
        None,
        ge=0,
        le=30 * DAY_S,
        description="When the next scheduled rotation starts, in seconds since the run "
        "started; none: no rotation falls within the run.",
    )


def _validate(checks: Checks, path: PathKey, node: Node, params: SecretsManagerParams) -> None:
    """Rotation needs its function (and the edge Secrets Manager invokes it through); a
    key node needs the edge the secret decrypts through."""
    if params.rotation_lambda is None:
        scheduled = (
            ("rotation_days", params.rotation_days),
            ("next_rotation_s", params.next_rotation_s),
        )
        for field, value in scheduled:
            if value is not None:
                checks.report((*path, field), "rotation needs a rotation_lambda")
    elif checks.kind_of(params.rotation_lambda) == "lambda":
        checks.edge_ref(
            (*path, "rotation_lambda"), node.id, params.rotation_lambda, "its rotation function"
        )
    if params.kms_key is not None and checks.kind_of(params.kms_key) == "kms":
        checks.edge_ref((*path, "kms_key"), node.id, params.kms_key, "its KMS key")


_DAYS = re.compile(r"^rate\((\d+) days?\)$")


def _import_secret(ctx: ImportContext) -> dict[str, object]:
    """``AWS::SecretsManager::Secret``: its KMS key, with the edge it decrypts through."""
    params: dict[str, object] = {}
    key = ctx.node(ctx.prop("KmsKeyId"))
    this = ctx.this
    if key is not None and key.kind == "kms" and this is not None:
        params["kms_key"] = key.id
        why = f"{ctx.logical_id} is encrypted with {key.logical_id}"
        ctx.edge(this, key, ["Decrypt", "GenerateDataKey"], why)
    return params


def _import_rotation(ctx: ImportContext) -> None:
    """``AWS::SecretsManager::RotationSchedule``: the rotation function (and the edge
    Secrets Manager invokes it through) and the days between rotations."""
    secret = ctx.node(ctx.prop("SecretId"))
    if secret is None or secret.kind != "secretsmanager":
        ctx.skip("its secret is not in the model")
        return
    days = ctx.number("RotationRules", "AutomaticallyAfterDays")
    expression = ctx.text(ctx.prop("RotationRules", "ScheduleExpression", default=""))
    found = _DAYS.match(expression.strip())
    if days is None and found:
        days = int(found.group(1))
    elif days is None and expression:
        secret.notes.append(f"rotation schedule {expression} not read (only rate(N days))")
    function = ctx.node(ctx.prop("RotationLambdaARN"))
    if function is None or function.kind != "lambda":
        why = "hosted rotation function" if ctx.prop("HostedRotationLambda") else "function"
        secret.notes.append(f"rotation by a {why} outside the model ({ctx.logical_id})")
        return
    secret.params["rotation_lambda"] = function.id
    if days is not None:
        secret.params["rotation_days"] = int(days)
    # Asynchronous: the function's own calls back to the secret (PutSecretValue…) would
    # otherwise close a cycle of synchronous edges.
    why = f"rotation schedule {ctx.logical_id} (async: the function calls the secret back)"
    ctx.edge(secret, function, ["Invoke"], why, "async")


def _import_attachment(ctx: ImportContext) -> None:
    ctx.skip("attaches a secret to its database's connection details; not modeled")


def _import_policy(ctx: ImportContext) -> None:
    ctx.skip("a secret's resource policy is not modeled (identity policies are)")


def _cost(bill: Bill, node: Node, params: SecretsManagerParams) -> None:
    """The secret, prorated over the window, and its API calls (not those a caching
    client answered)."""
    bill.charge("secretsmanager.secret_month", bill.months, "the secret, prorated")
    calls = bill.real(bill.value("secrets", "api_calls"))
    bill.charge("secretsmanager.api_call", calls, "API calls that reached Secrets Manager")
    bill.leave_out("the KMS requests of its key node are the key's")


# Secrets Manager API reference.
_OPERATIONS = Operations(
    "Secrets Manager",
    """
    BatchGetSecretValue CancelRotateSecret CreateSecret DeleteResourcePolicy DeleteSecret
    DescribeSecret GetRandomPassword GetResourcePolicy GetSecretValue ListSecretVersionIds
    ListSecrets PutResourcePolicy PutSecretValue RemoveRegionsFromReplication
    ReplicateSecretToRegions RestoreSecret RotateSecret StopReplicationToReplica TagResource
    UntagResource UpdateSecret UpdateSecretVersionStage ValidateResourcePolicy
    """,
)


SPEC = kind(
    "secretsmanager",
    SecretsManagerParams,
    title="Secrets Manager secret",
    category="security",
    order=135,
    summary="A secret: GetSecretValue quota, KMS decryption, Lambda rotation, caching.",
    icon=("diagrams.aws.security", "SecretsManager"),
    arn=Arn("secretsmanager", "secret:{id}"),
    iam_service="secretsmanager",
    operations=_OPERATIONS,
    capabilities={Capability.security, Capability.triggered},
    validate=_validate,
    behavior="archgen.runtime.behaviors.secretsmanager:SecretsManager",
    metrics=Metrics(
        "AWS/Usage",
        ("Service", "Type", "Resource", "Class"),
        (
            metric(
                "CallCount",
                Unit.count,
                "API calls that reached Secrets Manager (a caching client's answers are "
                "not calls).",
            ),
        ),
    ),
    imports=(
        CfnImport(
            "AWS::SecretsManager::Secret",
            _import_secret,
            entry_operation="GetSecretValue",
            ref_is_arn=True,
            physical_name="Name",
        ),
        CfnImport("AWS::SecretsManager::RotationSchedule", _import_rotation, creates_node=False),
        CfnImport(
            "AWS::SecretsManager::SecretTargetAttachment", _import_attachment, creates_node=False
        ),
        CfnImport("AWS::SecretsManager::ResourcePolicy", _import_policy, creates_node=False),
    ),
    cost=_cost,
    sse_kms=SseKms(
        (
            ("GetSecretValue", ("kms:Decrypt",)),
            ("BatchGetSecretValue", ("kms:Decrypt",)),
            ("PutSecretValue", ("kms:GenerateDataKey",)),
            ("CreateSecret", ("kms:GenerateDataKey",)),
            ("UpdateSecret", ("kms:GenerateDataKey",)),
        ),
        error="AccessDeniedException",
    ),
)
