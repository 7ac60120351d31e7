"""A fault must be able to act on its target (the refused cases are pinned in
``invalid/fault-targets.yaml``); a replica is called through its original's edges, so a
fault on one acts."""

from __future__ import annotations

import pytest

from archgen.model import LoadedModel, load_model_text
from archgen.model.errors import ModelError
from archgen.model.load import reference_model_path

FAULT = "      - {type: region_outage, target: us-east-1, start_s: 300, end_s: 900}\n"


def _with_fault(fault: str) -> str:
    text = reference_model_path().read_text(encoding="utf-8")
    assert text.count(FAULT) == 1
    return text.replace(FAULT, FAULT + fault)


def test_a_fault_on_a_replica_with_no_edge_of_its_own_acts(reference: LoadedModel) -> None:
    """data-key-usw2 declares no edge: the callers' edges name data-key, its original."""
    assert not any(edge.target == "data-key-usw2" for edge in reference.model.edges)
    fault = "      - {type: throttling, target: data-key-usw2, start_s: 300, rate: 0.5}\n"
    load_model_text(_with_fault(fault), "amazon-shopping.yaml")


def test_a_fault_on_a_node_nothing_calls_is_refused() -> None:
    fault = "      - {type: latency, target: shopper, start_s: 300, added_latency_ms: 50}\n"
    with pytest.raises(ModelError) as raised:
        load_model_text(_with_fault(fault), "amazon-shopping.yaml")
    (problem,) = raised.value.problems
    assert str(problem).endswith(
        "the latency fault on 'shopper' would act on nothing: no call reaches 'shopper' (no "
        "edge leads to it, it consumes no queue and no node names it)"
    )
