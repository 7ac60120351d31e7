"""The per-request engine against a previous version of itself, side by side in one run.

The baseline's sources (default: commit 5ef82a1, the engine before issue 16's speed-ups)
are taken from git into a temporary folder and laid out as the ``archgen`` package (the
same mapping as pyproject's ``package-dir``); each version runs ``archgen run`` on the
baseline's reference model (its scenarios at their scales of then: Prime Day at 0.002),
request by request, same scenario and seed, in its own process, alternately,
``--repeats`` times. Printed:
simulated requests per CPU-second of each (median), the ratio, and whether both wrote
the same spans (the summary's sha256): a speed-up must not change a run's output.

    python bench/bench_engine_versions.py [--baseline REV] [--scenario ID] [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "5ef82a1"
REFERENCE = "model/reference/amazon-shopping.yaml"
# Source folder → its place in the package (pyproject's package-dir): cli/ is archgen.
PACKAGES = {
    "cli": None,
    "model": "model",
    "renderers": "renderers",
    "runtime": "runtime",
    "site": "site",
}
RUNNER = "import sys; sys.path.insert(0, sys.argv.pop(1)); from archgen.main import main; main()"


def baseline_tree(revision: str, folder: Path) -> Path | None:
    """The baseline as an importable ``archgen`` package under ``folder``; None when git
    or the revision is not at hand (a shallow clone)."""
    git = shutil.which("git")
    if git is None:
        return None
    source = folder / "src"
    source.mkdir()
    archive = subprocess.run(
        [git, "-C", str(ROOT), "archive", revision, *PACKAGES],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        return None
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive.stdout, check=True)
    pyproject = subprocess.run(
        [git, "-C", str(ROOT), "show", f"{revision}:pyproject.toml"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    package = folder / "pkg" / "archgen"
    package.mkdir(parents=True)
    for entry in (source / "cli").iterdir():
        (package / entry.name).symlink_to(entry)
    for folder_name, name in PACKAGES.items():
        if name is not None:
            (package / name).symlink_to(source / folder_name)
    metadata(tomllib.loads(pyproject)["project"], package.parent / "archgen-0.dist-info")
    return package.parent


def metadata(project: dict[str, Any], folder: Path) -> None:
    """The baseline's own distribution metadata: its entry points (the kinds it registers),
    found first on sys.path, so the installed version's kinds do not leak into it."""
    folder.mkdir()
    (folder / "METADATA").write_text("Metadata-Version: 2.1\nName: archgen\nVersion: 0\n")
    groups = dict(project.get("entry-points", {}))
    groups["console_scripts"] = project.get("scripts", {})
    lines = []
    for group, points in groups.items():
        lines.append(f"[{group}]")
        lines.extend(f"{name} = {value}" for name, value in points.items())
        lines.append("")
    (folder / "entry_points.txt").write_text("\n".join(lines))


WAF_ACROSS_SCOPES = "      protects: [cdn, alb-use1, alb-usw2]\n"
MONITORING_IN_USW2 = "    label: CloudWatch\n    group: usw2-managed\n"


def accepted_by_both(text: str) -> str:
    """The baseline's reference model, made valid for today's validation, which refuses
    what AWS refuses and the baseline let through: one web ACL for the CDN and both
    regions' load balancers (one per scope and region now: the same rule on each), and
    alarms in us-west-2 on us-east-1's metrics (the CloudWatch node is placed in no
    region, which is not compared). Both versions run this text, so the same work."""
    assert WAF_ACROSS_SCOPES in text
    assert MONITORING_IN_USW2 in text
    rule = "      rate_rule: {limit: 300, window_s: 60, key: ip}\n      evaluation_interval_s: 10\n"
    acls = "".join(
        f"  - id: waf-{target}\n    kind: waf\n    params:\n      protects: [{target}]\n{rule}"
        for target in ("alb-use1", "alb-usw2")
    )
    text = text.replace(WAF_ACROSS_SCOPES, "      protects: [cdn]\n")
    text = text.replace("  - id: monitoring\n", f"{acls}\n  - id: monitoring\n", 1)
    return text.replace(MONITORING_IN_USW2, "    label: CloudWatch\n    group: edge-and-security\n")


def run_once(
    path: Path | None, model: Path, scenario: str, out: Path
) -> tuple[float, dict[str, object]]:
    """(CPU seconds, summary) of one ``archgen run`` of ``model`` with ``path`` first on
    sys.path (the installed archgen, in full fidelity, when None)."""
    shutil.rmtree(out, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [sys.executable, "-c", RUNNER, str(path or ""), "run", str(model)]
    command += ["--scenario", scenario, "--out", str(out), "--json"]
    if path is None:  # the baseline predates hybrid fidelity: both simulate every request
        command += ["--fidelity", "full"]
    completed = subprocess.run(command, capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return cpu, json.loads(completed.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--scenario", default="prime-day")
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        baseline = baseline_tree(options.baseline, folder)
        if baseline is None:
            print(f"baseline {options.baseline} not in this clone's history: skipped")
            return
        # Both versions run the baseline's reference model, at its scenarios' scales of
        # then (Prime Day at 0.002): the reference now runs at scale 1, with a capacity
        # plan the baseline cannot read.
        model = folder / "model.yaml"
        model.write_text(
            accepted_by_both(
                subprocess.run(
                    ["git", "-C", str(ROOT), "show", f"{options.baseline}:{REFERENCE}"],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
        )
        cpu: dict[str, list[float]] = {"baseline": [], "current": []}
        summaries: dict[str, dict[str, object]] = {}
        for _ in range(options.repeats):
            for name, path in (("baseline", baseline), ("current", None)):
                seconds, summary = run_once(path, model, options.scenario, folder / name)
                cpu[name].append(seconds)
                summaries[name] = summary
    requests = summaries["current"]["requests"]
    assert isinstance(requests, int)
    rates = {name: requests / statistics.median(times) for name, times in cpu.items()}
    print(
        f"archgen run --scenario {options.scenario}: {requests:,} simulated requests, "
        f"median of {options.repeats}, each version in its own process, alternately:"
    )
    for name, label in (("baseline", f"baseline {options.baseline}"), ("current", "current")):
        times = ", ".join(f"{t:.1f}" for t in cpu[name])
        print(f"  {label:>16}: {rates[name]:9,.0f} requests per CPU-second ({times} s of CPU)")
    same = all(
        summaries["baseline"][key] == summaries["current"][key]
        for key in ("requests", "events", "spans_sha256")
    )
    print(f"  ratio: {rates['current'] / rates['baseline']:.2f}x (goal >= 3x)")
    print(f"  same spans, requests and events: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
