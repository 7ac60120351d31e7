"""Presigned URLs (an edge's ``presigned_by``): a browser puts and gets files in an SSE-KMS
bucket with URLs a function signs. AWS authorises such a request as the signer's role, for
the S3 action and for the KMS key use, so validation, the lint and a run all judge the
signer's role, not the browser (which has none)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from archgen.main import cli
from archgen.model import load_model_text
from archgen.model.errors import ModelError
from archgen.runtime.aws.iam import authorize, authorizer_for
from archgen.runtime.check import lint
from archgen.runtime.check.api import check_run
from archgen.runtime.check.spans import RunFolder
from archgen.runtime.session import run_scenario
from tests.check.helpers import line_of, mutate

MODEL = """\
archgen: 1
system: {id: filedrop, name: File drop, account_id: "111122223333"}
groups:
  - {id: euc1, kind: region, code: eu-central-1}
nodes:
  - id: browser
    kind: client
    params:
      locations: [{id: europe, latency_ms: {euc1: 20}}]
  - {id: api, kind: apigateway, group: euc1, params: {api_type: http}}
  - {id: signer, kind: lambda, group: euc1, role: signer-role}
  - id: drops
    kind: s3
    group: euc1
    params: {encryption: sse-kms, kms_key: drop-key}
  - {id: drop-key, kind: kms, group: euc1}
  - {id: notes, kind: dynamodb, group: euc1}
  - id: signer-role
    kind: iam_role
    params:
      assumed_by: [lambda.amazonaws.com]
      policies:
        - Statement:
            - Sid: SignUrls
              Effect: Allow
              Action: [s3:PutObject, s3:GetObject]
              Resource: "arn:aws:s3:::drops/*"
            - Sid: DropKey
              Effect: Allow
              Action: [kms:GenerateDataKey, kms:Decrypt]
              Resource: "arn:aws:kms:eu-central-1:111122223333:key/drop-key"
edges:
  - {from: browser, to: api, operations: ["POST /urls"]}
  - {from: api, to: signer, operations: [Invoke], protocol: aws-api}
  - {from: browser, to: drops, operations: [PutObject, GetObject], presigned_by: signer}
flows:
  - id: drop-a-file
    title: Drop a file and fetch it back
    steps:
      - {from: browser, to: api, op: "POST /urls"}
      - {from: api, to: signer, op: Invoke}
      - {from: browser, to: drops, op: PutObject}
      - {from: browser, to: drops, op: GetObject}
    slo: {availability_percent: 99}
journeys:
  - {id: drop, title: Drop a file, client: browser, flows: [{flow: drop-a-file}]}
scenarios:
  - id: steady
    title: Steady
    duration_s: 30
    seed: 1
    traffic: {sessions_per_s: 2, mix: {drop: 1}}
"""
EDGE = "  - {from: browser, to: drops, operations: [PutObject, GetObject], presigned_by: signer}"
KEY = "arn:aws:kms:eu-central-1:111122223333:key/drop-key"
ROOT = Path(__file__).parents[2]
TEMPLATE = "tests/check/data/drift/filedrop.yaml"
IAM_RULES = ("iam-edge-allowed", "iam-least-privilege", "kms-key-access")


def _iam(text: str) -> list[str]:
    findings = lint(load_model_text(text, "filedrop.yaml")).findings
    return [str(f) for f in findings if f.rule in IAM_RULES]


def _problems(text: str) -> list[str]:
    with pytest.raises(ModelError) as raised:
        load_model_text(text, "filedrop.yaml")
    return raised.value.message.splitlines()


def _at(text: str, fragment: str, word: str) -> str:
    line = line_of(text, fragment)
    return f"{line}:{text.splitlines()[line - 1].index(word) + 1}"


def _run(text: str, folder: Path) -> Counter[tuple[str, str, str, str]]:
    """The spans of a run, by (caller, node, operation, error)."""
    run_scenario(load_model_text(text, "filedrop.yaml").model, "steady", out=folder)
    return Counter((s.source, s.node, s.op, s.error) for s in RunFolder.open(folder).spans())


# --------------------------------------------------------------------------- validation


def test_the_signer_needs_a_role_and_the_target_must_take_presigned_urls() -> None:
    text = mutate(
        MODEL,
        "{id: signer, kind: lambda, group: euc1, role: signer-role}",
        "{id: signer, kind: lambda, group: euc1}",
    )
    text = mutate(
        text,
        '  - {from: browser, to: api, operations: ["POST /urls"]}',
        '  - {from: browser, to: api, operations: ["POST /urls"]}\n'
        "  - {from: browser, to: notes, operations: [PutItem], presigned_by: signer}\n"
        "  - {from: api, to: drops, operations: [GetObject], presigned_by: api, protocol: tcp}",
    )
    text = mutate(
        text,
        "[PutObject, GetObject], presigned_by: signer}",
        "[PutObject, GetObject], presigned_by: signr}",
    )
    notes = _at(text, "to: notes", "signer")
    api = _at(text, "from: api, to: drops", "api, protocol")
    tcp = _at(text, "from: api, to: drops", "tcp")
    drops = _at(text, "presigned_by: signr", "signr")
    assert _problems(text) == [
        f"error: filedrop.yaml:{notes}: edges[1].presigned_by: dynamodb 'notes' takes no "
        "presigned URLs (kinds that do: s3)",
        f"error: filedrop.yaml:{notes}: edges[1].presigned_by: lambda 'signer' has no IAM role: "
        "a presigned URL is authorised as the role of the node that signed it (give it a role)",
        f"error: filedrop.yaml:{api}: edges[2].presigned_by: 'api' is the edge's own source: a "
        "node calls with its own role anyway; presigned_by names the node whose role signed "
        "the URL the source uses",
        f"error: filedrop.yaml:{tcp}: edges[2].protocol: a presigned URL is an HTTP request to "
        "the service: use protocol https, http or aws-api, not tcp",
        f"error: filedrop.yaml:{drops}: edges[4].presigned_by: unknown node 'signr' (did you "
        "mean 'signer'?)",
    ]


# --------------------------------------------------------------------------- lint


def test_the_signers_grants_are_needed_and_enough() -> None:
    """The signer's s3:PutObject, s3:GetObject, kms:GenerateDataKey and kms:Decrypt serve
    the browser's presigned calls: no unneeded grant, nothing missing."""
    assert _iam(MODEL) == []


def test_without_presigned_by_the_signers_grants_look_unneeded() -> None:
    """The model of defect 10: the browser's edge written without its signer. Nothing
    then says the signer's grants are used (the false positive the trial switched off)."""
    text = mutate(MODEL, ", presigned_by: signer}", "}")
    used = "role 'signer-role' (used by signer)"
    base = "nodes[6].params.policies[0].Statement"
    assert _iam(text) == [
        f"error: filedrop.yaml:{_at(text, 'Action: [s3:', 's3:Put')}: {base}[0].Action[0]: "
        f"[iam-least-privilege] {used}: allows 's3:PutObject', which no declared edge needs",
        f"error: filedrop.yaml:{_at(text, 'Action: [s3:', 's3:Get')}: {base}[0].Action[1]: "
        f"[iam-least-privilege] {used}: allows 's3:GetObject', which no declared edge needs",
        f"error: filedrop.yaml:{_at(text, 'Action: [kms:', 'kms:Gen')}: {base}[1].Action[0]: "
        f"[iam-least-privilege] {used}: allows 'kms:GenerateDataKey', which no declared edge "
        "needs",
        f"error: filedrop.yaml:{_at(text, 'Action: [kms:', 'kms:Dec')}: {base}[1].Action[1]: "
        f"[iam-least-privilege] {used}: allows 'kms:Decrypt', which no declared edge needs",
    ]


def test_a_signer_without_the_s3_action_is_reported_on_its_role() -> None:
    text = mutate(MODEL, "Action: [s3:PutObject, s3:GetObject]", "Action: s3:GetObject")
    assert _iam(text) == [
        f"error: filedrop.yaml:{_at(text, EDGE, 'PutObject')}: edges[2].operations[0]: "
        "[iam-edge-allowed] role 'signer-role' of 'signer' does not allow s3:PutObject on "
        "arn:aws:s3:::drops/* (edge browser -> drops, presigned by 'signer'; no statement "
        "allows it)"
    ]


@pytest.mark.parametrize(
    ("kept", "missing", "op"),
    [
        ("kms:Decrypt", "kms:GenerateDataKey", "PutObject"),
        ("kms:GenerateDataKey", "kms:Decrypt", "GetObject"),
    ],
)
def test_a_signer_without_the_key_action_is_reported_on_its_role(
    kept: str, missing: str, op: str
) -> None:
    """SSE-KMS: S3 asks KMS as the URL's signer, kms:GenerateDataKey for an upload and
    kms:Decrypt for a download."""
    text = mutate(MODEL, "Action: [kms:GenerateDataKey, kms:Decrypt]", f"Action: {kept}")
    index = 0 if op == "PutObject" else 1
    assert _iam(text) == [
        f"error: filedrop.yaml:{_at(text, EDGE, op)}: edges[2].operations[{index}]: "
        f"[kms-key-access] role 'signer-role' of 'signer' may not use KMS key 'drop-key' ({KEY}) "
        f"for {missing}, which {op} on S3 bucket 'drops' needs: it encrypts with that key "
        "(SSE-KMS) and AWS answers AccessDenied (edge browser -> drops, presigned by 'signer'; "
        "no statement of the key policy or of the role allows it)"
    ]


# --------------------------------------------------------------------------- the run


def test_the_call_is_decided_as_the_signers_role() -> None:
    model = load_model_text(MODEL, "filedrop.yaml").model
    nodes = model.nodes_by_id
    decision = authorize(model, nodes["browser"], nodes["drops"], "PutObject")
    assert (decision.allowed, decision.statement) == (
        True,
        "signer-role.policies[0].Statement[0] (SignUrls)",
    )
    uses = authorizer_for(model).key_uses("browser", "drops", "PutObject")
    assert [(u.key, u.action, u.principal, u.decision.allowed) for u in uses] == [
        ("drop-key", "kms:GenerateDataKey", "signer-role", True)
    ]


def test_a_run_refuses_what_the_signer_may_not_do(tmp_path: Path) -> None:
    """Uploads and downloads succeed with the signer's grants; without its
    kms:GenerateDataKey every upload is refused with AccessDenied (downloads still work,
    on the objects the scenario starts with), and the check names the signer's role."""
    fixed = _run(MODEL, tmp_path / "fixed")
    assert [key for key in fixed if key[3] is not None] == []
    assert fixed[("browser", "drops", "PutObject", None)] > 0
    text = mutate(MODEL, "Action: [kms:GenerateDataKey, kms:Decrypt]", "Action: kms:Decrypt")
    spans = _run(text, tmp_path / "denied")
    puts = spans[("browser", "drops", "PutObject", "AccessDenied")]
    assert puts > 0
    assert [key for key in spans if key[3] is not None] == [
        ("browser", "drops", "PutObject", "AccessDenied")
    ]
    assert spans[("browser", "drops", "GetObject", None)] == puts
    loaded = load_model_text(text, "filedrop.yaml")
    found = check_run(loaded, RunFolder.open(tmp_path / "denied")).findings
    [denied] = [f.message for f in found if f.rule == "no-access-denied"]
    assert denied.startswith(
        "IAM denied browser -> drops (presigned by 'signer', role 'signer-role'): 'PutObject' "
        f"{puts} times in steady (first: trace "
    )


# --------------------------------------------------------------------------- importer, drift


def test_an_imported_signer_is_judged_on_the_template_s_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The importer cannot see a presigned URL: it infers the signer's edges from its
    grants. Once the model says the client's upload is presigned by the function, drift
    judges that upload on the template's role of the signer, which may only read."""
    monkeypatch.chdir(ROOT)
    imported = tmp_path / "filedrop.model.yaml"
    result = CliRunner().invoke(
        cli, ["import", "cloudformation", TEMPLATE, "-o", str(imported)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    text = imported.read_text(encoding="utf-8")
    assert "  - {from: signer, to: drops, operations: [GetObject], protocol: aws-api}\n" in text
    text = mutate(
        text,
        "  - {from: caller, to: drops, operations: [PutObject]}\n",
        "  - {from: caller, to: drops, operations: [PutObject, GetObject], presigned_by: signer}\n",
    )
    edited = tmp_path / "edited.yaml"
    edited.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["check", str(edited), "--against", TEMPLATE, "--lint-only"], catch_exceptions=False
    )
    drift = [line for line in result.stdout.splitlines() if "[drift]" in line]
    assert [line.split(": [drift] ")[1] for line in drift] == [
        "edge caller -> drops (presigned by 'signer'): the template's role SignerRole does "
        "not allow s3:PutObject on arn:aws:s3:::drops/*"
    ]
