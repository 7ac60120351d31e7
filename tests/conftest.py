"""Fixtures shared by every test folder: the reference model and the second architecture."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from archgen.model import LoadedModel, load_model

TESTS = Path(__file__).parent
PHOTO_MODEL = TESTS / "models" / "photo-sharing.yaml"

# CI checks the same property-test cases on every run (a verdict must not depend on the
# draw); a developer's run draws afresh, which is where new counterexamples come from.
settings.register_profile("archgen-ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("archgen-ci")


@pytest.fixture(scope="session")
def reference() -> LoadedModel:
    """The embedded reference model (Amazon shopping on AWS)."""
    return load_model()


@pytest.fixture(scope="session")
def photo() -> LoadedModel:
    """The second, unrelated architecture: a small serverless photo-sharing app."""
    return load_model(PHOTO_MODEL)
