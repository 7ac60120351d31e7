"""KMS: an envelope-encryption key with a shared request quota."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from archgen.model.base import (
    Duration,
    ms,
)
from archgen.model.cost import Bill
from archgen.model.iam import PolicyDocument
from archgen.model.kind import (
    Arn,
    Capability,
    CfnImport,
    KindParams,
    Metrics,
    Node,
    Operations,
    ResourcePolicy,
    Unit,
    kind,
    metric,
)

if TYPE_CHECKING:
    from archgen.model.importers.context import ImportContext


class KmsParams(KindParams, ResourcePolicy):
    """Settings of a KMS key: its key policy, rotation and request quota."""

    key_spec: Literal["SYMMETRIC_DEFAULT"] = Field(
        "SYMMETRIC_DEFAULT",
        description="Type of key; only symmetric keys (envelope encryption) are modelled.",
    )
    requests_per_s_quota: int = Field(
        10_000,
        gt=0,
        le=1_000_000,
        description=(
            "The account's quota of symmetric cryptographic operations per second in the "
            "key's Region, shared by every key there (AWS: 10,000; 20,000 or 100,000 in "
            "some Regions). Keys of one Region should agree; the smallest value applies."
        ),
    )
    max_attempts: int = Field(
        3,
        ge=1,
        le=10,
        description=(
            "Attempts the caller's AWS SDK makes when throttled (standard retry mode: 3), "
            "with exponential backoff and full jitter before each retry."
        ),
    )
    latency: Duration = Field(
        default_factory=lambda: ms(6, 0.4), description="Latency of one cryptographic operation."
    )
    rotation: bool = Field(True, description="Automatic yearly rotation of the key material.")
    key_policy: PolicyDocument | None = Field(
        None, description="Resource policy of the key; none: the account's default policy."
    )


def _import_key(ctx: ImportContext) -> dict[str, object]:
    """``AWS::KMS::Key``: rotation and the key policy, as written."""
    params: dict[str, object] = {"rotation": bool(ctx.flag("EnableKeyRotation"))}
    policy = ctx.prop("KeyPolicy")
    if isinstance(policy, dict):
        params["key_policy"] = ctx.plain(policy)
    return params


def _cost(bill: Bill, node: Node, params: KmsParams) -> None:
    """The cryptographic requests the model's edges make to it, and the key itself (each
    multi-Region replica is one); the requests AWS services make for encryption at rest
    (SSE-KMS) are not simulated, so not billed."""
    bill.charge("kms.request", bill.calls(), "cryptographic requests")
    bill.charge("kms.key_month", bill.months, "the key, prorated over the window")
    bill.leave_out("requests AWS services make for SSE-KMS at rest: not simulated")
    if params.rotation:
        bill.leave_out("rotated key material ($1/month per rotation): none within a run")


# KMS API reference; ReEncryptFrom/To: the IAM actions of ReEncrypt.
_OPERATIONS = Operations(
    "KMS",
    """
    CancelKeyDeletion ConnectCustomKeyStore CreateAlias CreateCustomKeyStore CreateGrant
    CreateKey Decrypt DeleteAlias DeleteCustomKeyStore DeleteImportedKeyMaterial
    DeriveSharedSecret DescribeCustomKeyStores DescribeKey DisableKey DisableKeyRotation
    DisconnectCustomKeyStore EnableKey EnableKeyRotation Encrypt GenerateDataKey
    GenerateDataKeyPair GenerateDataKeyPairWithoutPlaintext GenerateDataKeyWithoutPlaintext
    GenerateMac GenerateRandom GetKeyPolicy GetKeyRotationStatus GetParametersForImport
    GetPublicKey ImportKeyMaterial ListAliases ListGrants ListKeyPolicies ListKeyRotations
    ListKeys ListResourceTags ListRetirableGrants PutKeyPolicy ReEncrypt ReEncryptFrom
    ReEncryptTo ReplicateKey RetireGrant RevokeGrant RotateKeyOnDemand ScheduleKeyDeletion Sign
    SynchronizeMultiRegionKey TagResource UntagResource UpdateAlias UpdateCustomKeyStore
    UpdateKeyDescription UpdatePrimaryRegion Verify VerifyMac
    """,
)


SPEC = kind(
    "kms",
    KmsParams,
    title="KMS key",
    category="security",
    order=130,
    summary="Envelope encryption key.",
    icon=("diagrams.aws.security", "KMS"),
    arn=Arn("kms", "key/{id}"),
    iam_service="kms",
    operations=_OPERATIONS,
    conditions=("throttled",),
    capabilities={Capability.security, Capability.key},
    behavior="archgen.runtime.behaviors.kms:Kms",
    metrics=Metrics(
        "AWS/Usage",
        ("Service", "Type", "Resource", "Class"),
        (
            metric(
                "CallCount",
                Unit.count,
                "Cryptographic operations the key performed (GenerateDataKey, Decrypt…; "
                "throttled requests excluded). AWS publishes it per account, Region and "
                "operation (Service=KMS, Type=API, Resource=<operation>, Class=None); the run "
                "counts per key node, all operations together.",
            ),
        ),
    ),
    imports=(CfnImport("AWS::KMS::Key", _import_key),),
    cost=_cost,
)
