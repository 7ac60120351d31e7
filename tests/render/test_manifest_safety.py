"""``archgen render`` trusts nothing in ``.archgen-render.json``: a tampered manifest (say,
committed with a diagrams folder) never makes it read, write or delete a file outside
``--out``, nor delete a file the user changed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from archgen.main import cli
from tests.render.conftest import MODELS

MINI = str(MODELS / "mini.yaml")
PRECIOUS = b"the user's own file\n"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def render(out: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["render", MINI, "--out", str(out), "--format", "dot"])
    return result.exit_code, result.stdout, result.stderr


def manifest_path(out: Path) -> Path:
    return out / ".archgen-render.json"


def tamper(out: Path, entries: dict[str, Any]) -> None:
    manifest = json.loads(manifest_path(out).read_text(encoding="utf-8"))
    manifest["entries"].update(entries)
    manifest_path(out).write_text(json.dumps(manifest), encoding="utf-8")


def victim(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(PRECIOUS)
    return path


def test_stale_entries_remove_only_unchanged_files_of_archgen_inside_out(tmp_path: Path) -> None:
    out = tmp_path / "diagrams"
    assert render(out)[0] == 0
    relative = victim(tmp_path / "victim.txt")
    absolute = victim(tmp_path / "elsewhere" / "victim")
    linked = victim(tmp_path / "linked.txt")
    (out / "link.dot").symlink_to(linked)
    (out / "edited.dot").write_bytes(b"edited by the user\n")
    (out / "stale.dot").write_bytes(b"digraph stale {}\n")
    tamper(
        out,
        {
            "gone-a:dot": {"input": "x", "files": {"../victim.txt": sha(PRECIOUS)}},
            "gone-b:dot": {"input": "x", "files": {str(absolute): sha(PRECIOUS)}},
            "gone-c:dot": {"input": "x", "files": {"link.dot": sha(PRECIOUS)}},
            "gone-d:dot": {"input": "x", "files": {"edited.dot": sha(b"digraph d {}\n")}},
            "gone-e:dot": {"input": "x", "files": {"stale.dot": sha(b"digraph stale {}\n")}},
        },
    )
    code, stdout, stderr = render(out)
    assert code == 0, stderr
    manifest = manifest_path(out)
    assert stderr.splitlines() == [
        f"warning: {manifest}: ignoring manifest entry 'gone-a:dot': unsafe file name "
        "'../victim.txt' (only plain names inside the output folder)",
        f"warning: {manifest}: ignoring manifest entry 'gone-b:dot': unsafe file name "
        f"'{absolute}' (only plain names inside the output folder)",
        f"warning: {out / 'link.dot'}: kept (not a regular file archgen wrote)",
        f"warning: {out / 'edited.dot'}: kept (changed since archgen wrote it)",
    ]
    for path in (relative, absolute, linked):
        assert path.read_bytes() == PRECIOUS
    assert (out / "link.dot").is_symlink()
    assert (out / "edited.dot").read_bytes() == b"edited by the user\n"
    assert not (out / "stale.dot").exists()  # archgen's own, unchanged: removed
    assert "│ stale.dot │ removed │" in stdout
    kept = json.loads(manifest.read_text(encoding="utf-8"))["entries"]
    assert not any(key.startswith("gone-") for key in kept)


def test_current_entries_never_read_or_write_through_manifest_names(tmp_path: Path) -> None:
    out = tmp_path / "diagrams"
    assert render(out)[0] == 0
    entries = json.loads(manifest_path(out).read_text(encoding="utf-8"))["entries"]
    overview = (out / "overview.dot").read_bytes()
    outside = victim(tmp_path / "victim.txt")
    # Same input digest, but the files point outside: a trusting _intact() would read the
    # victim, call the view unchanged and keep the entry.
    tamper(
        out,
        {
            "overview:dot": {
                "input": entries["overview:dot"]["input"],
                "files": {"../victim.txt": sha(PRECIOUS)},
            }
        },
    )
    (out / "overview.dot").unlink()
    code, stdout, stderr = render(out)
    assert code == 0, stderr
    assert stderr.startswith(f"warning: {manifest_path(out)}: ignoring manifest entry 'overview")
    assert outside.read_bytes() == PRECIOUS
    assert (out / "overview.dot").read_bytes() == overview
    assert "1 written, " in stdout
    entries = json.loads(manifest_path(out).read_text(encoding="utf-8"))["entries"]
    assert entries["overview:dot"]["files"] == {"overview.dot": sha(overview)}


def test_a_symlink_with_the_right_content_is_not_taken_for_archgens_file(tmp_path: Path) -> None:
    out = tmp_path / "diagrams"
    assert render(out)[0] == 0
    overview = (out / "overview.dot").read_bytes()
    outside = tmp_path / "outside.dot"
    outside.write_bytes(overview)
    (out / "overview.dot").unlink()
    (out / "overview.dot").symlink_to(outside)
    code, stdout, stderr = render(out)
    assert (code, stderr) == (0, "")
    assert "1 written, " in stdout  # not "unchanged": the link was not read as intact
    assert not (out / "overview.dot").is_symlink()
    assert (out / "overview.dot").read_bytes() == overview
    assert outside.read_bytes() == overview  # the link was replaced, not written through


def test_a_malformed_manifest_is_ignored_without_a_traceback(tmp_path: Path) -> None:
    out = tmp_path / "diagrams"
    assert render(out)[0] == 0
    tamper(out, {"odd:dot": "not an object", "nofmt": {"input": "x", "files": {"a": "b"}}})
    code, _, stderr = render(out)
    assert code == 0, stderr
    manifest = manifest_path(out)
    assert stderr.splitlines() == [
        f"warning: {manifest}: ignoring manifest entry 'nofmt': its key is not VIEW:FORMAT",
        f"warning: {manifest}: ignoring manifest entry 'odd:dot': not an object with "
        "'input' and 'files'",
    ]
    manifest.write_text('{"archgen-render": 1, "entries": []}', encoding="utf-8")
    code, stdout, stderr = render(out)
    assert (code, stderr) == (0, "")
    assert stdout.strip().endswith(f"0 unchanged in {out}")
