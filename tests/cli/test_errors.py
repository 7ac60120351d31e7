"""One error format everywhere: ``error: FILE[:LINE:COL]: path: message``, exit code 2.

Bad files, bad option values and unknown names all end the same way, never with Click's
``Error:`` prefix, a bare usage text, ``Aborted!`` or a traceback; nothing a model or a
command line says can drive the terminal.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from archgen.main import cli

PHOTOS = Path(__file__).parents[1] / "models" / "photo-sharing.yaml"
ARCHGEN = Path(sys.executable).parent / "archgen"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


# --------------------------------------------------------------------------- model files


def test_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert run("validate", str(missing)) == (2, "", f"error: {missing}: no such file\n")
    inside_a_file = tmp_path / "empty.yaml" / "x.yaml"
    (tmp_path / "empty.yaml").write_text("")
    assert run("validate", str(inside_a_file)) == (2, "", f"error: {inside_a_file}: no such file\n")


def test_a_directory(tmp_path: Path) -> None:
    assert run("run", str(tmp_path)) == (
        2,
        "",
        f"error: {tmp_path}: is a directory, not a model file\n",
    )


def test_an_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("\n# nothing yet\n")
    assert run("check", str(empty)) == (
        2,
        "",
        f"error: {empty}: the file is empty; a model needs at least 'system' and 'nodes'\n",
    )


def test_a_document_that_is_not_a_mapping(tmp_path: Path) -> None:
    model = tmp_path / "list.yaml"
    model.write_text("\n- system\n- nodes\n")
    assert run("render", str(model), "--out", str(tmp_path / "out")) == (
        2,
        "",
        f"error: {model}:2:1: a model must be a mapping with 'system' and 'nodes' at the top, "
        "not a list\n",
    )
    assert not (tmp_path / "out").exists()


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    """Reading a FIFO would wait for a writer forever: the subprocess must end by itself."""
    fifo = tmp_path / "model.yaml"
    os.mkfifo(fifo)
    done = subprocess.run(
        [str(ARCHGEN), "validate", str(fifo)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        "",
        f"error: {fifo}: not a regular file\n",
    )


def test_a_device_is_not_a_model() -> None:
    assert run("validate", "/dev/null") == (2, "", "error: /dev/null: not a regular file\n")


def test_an_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Permission denied, whoever runs the tests (root reads every file: simulate it)."""
    model = tmp_path / "secret.yaml"
    model.write_text("system: {id: s, name: S}\n")
    real_open = os.open

    def deny(path: object, *args: object, **kwargs: object) -> int:
        if Path(str(path)) == model:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", deny)
    assert run("validate", str(model)) == (
        2,
        "",
        f"error: {model}: cannot read: permission denied\n",
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root may read any file")
def test_an_unreadable_file_for_real(tmp_path: Path) -> None:
    model = tmp_path / "secret.yaml"
    model.write_text("system: {id: s, name: S}\n")
    model.chmod(0)
    assert run("validate", str(model)) == (
        2,
        "",
        f"error: {model}: cannot read: permission denied\n",
    )


# --------------------------------------------------------------------------- usage


def test_an_unknown_scenario_to_run() -> None:
    assert run("run", str(PHOTOS), "--scenario", "viral") == (
        2,
        "",
        "error: --scenario: unknown scenario 'viral' (did you mean 'viral-post'?); the model "
        "has: quiet-evening, thumbnailer-down, viral-post\n"
        "Try 'cli run --help' for help.\n",
    )


def test_an_unknown_scenario_to_check() -> None:
    assert run("check", str(PHOTOS), "--scenario", "viral") == (
        2,
        "",
        "error: --scenario: unknown scenario 'viral' (did you mean 'viral-post'?); the "
        "model has: quiet-evening, thumbnailer-down, viral-post\n"
        "Try 'cli check --help' for help.\n",
    )


@pytest.mark.parametrize(
    ("args", "first_line"),
    [
        (["run", "--scale", "-1"], "error: --scale: -1.0 is not in the range x>0"),
        (["run", "--duration", "0"], "error: --duration: 0.0 is not in the range x>0"),
        (["run", "--seed", "many"], "error: --seed: 'many' is not a valid integer"),
        (
            ["check", "--format", "pdf"],
            "error: --format: 'pdf' is not one of 'text', 'json', 'junit', 'sarif'",
        ),
        (
            ["render", "--format", "svg,pdf"],
            "error: --format: unknown format 'pdf'; choose from svg, png, mermaid, dot",
        ),
        (["validate", "--quite"], "error: --quite: no such option (did you mean '--quiet'?)"),
        (["validate", "a.yaml", "b.yaml"], "error: got unexpected extra argument (b.yaml)"),
        (
            ["check", "--lint-only", "--scenario", "x"],
            "error: --lint-only cannot be combined with --run or --scenario",
        ),
    ],
)
def test_bad_option_values(args: list[str], first_line: str) -> None:
    code, out, err = run(*args)
    assert (code, out) == (2, "")
    assert err == f"{first_line}\nTry 'cli {args[0]} --help' for help.\n"


def test_an_option_without_its_value() -> None:
    assert run("run", "--seed") == (2, "", "error: --seed: requires an argument\n")


def test_an_unknown_command() -> None:
    assert run("rnu") == (
        2,
        "",
        "error: no such command 'rnu' (did you mean 'run'?); commands: check, import, init, "
        "plan, render, run, schema, site, sweep, validate\nTry 'cli --help' for help.\n",
    )
    code, _, err = run("site", "biuld")
    assert code == 2
    assert err == (
        "error: no such command 'biuld' (did you mean 'build'?); commands: build, serve\n"
        "Try 'cli site --help' for help.\n"
    )


def test_no_command_shows_the_help() -> None:
    code, out, err = run()
    assert (code, err) == (0, "")
    assert out.startswith("Usage: cli [OPTIONS] COMMAND [ARGS]...\n")
    assert "Commands:" in out
    code, out, err = run("site")
    assert (code, err) == (0, "")
    assert "build" in out.split("Commands:")[1]


def test_other_bad_input_reads_error_too(tmp_path: Path) -> None:
    missing = tmp_path / "no-run"
    assert run("check", str(PHOTOS), "--run", str(missing)) == (
        2,
        "",
        f"error: {missing}: no such run folder\n",
    )


def test_the_installed_command_prints_the_same(tmp_path: Path) -> None:
    """The real executable (``main()``), not only Click's test runner."""
    done = subprocess.run(
        [str(ARCHGEN), "run", str(PHOTOS), "-s", "viral", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "error: --scenario: unknown scenario 'viral' (did you mean 'viral-post'?); the model "
        "has: quiet-evening, thumbnailer-down, viral-post\n"
        "Try 'archgen run --help' for help.\n"
    )
    assert not (tmp_path / "out").exists()


def test_ctrl_c_in_a_command_is_exit_130(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not Click's "Aborted!" with exit 1, which ``archgen check`` uses for violations."""
    import archgen.commands.validate

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(archgen.commands.validate, "run_validate", interrupted)
    assert run("validate") == (130, "", "archgen: interrupted\n")


# --------------------------------------------------------------------------- init


def test_init_lists_every_file_it_would_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "new.yaml"
    schema = tmp_path / "archgen.schema.json"
    schema.write_text("{}\n")
    assert run("init", str(target)) == (
        2,
        "",
        f"error: {schema}: exists; use --force to overwrite it\n",
    )
    assert not target.exists()
    target.write_text("mine\n")
    assert run("init", str(target)) == (
        2,
        "",
        f"error: {schema}: exists; use --force to overwrite it\n"
        f"error: {target}: exists; use --force to overwrite it\n",
    )
    assert (target.read_text(), schema.read_text()) == ("mine\n", "{}\n")
    code, out, _ = run("init", "--force", str(target))
    assert (code, out.splitlines()[0]) == (0, f"wrote {target} (the reference model) and {schema}")
    assert schema.read_text() != "{}\n"


def test_init_refuses_a_directory_and_the_schema_name(tmp_path: Path) -> None:
    assert run("init", str(tmp_path)) == (
        2,
        "",
        f"error: {tmp_path}: is a directory; give a file name such as {tmp_path}/archgen.yaml\n",
    )
    schema = tmp_path / "archgen.schema.json"
    assert run("init", str(schema)) == (
        2,
        "",
        f"error: {schema}: is the name of the JSON Schema written beside the model; "
        "choose another\n",
    )
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- the terminal


def test_control_characters_in_a_file_name_are_escaped(tmp_path: Path) -> None:
    missing = tmp_path / "evil\x1b]0;owned\x07\r.yaml"
    code, _, err = run("validate", str(missing))
    assert code == 2
    assert err == f"error: {tmp_path}/evil\\x1b]0;owned\\x07\\r.yaml: no such file\n"


def test_control_characters_in_an_option_value_are_escaped() -> None:
    code, _, err = run("run", str(PHOTOS), "--scenario", "\x1b[2J\u202eevil")
    assert code == 2
    assert err.splitlines()[0].startswith(
        "error: --scenario: unknown scenario '\\x1b[2J\\u202eevil'"
    )


def test_a_valid_model_with_control_characters_in_its_name(tmp_path: Path) -> None:
    model = tmp_path / "shop.yaml"
    text = PHOTOS.read_text(encoding="utf-8")
    model.write_text(
        text.replace(
            "name: Snapshot <photo sharing> & friends",
            'name: "Snap\\e[31mshot\\r\\u202e\\x9b"',
        ),
        encoding="utf-8",
    )
    code, out, err = run("validate", str(model))
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == (
        f"{model}: valid — Snap\\x1b[31mshot\\r\\u202e\\x9b (version 0.3.0)"
    )


def test_the_checked_line_escapes_the_file_name(tmp_path: Path) -> None:
    model = tmp_path / "evil\x1b]0;owned\x07.yaml"
    model.write_text(PHOTOS.read_text(encoding="utf-8"), encoding="utf-8")
    code, _, err = run("check", str(model), "--lint-only")
    assert code == 1, err  # the photo model breaks lint rules; what matters is the line
    assert err.startswith(f"checked {tmp_path}/evil\\x1b]0;owned\\x07.yaml: lint and 0 runs in ")
    assert "\x1b" not in err


def test_the_check_text_report_escapes_the_models_text() -> None:
    from archgen.runtime.check.formats import to_text
    from archgen.runtime.check.report import Finding, Report, Scope, Severity

    finding = Finding(
        scope="lint",
        file="shop.yaml",
        line=3,
        column=5,
        rule="some-rule",
        message="flow 'Pay\x1b[8m' is hidden\u202e",
        severity=Severity.error,
        details="declared\r\nobserved \x07",
    )
    report = Report("shop.yaml", (Scope("lint", ("some-rule",), (finding,)),))
    assert to_text(report).splitlines()[1:4] == [
        "  error: shop.yaml:3:5: [some-rule] flow 'Pay\\x1b[8m' is hidden\\u202e",
        "      declared",
        "      observed \\x07",
    ]
