"""Fixtures of the check tests: the small ticket-shop model."""

from __future__ import annotations

import pytest

from archgen.model import LoadedModel, load_model_text
from tests.check.helpers import TICKETS


@pytest.fixture(scope="session")
def tickets_text() -> str:
    return TICKETS.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def tickets(tickets_text: str) -> LoadedModel:
    return load_model_text(tickets_text, "tickets.yaml")
