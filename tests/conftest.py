"""Fixtures shared by every test folder: the reference model and the second architecture."""

from __future__ import annotations

from pathlib import Path

import pytest

from archgen.model import LoadedModel, load_model

TESTS = Path(__file__).parent
PHOTO_MODEL = TESTS / "models" / "photo-sharing.yaml"


@pytest.fixture(scope="session")
def reference() -> LoadedModel:
    """The embedded reference model (Amazon shopping on AWS)."""
    return load_model()


@pytest.fixture(scope="session")
def photo() -> LoadedModel:
    """The second, unrelated architecture: a small serverless photo-sharing app."""
    return load_model(PHOTO_MODEL)
