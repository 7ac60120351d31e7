"""The networkx views of the model."""

from __future__ import annotations

from archgen.model import LoadedModel
from archgen.model.graph import ancestors, group_tree, interaction_graph, sync_graph


def test_interaction_graph_has_every_node_and_edge(reference: LoadedModel) -> None:
    model = reference.model
    graph = interaction_graph(model)
    assert graph.number_of_nodes() == len(model.nodes) == 55
    assert graph.number_of_edges() == len(model.edges) == 54
    assert graph.edges["web-use1", "orders-queue"]["mode"] == "async"


def test_sync_graph_drops_async_edges_and_has_no_cycle(reference: LoadedModel) -> None:
    import networkx as nx

    graph = sync_graph(reference.model)
    assert not graph.has_edge("web-use1", "orders-queue")
    assert graph.has_edge("web-use1", "payments-use1")
    assert nx.is_directed_acyclic_graph(graph)


def test_group_tree_and_ancestors(reference: LoadedModel) -> None:
    tree = group_tree(reference.model)
    assert list(tree.predecessors("orders-db")) == ["use1-data"]
    assert ancestors(reference.model, "use1-data") == ["use1-data", "use1-vpc", "us-east-1"]
