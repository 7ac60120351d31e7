"""IAM policy documents, written exactly as AWS's JSON policy grammar spells them.

Field names keep AWS's capitalisation (``Effect``, ``Action``…) so a policy can be pasted
from the AWS console into a model and back.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from archgen.model.base import Strict

StringOrList = str | tuple[str, ...]
ConditionValue = str | int | float | bool | tuple[str | int | float | bool, ...]


class Effect(StrEnum):
    Allow = "Allow"
    Deny = "Deny"


class Statement(Strict):
    """One statement; exactly one of Action/NotAction and of Resource/NotResource."""

    Sid: str | None = None
    Effect: Effect
    Principal: str | dict[str, StringOrList] | None = None
    Action: StringOrList | None = None
    NotAction: StringOrList | None = None
    Resource: StringOrList | None = None
    NotResource: StringOrList | None = None
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
    Version: Literal["2012-10-17", "2008-10-17"] = "2012-10-17"
    Id: str | None = None
    Statement: Annotated[
        tuple[Statement, ...],
        Field(min_length=1),
        BeforeValidator(_listed, json_schema_input_type=Statement | list[Statement]),
    ]


def _as_tuple(value: StringOrList | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else value
