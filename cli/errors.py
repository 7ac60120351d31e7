"""How every command ends: one ``error:`` line per problem, and exit codes a caller can tell
apart: 0 done, 1 a check failed, 2 bad input or usage, 130 interrupted (Ctrl-C), 143
terminated (SIGTERM).

This is the one place where archgen's errors (:mod:`archgen.model.errors`, raised by every
package) become exit codes (:func:`exit_codes`) and ``error:`` lines (:func:`error_lines`).
Click's own endings are replaced too: ``Error:`` after a usage block, ``Aborted!`` with exit
1 on Ctrl-C (which for ``archgen check`` would read "violations found"), a bare usage text
when a command is missing. Only click is imported at start-up (the model's errors when a
command fails): ``archgen --help`` stays fast.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from archgen.model.errors import ArchgenError


def exit_codes() -> tuple[tuple[type[ArchgenError], int], ...]:
    """Each error class and its exit code; an error takes the first row it is an instance
    of. (Imported when a command fails, not when ``archgen --help`` starts.)"""
    from archgen.model.errors import (
        ArchgenError,
        CheckFailed,
        InputError,
        SetupError,
        UsageError,
    )

    return (
        (CheckFailed, 1),
        (UsageError, 2),
        (InputError, 2),
        (SetupError, 2),
        (ArchgenError, 2),
    )


def exit_code(error: ArchgenError) -> int:
    return next(code for kind, code in exit_codes() if isinstance(error, kind))


def error_lines(error: ArchgenError, command_path: str | None = None) -> list[str]:
    """What the user reads of ``error``: ``error:`` lines (a usage error then points to the
    help of ``command_path``), or a failed check's verdict in its own words."""
    from archgen.model.errors import CheckFailed, ModelError, UsageError

    if isinstance(error, CheckFailed):
        return [error.message]
    if isinstance(error, ModelError):
        return [str(problem) for problem in error.problems]
    if isinstance(error, UsageError):
        subject = f"{error.subject}: " if error.subject else ""
        lines = [f"error: {subject}{error.message}"]
        if command_path is not None:
            lines.append(f"Try '{command_path} --help' for help.")
        return lines
    return [f"error: {error.message}"]


class CommandError(Exception):
    """An :class:`ArchgenError` on its way out of a command, with the command's path (for
    the help a usage error points to)."""

    def __init__(self, error: ArchgenError, command_path: str | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.command_path = command_path


class ArchgenCommand(click.Command):
    """A command whose archgen errors leave with its path (see :class:`CommandError`)."""

    def invoke(self, ctx: click.Context) -> Any:
        from archgen.model.errors import ArchgenError

        try:
            return super().invoke(ctx)
        except ArchgenError as error:
            raise CommandError(error, ctx.command_path) from error


class Stopped(BaseException):
    """Ctrl-C or SIGTERM, raised where the program happens to be so that every ``finally``
    and ``except BaseException`` cleanup on the way out runs (no half-written output)."""

    exit_code = 1
    word = "stopped"


class Interrupted(Stopped):
    exit_code = 130
    word = "interrupted"


class Terminated(Stopped):
    exit_code = 143
    word = "terminated"


def raise_on_sigterm() -> None:
    """Turn SIGTERM into :class:`Stopped`; a second SIGTERM during the cleanup ends the
    process at once, as without the handler."""

    def handler(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise Terminated

    signal.signal(signal.SIGTERM, handler)


class ArchgenGroup(click.Group):
    """The command group that reports every ending in archgen's own format."""

    group_class = type  # subgroups (``site``) are ArchgenGroups too
    command_class = ArchgenCommand

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            # Click would print a blank line and turn it into "Aborted!" with exit 1.
            raise Interrupted from None

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = click.utils.make_str(args[0]) if args else ""
        unknown = args and self.get_command(ctx, name) is None and not name.startswith("-")
        if unknown and not ctx.resilient_parsing:
            commands = self.list_commands(ctx)
            raise click.UsageError(
                f"no such command '{name}'{_did_you_mean(name, commands)}; commands: "
                + ", ".join(commands),
                ctx,
            )
        return super().resolve_command(ctx, args)

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            try:
                return super().main(args, prog_name, complete_var, False, **extra)
            except CommandError as failed:
                raise failed.error from None
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except CommandError as failed:
            show(failed.error, failed.command_path)
            sys.exit(exit_code(failed.error))
        except Stopped as stop:
            _stop(stop)
        except click.exceptions.Abort as abort:
            if isinstance(abort.__context__, KeyboardInterrupt):
                _stop(Interrupted())
            click.echo("archgen: aborted", err=True)
            sys.exit(1)
        except click.exceptions.NoArgsIsHelpError as error:
            # A bare ``archgen`` or ``archgen site`` asks what there is: the help, not an error.
            click.echo(error.ctx.get_help())
            sys.exit(0)
        except click.ClickException as error:
            show_error(error)
            sys.exit(error.exit_code)
        sys.exit(result if isinstance(result, int) else 0)


def _stop(stop: Stopped) -> NoReturn:
    # On a terminal the line would follow the "^C" the terminal echoed.
    lead = "\n" if sys.stderr is not None and sys.stderr.isatty() else ""
    click.echo(f"{lead}archgen: {stop.word}", err=True)
    sys.exit(stop.exit_code)


def show(error: ArchgenError, command_path: str | None = None) -> None:
    """Print ``error`` as archgen's ``error:`` lines on standard error."""
    for line in error_lines(error, command_path):
        click.echo(_escape(line), err=True)


def show_error(error: click.ClickException) -> None:
    """Print click's own ``error`` (a usage error while parsing, a plug-in's exception) as
    archgen's ``error:`` lines on standard error."""
    if isinstance(error, click.UsageError):
        lines = usage_error_lines(error)
    else:
        lines = [f"error: {error.format_message()}"]
    for line in lines:
        click.echo(_escape(line), err=True)


def usage_error_lines(error: click.UsageError) -> list[str]:
    """``error: --option: message`` (or ``error: message``), then where to find help."""
    subject, message = _usage_subject(error)
    message = _sentence_case(message)
    lines = [f"error: {subject}: {message}" if subject else f"error: {message}"]
    ctx = error.ctx
    if ctx is not None:
        lines.append(f"Try '{ctx.command_path} --help' for help.")
    return lines


def _usage_subject(error: click.UsageError) -> tuple[str | None, str]:
    if isinstance(error, click.NoSuchOption):
        hint = ""
        if error.possibilities:
            hint = " (did you mean " + " or ".join(f"'{p}'" for p in error.possibilities) + "?)"
        return error.option_name, f"no such option{hint}"
    if isinstance(error, click.BadOptionUsage):
        prefix = f"Option '{error.option_name}' "
        return error.option_name, error.message.removeprefix(prefix)
    if isinstance(error, click.MissingParameter):
        kind = error.param_type or (error.param.param_type_name if error.param else "value")
        return _parameter_name(error), error.message or f"missing {kind}"
    if isinstance(error, click.BadParameter):
        return _parameter_name(error), error.message
    return None, error.message


def _parameter_name(error: click.BadParameter) -> str | None:
    """The parameter as a user types it: its long option, or an argument's metavar."""
    param = error.param
    if param is not None:
        if isinstance(param, click.Option):
            return max(param.opts, key=lambda opt: (opt.startswith("--"), len(opt)))
        ctx = error.ctx
        metavar = param.make_metavar(ctx) if ctx is not None else None
        return (metavar or param.name or "argument").strip("[].")
    hint = error.param_hint
    if isinstance(hint, str):
        return hint
    if hint:
        return next(iter(hint))
    return None


def _sentence_case(message: str) -> str:
    """Click's ``Invalid value.`` style → archgen's ``invalid value``."""
    message = message.strip().removesuffix(".")
    if message[:2].isupper() or not message[:1].isupper():
        return message
    return message[:1].lower() + message[1:]


def _did_you_mean(name: str, choices: list[str]) -> str:
    import difflib

    matches = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f" (did you mean '{matches[0]}'?)" if matches else ""


def _escape(line: str) -> str:
    if line.isprintable():
        return line
    from archgen.model.errors import escape_terminal

    return escape_terminal(line)
