"""From a file (or the embedded reference model) to a valid :class:`Model`."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

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


def load_model(path: Path | str | None = None, display: str | None = None) -> LoadedModel:
    """Load and validate ``path`` (the reference model when ``None``), naming it ``display``
    in problems and findings (default: ``path`` as given)."""
    if path is None:
        path = reference_model_path()
        return _validate(read_document(path, display=display or REFERENCE_NAME))
    return _validate(read_document(path, display=display))


def load_model_text(text: str, name: str = "<string>") -> LoadedModel:
    return _validate(parse_document(text.encode("utf-8"), name))


def document_data(loaded: LoadedModel) -> Any:
    """The plain data of ``loaded``'s text, a fresh copy to change (a sweep's values)."""
    return parse_document(loaded.text.encode("utf-8"), loaded.source).data


def revalidate(loaded: LoadedModel, data: Any) -> LoadedModel:
    """``data`` (``loaded``'s, changed) validated as a file would be; its problems and the
    model's positions are those of ``loaded``'s file."""
    return _validate(Document(loaded.source, data, loaded.positions, loaded.text))


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
