"""A networkx view of the model for renderers, runtime and checks.

Nodes carry the model node under ``"node"``; edges carry the model edge under ``"edge"``.
Groups are a separate tree (``group_tree``), because containment is not interaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archgen.model.schema import Mode, Model

if TYPE_CHECKING:
    import networkx as nx


def interaction_graph(model: Model) -> nx.DiGraph[Any]:
    """Every node and every declared edge, in model order."""
    import networkx as nx

    graph: nx.DiGraph[Any] = nx.DiGraph(system=model.system.id)
    for node in model.nodes:
        graph.add_node(node.id, node=node, kind=node.kind, group=node.group)
    for edge in model.edges:
        graph.add_edge(edge.source, edge.target, edge=edge, mode=edge.mode.value)
    return graph


def sync_graph(model: Model) -> nx.DiGraph[Any]:
    """Only synchronous edges: the graph in which a request waits for its answer."""
    graph = interaction_graph(model)
    graph.remove_edges_from(
        [(a, b) for a, b, data in graph.edges(data=True) if data["mode"] != Mode.sync.value]
    )
    return graph


def group_tree(model: Model) -> nx.DiGraph[Any]:
    """Containment: parent group → child group → node."""
    import networkx as nx

    tree: nx.DiGraph[Any] = nx.DiGraph()
    for group in model.groups:
        tree.add_node(group.id, group=group, kind="group")
        if group.parent is not None:
            tree.add_edge(group.parent, group.id)
    for node in model.nodes:
        tree.add_node(node.id, node=node, kind="node")
        if node.group is not None:
            tree.add_edge(node.group, node.id)
    return tree


def ancestors(model: Model, group_id: str | None) -> list[str]:
    """Groups enclosing ``group_id``, innermost first (including itself)."""
    chain: list[str] = []
    while group_id is not None and group_id in model.groups_by_id and group_id not in chain:
        chain.append(group_id)
        group_id = model.groups_by_id[group_id].parent
    return chain
