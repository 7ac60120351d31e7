"""Computed views: exact contents on the renderers' own model, and order independence."""

from __future__ import annotations

import importlib
from dataclasses import replace

import pytest
import yaml

from archgen.model import LoadedModel, load_model_text
from archgen.model.kinds import KINDS
from archgen.renderers import render_view
from archgen.renderers.icons import icon_path, resources_dir
from archgen.renderers.mermaid import sequence_diagram
from archgen.renderers.registry import available_renderers, get_renderer
from archgen.renderers.views import UnknownView, compute_view, compute_views
from tests.render.conftest import MODELS


def test_view_ids_in_order(mini: LoadedModel) -> None:
    assert [view.id for view in compute_views(mini.model)] == [
        "overview",
        "region-euw1",
        "region-use1",
        "security",
        "step-1",
        "step-2",
        "flow-add-to-cart",
        "flow-browse",
        "flow-checkout",
        "view-data",
        "view-us-east",
    ]


def test_flow_view_numbers_steps_and_marks_async_and_conditions(mini: LoadedModel) -> None:
    view = compute_view(mini.model, "flow-browse")
    assert view.node_ids == ("alb", "cdn", "dns", "images", "recs", "shoppers", "web")
    assert [(e.label, e.is_async, e.condition) for e in view.edges] == [
        ("1. Resolve", False, None),
        ("2. GET /", False, None),
        ("3. GET / [if cache_miss]", False, "cache_miss"),
        ("4. GET /", False, None),
        ("5. InvokeEndpoint [if p=0.5]", False, "p=0.5"),
        ("6. GetObject [if cache_hit]", False, "cache_hit"),
    ]
    assert [step.parent for step in view.steps] == [None, None, 2, 3, 4, 2]
    assert [(c.id, c.parent) for c in view.clusters] == [
        ("asg:web", "az:vpc-use1:use1-az1+use1-az2"),
        ("aws:cloud", None),
        ("az:vpc-use1:use1-az1+use1-az2", "vpc-use1"),
        ("use1", "aws:cloud"),
        ("use1-az1", "vpc-use1"),
        ("use1-public", "use1-az1"),
        ("vpc-use1", "use1"),
    ]
    checkout = compute_view(mini.model, "flow-checkout")
    assert [e.step for e in checkout.edges if e.is_async] == [4, 8, 9]


def test_story_step_merges_its_flows(mini: LoadedModel) -> None:
    view = compute_view(mini.model, "step-2")
    assert view.title == "Step 2: Add to cart; Check out"
    assert {step.flow for step in view.steps} == {"add-to-cart", "checkout"}
    labels = {edge.id: edge.label for edge in view.edges}
    assert labels["web->carts"] == "GetItem, PutItem"
    assert labels["cdn->alb"] == "POST /cart"


def test_security_view(mini: LoadedModel) -> None:
    view = compute_view(mini.model, "security")
    relations = sorted((e.relation, e.source, e.target) for e in view.edges)
    assert relations == [
        ("assumes", "web", "web-role"),
        ("assumes", "worker", "worker-role"),
        ("call", "worker", "key"),
        ("encrypts", "key", "carts"),
        ("encrypts", "key", "images"),
        ("encrypts", "key", "orders-db"),
        ("protects", "shield", "alb"),
        ("protects", "shield", "cdn"),
        ("protects", "waf", "cdn"),
    ]


def test_region_and_custom_views(mini: LoadedModel) -> None:
    region = compute_view(mini.model, "region-euw1")
    assert region.node_ids == ("images-eu",)
    use1 = compute_view(mini.model, "region-use1")
    assert "shoppers" not in use1.node_ids  # global, but it calls no node of the region
    assert {"cdn", "mail"} <= set(use1.node_ids)
    data = compute_view(mini.model, "view-data")
    assert data.node_ids == ("carts", "images", "images-eu", "orders", "orders-db")
    us_east = compute_view(mini.model, "view-us-east")
    assert us_east.node_ids == (
        "alb",
        "carts",
        "events",
        "images",
        "orders",
        "orders-db",
        "recs",
        "web",
        "worker",
    )


def test_unknown_view_error() -> None:
    model = load_model_text((MODELS / "mini.yaml").read_text(encoding="utf-8")).model
    with pytest.raises(UnknownView) as caught:
        compute_view(model, "flow-chekout")
    from archgen.errors import exit_code

    assert exit_code(caught.value) == 2
    assert caught.value.message == "unknown view 'flow-chekout' (did you mean 'flow-checkout'?)"


def test_order_of_the_model_lists_does_not_matter(mini: LoadedModel) -> None:
    """Reversing the model's lists changes no view but the order in which the overview's
    legend names the flows of one story step: the story tells them in the model's order,
    as the site's home page does."""
    data = yaml.safe_load(mini.text)
    for section in ("groups", "nodes", "edges", "flows", "views"):
        data[section] = list(reversed(data[section]))
    shuffled = load_model_text(yaml.safe_dump(data, sort_keys=False)).model
    views = {view.id: view for view in compute_views(mini.model)}
    reversed_views = {view.id: view for view in compute_views(shuffled)}
    assert views["overview"].chapters == (
        (1, "Browse the home page"),
        (2, "Add to cart; Check out"),
    )
    assert reversed_views["overview"].chapters == (
        (1, "Browse the home page"),
        (2, "Check out; Add to cart"),
    )
    assert {key: replace(view, chapters=()) for key, view in reversed_views.items()} == {
        key: replace(view, chapters=()) for key, view in views.items()
    }
    for view in views.values():
        drawn = view if view.chapters else view.id  # else computed from the reversed model
        assert render_view(shuffled, drawn, "dot") == render_view(mini.model, view, "dot")


def test_sequence_diagram_blocks(mini: LoadedModel) -> None:
    text = sequence_diagram(mini.model, "browse")
    body = text.split("autonumber\n")[1].split("\n")
    messages = [
        line.strip()
        for line in body
        if "->>" in line
        or "--)" in line
        or line.strip().split(" ")[0] in {"alt", "else", "opt", "end"}
    ]
    assert messages == [
        "n_shoppers->>n_dns: Resolve",
        "n_shoppers->>n_cdn: GET /",
        "alt cache_miss",
        "n_cdn->>n_alb: GET /",
        "n_alb->>n_web: GET /",
        "opt p=0.5",
        "n_web->>n_recs: InvokeEndpoint",
        "end",
        "else cache_hit",
        "n_cdn->>n_images: GetObject",
        "end",
    ]
    assert "n_web--)n_orders: SendMessage" in sequence_diagram(mini.model, "checkout")


def test_every_kind_has_diagrams_official_icon() -> None:
    for kind, spec in KINDS.items():
        node_class = getattr(importlib.import_module(spec.icon.module), spec.icon.name)
        assert node_class._provider == "aws", kind
        assert (resources_dir() / icon_path(kind)).is_file(), kind
    assert icon_path("ec2") == "aws/compute/ec2-auto-scaling.png"
    assert icon_path("sagemaker_endpoint") == "aws/ml/sagemaker.png"


def test_renderers_are_entry_points(mini: LoadedModel) -> None:
    assert available_renderers() == ["diagrams", "dot", "mermaid"]
    assert get_renderer("diagrams").formats == ("svg", "png")
    png = get_renderer("diagrams").render(mini.model, compute_view(mini.model, "step-1"), "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(Exception, match=r"unknown renderer 'mermiad' \(did you mean 'mermaid'\?\)"):
        get_renderer("mermiad")


def test_hostile_labels_stay_text(hostile: LoadedModel) -> None:
    svg = render_view(hostile.model, "overview", "svg").decode("utf-8")
    assert "<script" not in svg
    # wrapped on two lines, after the '/' segment boundary
    assert ">&lt;script&gt;alert(&quot;x&quot;)&lt;/</text>" in svg
    assert "&lt;/script&gt;alert(&#39;g&#39;)" not in svg
    assert "Region &lt;/text&gt;&lt;script&gt;alert(&#39;g&#39;)&lt;/script&gt;" in svg
    assert ">R&amp;D</text>" in svg  # wrapped after 'R&D'
    assert ">&amp;lt;team&amp;gt;" in svg  # a literal '&lt;' stays literal
    dot = render_view(hostile.model, "overview", "dot").decode("utf-8")
    assert r'label="back\\slash \\N\n\\G' in dot  # wrapped after '\N'
    mermaid = render_view(hostile.model, "overview", "mermaid").decode("utf-8")
    assert "<script" not in mermaid
    assert "#lt;script#gt;" in mermaid


def test_polled_queue_is_drawn_queue_to_consumer(reference: LoadedModel) -> None:
    overview = compute_view(reference.model, "overview")
    polled = [(e.id, e.source, e.target) for e in overview.edges if e.pulled]
    assert polled == [
        ("order-processor->orders-queue", "orders-queue", "order-processor"),
        ("order-processor-usw2->orders-queue-usw2", "orders-queue-usw2", "order-processor-usw2"),
    ]
    flow = compute_view(reference.model, "flow-order-pipeline")
    assert (flow.edges[0].source, flow.edges[0].target, flow.edges[0].label) == (
        "orders-queue",
        "order-processor",
        "1. ReceiveMessage",
    )
    # The sequence keeps who calls whom; the DOT ranks along the call and turns the arrow.
    assert (flow.steps[0].source, flow.steps[0].target) == ("order-processor", "orders-queue")
    dot = render_view(reference.model, flow, "dot").decode("utf-8")
    assert '"order-processor" -> "orders-queue" [id="edge-step-1"' in dot
    assert "dir=back" in dot.split('id="edge-step-1"')[1].split("\n")[0]


def test_icons_follow_the_engine_and_the_declared_appearance(reference: LoadedModel) -> None:
    from archgen.model.kinds.rds import RdsParams

    icons = {
        node.id: icon_path(node.icon or node.kind)
        for node in compute_view(reference.model, "overview").nodes
        if node.kind in {"rds", "external"}
    }
    assert icons == {
        "card-network": "aws/general/traditional-server.png",
        "customer-email": "aws/integration/simple-notification-service-sns-email-notification.png",
        "customer-sms": "generic/device/mobile.png",
        "delivery-partner": "aws/general/generic-office-building.png",
        "on-call": "onprem/client/users.png",
        "orders-db": "aws/database/aurora.png",
        "orders-db-usw2": "aws/database/aurora.png",
        "warehouse": "generic/place/datacenter.png",
    }
    assert RdsParams(engine="postgres").icon() is None  # plain RDS keeps the kind's icon
    assert (resources_dir() / icon_path("diagrams.aws.database:Aurora")).is_file()


def test_groups_drawn_the_aws_way(mini: LoadedModel) -> None:
    view = compute_view(mini.model, "overview")
    clusters = {c.id: c for c in view.clusters}
    groups = {n.id: n.group for n in view.nodes}
    # Users and recipients stay outside the AWS Cloud box; everything AWS runs is in it.
    assert (groups["shoppers"], groups["mail"]) == (None, None)
    assert (groups["dns"], groups["web-role"]) == ("aws:cloud", "aws:cloud")
    assert (clusters["use1"].parent, clusters["euw1"].parent) == ("aws:cloud", "aws:cloud")
    # A fleet spread over two zones sits in a box of both zones, in its Auto Scaling group.
    assert groups["web"] == "asg:web"
    assert clusters["asg:web"].kind == "auto_scaling_group"
    zones = clusters["az:vpc-use1:use1-az1+use1-az2"]
    assert (zones.kind, zones.label, zones.parent) == (
        "availability_zone",
        "use1-az1 · use1-az2",
        "vpc-use1",
    )
    # A node declared in a zone's subnet is drawn there; the subnet says public or private.
    assert groups["orders-db"] == "use1-private"
    assert (clusters["use1-public"].public, clusters["use1-private"].public) == (True, False)
    dot = render_view(mini.model, view, "dot").decode("utf-8")
    subnet = next(line for line in dot.splitlines() if 'id="cluster-use1-public"' in line)
    assert 'color="#7AA116"' in subnet
    assert 'IMG SRC="aws/network/public-subnet.png"' in subnet
    private = next(line for line in dot.splitlines() if 'id="cluster-use1-private"' in line)
    assert 'color="#00A4A6"' in private
    assert "private-subnet.png" in private
    asg = next(line for line in dot.splitlines() if 'id="cluster-asg:web"' in line)
    assert 'style="dashed", color="#ED7100"' in asg
    vpc = next(line for line in dot.splitlines() if 'id="cluster-vpc-use1"' in line)
    assert 'style="solid", color="#8C4FFF"' in vpc
    assert "aws/network/vpc.png" in vpc
    region = next(line for line in dot.splitlines() if 'id="cluster-use1"' in line)
    assert 'style="dashed", color="#00A4A6"' in region


def test_outside_only_view_has_no_aws_cloud_box(mini: LoadedModel) -> None:
    from archgen.renderers.groups import AWS_CLOUD, aws_boxes

    shoppers = [n for n in compute_view(mini.model, "overview").nodes if n.id == "shoppers"]
    placed, boxes, parents = aws_boxes(mini.model, shoppers, ())
    assert (placed, boxes, parents) == (tuple(shoppers), (), {})
    assert AWS_CLOUD not in {n.group for n in placed}


def test_overview_numbers_the_story_steps(reference: LoadedModel) -> None:
    view = compute_view(reference.model, "overview")
    assert view.chapters[:3] == (
        (1, "Open the app"),
        (2, "Search for a product"),
        (3, "Load product images"),
    )
    assert len(view.chapters) == 8
    steps = {edge.id: edge.story_steps for edge in view.edges}
    assert steps["web-use1->catalog-db"] == (2, 4, 7)
    assert steps["cdn->product-images"] == (1, 3)
    assert steps["order-events->notifications-dlq"] == ()  # a redrive no flow tells
    dot = render_view(reference.model, view, "dot").decode("utf-8")
    line = next(x for x in dot.splitlines() if 'id="edge-web-use1->catalog-db"' in x)
    assert 'class="story-2 story-4 story-7"' in line
    assert line.count('BGCOLOR="#232F3E"') == 3  # one numbered badge per step
    assert "Search for a product</FONT>" in dot.split("node [")[0]  # the legend
    # Views without chapters keep a plain title and plain edge labels.
    region = render_view(reference.model, "region-us-east-1", "dot").decode("utf-8")
    assert "BGCOLOR" not in region
    assert 'class="story-2 story-4 story-7"' in region
