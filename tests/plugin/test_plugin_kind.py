"""A kind from a package that archgen does not know: registered the way an installed
distribution registers it (a ``*.dist-info/entry_points.txt`` on ``sys.path``), touching
no file of archgen, it validates, renders with its icon, runs, is linted and gets a page."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from archgen.main import cli
from archgen.model import registry

PLUGIN = Path(__file__).parent

MODEL = """\
archgen: 1
system: {id: catalog, name: Catalog}
groups:
  - {id: eu-west-1, kind: region}
  - {id: az-a, kind: availability_zone, parent: eu-west-1}
  - {id: az-b, kind: availability_zone, parent: eu-west-1}
nodes:
  - {id: user, kind: client}
  - {id: web, kind: ec2, group: eu-west-1}
  - {id: cache, kind: dax, group: eu-west-1, label: Product cache,
     params: {replicas: 2, zones: [az-a, az-b], hit_ratio: 0.8}}
  - {id: db, kind: dynamodb, group: eu-west-1}
edges:
  - {from: user, to: web, operations: [GET /product]}
  - {from: web, to: cache, operations: [GetItem], protocol: tcp}
  - {from: cache, to: db, operations: [GetItem], protocol: aws-api}
flows:
  - id: view
    title: View a product
    steps:
      - {from: user, to: web, op: GET /product}
      - {from: web, to: cache, op: GetItem}
      - {from: cache, to: db, op: GetItem, when: cache_miss}
journeys:
  - {id: browse, title: Browse, client: user, flows: [{flow: view}]}
scenarios:
  - {id: normal-day, title: Normal day, duration_s: 60,
     traffic: {sessions_per_s: 5, mix: {browse: 1}}}
"""


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """What ``pip install archgen-dax`` leaves on sys.path."""
    site = tmp_path / "site-packages"
    info = site / "archgen_dax-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: archgen-dax\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[archgen.kinds]\ndax = archgen_dax:SPEC\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(PLUGIN))  # where the package's modules are
    registry.refresh()
    yield
    monkeypatch.undo()
    for name in [m for m in sys.modules if m.startswith("archgen_dax")]:
        del sys.modules[name]
    registry.refresh()


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_unknown_before_it_is_installed(tmp_path: Path) -> None:
    model = tmp_path / "m.yaml"
    model.write_text(MODEL)
    code, _, err = invoke("validate", str(model))
    assert code == 2
    assert "nodes[2].kind: unknown kind 'dax'" in err


def test_a_plugin_kind_goes_through_every_stage(
    installed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("m.yaml").write_text(MODEL)
    assert invoke("validate", "m.yaml")[0] == 0

    # its validation hook runs, with file:line:col
    Path("bad.yaml").write_text(MODEL.replace("zones: [az-a, az-b]", "zones: [az-a]"))
    code, _, err = invoke("validate", "bad.yaml")
    assert (code, err) == (
        2,
        "error: bad.yaml:11:35: nodes[2].params.zones: replicas in one zone do not survive "
        "its outage\n",
    )

    # JSON Schema: a oneOf member with its described params
    schema = json.loads(invoke("schema")[1])
    assert "DaxNode" in schema["$defs"]
    assert schema["$defs"]["DaxParams"]["properties"]["hit_ratio"]["description"]

    # renders with its own icon
    from archgen.renderers.icons import icon_data_uri, icon_path

    assert icon_path("dax") == "aws/database/dynamodb-dax.png"
    assert invoke("render", "m.yaml", "--format", "svg", "--out", "d")[0] == 0
    svg = Path("d/overview.svg").read_text()
    assert icon_data_uri(icon_path("dax")) in svg

    # runs: its behavior is imported lazily from the spec's "module:Class"
    code, out, err = invoke("run", "m.yaml", "--out", "run", "--json")
    assert code == 0, err
    summary = json.loads(Path("run/summary.json").read_text())
    assert "cache" in json.dumps(summary)

    # linted through its capabilities (emits_metrics: wants a CloudWatch metric)
    code, out, _ = invoke("check", "m.yaml", "--lint-only", "--format", "json")
    findings = json.loads(out)
    assert any(
        f.get("rule") == "monitored" and "'cache'" in f.get("message", "")
        for f in _findings(findings)
    ), out

    # a site page
    assert invoke("site", "build", "m.yaml", "--out", "site")[0] == 0
    pages = [p for p in Path("site").rglob("*.html") if "cache" in p.as_posix()]
    assert pages, sorted(str(p) for p in Path("site").rglob("*.html"))[:50]
    html = pages[0].read_text()
    assert "DynamoDB Accelerator &#40;DAX&#41;" in html  # its title (the site escapes model text)
    assert "hit&#95;ratio</code>" in html  # its parameters table
    # and its reference page, from its declaration and its behavior's docstring
    kind_page = Path("site/reference/kinds/dax/index.html").read_text()
    assert "Read replicas of the primary node" in kind_page
    assert "Evictions, memory limits and replication" in kind_page
    assert 'src="../dax.png"' in kind_page
    assert Path("site/reference/kinds/dax.png").is_file()


def _findings(report: object) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    if isinstance(report, dict):
        if "rule" in report and "message" in report:
            found.append({k: str(v) for k, v in report.items()})
        for value in report.values():
            found += _findings(value)
    elif isinstance(report, list):
        for value in report:
            found += _findings(value)
    return found
