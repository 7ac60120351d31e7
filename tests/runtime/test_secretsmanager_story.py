"""Nightly reports (not a shop): 80 report workers a second read the database credentials
from Secrets Manager, under a read quota set to 50/s, while a rotation runs at 120 s.
Without a caching client a third of the reports fail throttled; with a 300 s cache one
API call serves them all, and the cost of that is reading the previous version after the
rotation. Seeded runs, so every figure is the same on every machine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archgen.model import load_model_text
from archgen.runtime.session import run_scenario

MODEL = Path(__file__).parent / "models" / "nightly-reports.yaml"
QUOTA = "      requests_per_s_quota: 50\n"


def run(extra: str = "") -> dict[str, Any]:
    text = MODEL.read_text(encoding="utf-8").replace(QUOTA, QUOTA + extra)
    summary: dict[str, Any] = run_scenario(
        load_model_text(text, "nightly-reports.yaml").model, "batch", seed=1
    ).summary
    return summary


def test_without_a_cache_the_quota_throttles_and_every_read_decrypts() -> None:
    """About 80 reads a second against 50: the SDK retries 38,399 throttled attempts and
    8,848 reads still fail (availability 63 %); each of the 15,038 API calls decrypts
    through the key. The rotation runs its four 2 s steps from 120 s (cold starts
    included, until 128.273 s), 414 reads meeting AWSPENDING."""
    summary = run()
    secret = summary["nodes"]["db-credentials"]
    found = secret["secrets"]
    assert (found["api_calls"], found["throttled"], found["throttled_requests"]) == (
        15_038,
        38_399,
        8_848,
    )
    assert secret["errors"] == {"ThrottlingException": 8_848}
    assert summary["availability"] == 0.629558
    assert summary["nodes"]["credentials-key"]["arrived"] == 15_038
    assert found["rotations"] == [{"started_s": 120.0, "ended_s": 128.273, "version": 2}]
    assert found["reads_while_pending"] == 414


def test_a_caching_client_makes_one_call_and_reads_the_old_version_after_rotation() -> None:
    """client_cache_ttl_s 300: one API call in the five minutes, no throttling, every
    report built; the 13,788 reads after the rotation ended get the previous version
    from the cache. The bill charges 1 API call instead of 15,038."""
    summary = run("      client_cache_ttl_s: 300\n")
    found = summary["nodes"]["db-credentials"]["secrets"]
    assert (found["api_calls"], found["cached_reads"], found["throttled"]) == (1, 23_953, 0)
    assert found["stale_reads"] == 13_788
    assert summary["availability"] == 1.0
    lines = summary["cost"]["nodes"]["db-credentials"]["lines"]
    assert [(line["item"], line["quantity"]) for line in lines] == [
        ("secretsmanager.secret_month", 0.000114),
        ("secretsmanager.api_call", 1.0),
    ]
