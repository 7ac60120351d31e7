"""SNS mobile push: a subscription of protocol ``application`` delivers to a platform
application endpoint (the external node standing for the push service) with the retries
AWS gives customer-managed endpoints (50 over about 6 hours), so a two-minute outage of
the push service delays notifications without losing any; HTTPS's default 3 retries
20 s apart would have dead-lettered those published more than a minute before the end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archgen.model import load_model_text
from archgen.model.errors import ModelError
from archgen.runtime.session import run_scenario

PARCELS = (Path(__file__).parent / "models" / "parcels.yaml").read_text(encoding="utf-8")
SUBSCRIPTION = "{endpoint: push-service, protocol: application, platform: APNS,"


def channels(text: str) -> dict[str, Any]:
    result = run_scenario(load_model_text(text, "parcels.yaml").model, "push-outage")
    notifications: dict[str, Any] = result.summary["nodes"]["parcel-events"]["notifications"]
    published = result.summary["nodes"]["parcel-events"]["topic"]["published"]
    return {"published": published, **notifications}


def test_mobile_push_rides_out_a_push_service_outage() -> None:
    assert SUBSCRIPTION in PARCELS
    figures = channels(PARCELS)
    push = figures["application"]
    assert figures["published"] > 700
    assert push["delivered"] == figures["published"]
    assert (push["dead_lettered"], push["lost"]) == (0, 0)
    assert push["retries"] > 200  # every notification of the two minutes waited


def test_https_default_retries_would_give_up() -> None:
    https = PARCELS.replace(SUBSCRIPTION, "{endpoint: push-service, protocol: https,")
    everything = channels(https)
    published, figures = everything["published"], everything["https"]
    assert figures["dead_lettered"] > 100
    assert (figures["delivered"] + figures["dead_lettered"], figures["lost"]) == (published, 0)


@pytest.mark.parametrize(
    ("subscription", "message"),
    [
        (
            "{endpoint: push-service, protocol: application,",
            "a mobile push subscription (protocol application) needs a platform",
        ),
        (
            "{endpoint: push-service, protocol: https, platform: APNS,",
            "platform is for mobile push (protocol application), not https",
        ),
    ],
)
def test_platform_goes_with_application(subscription: str, message: str) -> None:
    with pytest.raises(ModelError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_model_text(PARCELS.replace(SUBSCRIPTION, subscription), "parcels.yaml")


def test_a_mobile_push_endpoint_is_an_external_node() -> None:
    text = PARCELS.replace(
        SUBSCRIPTION, "{endpoint: undelivered, protocol: application, platform: APNS,"
    )
    with pytest.raises(
        ModelError,
        match=r"subscriptions\[0\]\.endpoint: 'undelivered' is a sqs node, expected external",
    ):
        load_model_text(text, "parcels.yaml")
