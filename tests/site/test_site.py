"""The generated site of a small model: pages, navigation, escaping, cache, errors."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from mkdocs.exceptions import Abort, PluginError
from site_helpers import TINY_SHOP, build_mkdocs

from archgen.main import cli
from archgen.model import load_model
from archgen.model.registry import kinds
from archgen.runtime.budget import OverBudgetError
from archgen.site.content import build_content
from archgen.site.plan import Paths
from archgen.site.plugin import _place_sections
from archgen.site.reference import anchor, model_schema

NASTY = "<script>alert('x')</script> web *fleet* | [link](http://evil)"


def article(site: Path, page: str) -> str:
    """The page's article HTML (theme chrome left out)."""
    source = (site / page / "index.html").read_text(encoding="utf-8")
    return source[source.index("<article") : source.index("</article>")]


def visible(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_every_page_is_generated(tiny_site: Path) -> None:
    pages = sorted(
        path.parent.relative_to(tiny_site).as_posix() for path in tiny_site.rglob("index.html")
    )
    assert pages == [
        ".",
        "flows/browse", "flows/order",
        "groups/use1", "groups/vpc-use1",
        "nodes/cdn", "nodes/order-worker", "nodes/orders-db", "nodes/orders-queue",
        "nodes/shop-key", "nodes/shoppers", "nodes/web", "nodes/web-alb", "nodes/web-role",
        "nodes/worker-role",
        "reference/artefacts",
        "reference/kinds",
        *sorted(f"reference/kinds/{name}" for name in kinds()),
        "reference/model",
        "reference/rules",
        "scenarios/normal-day",
    ]  # fmt: skip


def test_labels_show_as_text(tiny_site: Path) -> None:
    page = article(tiny_site, "nodes/web")
    assert "<script" not in page
    assert '<a href="http://evil' not in page
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", page, flags=re.S)
    assert heading is not None
    assert html.unescape(heading.group(1)) == NASTY
    home = article(tiny_site, ".")
    assert "<b>" not in home
    assert visible(home).startswith("Tiny <b>Shop</b> A *small* shop")


def test_node_page_facts(tiny_site: Path) -> None:
    text = visible(article(tiny_site, "nodes/web"))
    assert "web : EC2 Auto Scaling fleet in Shop VPC ( US East )" in text
    assert "workers_per_instance 4 8 Requests one instance serves at once." in text
    assert "autoscaling.max_instances 4 10" in text
    assert "service_time lognormal, mean 20 ms, cv 0.5 lognormal, mean 40 ms, cv 0.6" in text
    assert "Web ALB GET / , POST /order http sync internal no" in text
    assert "Orders table GetItem , PutItem aws-api sync pii yes" in text
    assert '"dynamodb:PutItem"' in text
    assert "Flows that use it Browse the <i>shop</i> Place an order" in text
    page = article(tiny_site, "nodes/web")
    assert "<strong>4</strong>" in page
    assert 'data-archgen-svg="../../diagrams/view-site.node.web.svg"' in page
    role = visible(article(tiny_site, "nodes/web-role"))
    assert "Nodes that act with this role: " + NASTY in role


def test_flow_page(tiny_site: Path) -> None:
    page = article(tiny_site, "flows/browse")
    text = visible(page)
    assert "Step 1 of the story." in text
    assert "2 CloudFront Web ALB GET / cache_miss (p=0.2) 1" in text
    assert "Latency: p99 at most 800 ms." in text
    assert "Availability: at least 99.9 % of executions succeed." in text
    sequence = re.search(r'<div class="archgen-mermaid">(.*?)</div>', page, flags=re.S)
    assert sequence is not None
    assert html.unescape(sequence.group(1)).splitlines()[3:5] == ["sequenceDiagram", "  autonumber"]


def test_navigation_follows_the_story(tiny_site: Path) -> None:
    home = (tiny_site / "index.html").read_text(encoding="utf-8")
    tabs = re.findall(r'class="md-tabs__link[^"]*"[^>]*>\s*(.*?)\s*</a>', home, flags=re.S)
    assert [visible(tab) for tab in tabs] == [
        "Home", "Architecture", "Flows", "Scenarios", "Reference",
    ]  # fmt: skip
    story = visible(article(tiny_site, "."))
    assert story.index("Step 1: Browse") < story.index("Step 2: Place an order")


def test_scenario_page_has_charts_and_conformance(tiny_site: Path) -> None:
    page = article(tiny_site, "scenarios/normal-day")
    charts = re.findall(
        r'<figure class="archgen-chart" data-archgen-svg="\.\./\.\./charts/([^"]+)"', page
    )
    assert charts == [
        "normal-day--traffic.svg",
        "normal-day--instances.svg",
        "normal-day--latency.svg",
        "normal-day--queues.svg",
        "normal-day--errors.svg",
    ]
    for chart in charts:
        assert (tiny_site / "charts" / chart).read_text().startswith("<svg ")
    text = visible(page)
    assert "Journey mix: Shop (100 %)." in text
    assert re.search(
        r"Verdict Pass\. \d+ rules checked, no finding\. Service level objectives In scope: "
        r"the SLOs this scenario's run is judged by \(executions after the warm-up\)\. "
        r"Flow Objective Measured Result "
        r"Browse the <i>shop</i> p99 ≤ 800 ms, availability ≥ 99\.9 % p99 [\d,]+ ms .* met "
        r"Place an order p95 ≤ 1,500 ms p95 [\d,]+ ms .* met ",
        text,
    ), text
    assert "conforms" not in text
    assert "slo browse" in text
    flow = visible(article(tiny_site, "flows/browse"))
    assert re.search(r"In scenario A normal day , [\d,]+ executions of this flow", flow)


def test_scenario_and_node_pages_say_what_the_run_cost(tiny_site: Path) -> None:
    from archgen.model.pricing import price_table

    text = visible(article(tiny_site, "scenarios/normal-day"))
    date = price_table().date
    assert re.search(
        r"What it costs \$[\d,.]+ over the [\d,]+ s simulated, \$[\d,.]+ a month at this load "
        rf"\(a 730-hour month\), at the list prices of {date}, for the real system",
        text,
    ), text
    assert re.search(
        re.escape(NASTY)
        + r" ec2 us-east-1 \$[\d,.]+ \$[\d,.]+ ec2\.c5\.xlarge: [\d.]+ instance-hour",
        text,
    ), text
    assert (
        "Kinds without a cost: client (not priced: users' devices and networks are outside "
        "AWS); iam_role (free: IAM roles and policies cost nothing)."
    ) in text
    node = visible(article(tiny_site, "nodes/web"))
    assert re.search(
        r"What it costs Instance-hours of the fleet, launching or in service, from its "
        r"timeline\. Per simulated "
        r"scenario, .* normal-day \$[\d,.]+ \(300 s\) \$[\d,.]+ ec2\.c5\.xlarge: [\d.]+ "
        r"instance-hour \(Linux, shared tenancy\) EBS volumes and internet data transfer",
        node,
    ), node


def test_reference_documents_every_definition(tiny_site: Path) -> None:
    page = article(tiny_site, "reference/model")
    schema = model_schema()
    for name in schema["$defs"]:
        assert f'id="{anchor(name)}"' in page, name
    links = set(re.findall(r'href="#(def-[^"]+)"', page))
    ids = set(re.findall(r'id="(def-[^"]+)"', page))
    assert links <= ids


def test_unchanged_model_rebuilds_from_the_cache(tmp_path: Path) -> None:
    loaded = load_model(TINY_SHOP)
    first = build_content(loaded, Paths(), tmp_path)
    second = build_content(loaded, Paths(), tmp_path)
    assert first.cache_misses > 0
    assert (second.cache_hits, second.cache_misses) == (first.cache_misses, 0)
    assert second.pages == first.pages
    assert second.assets == first.assets


def test_a_changed_model_is_simulated_again(tmp_path: Path) -> None:
    from archgen.model import load_model_text
    from archgen.site.results import result_key

    text = TINY_SHOP.read_text(encoding="utf-8")
    before = load_model_text(text, "tiny.yaml")
    after = load_model_text(text.replace("sessions_per_s: 5", "sessions_per_s: 6"), "tiny.yaml")
    assert result_key(before, "normal-day") != result_key(after, "normal-day")
    assert result_key(before, "normal-day") == result_key(
        load_model_text(text, "elsewhere.yaml"), "normal-day"
    )


def test_placeholders_expand_and_unplaced_sections_append() -> None:
    generated = {
        "architecture": [{"Nodes": [{"A": "nodes/a.md"}]}],
        "flows": [{"F": "flows/f.md"}],
        "reference": [{"Model reference": "reference/model.md"}],
    }
    nav = [{"Home": "index.md"}, {"Ref": ["archgen:reference", {"CLI": "cli.md"}]}]
    assert _place_sections(nav, generated) == [
        {"Home": "index.md"},
        {"Ref": [{"Model reference": "reference/model.md"}, {"CLI": "cli.md"}]},
        {"Architecture": [{"Nodes": [{"A": "nodes/a.md"}]}]},
        {"Flows": [{"F": "flows/f.md"}]},
    ]
    with pytest.raises(PluginError, match="unknown nav placeholder 'archgen:flow'; use one of"):
        _place_sections([{"X": "archgen:flow"}], generated)


def _site(tmp_path: Path, plugin: dict[str, object], docs: dict[str, str]) -> Path:
    (tmp_path / "docs").mkdir()
    for name, content in docs.items():
        (tmp_path / "docs" / name).write_text(content, encoding="utf-8")
    config = {
        "site_name": "t",
        "strict": True,
        "theme": {"name": "material", "font": False},
        "plugins": [{"archgen": {"simulate": False, "cache_dir": "cache", **plugin}}],
    }
    (tmp_path / "mkdocs.yml").write_text(json.dumps(config), encoding="utf-8")
    return tmp_path / "mkdocs.yml"


def test_a_hand_written_page_in_the_way_is_an_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = _site(tmp_path, {"model": str(TINY_SHOP)}, {"index.md": "# Mine\n"})
    with pytest.raises(Abort):
        build_mkdocs(config, tmp_path / "out")
    assert "archgen: 'index.md' is both in docs_dir and generated from the model" in caplog.text


def test_archgen_errors_are_plugin_errors_under_mkdocs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Under a plain ``mkdocs build`` an archgen error (here a scenario over the budget)
    is a PluginError, reported by mkdocs in one line; ``archgen site build`` lets it through
    to its own CLI (``raise_errors``), which prints ``error: …`` and exits 2."""
    model = tmp_path / "big.yaml"
    model.write_text(
        (Path(__file__).parents[1] / "models" / "photo-sharing.yaml")
        .read_text(encoding="utf-8")
        .replace("traffic: {sessions_per_s: 5,", "traffic: {sessions_per_s: 100000,", 1),
        encoding="utf-8",
    )
    config = _site(
        tmp_path,
        {"model": str(model), "simulate": True, "fidelity": "full"},
        {"notes.md": "# N\n"},
    )
    with pytest.raises(Abort):
        build_mkdocs(config, tmp_path / "out")
    assert "archgen: scenario 'quiet-evening' would take about " in caplog.text
    assert "over the budget of 20,000,000 events" in caplog.text
    with pytest.raises(OverBudgetError, match=r"^scenario 'quiet-evening' would take about "):
        build_mkdocs(config, tmp_path / "out", {"raise_errors": True})


def test_prefix_keeps_the_users_home(tmp_path: Path) -> None:
    config = _site(tmp_path, {"model": str(TINY_SHOP), "prefix": "model"}, {"index.md": "# Mine\n"})
    out = build_mkdocs(config, tmp_path / "out")
    assert "Mine" in (out / "index.html").read_text(encoding="utf-8")
    assert (out / "model" / "nodes" / "web" / "index.html").is_file()
    text = visible(article(out, "model/flows/browse"))
    assert "Scenarios are not simulated in this build" in text


def test_an_invalid_model_is_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("archgen: 1\nsystem: {id: x, name: X}\nnodes: []\n", encoding="utf-8")
    config = _site(tmp_path, {"model": str(bad)}, {})
    with pytest.raises(Abort):
        build_mkdocs(config, tmp_path / "out")
    assert "archgen: the model is not valid:\nerror: " in caplog.text
    assert "bad.yaml:3:8: nodes: tuple should have at least 1 item" in caplog.text
    result = CliRunner().invoke(cli, ["site", "build", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "bad.yaml" in result.output


def test_behavior_docstrings_become_paragraphs_and_lists() -> None:
    from archgen.site.pages import _paragraphs

    doc = """Queue: the rules of :mod:`archgen.runtime.sqs_queue`.

    Operations:
    - ``SendMessage`` enqueues
      one message;
    - <b>Receive</b> polls.
    """
    assert _paragraphs(doc) == [
        "Queue&#58; the rules of <code>archgen&#46;runtime&#46;sqs&#95;queue</code>&#46;",
        "Operations&#58;",
        "- <code>SendMessage</code> enqueues one message;\n"
        "- &#60;b&#62;Receive&#60;/b&#62; polls&#46;",
    ]
