"""The engine's hot modules compiled with Cython against the same modules as pure Python.

The listed modules are compiled from their unchanged ``.py`` (Cython 3's pure-Python mode;
annotations are not used as C types, so the arithmetic and the outputs stay the
interpreter's) into a temporary folder. ``archgen run`` then runs the same scenario and
seed in its own process, alternately pure and with a finder that loads the builds,
``--repeats`` times. Printed: simulated requests per CPU-second of each (median), the
ratio, and whether both wrote the same spans (the summary's sha256).

Measured on CPython 3.11 (December 2026, issue 16): the compiled engine is *slower*
(0.80-0.90x), because the interpreter's specialised attribute access and inlined
Python-to-Python calls beat Cython's generic object code, and every call between a
compiled and a pure module leaves the inlined path. So archgen ships no compiled build;
this bench says when that changes. It needs Cython and a C compiler
(``pip install cython``); without them it says so and stops.

    python bench/bench_compiled.py [--modules core|all|NAME,NAME] [--scenario ID] [--repeats N]
"""

from __future__ import annotations

import argparse
import importlib
import importlib.machinery
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CORE = (
    "archgen.runtime.engine",
    "archgen.runtime.system",
    "archgen.runtime.behavior",
    "archgen.runtime.trace",
    "archgen.runtime.traffic",
    "archgen.runtime.metrics",
    "archgen.runtime.dists",
)
# The core and every module with more than 0.1 % of a Prime Day run's own time (cProfile).
ALL = (
    *CORE,
    "archgen.runtime.store",
    "archgen.runtime.recommender",
    "archgen.runtime.capacity",
    "archgen.runtime.aws.kms_envelope",
    "archgen.runtime.aws.dynamodb_capacity",
    "archgen.runtime.aws.sqs_queue",
    "archgen.runtime.aws.lru_cache",
    "archgen.runtime.aws.token_bucket",
    "archgen.runtime.aws.operations",
    "archgen.runtime.behaviors.fleet",
    "archgen.runtime.behaviors.alb",
    "archgen.runtime.behaviors.dynamodb",
    "archgen.runtime.behaviors.sagemaker_endpoint",
    "archgen.runtime.behaviors.waf",
    "archgen.runtime.behaviors.cloudfront",
    "archgen.runtime.behaviors.lambda_",
    "archgen.runtime.behaviors.sqs",
    "archgen.runtime.behaviors.sns",
    "archgen.runtime.behaviors.route53",
    "archgen.runtime.behaviors.external",
    "archgen.runtime.behaviors.s3",
)
PRESETS = {"core": CORE, "all": ALL}
# Cython reads the sources as plain Python: types taken from annotations would make a
# `float` a C double (an int argument becomes 1.0 and a report's text changes).
DIRECTIVES = {"language_level": 3, "annotation_typing": False, "binding": True}
# Runs archgen with the builds in argv[1] (a folder; empty: pure) loaded for argv[2]'s
# modules, and reports on stderr how many modules came from a build.
RUNNER = """
import atexit, importlib.machinery as m, sys
folder, names = sys.argv.pop(1), set(sys.argv.pop(1).split(','))
class Finder:
    @staticmethod
    def find_spec(name, path, target=None):
        if not folder or name not in names:
            return None
        built = f'{folder}/{name}{m.EXTENSION_SUFFIXES[0]}'
        return m.ModuleSpec(name, m.ExtensionFileLoader(name, built), origin=built)
sys.meta_path.insert(0, Finder)
def report():
    loaded = [n for n in names if getattr(sys.modules.get(n), '__file__', '').endswith('.so')]
    print(f'compiled modules loaded: {len(loaded)}', file=sys.stderr)
atexit.register(report)
from archgen.main import main
main()
"""


def source_of(name: str) -> Path:
    """The ``.py`` of an installed archgen module, found without importing it."""
    parent = importlib.import_module(name.rpartition(".")[0])
    spec = importlib.machinery.PathFinder.find_spec(name, list(parent.__path__))
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        raise SystemExit(f"error: {name}: no Python source")
    return Path(spec.origin)


def build(modules: tuple[str, ...], folder: Path) -> None:
    """Compile ``modules`` into ``folder`` as ``NAME<extension suffix>``."""
    # Imported by name: neither ships type hints, and Cython is not in the dev extra.
    cythonize = importlib.import_module("Cython.Build").cythonize
    setuptools = importlib.import_module("setuptools")
    build_ext = importlib.import_module("setuptools.command.build_ext").build_ext

    extensions = []
    for name in modules:
        copy = folder / "src" / Path(*name.split(".")).with_suffix(".py")
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source_of(name), copy)
        # No debug information (a faster build) and no warnings about the generated C.
        flags = ["-g0", "-w"]
        extensions.append(setuptools.Extension(name, [str(copy)], extra_compile_args=flags))
    jobs = os.cpu_count() or 1
    compiled = cythonize(
        extensions,
        compiler_directives=DIRECTIVES,
        build_dir=str(folder / "c"),
        nthreads=jobs,
        quiet=True,
    )
    command = build_ext(setuptools.Distribution({"ext_modules": compiled}))
    command.build_lib = str(folder / "lib")
    command.build_temp = str(folder / "tmp")
    command.parallel = jobs
    command.ensure_finalized()
    command.run()
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    for name in modules:
        shutil.move(command.get_ext_fullpath(name), folder / f"{name}{suffix}")


def run_once(
    folder: Path | None, modules: tuple[str, ...], scenario: str, out: Path
) -> tuple[float, dict[str, object], str]:
    """(CPU seconds, summary, loaded-modules line) of one ``archgen run``."""
    shutil.rmtree(out, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [sys.executable, "-c", RUNNER, str(folder or ""), ",".join(modules), "run"]
    command += ["--scenario", scenario, "--out", str(out), "--json"]
    completed = subprocess.run(command, capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return cpu, json.loads(completed.stdout), completed.stderr.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", default="core", help="core, all or NAME,NAME…")
    parser.add_argument("--scenario", default="prime-day")
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    modules = PRESETS.get(options.modules) or tuple(options.modules.split(","))
    try:
        import Cython  # noqa: F401
    except ImportError:
        print("Cython is not installed (pip install cython): skipped")
        return
    with tempfile.TemporaryDirectory(prefix="archgen-bench-compiled-") as scratch:
        folder = Path(scratch)
        build(modules, folder / "built")
        cpu: dict[str, list[float]] = {"pure": [], "compiled": []}
        summaries: dict[str, dict[str, object]] = {}
        loaded = ""
        for _ in range(options.repeats):
            for name, built in (("pure", None), ("compiled", folder / "built")):
                seconds, summary, line = run_once(built, modules, options.scenario, folder / name)
                cpu[name].append(seconds)
                summaries[name] = summary
                loaded = line if built is not None else loaded
    requests = summaries["pure"]["requests"]
    assert isinstance(requests, int)
    rates = {name: requests / statistics.median(times) for name, times in cpu.items()}
    print(
        f"archgen run --scenario {options.scenario}: {requests:,} simulated requests, "
        f"{len(modules)} modules ({options.modules}), median of {options.repeats}, "
        "each build in its own process, alternately:"
    )
    for name in ("pure", "compiled"):
        times = ", ".join(f"{t:.1f}" for t in cpu[name])
        print(f"  {name:>8}: {rates[name]:9,.0f} requests per CPU-second ({times} s of CPU)")
    print(f"  {loaded} of {len(modules)}")
    print(f"  ratio compiled/pure: {rates['compiled'] / rates['pure']:.2f}x (pays at >= 1.15x)")
    same = all(
        summaries["pure"][key] == summaries["compiled"][key]
        for key in ("requests", "events", "spans_sha256")
    )
    print(f"  same spans, requests and events: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
