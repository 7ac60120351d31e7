"""IAM policy documents, written exactly as AWS's JSON policy grammar spells them.

Field names keep AWS's capitalisation (``Effect``, ``Action``…) so a policy can be pasted
from the AWS console into a model and back.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from archgen.model.base import Strict

StringOrList = str | tuple[str, ...]
ConditionValue = str | int | float | bool | tuple[str | int | float | bool, ...]


class Effect(StrEnum):
    """Whether a statement allows or denies what it matches (an explicit Deny wins)."""

    Allow = "Allow"
    Deny = "Deny"


class Statement(Strict):
    """One statement; exactly one of Action/NotAction and of Resource/NotResource."""

    Sid: str | None = Field(None, description="Statement id, named in lint findings.")
    Effect: Annotated[Effect, Field(description="Allow or Deny.")]
    Principal: str | dict[str, StringOrList] | None = Field(
        None, description="Who the statement is about (resource policies such as a key policy)."
    )
    Action: StringOrList | None = Field(
        None, description="Actions it matches, ``service:Operation``; ``*`` and ``?`` match."
    )
    NotAction: StringOrList | None = Field(
        None, description="Matches every action except these (instead of Action)."
    )
    Resource: StringOrList | None = Field(
        None, description="ARNs it matches; ``*`` and ``?`` match."
    )
    NotResource: StringOrList | None = Field(
        None, description="Matches every resource except these (instead of Resource)."
    )
    Condition: dict[str, dict[str, ConditionValue]] | None = Field(
        None, description="Operator → {context key → value or values}: operators AND, values OR."
    )

    @field_validator("Action", "NotAction", "Resource", "NotResource")
    @classmethod
    def _not_empty(cls, value: StringOrList | None) -> StringOrList | None:
        if value is not None and not value:
            raise ValueError("must not be empty")
        return value

    @model_validator(mode="after")
    def _one_of_each(self) -> Statement:
        if (self.Action is None) == (self.NotAction is None):
            raise ValueError("a statement needs exactly one of Action and NotAction")
        if (self.Resource is None) == (self.NotResource is None) and self.Principal is None:
            raise ValueError("a statement needs exactly one of Resource and NotResource")
        return self

    def actions(self) -> tuple[str, ...]:
        return _as_tuple(self.Action if self.Action is not None else self.NotAction)

    def resources(self) -> tuple[str, ...]:
        return _as_tuple(self.Resource if self.Resource is not None else self.NotResource)


def _listed(value: object) -> object:
    # AWS accepts a lone statement object as well as a list of them.
    return [value] if isinstance(value, dict) else value


class PolicyDocument(Strict):
    """An IAM policy in AWS's JSON grammar: statements that allow or deny actions."""

    Version: Literal["2012-10-17", "2008-10-17"] = Field(
        "2012-10-17", description="Policy language version, as AWS spells it."
    )
    Id: str | None = Field(None, description="Optional policy id.")
    Statement: Annotated[
        tuple[Statement, ...],
        Field(min_length=1, description="Its statements: one object or a list."),
        BeforeValidator(_listed, json_schema_input_type=Statement | list[Statement]),
    ]


def _as_tuple(value: StringOrList | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else value


@lru_cache(maxsize=4096)
def wildcard(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """Compile an IAM pattern: ``*`` is any run of characters, ``?`` exactly one.

    Not the model's edge-operation matching (``archgen.model.schema.operation_matches``):
    IAM actions match case-insensitively (``ignore_case``) and ``?`` is a wildcard even
    without a ``*``; no ``[...]`` classes. Two rule sets, as AWS has two."""
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


API_ACTIONS = {"lambda:Invoke": "lambda:InvokeFunction"}
"""Calls whose IAM action is named otherwise than the API operation the model's edges say
(Lambda's ``Invoke`` API is authorized as ``lambda:InvokeFunction``)."""
_OPERATIONS = {action.lower(): call for call, action in API_ACTIONS.items()}


def iam_action(service: str, op: str) -> str:
    """The IAM action a call of ``op`` on a ``service`` resource is authorized as."""
    action = f"{service}:{op}"
    return API_ACTIONS.get(action, action)


def api_operation(action: str) -> str:
    """The operation (as edges name it) an IAM action ``service:Name`` allows."""
    call = _OPERATIONS.get(action.lower(), action)
    return call.split(":", 1)[1] if ":" in call else call
