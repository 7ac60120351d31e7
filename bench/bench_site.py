"""Site build time: a full build (empty cache: render every diagram, simulate every
scenario) against a rebuild of the unchanged model (everything from the cache).

The anchor is the full build measured in the same run; the goal for the rebuild is ≤ 5 s.
Usage: .venv/bin/python bench/bench_site.py [--repeat N]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build_once(site_dir: Path, cache_dir: Path) -> float:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    started = time.perf_counter()
    config = load_config(str(ROOT / "mkdocs.yml"), site_dir=str(site_dir))
    config.plugins["archgen"].config["cache_dir"] = str(cache_dir)
    build(config)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="rebuilds to take the median of")
    args = parser.parse_args()
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    logging.getLogger("mkdocs").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench-site-") as folder:
        cache = Path(folder) / "cache"
        full = build_once(Path(folder) / "site", cache)
        rebuilds = [build_once(Path(folder) / "site", cache) for _ in range(args.repeat)]
    rebuild = statistics.median(rebuilds)
    print(f"full build (empty cache):        {full:7.2f} s")
    print(f"rebuild, unchanged model (median of {args.repeat}): {rebuild:7.2f} s (goal <= 5 s)")
    print(f"ratio rebuild / full build:      {rebuild / full:7.3f}")


if __name__ == "__main__":
    main()
