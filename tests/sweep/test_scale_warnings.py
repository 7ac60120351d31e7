"""A sweep says what its scale did to the capacities it compares: the warnings of the
runs (a shared one once) and the configurations that the scale made the same system."""

from __future__ import annotations

from archgen.commands.sweep import scale_warnings
from archgen.runtime.artefacts import SweepConfiguration

FLEET = "web: min_instances 40 × 0.01 = 0.4, simulated 1 (+150 %); whole at scale 0.05"


def configuration(value: int, *warnings: str) -> SweepConfiguration:
    return SweepConfiguration.model_construct(
        params={"worker.event_source.maximum_concurrency": value},
        scale_warnings=list(warnings),
    )


def concurrency(value: int) -> str:
    deviation = round(100 * (1 / (value * 0.1) - 1))
    return (
        f"worker: event_source.maximum_concurrency {value} × 0.1 = {value * 0.1:g}, "
        f"simulated 1 ({deviation:+d} %)"
    )


def test_values_the_scale_rounds_alike_are_named_as_one_system() -> None:
    lines = scale_warnings(
        [
            configuration(2, FLEET, concurrency(2)),
            configuration(5, FLEET, concurrency(5)),
            configuration(50, FLEET),
        ]
    )
    assert lines == [
        f"warning: scale: {FLEET}",
        "warning: scale: worker.event_source.maximum_concurrency=2: "
        "worker: event_source.maximum_concurrency 2 × 0.1 = 0.2, simulated 1 (+400 %)",
        "warning: scale: worker.event_source.maximum_concurrency=5: "
        "worker: event_source.maximum_concurrency 5 × 0.1 = 0.5, simulated 1 (+100 %)",
        "warning: scale: worker.event_source.maximum_concurrency=2 and "
        "worker.event_source.maximum_concurrency=5 run the same simulated system at this "
        "scale, so their rows cannot differ: compare them at a scale that keeps them apart",
    ]


def test_a_warning_on_another_node_does_not_make_configurations_the_same() -> None:
    lines = scale_warnings([configuration(20, FLEET), configuration(50, FLEET)])
    assert lines == [f"warning: scale: {FLEET}"]
