"""Writing outputs safely: a file atomically, a whole folder as one unit.

Shared by the command line, the runtime and the site (every package may import ``model``).
Readers see the old output or the new one, never half of each; an interrupted write
(exception, Ctrl-C, SIGTERM turned into an exception) leaves no temporary file behind; and a
folder is only ever replaced when archgen wrote it, never a folder of the user's files.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from archgen.model.errors import InputError


class OutputError(InputError):
    """An output folder archgen must not write or replace (bad input)."""


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def write_atomic(path: Path, data: bytes | str | Iterable[bytes | str]) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    ``data`` may be an iterable of chunks, written as they come: a large export is streamed
    rather than held whole in memory."""
    chunks: Iterable[bytes | str] = (data,) if isinstance(data, bytes | str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _fresh_name(path.parent, f".{path.name}.")
    try:
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle, "wb") as stream:
            for chunk in chunks:
                stream.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
        # Created 0600 (unreadable to others while partial); outputs are for sharing, so
        # honour the umask once complete.
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException as error:
        if not _collided(error, temporary):
            temporary.unlink(missing_ok=True)
        raise


def _fresh_name(parent: Path, prefix: str) -> Path:
    """A temporary name in ``parent``, chosen before anything is created. Callers create it
    inside their ``try`` (unlike ``tempfile.mkstemp``/``mkdtemp``, which create and then
    return): a signal that lands right after the creation, even inside it, still leaves
    the caller knowing what to remove."""
    return parent / f"{prefix}{secrets.token_hex(8)}"


def _collided(error: BaseException, path: Path) -> bool:
    """``error`` says ``path`` already existed: someone else's, not ours to remove."""
    return isinstance(error, FileExistsError) and error.filename == str(path)


def read_regular(path: Path) -> bytes | None:
    """The bytes of ``path`` when it is a regular file, else None: a symbolic link is not
    followed, and a FIFO or device is not opened for reading."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        handle = os.open(path, flags)
    except OSError:
        return None
    with os.fdopen(handle, "rb") as stream:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            return None
        return stream.read()


def discard(path: Path) -> None:
    """Remove a temporary folder of ours, even when interrupted once more while doing it."""
    try:
        shutil.rmtree(path, ignore_errors=True)
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise


def _is_within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


@contextmanager
def replace_folder(
    target: Path,
    *,
    noun: str,
    foreign: Callable[[Path], Iterable[str]],
    hint: str,
    protect: Iterable[Path] = (),
    force: bool = False,
    marker: str | None = None,
) -> Iterator[Path]:
    """A fresh folder beside ``target`` to write into, swapped in for ``target`` as one unit
    when the block ends normally; removed, with ``target`` untouched, when it raises anything.

    ``target`` is refused (:class:`OutputError`, before anything is written) when it is a
    symbolic link, the current or the home folder or one of their ancestors, or holds a
    ``protect`` path; and, unless ``force``, when it holds anything ``foreign`` (the names
    in it archgen did not write), checked again just before the swap. ``marker``, an empty
    file, is written into the new folder to prove later that archgen wrote it.
    """
    real = _check_target(target, noun=noun, protect=tuple(protect))
    refuse = None if force else (lambda: _refuse_foreign(target, real, noun, foreign, hint))
    if refuse is not None:
        refuse()
    real.parent.mkdir(parents=True, exist_ok=True)
    staging = _fresh_name(real.parent, f".{real.name}.archgen-")
    try:
        staging.mkdir(mode=0o700)
        yield staging
        if marker is not None:
            (staging / marker).write_bytes(b"")
        os.chmod(staging, 0o777 & ~_umask())  # made 0700; outputs are for sharing
        if refuse is not None:
            refuse()  # the user may have put a file there while archgen was writing
        _swap(staging, real)
    except BaseException as error:
        if not _collided(error, staging):
            discard(staging)
        raise


def _check_target(target: Path, *, noun: str, protect: tuple[Path, ...]) -> Path:
    """The resolved ``target``, or the refusals that hold even with ``--force``."""
    if target.is_symlink():
        raise OutputError(
            f"{target}: is a symbolic link (to {os.readlink(target)}); archgen does not "
            "replace what a link points to: give the folder itself"
        )
    real = target.resolve()
    if real.exists() and not real.is_dir():
        raise OutputError(f"{target}: exists and is not a folder")
    try:
        here: Path | None = Path.cwd().resolve()
    except OSError:  # the current folder was deleted
        here = None
    if here is not None and _is_within(here, real):
        raise OutputError(
            f"{target}: is the current folder or contains it; archgen replaces the whole "
            f"{noun}: give a folder of its own"
        )
    try:
        home: Path | None = Path.home().resolve()
    except (OSError, RuntimeError):  # no HOME and no password entry
        home = None
    if home is not None and _is_within(home, real):
        raise OutputError(f"{target}: is the home folder or contains it; give a folder of its own")
    for path in protect:
        if _is_within(path.resolve(), real):
            raise OutputError(f"{target}: contains the input {path}; give a folder of its own")
    return real


def _refuse_foreign(
    target: Path, real: Path, noun: str, foreign: Callable[[Path], Iterable[str]], hint: str
) -> None:
    if real.is_dir():
        names = sorted(foreign(real))
        if names:
            shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
            raise OutputError(f"{target}: not a {noun} archgen wrote: it holds {shown}; {hint}")


def _swap(staging: Path, real: Path) -> None:
    """Rename ``real`` aside, ``staging`` in, then delete the old one; restore on failure."""
    if not os.path.lexists(real):
        os.rename(staging, real)
        return
    aside = _fresh_name(real.parent, f".{real.name}.archgen-old-")
    old = aside / "old"
    try:
        aside.mkdir(mode=0o700)
        os.rename(real, old)
        os.rename(staging, real)
    except BaseException as error:
        if os.path.lexists(old) and not os.path.lexists(real):
            os.rename(old, real)
        if not os.path.lexists(old) and not _collided(error, aside):
            discard(aside)  # otherwise the old output stays aside rather than being lost
        raise
    discard(aside)
