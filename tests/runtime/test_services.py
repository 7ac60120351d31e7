"""Behaviors share run-scoped services through one typed object per run (``ctx.services``),
not a dict keyed by name."""

from __future__ import annotations

from archgen.model import LoadedModel
from archgen.runtime.run import build
from archgen.runtime.services import Services
from archgen.runtime.system import Simulation
from archgen.runtime.trace import SpanSink


def simulation(loaded: LoadedModel, seed: int) -> Simulation:
    scenario = loaded.model.scenarios[0]
    sim, _ = build(loaded.model, scenario, seed=seed, scale=1.0, duration_s=10, sink=SpanSink(None))
    return sim


def test_one_services_object_per_run_shared_by_every_node(reference: LoadedModel) -> None:
    first, second = simulation(reference, 1), simulation(reference, 2)
    assert isinstance(first.services, Services)
    assert first.services is not second.services
    assert {id(ctx.services) for ctx in first.contexts.values()} == {id(first.services)}
    assert not any(hasattr(ctx, "shared") for ctx in first.contexts.values())
    assert (first.services.scenario, first.services.seed) == (reference.model.scenarios[0], 1)
    assert second.services.seed == 2


def test_once_builds_a_behaviors_service_once_per_run(reference: LoadedModel) -> None:
    built: list[int] = []

    def build_seen(services: Services) -> list[str]:
        built.append(services.seed)
        return []

    sim, other = simulation(reference, 1), simulation(reference, 2)
    contexts = list(sim.contexts.values())
    seen = contexts[0].services.once(build_seen)
    seen.append("x")
    assert contexts[-1].services.once(build_seen) == ["x"]
    assert other.services.once(build_seen) == []
    assert built == [1, 2]


def test_a_replica_key_shares_its_primarys_material(reference: LoadedModel) -> None:
    sim = simulation(reference, 1)
    replicas = [n for n in reference.model.nodes if n.kind == "kms" and n.replica_of is not None]
    assert replicas
    ring = sim.services.key_ring
    for node in replicas:
        assert node.replica_of is not None
        assert ring.key(node.id) is ring.key(node.replica_of)
