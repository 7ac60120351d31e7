"""AWS managed policies: the documents of the common ones (package data,
``managed-policies.yaml``), so that an import reads a role's attached managed policies in
as AWS defines them. The table is fixed and offline: a managed policy missing from it is
reported, never guessed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

TABLE = "managed-policies.yaml"
_AWS_MANAGED = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(?:(.*)/)?([^/]+)$")


@dataclass(frozen=True)
class ManagedPolicy:
    """One AWS managed policy: its name, ARN, the version and edit date read, its document."""

    name: str
    arn: str
    version: str | None
    edited: str | None
    document: dict[str, object]

    @property
    def label(self) -> str:
        """How a note names the version read (``v3, edited 2023-08-10``)."""
        if self.version is None:
            return "version unread"
        return f"{self.version}, edited {self.edited}"


@cache
def table() -> dict[str, ManagedPolicy]:
    """The shipped policies by name."""
    text = resources.files("archgen.model.importers").joinpath(TABLE).read_text("utf-8")
    raw = yaml.safe_load(text)
    out: dict[str, ManagedPolicy] = {}
    for name, body in raw["policies"].items():
        arn = f"arn:aws:iam::aws:policy/{body['path']}{name}"
        out[name] = ManagedPolicy(name, arn, body["version"], body["edited"], body["document"])
    return out


def aws_managed_name(arn: str) -> str | None:
    """The policy name when ``arn`` is an AWS managed policy's (``arn:aws:iam::aws:policy/…``),
    else None (a customer managed policy, or not an ARN)."""
    found = _AWS_MANAGED.match(arn)
    return found.group(2) if found else None


def lookup(arn: str) -> ManagedPolicy | None:
    """The shipped policy ``arn`` names, or None (not AWS managed, or not shipped)."""
    name = aws_managed_name(arn)
    return None if name is None else table().get(name)
