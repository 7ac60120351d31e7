"""A replica's page lists the flows it serves: flows name only originals, and a session in
the replica's region takes the replica (a trial's regional API read "No flow goes through
this node" while it served a third of the calls)."""

from __future__ import annotations

from archgen.model import load_model_text
from archgen.site.facts import flows_using

NOTES = """\
archgen: 1
system: {id: notes, name: Notes}
groups:
  - {id: east, kind: region, code: us-east-1}
  - {id: west, kind: region, code: us-west-2}
nodes:
  - {id: users, kind: client}
  - {id: api, kind: lambda, group: east}
  - {id: api-west, kind: lambda, group: west, replica_of: api}
  - {id: audit, kind: external}
edges:
  - {from: users, to: api, operations: [Invoke]}
  - {from: users, to: audit, operations: [POST /]}
flows:
  - id: write
    title: Write
    steps: [{from: users, to: api, op: Invoke}]
  - id: report
    title: Report
    steps: [{from: users, to: audit, op: POST /}]
"""


def test_a_replica_serves_the_flows_of_its_original() -> None:
    model = load_model_text(NOTES, "notes.yaml").model
    assert [flow.id for flow in flows_using(model, "api-west")] == ["write"]
    assert [flow.id for flow in flows_using(model, "api")] == ["write"]
    assert [flow.id for flow in flows_using(model, "audit")] == ["report"]
