"""Where a run's per-request time goes: counts per simulated request and shares of the loop.

Runs ``archgen run`` in this process with cProfile on the event loop only (model loading,
imports and the summary left out) and prints, per simulated request: events (heap pushes),
function calls (Python and C), Calls and Traces made; then the loop's time by module and
by function, as shares of the loop (cProfile inflates call-heavy code: compare shares
between versions, not seconds). Outputs are the run's own; the spans are written as usual.

    python bench/engine_profile.py [archgen run options…]
    (default: --scenario prime-day --fidelity full --scale 0.002 --duration 300)
"""

from __future__ import annotations

import cProfile
import json
import pstats
import sys
import tempfile
from collections import Counter
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path
from typing import Any

DEFAULT = ["--scenario", "prime-day", "--fidelity", "full", "--scale", "0.002", "--duration", "300"]


def main() -> None:
    options = sys.argv[1:] or DEFAULT
    summary, stats, made = profiled(options)
    requests = summary["requests"]
    entries: dict[tuple[str, int, str], tuple[int, int, float, float, Any]]
    entries = stats.stats  # type: ignore[attr-defined]
    calls = sum(entry[1] for entry in entries.values())
    python = sum(entry[1] for key, entry in entries.items() if key[0] != "~")
    total = sum(entry[2] for entry in entries.values())
    by_module: dict[str, float] = {}
    by_function: dict[str, float] = {}
    for (path, line, name), entry in entries.items():
        module = "C builtins" if path == "~" else _short(path)
        by_module[module] = by_module.get(module, 0.0) + entry[2]
        key = f"{module}:{line}({name})"
        by_function[key] = by_function.get(key, 0.0) + entry[2]
    print(f"archgen run {' '.join(options)}: {requests:,} simulated requests")
    print("  per request:")
    print(f"    events (heap pushes) {summary['events'] / requests:8.2f}")
    print(f"    function calls       {calls / requests:8.1f}", end="")
    print(f"  (Python functions: {python / requests:.1f})")
    print(f"    traces made          {made['traces'] / requests:8.2f}")
    print("  the loop's time, by module (share of the loop, self time):")
    for module, seconds in _top(by_module, 14):
        print(f"    {100 * seconds / total:5.1f} %  {module}")
    print("  by function:")
    for function, seconds in _top(by_function, 16):
        print(f"    {100 * seconds / total:5.1f} %  {function}")


def profiled(options: list[str]) -> tuple[dict[str, Any], pstats.Stats, Counter[str]]:
    """(summary, the event loop's profile, objects made) of one run with ``options``."""
    from archgen.main import cli
    from archgen.runtime import behavior, engine

    profile = cProfile.Profile()
    loop = engine.Kernel.run
    made = Counter[str]()

    def run(self: engine.Kernel, until: float = float("inf")) -> None:
        profile.enable()
        try:
            loop(self, until)
        finally:
            profile.disable()

    original = behavior.Trace.__init__

    def trace(self: behavior.Trace, *args: Any, **kwargs: Any) -> None:
        made["traces"] += 1
        original(self, *args, **kwargs)

    engine.Kernel.run = run  # type: ignore[method-assign]
    behavior.Trace.__init__ = trace  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as out:
        printed = StringIO()
        command = ["run", *options, "--out", str(Path(out) / "run"), "--json"]
        with redirect_stdout(printed):
            try:
                cli(command, prog_name="archgen")
            except SystemExit as stop:
                if stop.code not in (0, None):
                    raise
    return json.loads(printed.getvalue()), pstats.Stats(profile), made


def _short(path: str) -> str:
    parts = Path(path).parts
    if "archgen" in parts:
        return "/".join(parts[parts.index("archgen") + 1 :])
    return Path(path).name


def _top(shares: dict[str, float], n: int) -> list[tuple[str, float]]:
    return sorted(shares.items(), key=lambda item: (-item[1], item[0]))[:n]


if __name__ == "__main__":
    main()
