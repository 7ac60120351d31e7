"""From a file (or the embedded reference model) to a valid :class:`Model`."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pydantic

from archgen.model.errors import ModelError
from archgen.model.loader import Document, Positions, parse_document, read_document
from archgen.model.schema import Model

REFERENCE_NAME = "amazon-shopping.yaml"


@dataclass(frozen=True)
class LoadedModel:
    """A valid model with where it came from, so later stages can point at YAML lines."""

    model: Model
    source: str
    positions: Positions
    text: str


def reference_model_path() -> Path:
    """The embedded reference model: how Amazon shopping works on AWS."""
    return Path(str(resources.files("archgen.model.reference").joinpath(REFERENCE_NAME)))


def load_model(path: Path | str | None = None) -> LoadedModel:
    """Load and validate ``path`` (the reference model when ``None``)."""
    if path is None:
        path = reference_model_path()
        return _validate(read_document(path, display=REFERENCE_NAME))
    return _validate(read_document(path))


def load_model_text(text: str, name: str = "<string>") -> LoadedModel:
    return _validate(parse_document(text.encode("utf-8"), name))


def _validate(document: Document) -> LoadedModel:
    from archgen.model.structure import salvage, structural_problems
    from archgen.model.validate import semantic_problems

    try:
        model = Model.model_validate(document.data)
    except pydantic.ValidationError as error:
        problems = structural_problems(document, error)
        # Go on with the items that are well-formed, so that one pass reports the semantic
        # problems too (references to the dropped items are not reported as dangling).
        salvaged = salvage(document, error)
        if salvaged is not None:
            problems += semantic_problems(document, *salvaged)
        raise ModelError(problems) from None
    problems = semantic_problems(document, model)
    if problems:
        raise ModelError(problems)
    return LoadedModel(model, document.source, document.positions, document.text)
