"""The engine's hot modules compiled (Cython or mypyc) against the same modules as pure Python.

The listed modules are compiled into a temporary folder, with Cython 3's pure-Python mode
from their unchanged ``.py`` (annotations are not used as C types, so the arithmetic and
the outputs stay the interpreter's), or with mypyc (``--compiler mypyc``: mypy checks a copy
of the package with the project's settings, and the modules become one library of native
classes with direct calls between them). ``archgen run`` then runs the same scenario and
seed (by default Prime Day at scale 0.002, every request traced: the reference runs at
scale 1 since, in hybrid fidelity) in its own process, alternately pure and with a finder
that loads the builds, ``--repeats`` times. Printed: simulated requests per CPU-second of
each (median), the ratio, whether both wrote the same spans (the summary's sha256), and
the build's time and size.

Measured on CPython 3.11 (December 2026, issue 16), Prime Day, on 2 cores shared with other
jobs (the CPU seconds of one build varied by up to 50 % between repeats):

- Cython is *slower* (0.80-0.90x), because the interpreter's specialised attribute access
  and inlined Python-to-Python calls beat Cython's generic object code, and every call
  between a compiled and a pure module leaves the inlined path.
- mypyc 2.4.1 (in mypy) is faster, not enough to pay for a build step: on ``--modules
  all`` (28 modules; 66-85 s to build, 3.4 MB) 1.03x, 1.15x and 1.14x (medians of 3) and
  1.36x (median of 5), on ``core`` (7 modules; 22-26 s, 1.1 MB) 1.14x and 1.05x; the same
  spans. With the engine's 1.23x over its baseline (``bench_engine_versions.py``),
  1.3-1.7x, not the 3x issue 16 asks for. A compiled run still spends about 70 % of its CPU in the
  interpreter's C API (dict lookups, string building for the spans, allocation, 16 % in
  the collector) and 13 % in the compiled code: the engine works on dicts, strings and
  callbacks, which mypyc leaves generic (writing the span lines alone is 19 %).
- mypyc compiles the sources only after a few tweaks that keep pure Python's behaviour
  (measured on a branch and not merged, for the gain above; on main the mypyc route stops
  with mypyc's error): ``_Context`` reads ``now`` through a property and ``emit``/``after`` through
  methods when compiled (mypyc 2.4.1 crashes on the class-level ``property(attrgetter())``
  overriding an abstract property; native instances have no ``__dict__``); ``new_call``
  uses ``Call(...)`` (``object.__new__`` refuses native classes); ``Behavior``,
  ``Target``, ``Fleet`` and ``Instance`` allow interpreted subclasses (the behaviors not
  compiled); the compiled behaviors are registered by a call, not a decorator (a decorated
  class is not native, and may not inherit from a native one); ``Users`` builds its lists
  once by hand (mypyc compiles ``cached_property`` as a plain property: every session drew
  ``tolist()`` again and the run took 2.3x as long).

So archgen ships no compiled build; this bench says when that changes. It needs a C
compiler and Cython (``pip install cython``) or mypy; without them it says so and stops.

    python bench/bench_compiled.py [--compiler cython|mypyc] [--modules core|all|NAME,NAME]
        [--scenario ID] [--scale X] [--repeats N]
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
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"

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
# Runs archgen with the builds in argv[1] (a folder; empty: pure) loaded for every module
# built there (mypyc adds a shared library beside the listed modules), and reports on
# stderr how many of argv[2]'s modules came from a build.
RUNNER = """
import atexit, importlib.machinery as m, os, sys
folder, names = sys.argv.pop(1), set(sys.argv.pop(1).split(','))
class Finder:
    @staticmethod
    def find_spec(name, path, target=None):
        built = f'{folder}/{name}{m.EXTENSION_SUFFIXES[0]}'
        if not folder or not os.path.exists(built):
            return None
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


def build_cython(modules: tuple[str, ...], folder: Path) -> list[Any]:
    """Cython extensions of ``modules``, from copies of their ``.py`` in ``folder``."""
    # Imported by name: Cython ships no type hints and is not in the dev extra.
    cythonize = importlib.import_module("Cython.Build").cythonize
    setuptools = importlib.import_module("setuptools")

    extensions = []
    for name in modules:
        copy = folder / "src" / Path(*name.split(".")).with_suffix(".py")
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source_of(name), copy)
        # No debug information (a faster build) and no warnings about the generated C.
        flags = ["-g0", "-w"]
        extensions.append(setuptools.Extension(name, [str(copy)], extra_compile_args=flags))
    compiled: list[Any] = cythonize(
        extensions,
        compiler_directives=DIRECTIVES,
        build_dir=str(folder / "c"),
        nthreads=os.cpu_count() or 1,
        quiet=True,
    )
    return compiled


def build_mypyc(modules: tuple[str, ...], folder: Path) -> list[Any]:
    """mypyc extensions of ``modules``: one shared library and a shim per module.

    mypy checks a copy of the whole package (so every import resolves as in the project,
    with the project's mypy settings) and mypyc compiles only ``modules``, as one group:
    calls between them are native, calls to the other modules go through Python.
    """
    from mypyc.build import mypycify

    package = Path(importlib.import_module("archgen").__path__[0])
    copy = folder / "src" / "archgen"
    # The package is a link tree (strict editable install): copy the files, not the links.
    shutil.copytree(package, copy, ignore=lambda _, names: [n for n in names if n.endswith(".pyc")])
    paths = [str(copy.parent / Path(*name.split(".")).with_suffix(".py")) for name in modules]
    options = ["--config-file", str(PYPROJECT), "--cache-dir", str(folder / "mypy-cache")]
    here = Path.cwd()
    os.chdir(folder / "src")  # mypy finds the copy first, not the installed package
    try:
        return mypycify(
            [*options, *paths],
            opt_level="3",
            debug_level="0",
            target_dir=str(folder / "c"),
            group_name="archgen_bench",
        )
    finally:
        os.chdir(here)


def build(compiler: str, modules: tuple[str, ...], folder: Path) -> None:
    """Compile ``modules`` into ``folder`` as ``NAME<extension suffix>`` (and mypyc's library)."""
    setuptools = importlib.import_module("setuptools")
    build_ext = importlib.import_module("setuptools.command.build_ext").build_ext

    extensions = BUILDERS[compiler](modules, folder)
    command = build_ext(setuptools.Distribution({"ext_modules": extensions}))
    command.build_lib = str(folder / "lib")
    command.build_temp = str(folder / "tmp")
    command.parallel = os.cpu_count() or 1
    command.ensure_finalized()
    command.run()
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    for extension in extensions:
        name = extension.name.removesuffix(".__init__")
        shutil.move(command.get_ext_fullpath(extension.name), folder / f"{name}{suffix}")


BUILDERS: dict[str, Callable[[tuple[str, ...], Path], list[Any]]] = {
    "cython": build_cython,
    "mypyc": build_mypyc,
}


def run_once(
    folder: Path | None, modules: tuple[str, ...], scenario: str, scale: float, out: Path
) -> tuple[float, dict[str, object], str]:
    """(CPU seconds, summary, loaded-modules line) of one ``archgen run`` in full fidelity."""
    shutil.rmtree(out, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [sys.executable, "-c", RUNNER, str(folder or ""), ",".join(modules), "run"]
    command += ["--scenario", scenario, "--scale", str(scale), "--fidelity", "full"]
    command += ["--out", str(out), "--json"]
    completed = subprocess.run(command, capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return cpu, json.loads(completed.stdout), completed.stderr.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compiler", choices=sorted(BUILDERS), default="cython")
    parser.add_argument("--modules", default="core", help="core, all or NAME,NAME…")
    parser.add_argument("--scenario", default="prime-day")
    parser.add_argument("--scale", type=float, default=0.002)
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    modules = PRESETS.get(options.modules) or tuple(options.modules.split(","))
    needed, package = {"cython": ("Cython", "cython"), "mypyc": ("mypyc", "mypy")}[options.compiler]
    try:
        importlib.import_module(needed)
    except ImportError:
        print(f"{needed} is not installed (pip install {package}): skipped")
        return
    with tempfile.TemporaryDirectory(prefix="archgen-bench-compiled-") as scratch:
        folder = Path(scratch)
        started = time.perf_counter()
        try:
            build(options.compiler, modules, folder / "built")
        except (Exception, SystemExit) as error:  # mypyc's own crash, or mypy's errors
            print(
                f"{options.compiler} could not build these modules from this tree "
                f"({type(error).__name__}: {error}); the docstring says what it needs"
            )
            return
        build_seconds = time.perf_counter() - started
        suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
        size = sum(f.stat().st_size for f in (folder / "built").glob(f"*{suffix}"))
        cpu: dict[str, list[float]] = {"pure": [], "compiled": []}
        summaries: dict[str, dict[str, object]] = {}
        loaded = ""
        for _ in range(options.repeats):
            for name, built in (("pure", None), ("compiled", folder / "built")):
                seconds, summary, line = run_once(
                    built, modules, options.scenario, options.scale, folder / name
                )
                cpu[name].append(seconds)
                summaries[name] = summary
                loaded = line if built is not None else loaded
    requests = summaries["pure"]["requests"]
    assert isinstance(requests, int)
    rates = {name: requests / statistics.median(times) for name, times in cpu.items()}
    print(
        f"archgen run --scenario {options.scenario} --scale {options.scale:g}: "
        f"{requests:,} simulated requests, "
        f"{len(modules)} modules ({options.modules}), median of {options.repeats}, "
        "each build in its own process, alternately:"
    )
    for name in ("pure", "compiled"):
        times = ", ".join(f"{t:.1f}" for t in cpu[name])
        print(f"  {name:>8}: {rates[name]:9,.0f} requests per CPU-second ({times} s of CPU)")
    print(f"  {loaded} of {len(modules)}")
    print(
        f"  build with {options.compiler}: {build_seconds:.0f} s (wall clock), "
        f"{size / 1e6:.1f} MB of extension modules"
    )
    print(f"  ratio compiled/pure: {rates['compiled'] / rates['pure']:.2f}x (pays at >= 1.15x)")
    same = all(
        summaries["pure"][key] == summaries["compiled"][key]
        for key in ("requests", "events", "spans_sha256")
    )
    print(f"  same spans, requests and events: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
