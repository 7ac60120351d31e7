"""The layout port: DOT source in, SVG or PNG out, through Graphviz's ``dot`` program.

Kept behind this one function so another layout engine can replace it.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache

from archgen.renderers.base import RenderError

INSTALL_HINT = "sudo apt-get install graphviz"


def dot_program() -> str:
    """Path of ``dot``, or a clear error naming the install command."""
    path = shutil.which("dot")
    if path is None:
        raise RenderError(
            "Graphviz's `dot` program is not on PATH; it lays out the svg and png diagrams. "
            f"Install it with `{INSTALL_HINT}` (or use --format mermaid,dot)."
        )
    return path


@cache
def graphviz_version(program: str) -> str:
    # `program` is the `dot` found on PATH; no shell, arguments are ours.
    done = subprocess.run([program, "-V"], capture_output=True, text=True, check=False)  # noqa: S603
    return done.stderr.strip() or done.stdout.strip()


def run_dot(source: str, fmt: str, image_path: str) -> bytes:
    """Lay out ``source`` and draw it as ``fmt`` (svg, png); icons are found in ``image_path``."""
    program = dot_program()
    done = subprocess.run(  # noqa: S603 - `dot` from PATH, no shell, our own arguments
        [program, f"-Gimagepath={image_path}", f"-T{fmt}"],
        input=source.encode("utf-8"),
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise RenderError(f"dot failed (exit {done.returncode}) drawing {fmt}: {message}")
    return done.stdout
