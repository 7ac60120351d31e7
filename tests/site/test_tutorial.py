"""The tutorial is true: each step's model is a file the page shows verbatim, each step only
adds to the one before, the final model passes ``archgen check``, and every command output
the page prints is what that command prints today (the final check among them: it passes).

An output block is preceded by ``<!-- output: archgen ARGS -->``; the command runs in a copy
of the tutorial folder and its standard output must equal the block. After an intended
change of output, ``ARCHGEN_UPDATE_GOLDEN=1 pytest tests/site/test_tutorial.py`` rewrites the
blocks; review the diff of the page.
"""

from __future__ import annotations

import difflib
import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from site_helpers import ROOT

from archgen.main import cli
from tests.golden import UPDATE

PAGE = ROOT / "site" / "docs" / "guide" / "tutorial.md"
STEPS_DIR = ROOT / "site" / "docs" / "guide" / "tutorial"
STEPS = sorted(STEPS_DIR.glob("*.yaml"))
OUTPUT = re.compile(r"^<!-- output: archgen (.+?) -->\n```text\n(.*?)^```$", re.M | re.S)
EXCERPT = re.compile(r"^<!-- step: (\S+) -->\n```yaml\n(.*?)^```$", re.M | re.S)
# Sections whose entries carry an id: a later step keeps every entry of the one before.
ID_SECTIONS = ("groups", "nodes", "flows", "journeys", "scenarios", "invariants")


def run(args: str, cwd: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(cli, shlex.split(args))
    return result.exit_code, result.stdout


def test_there_are_five_steps_and_the_page_shows_each() -> None:
    assert [p.name for p in STEPS] == [
        "01-first-flow.yaml",
        "02-slos.yaml",
        "03-async.yaml",
        "04-security.yaml",
        "05-operations.yaml",
    ]
    shown = {name for name, _ in EXCERPT.findall(PAGE.read_text(encoding="utf-8"))}
    assert shown == {p.name for p in STEPS}


def test_excerpts_are_in_their_step_file() -> None:
    """Every YAML block the page shows appears verbatim in the step file it names."""
    for name, block in EXCERPT.findall(PAGE.read_text(encoding="utf-8")):
        text = (STEPS_DIR / name).read_text(encoding="utf-8")
        assert block in text, f"a block of the tutorial is not in {name}"


def test_each_step_keeps_what_the_one_before_declared() -> None:
    before: dict[str, set[object]] = {}
    for path in STEPS:
        model = yaml.safe_load(path.read_text(encoding="utf-8"))
        now = {
            section: {entry["id"] for entry in model.get(section, [])} for section in ID_SECTIONS
        }
        now["edges"] = {(e["from"], e["to"]) for e in model["edges"]}
        for section, ids in before.items():
            dropped = sorted(map(str, ids - now[section]))
            assert not dropped, f"{path.name} dropped {dropped} of the step before"
        before = now


@pytest.mark.parametrize("path", STEPS, ids=[p.stem for p in STEPS])
def test_each_step_validates(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = run(f"validate {path.name}", STEPS_DIR, monkeypatch)
    assert code == 0, out
    assert out.startswith(f"{path.name}: valid — Parcel tracking")


def test_outputs_are_what_the_commands_print(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = PAGE.read_text(encoding="utf-8")
    blocks = OUTPUT.findall(text)
    assert len(blocks) >= 6
    work = tmp_path / "tutorial"
    shutil.copytree(STEPS_DIR, work)
    problems: list[str] = []
    for args, shown in blocks:
        code, printed = run(args, work, monkeypatch)
        if args == f"check {STEPS[-1].name}":
            assert code == 0, f"the tutorial's final model fails its check:\n{printed}"
        if printed == shown:
            continue
        if UPDATE:
            text = text.replace(
                f"<!-- output: archgen {args} -->\n```text\n{shown}```",
                f"<!-- output: archgen {args} -->\n```text\n{printed}```",
                1,
            )
            continue
        diff = "".join(
            difflib.unified_diff(
                shown.splitlines(keepends=True),
                printed.splitlines(keepends=True),
                fromfile=f"tutorial.md: archgen {args}",
                tofile="printed",
            )
        )
        problems.append(diff)
    if UPDATE:
        PAGE.write_text(text, encoding="utf-8")
    assert not problems, (
        "the tutorial shows outputs the commands no longer print "
        "(update with ARCHGEN_UPDATE_GOLDEN=1 pytest tests/site/test_tutorial.py):\n"
        + "\n".join(problems)
    )
