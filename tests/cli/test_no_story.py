"""No story in the engine: a model from another domain (ride hailing) goes through render,
run, explain, check and site, and nothing archgen writes about it speaks of shopping —
no word of the reference model's domain appears in any output unless the model itself
contains it."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from archgen.main import cli
from tests.conftest import TESTS

RIDE_MODEL = TESTS / "models" / "ride-hailing.yaml"

SHOPPING = re.compile(
    r"\b(orders?|shop\w*|cart|card\w*|checkout|shipped|customers?|products?|catalog\w*"
    r"|invoices?|payments?|prime|basket|purchase\w*)\b",
    re.IGNORECASE,
)
"""The words of the reference model's story (the issue's grep)."""

THIRD_PARTY = ("assets",)
"""Site folders archgen copies verbatim from mkdocs-material and Mermaid (minified
JavaScript and CSS, where 'cardinality' and 'Checkout' are code, not prose)."""


def _words(text: str) -> set[str]:
    return {match.lower() for match in SHOPPING.findall(text)}


def _invoke(args: list[str]) -> str:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (0, 1), result.output
    return result.output


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every file and every console text the commands produce, by a readable name."""
    base = tmp_path_factory.mktemp("ride")
    model = str(RIDE_MODEL)
    texts = {
        "validate": _invoke(["validate", model]),
        "render": _invoke(["render", model, "--format", "mermaid,dot", "--out", str(base / "d")]),
        "run": _invoke(["run", model, "--scenario", "matcher-crash", "--out", str(base / "run")]),
        "explain": _invoke(
            ["run", model, "--scenario", "rush-hour", "--journey", "commute", "--explain"]
        ),
        "check": _invoke(["check", model]),
        "check-json": _invoke(["check", model, "--format", "json"]),
        "check-sarif": _invoke(["check", model, "--format", "sarif"]),
        "site": _invoke(["site", "build", model, "--out", str(base / "site")]),
    }
    for path in sorted(base.rglob("*")):
        relative = path.relative_to(base)
        if path.is_file() and not (
            relative.parts[0] == "site" and relative.parts[1] in THIRD_PARTY
        ):
            texts[str(relative)] = path.read_text(encoding="utf-8", errors="replace")
    return texts


def test_the_outputs_speak_only_of_the_models_story(outputs: dict[str, str]) -> None:
    allowed = _words(RIDE_MODEL.read_text(encoding="utf-8"))
    schema = _invoke(["schema"])
    # The schema's own vocabulary: the data classification 'card' (payment-card data, the
    # one the no-plaintext scan detects by its Luhn digits) is a word a model may choose.
    assert _words(schema) == {"card"}
    allowed |= _words(schema)
    found = {name: sorted(_words(text) - allowed) for name, text in outputs.items()}
    assert {name: words for name, words in found.items() if words} == {}
    # The outputs are real: the site, the run folder and the check report all exist.
    assert {"run/summary.json", "site/index.html", "d/overview.mmd"} <= set(outputs)
    assert len(outputs) > 60


def test_the_message_books_speak_of_messages(outputs: dict[str, str]) -> None:
    summary = json.loads(outputs["run/summary.json"])
    books = summary["pipeline"]["queues"]["ride-requests"]
    assert set(books) == {
        "sent",
        "processed",
        "in_dlq",
        "in_queue",
        "lost",
        "in_flight",
        "processed_and_in_dlq",
        "duplicates_suppressed",
        "applied_twice",
        "consumers",
    }
    assert books["sent"] == books["processed"] + books["in_dlq"] + books["in_queue"]
    assert books["lost"] == books["applied_twice"] == 0
    assert books["consumers"] == ["matcher"]
    assert "messages ride-requests: sent " in outputs["check"]
