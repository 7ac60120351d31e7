"""Intrinsic functions resolved with the parameters' defaults (unit tests of the resolver)."""

from __future__ import annotations

from pathlib import Path

import pytest

from archgen.model.importers.intrinsics import Resolver, ResourceRef
from archgen.model.importers.template import read_template

HEAD = """\
Parameters:
  Stage: {Type: String, Default: prod}
  Size: {Type: Number, Default: 3}
  Zones: {Type: CommaDelimitedList, Default: "a, b"}
Mappings:
  Sizes: {prod: {memory: 1024}, dev: {memory: 128}}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Or [!Condition IsDev, !Equals [1, 1]]]
Resources:
  Queue: {Type: AWS::SQS::Queue}
"""


def resolve(tmp_path: Path, value: str) -> object:
    path = tmp_path / "t.yaml"
    path.write_text(HEAD + f"  Probe:\n    Type: Custom::Probe\n    Properties: {{V: {value}}}\n")
    template = read_template(path)

    def stringify(ref: ResourceRef) -> str:
        return f"<{ref.logical_id}{'.' + ref.attribute if ref.attribute else ''}>"

    resolver = Resolver(str(path), template, {"AWS::Region": "eu-west-1"}, stringify)
    resources = template["Resources"]
    probe = resources["Probe"]  # type: ignore[index]
    resolved = resolver.resolve(probe["Properties"], "Resources.Probe.Properties")  # type: ignore[index]
    assert isinstance(resolved, dict)
    return resolved.get("V", "<removed>")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("!Ref Stage", "prod"),
        ("!Ref Size", 3),
        ("!Ref Zones", ["a", "b"]),
        ("!Ref AWS::Region", "eu-west-1"),
        ("!Ref Queue", ResourceRef("Queue")),
        ("!GetAtt Queue.Arn", ResourceRef("Queue", "Arn")),
        ("{'Fn::GetAtt': [Queue, QueueName]}", ResourceRef("Queue", "QueueName")),
        ("!Sub '${Stage}-${AWS::Region}-${Queue.Arn}'", "prod-eu-west-1-<Queue.Arn>"),
        ("!Sub ['${X}/${!Literal}', {X: !Ref Queue}]", "<Queue>/${Literal}"),
        ("!If [IsProd, big, small]", "big"),
        ("!If [IsDev, big, small]", "small"),
        ("!If [Both, both, neither]", "both"),
        ("!If [IsDev, 1, !Ref AWS::NoValue]", "<removed>"),
        ("!Join ['-', [a, !Ref Stage, !GetAtt Queue.Arn]]", "a-prod-<Queue.Arn>"),
        ("!Select [1, [x, y, z]]", "y"),
        ("!Select [0, !Split [',', 'p,q']]", "p"),
        ("!FindInMap [Sizes, !Ref Stage, memory]", 1024),
        ("!GetAZs ''", ["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
        ("{'Ref': Stage}", "prod"),
    ],
)
def test_resolves(tmp_path: Path, value: str, expected: object) -> None:
    assert resolve(tmp_path, value) == expected
