"""How much of the hybrid M/M/c oracle's error is the load estimate's.

The hybrid oracle (``tests/oracles/test_hybrid.py``) runs an EC2 pool of c workers with
5 % of the customers traced; the pool decides each traced arrival from the load it
estimates, a = λ̂·ĥ. Erlang C is steep and convex in a (near ρ 0.9 a 1 % error in a is
20 % in the mean wait at c = 50, 60 % at c = 400), so noise in λ̂ or ĥ biases the waits
upwards. This script runs the same replications with the pool's estimate replaced (never
the engine's code: a subclass patched in for the run):

- ``plain``: the previous estimate, the traced arrival rate ÷ sample and the traced mean
  hold (no session tally, no control variate);
- ``estimated``: the pool as it is: the declared session rate × traced arrivals per traced
  session, the hold around the declared service time;
- ``exact λ, h``: the load known exactly: what is left is the engine's own error.

and prints, per cell and variant, the mean wait and P(wait) against Erlang C (relative
error and the 95 % half-width). Measured (6 replications of 40,000 traced, 2 jobs):

| cell | plain: Wq, P(wait) | estimated: Wq, P(wait) |
| --- | ---: | ---: |
| M/M/8 ρ 0.9 (exact pool) | −5.4 % (±10.6), −2.4 % (±3.4) | −0.8 % (±1.2), −0.0 % (±0.6) |
| M/M/50 ρ 0.7 | +11.0 % (±26.8), +7.7 % (±22.7) | +0.5 % (±4.0), −1.2 % (±4.7) |
| M/M/50 ρ 0.9 | +10.6 % (±11.3), +3.7 % (±5.7) | −0.5 % (±1.2), −0.2 % (±0.7) |
| M/M/400 ρ 0.9 | +19.3 % (±56.2), +7.9 % (±42.4) | −1.1 % (±3.1), −0.3 % (±3.1) |

``estimated`` and ``exact λ, h`` print the same numbers here: every customer is one
session that visits the pool once and holds only its service time, so the estimate is
the exact load. Minutes of CPU: ``python bench/hybrid_oracle_rate.py [--replications 6]
[--traced 40000]``; its output depends only on the seeds.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

SERVICE_MS = 100.0
SAMPLE = 0.05
CELLS = [(8, 0.9), (50, 0.7), (50, 0.9), (400, 0.9)]
VARIANTS = ["plain", "estimated", "exact λ, h"]


def replication(
    servers: int, rho: float, seed: int, variant: str, traced: int
) -> tuple[float, float]:
    """One replication of the hybrid M/M/c oracle: mean wait (service times), P(wait)."""
    from archgen.runtime.behaviors import fleet as fleet_module
    from archgen.runtime.fluid import Fidelity, FluidPool
    from tests.oracles import lab

    rate = rho * servers * 1000.0 / SERVICE_MS  # per second, the whole load
    per_ms = rate / 1000.0

    class Known(FluidPool):
        """The pool with its estimate replaced by the plain one or by the exact load."""

        __slots__ = ()

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            if variant == "plain":
                self.tally = None

        def expect(self, draw: Callable[[], float], mean: float) -> None:
            if variant != "plain":
                super().expect(draw, mean)

        def rate(self, now: float) -> float:
            if variant == "exact λ, h":
                return per_ms / self.split
            return super().rate(now)

        def mean_hold(self) -> float | None:
            hold = super().mean_hold()
            return SERVICE_MS if hold is not None and variant == "exact λ, h" else hold

    fleet_module.FluidPool = Known  # type: ignore[misc]
    traced_rate = rate * SAMPLE
    model = lab.model(
        [lab.fleet("fleet", servers, lab.exponential(SERVICE_MS), 10_000_000)],
        [("users", "fleet")],
        rate_per_s=rate,
        duration_s=1.1 * traced / traced_rate,
        seed=seed,
    )
    done = lab.run(
        model,
        seed,
        warmup_s=0.1 * traced / traced_rate,
        reset=lab.reset_fleets("fleet"),
        fidelity=Fidelity("hybrid", SAMPLE),
    )
    fleet = done.sim.behaviors["fleet"]
    return fleet.wait_total / fleet.started / SERVICE_MS, fleet.waited / fleet.started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--replications", type=int, default=6)
    parser.add_argument("--traced", type=int, default=40_000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the oracles' harness
    from tests.oracles.analytic import erlang_c, estimate

    jobs = [
        (c, rho, 700_000 + 1000 * c + round(100 * rho) + k, variant, args.traced)
        for c, rho in CELLS
        for variant in VARIANTS
        for k in range(args.replications)
    ]
    with ProcessPoolExecutor(args.jobs, max_tasks_per_child=1) as pool:
        results = list(pool.map(replication, *zip(*jobs, strict=True)))
    print(
        f"hybrid M/M/c at sample {SAMPLE:g}, {args.replications} replications of "
        f"{args.traced:,} traced customers, against Erlang C"
    )
    print("| cell | load | mean wait Wq | Δ (± 95 %) | P(wait) | Δ (± 95 %) |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for c, rho in CELLS:
        p_wait, wq = erlang_c(c, rho)
        for variant in VARIANTS:
            runs = [
                r
                for job, r in zip(jobs, results, strict=True)
                if (job[0], job[1], job[3]) == (c, rho, variant)
            ]
            wait = estimate([w for w, _ in runs])
            waited = estimate([p for _, p in runs])
            print(
                f"| M/M/{c} ρ {rho:g} | {variant} | {wait.mean:.4f} ({wq:.4f}) | "
                f"{100 * (wait.mean / wq - 1):+.1f} % (±{100 * wait.half_width / wq:.1f}) | "
                f"{waited.mean:.4f} ({p_wait:.4f}) | "
                f"{100 * (waited.mean / p_wait - 1):+.1f} % "
                f"(±{100 * waited.half_width / p_wait:.1f}) |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
