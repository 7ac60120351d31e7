"""``archgen render`` of every view (svg+png+dot+mermaid, cold) against plain ``dot``.

Anchor: running Graphviz's ``dot`` directly on the same DOT sources for the same formats
(svg and png), one process per file, one after another, as a shell loop would. Also shown:
the same ``dot`` calls two at a time (archgen renders in parallel on every core), and the
re-render of an unchanged model. Goals: cold ratio <= 1.3, unchanged <= 0.5 s.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARCHGEN = str(Path(sys.executable).with_name("archgen"))
REPEATS = 3


def interleaved_medians(actions: list[Callable[[], object]]) -> list[float]:
    """Run the actions in turn, REPEATS rounds, so a busy neighbour slows them alike."""
    times: list[list[float]] = [[] for _ in actions]
    for _ in range(REPEATS):
        for index, action in enumerate(actions):
            started = time.perf_counter()
            action()
            times[index].append(time.perf_counter() - started)
    return [statistics.median(series) for series in times]


def main() -> None:
    from archgen.renderers.icons import resources_dir

    model = sys.argv[1] if len(sys.argv) > 1 else None
    model_args = [model] if model else []
    work = Path(tempfile.mkdtemp(prefix="bench-render-"))
    try:
        sources = work / "sources"
        subprocess.run(
            [ARCHGEN, "render", *model_args, "--format", "dot", "--out", str(sources)],
            check=True,
            capture_output=True,
        )
        dots = sorted(sources.glob("*.dot"))
        image_path = f"-Gimagepath={resources_dir()}"
        calls = [
            ["dot", image_path, f"-T{fmt}", str(path), "-o", f"{path}.{fmt}"]
            for path in dots
            for fmt in ("svg", "png")
        ]

        def plain_dot() -> None:
            for call in calls:
                subprocess.run(call, check=True, capture_output=True)

        def plain_dot_parallel() -> None:
            with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
                list(
                    pool.map(
                        lambda call: subprocess.run(call, check=True, capture_output=True), calls
                    )
                )

        out = work / "out"

        def archgen_cold() -> None:
            shutil.rmtree(out, ignore_errors=True)
            subprocess.run(
                [ARCHGEN, "render", *model_args, "--out", str(out)], check=True, capture_output=True
            )

        def archgen_unchanged() -> None:
            subprocess.run(
                [ARCHGEN, "render", *model_args, "--out", str(out)], check=True, capture_output=True
            )

        anchor, anchor_parallel, cold, unchanged = interleaved_medians(
            [plain_dot, plain_dot_parallel, archgen_cold, archgen_unchanged]
        )
        print(
            f"model: {model or 'reference'}; {len(dots)} views, {len(calls)} dot layouts "
            f"(svg+png), median of {REPEATS}"
        )
        print(f"dot directly, sequential   {anchor:7.3f} s   (anchor)")
        print(f"dot directly, {os.cpu_count()} at a time  {anchor_parallel:7.3f} s")
        print(f"archgen render, cold       {cold:7.3f} s   (svg+png+dot+mermaid)")
        print(f"ratio cold / dot sequential  {cold / anchor:5.2f}   (goal <= 1.3)")
        print(f"ratio cold / dot parallel    {cold / anchor_parallel:5.2f}")
        print(f"archgen render, unchanged  {unchanged:7.3f} s   (goal <= 0.5 s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
