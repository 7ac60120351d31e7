"""The ``archgen`` command line: parse, call one function, print, exit.

Commands import their machinery lazily so that ``archgen --help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from archgen import __version__
from archgen.errors import ArchgenGroup
from archgen.runtime.export import FORMATS as EXPORT_FORMATS

MODEL_ARGUMENT = click.argument(
    "model_path",
    metavar="[MODEL]",
    required=False,
    type=click.Path(path_type=Path, dir_okay=True, exists=False),
)

SCALE = click.option(
    "--scale",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Traffic and capacity scale factor (default: the scenario's).",
)
FIDELITY_HELP = (
    "full: every session request by request{full}. hybrid: {hybrid}; a --sample of its "
    "sessions is traced and pools of servers keep their real size, loaded by the rest as a "
    "fluid. auto: full when the run fits about 3 million events, else hybrid. Default: the "
    "scenario's fidelity (auto unless it says)."
)
F = TypeVar("F", bound=Callable[..., Any])


def _fidelity_option(full: str, hybrid: str) -> Callable[[F], F]:
    """``--fidelity``, its help saying what ``full`` and ``hybrid`` simulate for a command."""
    return click.option(
        "--fidelity",
        type=click.Choice(["auto", "full", "hybrid"]),
        default=None,
        help=FIDELITY_HELP.format(full=full, hybrid=hybrid),
    )


FIDELITY = _fidelity_option(", pools shrunk with --scale", "--scale is the system simulated")
SITE_FIDELITY = _fidelity_option(
    " at the scenario's scale", "the system is simulated at the scenario's scale"
)

SAMPLE = click.option(
    "--sample",
    type=float,
    default=None,
    metavar="F",
    help="With hybrid fidelity: share of the sessions traced, 0 < F ≤ 1 (default: the "
    "scenario's sample, else what keeps the traced part under about 3 million events).",
)
RUN_DURATION = click.option(
    "--duration",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Simulated seconds of each run (default: the scenario's).",
)
DASK = click.option(
    "--dask",
    is_flag=False,
    flag_value="local",
    default=None,
    metavar="[tcp://HOST:PORT]",
    help="Run on Dask: alone, a LocalCluster (processes, one thread each); with an address, "
    "that scheduler's workers. Needs pip install 'archgen[dask]'.",
)
"""Options of the commands that run scenarios, with SCALE: run, check, sweep, plan."""
MAX_EVENTS = click.option(
    "--max-events",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Cost budget of a run, in simulated events (default 20,000,000): a scenario "
    "estimated above it is refused before it starts.",
)


class FormatsOption(click.Option):
    """``render --format``: the metavar lists the formats the installed renderers make,
    looked up only when the help is shown (renderer plug-ins add formats)."""

    def make_metavar(self, ctx: click.Context | None = None) -> str:
        from archgen.renderers.registry import available_formats

        return ",".join(available_formats())


@click.group(
    cls=ArchgenGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="archgen")
def cli() -> None:
    """Architecture as code: one model of a cloud system, rendered, simulated, checked and
    published.

    Without MODEL, every command uses the embedded reference model: a large online retailer
    on AWS (`archgen init` writes it out to start from).
    """


@cli.command()
@MODEL_ARGUMENT
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on success.")
def validate(model_path: Path | None, quiet: bool) -> None:
    """Check MODEL against the schema and the semantic rules (exit 2 on problems)."""
    from archgen.commands.validate import run_validate

    run_validate(model_path, quiet=quiet)


@cli.command()
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write to this file instead of standard output.",
)
@click.option(
    "--artefact",
    type=click.Choice(["model", "summary", "span", "metric", "finding", "sweep"]),
    default="model",
    show_default=True,
    help="Whose schema: the model file, or what a run writes (summary.json, a line of "
    "spans.jsonl or metrics.jsonl), a finding of `check --format json` or sweep.json.",
)
def schema(out: Path | None, artefact: str) -> None:
    """Print a JSON Schema (Draft 2020-12): of a model, for editors and
    yaml-language-server, or of a run or check artefact, for the scripts that read them."""
    from archgen.commands.schema import run_schema

    run_schema(out, artefact)


@cli.command()
@click.argument(
    "path", required=False, type=click.Path(path_type=Path), default=Path("archgen.yaml")
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path: Path, force: bool) -> None:
    """Write the reference model to PATH (default ./archgen.yaml) to start from, with its
    JSON Schema beside it for editor completion."""
    from archgen.commands.init import run_init

    run_init(path, force=force)


@cli.command()
@MODEL_ARGUMENT
@click.option(
    "--view",
    "-v",
    "views",
    multiple=True,
    metavar="NAME",
    help="Render only this view (repeatable); default: every view.",
)
@click.option(
    "--format",
    "-f",
    "formats",
    cls=FormatsOption,
    default=None,
    help="Comma-separated formats; default: all of them.",
)
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("archgen-out"),
    show_default=True,
    help="Output folder.",
)
@click.option("--watch", is_flag=True, help="Render again whenever MODEL changes.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print what was written as JSON (view, format, file, status, bytes) instead of a table.",
)
def render(
    model_path: Path | None,
    views: tuple[str, ...],
    formats: str | None,
    out: Path,
    watch: bool,
    as_json: bool,
) -> None:
    """Draw the whole system, each region, flow and story step, security and the model's
    own views, as PNG, SVG (AWS icons), Mermaid and DOT. Unchanged views are skipped."""
    from archgen.commands.render import parse_formats, run_render

    if as_json and watch:
        from archgen.model.errors import UsageError

        raise UsageError("--json prints one result: it cannot be combined with --watch")
    run_render(
        model_path,
        views=views,
        formats=parse_formats(formats),
        out=out,
        watch=watch,
        as_json=as_json,
    )


@cli.command()
@MODEL_ARGUMENT
@click.option(
    "--run",
    "run_dirs",
    multiple=True,
    metavar="DIR",
    type=click.Path(path_type=Path, file_okay=False),
    help="Check this run folder (from `archgen run`); repeatable.",
)
@click.option(
    "--scenario",
    "-s",
    "scenarios",
    multiple=True,
    metavar="ID",
    help="Run this scenario and check it; repeatable. Default: every scenario.",
)
@click.option("--lint-only", is_flag=True, help="Only the static rules; run nothing.")
@click.option(
    "--against",
    metavar="TEMPLATE|PLAN.json",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also compare the model with this CloudFormation template or Terraform plan/state "
    "(drift); repeatable: several files are compared as one system.",
)
@MAX_EVENTS
@SCALE
@RUN_DURATION
@FIDELITY
@SAMPLE
@click.option(
    "--format",
    "-f",
    "output_format",
    default="text",
    show_default=True,
    type=click.Choice(["text", "json", "junit", "sarif"]),
    help="junit for CI systems, sarif for code hosts' annotations.",
)
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the report to this file instead of standard output.",
)
def check(
    model_path: Path | None,
    run_dirs: tuple[Path, ...],
    scenarios: tuple[str, ...],
    lint_only: bool,
    against: tuple[Path, ...],
    max_events: int | None,
    scale: float | None,
    duration: float | None,
    fidelity: str | None,
    sample: float | None,
    output_format: str,
    out: Path | None,
) -> None:
    """Lint MODEL and prove that runs of it agree with it: every call on a declared edge,
    flows as declared, SLOs met, no lost messages, no plaintext sensitive values, no IAM denial.

    Without --run, runs the scenarios itself. With --against, also compares the model with
    CloudFormation templates or Terraform plans/states (drift), together one system. Exit 0
    when everything holds, 1 on violations, 2 on bad input."""
    from archgen.commands.check import run_check

    run_check(
        model_path,
        run_dirs=run_dirs,
        scenarios=scenarios,
        lint_only=lint_only,
        max_events=max_events,
        output_format=output_format,
        out=out,
        against=against,
        scale=scale,
        duration=duration,
        fidelity=fidelity,
        sample=sample,
    )


@cli.group(name="import")
def import_group() -> None:
    """A model from the infrastructure code that exists: nodes, params and edges from the
    template, a starter scenario and TODOs for what cannot be inferred."""


@import_group.command("cloudformation")
@click.argument("template", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the model to this file instead of standard output.",
)
@click.option(
    "--region",
    default="us-east-1",
    show_default=True,
    help="AWS::Region the template is deployed to (its region group and ARNs).",
)
def import_cloudformation(template: Path, out: Path | None, region: str) -> None:
    """Import a CloudFormation TEMPLATE (YAML or JSON) as a model; the resources it does not
    model are listed on standard error and in the model's header."""
    from archgen.commands.import_ import run_import_cloudformation

    run_import_cloudformation(template, out, region)


@import_group.command("terraform")
@click.argument("plan", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the model to this file instead of standard output.",
)
@click.option(
    "--region",
    default=None,
    help="Region of the model (default: the aws provider's, else the ARNs', else us-east-1).",
)
def import_terraform(plan: Path, out: Path | None, region: str | None) -> None:
    """Import the JSON of `terraform show -json` (a saved plan or a state) as a model; the
    resources it does not model are listed on standard error and in the model's header."""
    from archgen.commands.import_ import run_import_terraform

    run_import_terraform(plan, out, region)


@cli.group()
def site() -> None:
    """The documentation site of MODEL: overview and story, a page per group, node, flow and
    scenario (with simulated charts), and the model reference. Self-contained: no CDN.

    With your own mkdocs.yml, add the plugin instead: `plugins: [search, archgen: {model:
    path}]`."""


SITE_SWEEPS = click.option(
    "--sweep",
    "sweeps",
    multiple=True,
    metavar="PATH",
    type=click.Path(path_type=Path, exists=True),
    help="A sweep result (sweep.json or its folder, from `archgen sweep`) to give a page "
    "under the scenarios; repeatable.",
)

SITE_CACHE = click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(".archgen-cache/site"),
    show_default=True,
    help="Diagrams and simulation results, reused while the model is unchanged.",
)


@site.command("build")
@MODEL_ARGUMENT
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("build/site"),
    show_default=True,
    help="Output folder, replaced as a whole once the build succeeds.",
)
@SITE_CACHE
@SITE_SWEEPS
@SITE_FIDELITY
@SAMPLE
@click.option(
    "--force", is_flag=True, help="Replace --out even when it is not a site archgen built."
)
def site_build(
    model_path: Path | None,
    out: Path,
    cache_dir: Path,
    sweeps: tuple[Path, ...],
    fidelity: str | None,
    sample: float | None,
    force: bool,
) -> None:
    """Build the site of MODEL into --out; its scenarios are simulated at their own scale,
    at --fidelity."""
    from archgen.commands.site import run_site_build

    run_site_build(
        model_path, out, cache_dir, force=force, sweeps=sweeps, fidelity=fidelity, sample=sample
    )


@site.command("serve")
@MODEL_ARGUMENT
@click.option(
    "--dev-addr",
    "-a",
    default="127.0.0.1:8000",
    show_default=True,
    metavar="IP:PORT",
    help="Address to serve on.",
)
@SITE_CACHE
@SITE_SWEEPS
@SITE_FIDELITY
@SAMPLE
def site_serve(
    model_path: Path | None,
    dev_addr: str,
    cache_dir: Path,
    sweeps: tuple[Path, ...],
    fidelity: str | None,
    sample: float | None,
) -> None:
    """Serve the site of MODEL, rebuilding it when the model changes."""
    from archgen.commands.site import run_site_serve

    run_site_serve(model_path, dev_addr, cache_dir, sweeps, fidelity, sample)


@cli.command()
@MODEL_ARGUMENT
@click.option(
    "--scenario",
    "-s",
    default=None,
    metavar="ID",
    help="Scenario of the model to simulate (default: the model's system.default_scenario, "
    "else its first scenario).",
)
@click.option("--seed", type=int, default=None, help="Random seed (default: the scenario's).")
@click.option(
    "--duration",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Simulated seconds (default: the scenario's).",
)
@SCALE
@FIDELITY
@SAMPLE
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Run folder (default ./archgen-out/run-<scenario>).",
)
@MAX_EVENTS
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option(
    "--journey",
    default=None,
    metavar="ID",
    help="With --explain: the journey to follow (default: the model's first journey).",
)
@click.option(
    "--explain",
    is_flag=True,
    help="Send one user through --journey and print what happened, hop by hop.",
)
@click.option(
    "--export",
    "exports",
    type=click.Choice(EXPORT_FORMATS),
    multiple=True,
    help="Also write the run in a format other tools open, into the run folder; "
    "repeatable. otlp: traces.otlp.jsonl and metrics.otlp.jsonl (OTLP/JSON, for the "
    "OpenTelemetry Collector), perfetto: trace.perfetto.json (Perfetto UI), openmetrics: "
    "metrics.openmetrics.txt (timestamped, for promtool).",
)
@click.option(
    "--no-spans",
    is_flag=True,
    help="Write no spans.jsonl (one line per call: the largest file of a run): the summary, "
    "metrics and costs only. --export otlp/perfetto and check --run need the spans.",
)
def run(
    model_path: Path | None,
    scenario: str | None,
    seed: int | None,
    duration: float | None,
    scale: float | None,
    fidelity: str | None,
    sample: float | None,
    out: Path | None,
    max_events: int | None,
    as_json: bool,
    journey: str | None,
    explain: bool,
    exports: tuple[str, ...],
    no_spans: bool,
) -> None:
    """Simulate MODEL under a scenario: spans, metrics per period and a summary."""
    from archgen.commands.run import run_command

    run_command(
        model_path,
        scenario=scenario,
        seed=seed,
        duration=duration,
        scale=scale,
        fidelity=fidelity,
        sample=sample,
        out=out,
        max_events=max_events,
        as_json=as_json,
        journey=journey,
        explain=explain,
        exports=exports,
        spans=not no_spans,
    )


@cli.command()
@MODEL_ARGUMENT
@click.option(
    "--scenario",
    "-s",
    default=None,
    metavar="ID",
    help="Scenario to sweep (default: the model's system.default_scenario, else its first).",
)
@click.option(
    "--seeds",
    type=click.IntRange(min=1, max=100_000),
    default=10,
    show_default=True,
    metavar="N",
    help="Runs per configuration, seeds S, S+1, … S+N-1.",
)
@click.option(
    "--seed",
    "first_seed",
    type=int,
    default=None,
    metavar="S",
    help="First seed (default: the scenario's).",
)
@click.option(
    "--vary",
    multiple=True,
    metavar="NODE.PARAM=V1,V2,…",
    help="A param of a node and the values to try (repeatable: the cross product is run), "
    "e.g. web.autoscaling.max_instances=4,8,16.",
)
@RUN_DURATION
@SCALE
@FIDELITY
@SAMPLE
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Output folder (default ./archgen-out/sweep-<scenario>).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Worker processes (default: one per CPU); 1 runs everything in this process. With "
    "--dask alone: the LocalCluster's workers.",
)
@DASK
@click.option(
    "--chunk",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Seeds per task (default: about four tasks per worker, at most 25 seeds each).",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Reuse the runs an interrupted sweep left in --out (checked by content hash).",
)
@MAX_EVENTS
def sweep(
    model_path: Path | None,
    scenario: str | None,
    seeds: int,
    first_seed: int | None,
    vary: tuple[str, ...],
    duration: float | None,
    scale: float | None,
    fidelity: str | None,
    sample: float | None,
    out: Path | None,
    jobs: int | None,
    dask: str | None,
    chunk: int | None,
    resume: bool,
    max_events: int | None,
) -> None:
    """Run a scenario of MODEL for every combination of --vary values × --seeds seeds and
    report each configuration's means with 95 % intervals: a table, sweep.json, sweep.csv
    and SVG charts in --out."""
    from archgen.commands.sweep import parse_dask, run_sweep

    run_sweep(
        model_path,
        scenario=scenario,
        seeds=seeds,
        first_seed=first_seed,
        vary=vary,
        duration=duration,
        scale=scale,
        out=out,
        jobs=jobs,
        dask=parse_dask(dask),
        chunk=chunk,
        resume=resume,
        max_events=max_events,
        fidelity=fidelity,
        sample=sample,
    )


@cli.command()
@MODEL_ARGUMENT
@click.option(
    "--scenario",
    "-s",
    default=None,
    metavar="ID",
    help="Scenario to plan for (default: the model's system.default_scenario, else its first).",
)
@click.option(
    "--vary",
    multiple=True,
    metavar="NODE.PARAM=V1,V2,…",
    help="A capacity knob and the values to consider (repeatable): larger values cost more "
    "and never make an SLO harder to meet.",
)
@click.option(
    "--objective",
    type=click.Choice(["cost"]),
    default="cost",
    show_default=True,
    help="What to minimise: the mean monthly cost of the runs at list prices.",
)
@click.option(
    "--subject-to",
    type=click.Choice(["slo:all"]),
    default="slo:all",
    show_default=True,
    help="The constraint: every SLO in the scenario's scope.",
)
@click.option(
    "--seeds",
    type=click.IntRange(min=1, max=10_000),
    default=20,
    show_default=True,
    metavar="N",
    help="Runs per configuration evaluated (the first quarter can rule it out early).",
)
@click.option(
    "--confidence",
    type=click.FloatRange(min=0.5, max=0.999),
    default=0.95,
    show_default=True,
    help="Confidence of the pass-rate bound (one-sided Clopper-Pearson).",
)
@click.option(
    "--pass-rate",
    type=click.FloatRange(min=0, max=1, min_open=True, max_open=True),
    default=0.8,
    show_default=True,
    help="Share of runs that must meet every SLO (its lower bound must reach it).",
)
@RUN_DURATION
@SCALE
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Worker processes (default: one per CPU); 1 runs everything in this process.",
)
@DASK
@MAX_EVENTS
def plan(
    model_path: Path | None,
    scenario: str | None,
    vary: tuple[str, ...],
    objective: str,
    subject_to: str,
    seeds: int,
    confidence: float,
    pass_rate: float,
    duration: float | None,
    scale: float | None,
    jobs: int | None,
    dask: str | None,
    max_events: int | None,
) -> None:
    """Find the cheapest configuration of the --vary knobs whose runs meet every SLO with
    confidence, by bisecting each knob instead of running the whole grid; print the
    answer, the runner-up and every configuration evaluated."""
    from archgen.commands.plan import run_plan
    from archgen.commands.sweep import parse_dask

    run_plan(
        model_path,
        scenario=scenario,
        vary=vary,
        seeds=seeds,
        confidence=confidence,
        pass_rate=pass_rate,
        duration=duration,
        scale=scale,
        jobs=jobs,
        dask=parse_dask(dask),
        max_events=max_events,
    )


def main() -> None:
    """The ``archgen`` executable: SIGTERM unwinds like Ctrl-C (exit 143 instead of 130),
    so that temporary files are removed on the way out."""
    from archgen.errors import raise_on_sigterm

    raise_on_sigterm()
    cli(prog_name="archgen")
