"""Packaging: only the ``archgen`` namespace is installed, and the wheel works on its own."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize("name", ["model", "runtime", "renderers"])
def test_no_top_level_module_is_installed(name: str, tmp_path: Path) -> None:
    probe = subprocess.run(
        [sys.executable, "-c", f"import {name}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.returncode == 1
    assert f"No module named '{name}'" in probe.stderr


def test_site_is_still_the_standard_library(tmp_path: Path) -> None:
    probe = subprocess.run(
        [sys.executable, "-c", "import site; print(site.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(probe.stdout.strip()).parent == Path(sysconfig.get_paths()["stdlib"])


@pytest.mark.slow
def test_the_wheel_installs_in_a_clean_venv(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = (tmp_path / "dist").glob("archgen-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names} == {
        "archgen",
        wheel.name.split("-py3")[0] + ".dist-info",
    }
    assert "archgen/model/reference/amazon-shopping.yaml" in names

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
    )
    # Dependencies come from this venv's site-packages (no network); archgen itself comes
    # only from the wheel, since PYTHONPATH does not run the editable install's .pth hook.
    deps = sysconfig.get_paths()["purelib"]
    result = subprocess.run(
        [str(env_dir / "bin" / "archgen"), "validate", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": deps, "PATH": "/usr/bin:/bin"},
    )
    assert (result.returncode, result.stderr) == (0, "")
    where = subprocess.run(
        [str(python), "-c", "import archgen.model; print(archgen.model.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": deps},
    ).stdout
    assert where.startswith(str(env_dir))
