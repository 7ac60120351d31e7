"""The ``scaled-capacity`` rule: a run whose scale moved a capacity more than 5 % from the
real system's (or left zones of a fleet empty) says so, so that no verdict rests on a
system other than the one modeled without the user knowing."""

from __future__ import annotations

from archgen.model.schema import Model
from archgen.runtime.check.report import FindingSink
from archgen.runtime.check.spans import RunFolder


def check_scaling(sink: FindingSink, run: RunFolder, model: Model) -> list[tuple[str, str]]:
    """One warning per capacity the run's scale distorted; a fact saying how many."""
    summary = run.summary
    if summary is None:
        return []
    # In hybrid fidelity the summary's scale is the traced share; capacities are the
    # system's, so the scale they were judged at is the system's.
    hybrid = summary.fidelity
    scale = hybrid.system_scale if hybrid is not None and hybrid.mode == "hybrid" else summary.scale
    index = {node.id: i for i, node in enumerate(model.nodes)}
    distorted = 0
    for node_id, figures in summary.capacities.items():
        for figure in figures.values():
            if figure.warning is None or node_id not in index:
                continue
            distorted += 1
            sink.add(
                "scaled-capacity",
                ("nodes", index[node_id]),
                f"at scale {scale:g} in {summary.scenario}: {figure.warning}",
                node=node_id,
                values={
                    "real": figure.real,
                    "scaled": figure.scaled,
                    "simulated": figure.simulated,
                },
            )
    if not distorted:
        return [("scaled capacities", f"all within 5 % at scale {scale:g}")]
    return [("scaled capacities", f"{distorted} differ by more than 5 % at scale {scale:g}")]
