"""SageMaker endpoint: real-time inference on a few instances."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from archgen.model.base import (
    MAX_INSTANCES,
    Duration,
    ms,
)
from archgen.model.cost import Bill
from archgen.model.kind import (
    Arn,
    Capability,
    KindParams,
    Metrics,
    Node,
    Operations,
    Unit,
    kind,
    metric,
)


class SageMakerParams(KindParams):
    """Settings of a SageMaker real-time endpoint."""

    instance_type: str = Field(
        "ml.c5.xlarge",
        max_length=64,
        description="ML instance type (shown; capacity comes from the concurrency).",
    )
    instances: int = Field(2, gt=0, le=MAX_INSTANCES, description="Instances behind the endpoint.")
    concurrency_per_instance: int = Field(
        4, gt=0, le=1_000, description="Requests one instance serves at once."
    )
    inference: Duration = Field(
        default_factory=lambda: ms(25, 0.4), description="Time one inference takes."
    )
    top_k: int = Field(10, ge=1, le=100, description="Recommendations returned per request.")
    algorithm: Literal["item_cooccurrence"] = Field(
        "item_cooccurrence",
        description="What the model computes from the interactions it has seen.",
    )


def _cost(bill: Bill, node: Node, params: SageMakerParams) -> None:
    """Instance-hours of the endpoint's fixed fleet (real count, not scaled)."""
    bill.charge_hours(
        "sagemaker",
        params.instance_type,
        params.instances * bill.hours,
        f"{params.instances} instances behind the endpoint",
    )
    bill.leave_out("data processed in and out: payload sizes are not modelled")


# SageMaker API reference: an endpoint's operations.
_OPERATIONS = Operations(
    "SageMaker",
    """
    AddTags CreateEndpoint CreateEndpointConfig DeleteEndpoint DeleteEndpointConfig DeleteTags
    DescribeEndpoint DescribeEndpointConfig InvokeEndpoint InvokeEndpointAsync
    InvokeEndpointWithResponseStream ListEndpointConfigs ListEndpoints ListTags UpdateEndpoint
    UpdateEndpointWeightsAndCapacities
    """,
)


SPEC = kind(
    "sagemaker_endpoint",
    SageMakerParams,
    title="SageMaker endpoint",
    category="ml",
    order=90,
    summary="Real-time inference endpoint serving a recommender.",
    icon=("diagrams.aws.ml", "Sagemaker"),
    arn=Arn("sagemaker", "endpoint/{id}"),
    iam_service="sagemaker",
    operations=_OPERATIONS,
    capabilities={Capability.runs_code, Capability.emits_metrics},
    behavior="archgen.runtime.behaviors.sagemaker_endpoint:SageMakerEndpoint",
    metrics=Metrics(
        "AWS/SageMaker",
        ("EndpointName", "VariantName"),
        (
            metric("Invocations", Unit.count, "Inference requests the endpoint received."),
            metric(
                "Invocation4XXErrors",
                Unit.count,
                "Requests answered with a 4xx (throttled: no free slot and a full queue).",
            ),
            metric(
                "Invocation5XXErrors",
                Unit.count,
                "Requests answered with a 5xx (the endpoint out).",
            ),
            metric(
                "ModelLatency",
                Unit.microseconds,
                "Time the model took to answer one request (queueing for a slot excluded).",
            ),
        ),
    ),
    cost=_cost,
)
