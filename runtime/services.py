"""What behaviors of one run share, as a typed object instead of a dict keyed by name.

One :class:`Services` per run (never shared between runs), reached as ``ctx.services``:
the scenario and seed, the data stores that ``data-at-rest.json`` is scanned from, and
the KMS key ring (a replica key shares its primary's material). State that only one kind
of behavior shares between its nodes (for example a model endpoint's training set) is
built once per run through :meth:`Services.once`, typed by the function that builds it,
so the runtime core names no behavior's service.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar, cast

from archgen.runtime.fluid import SessionTally
from archgen.runtime.store import DataAtRest, KeyRing

if TYPE_CHECKING:
    from archgen.model.schema import Model, Scenario

T = TypeVar("T")


class Services:
    """The run-scoped services of one simulation."""

    __slots__ = (
        "_built",
        "data_at_rest",
        "item_share",
        "key_ring",
        "model",
        "run_s",
        "scenario",
        "seed",
        "sessions",
    )

    def __init__(
        self, model: Model, scenario: Scenario, seed: int, run_s: float | None = None
    ) -> None:
        self.model = model
        self.scenario = scenario
        self.seed = seed
        self.run_s = scenario.duration_s if run_s is None else run_s
        """Simulated seconds of the run (the scenario's, or the one asked for): what is
        booked for later, such as a scheduled action, is not booked at all."""
        self.data_at_rest = DataAtRest()
        """Every data node's records (what the at-rest scan reads) and pending data keys."""
        self.key_ring = KeyRing(model, seed)
        """The run's KMS keys, by key node."""
        self.item_share: Callable[[int], float] = _no_items
        """The share p of the flows that draw an item (the scenario's Zipf law), set by
        the traffic: a cache in hybrid fidelity derives its untraced lookups from it."""
        self.sessions = SessionTally()
        """The traced sessions started and their declared rate, counted by the traffic:
        a pool in hybrid fidelity derives its load from them."""
        self._built: dict[Callable[[Services], object], object] = {}

    def once(self, build: Callable[[Services], T]) -> T:
        """``build(self)``, called on first use only: the same object for the whole run."""
        if build not in self._built:
            self._built[build] = build(self)
        return cast(T, self._built[build])


def _no_items(item: int) -> float:
    """No traffic draws items: no share."""
    return 0.0
