"""The scales tests run the reference scenarios at.

The reference model runs at its real traffic (scale 1): hybrid fidelity, about a minute of
CPU per scenario. A test needs a scenario's story request by request in seconds, so it
runs at the scale the scenario had before scale 1 became its default: Prime Day at 0.002
(twelve times the traffic of the others), the others at 0.01.
"""

from __future__ import annotations

QUICK_SCALES = {"prime-day": 0.002}
QUICK_SCALE = 0.01


def quick_scale(scenario: str) -> float:
    """The scale a test runs the reference scenario ``scenario`` at."""
    return QUICK_SCALES.get(scenario, QUICK_SCALE)
