"""S3: an object store, optionally encrypted with a KMS key."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from archgen.model.base import (
    YEAR_S,
    Duration,
    Id,
    Percent,
    ms,
)
from archgen.model.cost import Bill
from archgen.model.kind import (
    Arn,
    CacheControl,
    Capability,
    CfnImport,
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

if TYPE_CHECKING:
    from archgen.model.importers.context import ImportContext


S3_CONNECTION_MBPS = 680.0
"""Throughput of one S3 request over one connection, in Mbit/s: 85 MB/s, the low end of
AWS's guidance "make one concurrent request for each 85–90 MB/s of desired network
throughput" (S3 User Guide, Performance guidelines: horizontally scale storage
connections). An object of 200 KB takes 2.4 ms at that rate, one of 500 MB six seconds;
a larger one is faster only over parallel connections (multipart, byte ranges)."""


class S3Params(KindParams, EncryptableAtRest, CacheControl):
    """Settings of an S3 bucket."""

    objects: int = Field(
        100_000, ge=0, le=10**12, description="Objects stored at the start (at most 10^12)."
    )
    object_size_kb: float = Field(
        200, gt=0, le=5 * 2**30, description="At most 5 TiB, S3's largest object."
    )
    get: Duration = Field(
        default_factory=lambda: ms(30, 0.5), description="Latency of a read (GetObject)."
    )
    put: Duration = Field(
        default_factory=lambda: ms(45, 0.5), description="Latency of a write (PutObject)."
    )
    connection_mbps: float = Field(
        S3_CONNECTION_MBPS,
        gt=0,
        le=100_000,
        description="Throughput of one request, in Mbit/s: an object of object_size_kb "
        "takes its size ÷ this on top of get/put (AWS: 85–90 MB/s per connection).",
    )
    availability_percent: Percent = Field(99.9, description="SLA target of the storage class.")
    encryption: Literal["sse-s3", "sse-kms"] = Field(
        "sse-s3", description="Server-side encryption: S3-managed keys or a KMS key."
    )
    kms_key: Annotated[Id | None, Ref(("kms",))] = Field(
        None, description="KMS key node that encrypts the objects (sse-kms)."
    )
    cache_max_age_s: int | None = Field(
        None,
        ge=0,
        le=YEAR_S,
        description="Cache-Control max-age sent with objects; none → CDN default TTL.",
    )

    def served_object_kb(self) -> float | None:
        return self.object_size_kb

    def request_mbps(self) -> float | None:
        return self.connection_mbps

    def sse_kms_key(self) -> str | None:
        """Only SSE-KMS uses ``kms_key`` on the callers' behalf; SSE-S3 keys are S3's."""
        return self.kms_key if self.encryption == "sse-kms" else None


def _import_bucket(ctx: ImportContext) -> dict[str, object]:
    """``AWS::S3::Bucket``: SSE-KMS encryption and the notifications it sends."""
    params: dict[str, object] = {}
    rules = ctx.prop("BucketEncryption", "ServerSideEncryptionConfiguration", default=[])
    for rule in rules if isinstance(rules, list) else []:
        default = rule.get("ServerSideEncryptionByDefault", {}) if isinstance(rule, dict) else {}
        if isinstance(default, dict) and default.get("SSEAlgorithm") == "aws:kms":
            params["encryption"] = "sse-kms"
            key = ctx.node(default.get("KMSMasterKeyID"))
            if key is not None:
                params["kms_key"] = key.id
    this = ctx.this
    notifications = ctx.prop("NotificationConfiguration", default={})
    for section, field, op in (
        ("LambdaConfigurations", "Function", "Invoke"),
        ("QueueConfigurations", "Queue", "SendMessage"),
        ("TopicConfigurations", "Topic", "Publish"),
    ):
        items = notifications.get(section, []) if isinstance(notifications, dict) else []
        for item in items if isinstance(items, list) else []:
            target = ctx.node(item.get(field)) if isinstance(item, dict) else None
            if target is not None and this is not None:
                event = ctx.text(item.get("Event", "events"))
                why = f"{ctx.logical_id} notifies {target.id} of {event}"
                ctx.edge(this, target, [op], why, "async")
    return params


PUT_CLASS = ("PutObject", "CopyObject", "PostObject", "ListObjects", "ListObjectsV2")
FREE_REQUESTS = ("DeleteObject", "DeleteObjects")


def _cost(bill: Bill, node: Node, params: S3Params) -> None:
    """Requests by class, the objects stored, and objects sent to other Regions."""
    bill.charge("s3.request.put_class", bill.calls(*PUT_CLASS), "PUT, COPY, POST and LIST requests")
    bill.charge(
        "s3.request.get_class",
        bill.calls(exclude=PUT_CLASS + FREE_REQUESTS),
        "GET and other requests",
    )
    gb = params.objects * params.object_size_kb / 1024**2
    bill.charge(
        "s3.standard.gb_month",
        gb * bill.months,
        f"{params.objects:,} objects of {params.object_size_kb:g} KB ({gb:,.1f} GB) stored",
    )
    far = sum(n for caller, n in bill.callers().items() if bill.crosses_region(caller))
    if far:
        bill.charge(
            "data_transfer.inter_region.gb",
            far * params.object_size_kb / 1024**2,
            "objects read or written from another Region",
        )
    bill.leave_out("internet data transfer out (outside CloudFront): not modelled")


# S3 API and IAM reference (ListBucket, Replicate*: IAM actions).
_OPERATIONS = Operations(
    "S3",
    """
    AbortMultipartUpload CompleteMultipartUpload CopyObject CreateBucket CreateMultipartUpload
    CreateSession DeleteBucket DeleteBucketPolicy DeleteBucketWebsite DeleteObject
    DeleteObjectTagging DeleteObjectVersion DeleteObjectVersionTagging DeleteObjects
    GetBucketAcl GetBucketCors GetBucketLocation GetBucketLogging GetBucketNotification
    GetBucketPolicy GetBucketTagging GetBucketVersioning GetBucketWebsite
    GetEncryptionConfiguration GetLifecycleConfiguration GetObject GetObjectAcl
    GetObjectAttributes GetObjectLegalHold GetObjectRetention GetObjectTagging GetObjectTorrent
    GetObjectVersion GetObjectVersionAcl GetObjectVersionAttributes
    GetObjectVersionForReplication GetObjectVersionTagging GetReplicationConfiguration
    HeadBucket HeadObject ListAllMyBuckets ListBucket ListBucketMultipartUploads
    ListBucketVersions ListBuckets ListMultipartUploadParts ListMultipartUploads
    ListObjectVersions ListObjects ListObjectsV2 ListParts PutBucketAcl PutBucketCors
    PutBucketLogging PutBucketNotification PutBucketPolicy PutBucketTagging PutBucketVersioning
    PutBucketWebsite PutEncryptionConfiguration PutLifecycleConfiguration PutObject PutObjectAcl
    PutObjectLegalHold PutObjectRetention PutObjectTagging PutObjectVersionAcl
    PutObjectVersionTagging PutReplicationConfiguration ReplicateDelete ReplicateObject
    ReplicateTags RestoreObject SelectObjectContent UploadPart UploadPartCopy
    """,
    http=True,
)


SPEC = kind(
    "s3",
    S3Params,
    title="S3 bucket",
    category="storage",
    summary="Object store.",
    order=100,
    icon=("diagrams.aws.storage", "S3"),
    arn=Arn(
        "s3",
        "{id}",
        regional=False,
        with_account=False,
        object_ops=(
            "GetObject",
            "PutObject",
            "DeleteObject",
            "HeadObject",
            "CopyObject",
            "RestoreObject",
            "GetObjectAcl",
            "PutObjectAcl",
            "AbortMultipartUpload",
        ),
    ),
    iam_service="s3",
    operations=_OPERATIONS,
    # S3 User Guide, "SSE-KMS": an upload needs kms:GenerateDataKey on the bucket's key, a
    # download kms:Decrypt; S3 answers AccessDenied. S3 sends event notifications as
    # s3.amazonaws.com.
    sse_kms=SseKms(
        (
            ("Put*", ("kms:GenerateDataKey",)),
            ("CopyObject", ("kms:GenerateDataKey", "kms:Decrypt")),
            ("UploadPart*", ("kms:GenerateDataKey",)),
            ("Get*", ("kms:Decrypt",)),
        )
    ),
    service_principal="s3.amazonaws.com",
    conditions=("not_found",),
    # S3 User Guide, "Sharing objects with presigned URLs": whoever holds the URL calls
    # with the signer's credentials.
    capabilities={Capability.data_store, Capability.emits_metrics, Capability.presigned_requests},
    behavior="archgen.runtime.behaviors.s3:S3",
    metrics=Metrics(
        "AWS/S3",
        ("BucketName", "FilterId"),
        (
            metric("AllRequests", Unit.count, "Requests the bucket received, any operation."),
            metric("GetRequests", Unit.count, "GET (read) requests."),
            metric("PutRequests", Unit.count, "PUT (write) requests."),
            metric("DeleteRequests", Unit.count, "DELETE requests."),
            metric("ListRequests", Unit.count, "LIST requests."),
            metric(
                "4xxErrors",
                Unit.count,
                "Requests answered with a 4xx (NoSuchKey, AccessDenied).",
            ),
            metric("5xxErrors", Unit.count, "Requests answered with a 5xx (an outage)."),
            metric(
                "TotalRequestLatency",
                Unit.milliseconds,
                "Time from the request's arrival to the bucket's answer.",
            ),
        ),
    ),
    imports=(
        CfnImport(
            "AWS::S3::Bucket",
            _import_bucket,
            entry_operation="PutObject",
            physical_name="BucketName",
        ),
    ),
    cost=_cost,
)
