"""``archgen site build --out X`` replaces X as one unit, and only when X is a site archgen
built: never the user's files, a link's target, the current or home folder, or the model."""

from __future__ import annotations

import html
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from site_helpers import TINY_SHOP

from archgen.main import cli
from archgen.model.files import OutputError
from archgen.site.standalone import SITE_MARKER, build_site


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("site-out-cache")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (links as their target)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            found[key] = b"-> " + os.readlink(path).encode()
        elif path.is_file():
            found[key] = path.read_bytes()
    return found


def user_project(folder: Path) -> dict[str, bytes]:
    """A folder like a user's project: a model, a schema and source files."""
    (folder / "src").mkdir(parents=True)
    shutil.copy(TINY_SHOP, folder / "shop.yaml")
    (folder / "archgen.schema.json").write_text("{}\n", encoding="utf-8")
    (folder / "src" / "app.py").write_text("print('hello')\n", encoding="utf-8")
    return snapshot(folder)


def site_build(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["site", "build", *args])
    return result.exit_code, result.stderr


def test_a_folder_of_user_files_is_refused_without_force(tmp_path: Path, cache: Path) -> None:
    project = tmp_path / "project"
    before = user_project(project)
    code, stderr = site_build(str(TINY_SHOP), "--out", str(project), "--cache-dir", str(cache))
    assert code == 2
    assert stderr == (
        f"error: {project}: not a site archgen wrote: it holds archgen.schema.json, "
        "shop.yaml, src; choose an empty or new folder, or add --force to replace it\n"
    )
    assert snapshot(project) == before
    assert sorted(os.listdir(tmp_path)) == ["project"]


def test_the_current_folder_is_refused_even_with_force(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    before = user_project(project)
    monkeypatch.chdir(project / "src")
    for out in (".", "..", str(tmp_path)):
        code, stderr = site_build(
            str(TINY_SHOP), "--out", out, "--cache-dir", str(cache), "--force"
        )
        assert code == 2
        assert stderr == (
            f"error: {out}: is the current folder or contains it; archgen replaces the "
            "whole site: give a folder of its own\n"
        )
    assert snapshot(project) == before


def test_a_folder_holding_the_model_is_refused_even_with_force(tmp_path: Path, cache: Path) -> None:
    project = tmp_path / "project"
    before = user_project(project)
    code, stderr = site_build(
        str(project / "shop.yaml"), "--out", str(tmp_path), "--cache-dir", str(cache), "--force"
    )
    assert code == 2
    assert stderr == (
        f"error: {tmp_path}: contains the input {project / 'shop.yaml'}; give a folder of its own\n"
    )
    assert snapshot(project) == before


def test_the_home_folder_is_refused_even_with_force(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    before = user_project(home)
    monkeypatch.setenv("HOME", str(home))
    for out in (home, tmp_path):
        with pytest.raises(OutputError, match="is the home folder or contains it"):
            build_site(TINY_SHOP, out, cache, force=True)
    assert snapshot(home) == before


def test_a_symlinked_out_is_refused_and_its_target_untouched(tmp_path: Path, cache: Path) -> None:
    target = tmp_path / "target"
    before = user_project(target)
    (target / SITE_MARKER).write_bytes(b"")  # even a site of ours is not replaced via a link
    before = snapshot(target)
    link = tmp_path / "public"
    link.symlink_to(target, target_is_directory=True)
    for force in ((), ("--force",)):
        code, stderr = site_build(
            str(TINY_SHOP), "--out", str(link), "--cache-dir", str(cache), *force
        )
        assert code == 2
        assert stderr == (
            f"error: {link}: is a symbolic link (to {target}); archgen does not replace "
            "what a link points to: give the folder itself\n"
        )
    assert link.is_symlink()
    assert snapshot(target) == before


def test_force_replaces_a_foreign_folder(tmp_path: Path, cache: Path) -> None:
    out = tmp_path / "public"
    out.mkdir()
    (out / "old.txt").write_text("old\n", encoding="utf-8")
    code, stderr = site_build(
        str(TINY_SHOP), "--out", str(out), "--cache-dir", str(cache), "--force"
    )
    assert (code, stderr) == (0, "")
    assert not (out / "old.txt").exists()
    assert (out / "index.html").is_file()
    assert (out / SITE_MARKER).read_bytes() == b""
    assert sorted(os.listdir(tmp_path)) == ["public"]


def test_a_site_of_archgen_is_rebuilt_as_a_whole(tmp_path: Path, cache: Path) -> None:
    out = tmp_path / "site"
    assert build_site(TINY_SHOP, out, cache) == out / "index.html"
    first = snapshot(out)
    assert SITE_MARKER in first
    assert "index.html" in first
    (out / "stale.html").write_text("from an older build\n", encoding="utf-8")
    code, stderr = site_build(str(TINY_SHOP), "--out", str(out), "--cache-dir", str(cache))
    assert (code, stderr) == (0, "")
    assert snapshot(out) == first  # stale.html went with the old site
    assert sorted(os.listdir(tmp_path)) == ["site"]  # no temporary folder left beside it
    assert oct(out.stat().st_mode & 0o777) == oct(0o777 & ~current_umask())


def current_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, SystemExit, RuntimeError])
def test_an_interrupted_build_leaves_the_previous_site_and_no_temporary_folder(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, interruption: type[BaseException]
) -> None:
    import mkdocs.commands.build

    out = tmp_path / "site"
    build_site(TINY_SHOP, out, cache)
    before = snapshot(out)
    seen: dict[str, Path] = {}

    def half_build(config: Any, **_: Any) -> None:
        site_dir = Path(config.site_dir)
        seen["site_dir"] = site_dir
        seen["config"] = Path(config.config_file_path)
        (site_dir / "index.html").write_text("half\n", encoding="utf-8")
        (site_dir / "assets").mkdir()
        raise interruption("stopped mid-build")

    monkeypatch.setattr(mkdocs.commands.build, "build", half_build)
    with pytest.raises(interruption):
        build_site(TINY_SHOP, out, cache)
    assert seen["site_dir"].parent == out.parent  # built beside out, never into it
    assert not seen["site_dir"].exists()
    assert not seen["config"].parent.exists()  # the generated mkdocs.yml and docs folder
    assert snapshot(out) == before
    assert sorted(os.listdir(tmp_path)) == ["site"]


def test_a_site_mkdocs_built_with_the_plugin_is_replaced_without_force(
    tmp_path: Path, cache: Path
) -> None:
    """As ``make demo`` leaves build/site: no marker, but the archgen plugin's stylesheet."""
    out = tmp_path / "site"
    (out / "assets" / "stylesheets").mkdir(parents=True)
    (out / "assets" / "stylesheets" / "archgen.css").write_text("", encoding="utf-8")
    (out / "index.html").write_text("<p>old</p>\n", encoding="utf-8")
    code, stderr = site_build(str(TINY_SHOP), "--out", str(out), "--cache-dir", str(cache))
    assert (code, stderr) == (0, "")
    assert (out / SITE_MARKER).is_file()
    assert (out / "index.html").read_text(encoding="utf-8") != "<p>old</p>\n"


def test_scenario_findings_name_the_model_as_the_user_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scenario pages placed findings at the model's absolute path on the build machine;
    they name it as typed, as the CLI does, even when the results come from a cache filled
    by a build of the same text under another name."""
    ride = Path(__file__).parents[1] / "models" / "ride-hailing.yaml"
    (tmp_path / "models").mkdir()
    shutil.copy(ride, tmp_path / "models" / "ride.yaml")
    shutil.copy(ride, tmp_path / "other.yaml")
    monkeypatch.chdir(tmp_path)
    expected = (
        "error: slo {}:114:54 flows[0].slo.end_to_end.threshold_ms flow 'request-ride' in "
        "matcher-crash: p95 end-to-end latency until drivers: Deliver is "
    )
    for name in ("models/ride.yaml", "other.yaml"):
        result = CliRunner().invoke(
            cli, ["site", "build", name, "--out", f"out-{name[:5]}", "--cache-dir", "cache"]
        )
        assert result.exit_code == 0, result.output
        built = tmp_path / f"out-{name[:5]}"
        page = (built / "scenarios" / "matcher-crash" / "index.html").read_text()
        findings = page[page.index("Findings</h3>") : page.index("Measured by the check</h3>")]
        shown = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", findings)).split())
        assert shown.startswith("Findings Rule Where Finding " + expected.format(name))
        leaked = [
            path.name
            for path in built.rglob("*")
            if path.is_file() and str(tmp_path).encode() in path.read_bytes()
        ]
        assert leaked == []


def test_site_serve_says_its_url_even_into_a_file(tmp_path: Path) -> None:
    """With stdout redirected to a file, `archgen site serve` printed nothing (mkdocs' own
    "Serving on" is quieted): it says the URL at once, then serves there."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    archgen = Path(sys.executable).parent / "archgen"
    log = tmp_path / "serve.log"
    args = [str(archgen), "site", "serve", str(TINY_SHOP), "--dev-addr", f"127.0.0.1:{port}"]
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*args, "--cache-dir", str(tmp_path / "cache")], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 120
        page = b""
        while time.monotonic() < deadline and not page:
            time.sleep(0.5)
            assert server.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(url, timeout=5) as answer:
                    page = answer.read()
            except OSError:
                continue
        assert b"Tiny" in page
        assert log.read_text().splitlines()[0] == (
            f"serving the site on {url} once it is built (Ctrl+C stops); it is rebuilt when "
            "the model changes"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
