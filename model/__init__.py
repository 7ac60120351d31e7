"""The model: schema, loading with positions, validation, graph, the reference model.

``load_model`` is the one entry point the rest of archgen uses: it returns a valid
:class:`Model` or raises :class:`ModelError` listing every problem.
"""

from __future__ import annotations

from archgen.model.errors import ModelError, Problem
from archgen.model.load import LoadedModel, load_model, load_model_text, reference_model_path
from archgen.model.schema import Model

__all__ = [
    "LoadedModel",
    "Model",
    "ModelError",
    "Problem",
    "load_model",
    "load_model_text",
    "reference_model_path",
]
