"""SAM templates (``Transform: AWS::Serverless-2016-10-31``): expanded offline by AWS's own
translator into the CloudFormation the kinds import.

The expansion loses positions: each resource a SAM resource expands into (named with its
logical id as prefix) takes the SAM resource's position, so errors still point into the
user's file, and its node's comment names the SAM resource it came from.
"""

from __future__ import annotations

import copy
import re

from archgen.model.importers.template import Map, Pos, fail, positioned

SERVERLESS = "AWS::Serverless-2016-10-31"

_OTHER_MANAGED = {
    name: f"arn:aws:iam::aws:policy/{path}{name}"
    for path, name in (
        ("service-role/", "AWSLambdaVPCAccessExecutionRole"),
        ("", "AWSXRayDaemonWriteAccess"),
        ("", "AmazonDynamoDBFullAccess"),
        ("", "AmazonSQSFullAccess"),
        ("", "AmazonSNSFullAccess"),
        ("", "AmazonS3FullAccess"),
    )
}


def managed_policy_map() -> dict[str, str]:
    """The AWS managed policies a ``Policies`` entry may name, by name: a fixed map, so
    that the translator never asks IAM (an import is offline). Those archgen ships
    (:mod:`~archgen.model.importers.managed`) are read in by the role's import; the others
    are reported there."""
    from archgen.model.importers.managed import table

    return {**_OTHER_MANAGED, **{name: p.arn for name, p in table().items()}}


_ID = re.compile(r"^(Resource|Event) with id \[([^\]]+)\] is invalid\. (.*)$", re.S)


def is_sam(template: Map) -> bool:
    """The template asks for the SAM transform (alone or among others)."""
    transform = template.get("Transform")
    names = transform if isinstance(transform, list) else [transform]
    return SERVERLESS in names


def expand(file: str, template: Map, region: str) -> tuple[Map, dict[str, str]]:
    """The CloudFormation template SAM expands ``template`` into, with positions, and the
    SAM resource each expanded resource came from (logical id → SAM logical id)."""
    from boto3 import Session
    from samtranslator.model.exceptions import ExceptionWithMessage, InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    from archgen.model.importers.cloudformation import _builtin

    resources = template["Resources"]
    assert isinstance(resources, Map)
    plain = _builtin(template)
    assert isinstance(plain, dict)
    translator = Translator(None, Parser(), boto_session=Session(region_name=region))
    try:
        expanded = translator.translate(
            _packaged(copy.deepcopy(plain)),
            parameter_values={},
            get_managed_policy_map=managed_policy_map,
        )
    except InvalidDocumentException as error:
        causes = list(error.causes)
        raise _error(file, template, causes[0].message, len(causes) - 1) from None
    except ExceptionWithMessage as error:
        raise _error(file, template, error.message, 0) from None
    finally:
        translator.metrics.publish()  # to its no-op publisher: else it warns at exit
    sam = sorted(
        (
            str(key)
            for key, body in resources.items()
            if isinstance(body, Map) and str(body.get("Type", "")).startswith("AWS::Serverless::")
        ),
        key=len,
        reverse=True,
    )
    origins: dict[str, str] = {}
    out = Map()
    out.pos, out.keys_at = template.pos, {}
    for key, value in expanded.items():
        original = template.get(key)
        if key != "Resources" and original is not None and _builtin(original) == value:
            out[key] = original
        else:
            out[key] = positioned(value, template.keys_at.get(key, template.pos))
        out.keys_at[key] = template.keys_at.get(key, template.pos)
    body = Map()
    body.pos, body.keys_at = resources.pos, {}
    for logical_id, value in expanded["Resources"].items():
        kept = resources.get(logical_id)
        if isinstance(kept, Map) and str(kept.get("Type")) == value.get("Type"):
            body[logical_id], body.keys_at[logical_id] = kept, resources.keys_at[logical_id]
            continue
        origin = next((s for s in sam if logical_id.startswith(s)), None)
        written = resources[origin] if origin else resources
        assert isinstance(written, Map)
        made = positioned(value, written.pos)
        if origin == logical_id and isinstance(made, Map):  # its attributes where written
            made.keys_at.update(written.keys_at)
        where = resources.keys_at[origin] if origin else resources.pos
        body[logical_id], body.keys_at[logical_id] = made, where
        if origin is not None:
            origins[logical_id] = origin
    out["Resources"] = body
    return out, origins


def _packaged(template: dict[str, object]) -> dict[str, object]:
    """Local code paths (``CodeUri: src/``, what ``sam build`` packages) as S3 locations:
    the code does not matter to the model, and the translator takes S3 URIs only."""
    resources = template.get("Resources")
    globals_ = template.get("Globals")
    bodies = list(resources.values()) if isinstance(resources, dict) else []
    properties = [b.get("Properties") for b in bodies if isinstance(b, dict)]
    if isinstance(globals_, dict):
        properties.append(globals_.get("Function"))
    for props in properties:
        for key in ("CodeUri", "ContentUri"):
            value = props.get(key) if isinstance(props, dict) else None
            if isinstance(props, dict) and isinstance(value, str) and "://" not in value:
                props[key] = f"s3://local-code/{value.strip('./') or 'code'}"
    return template


def label(logical_id: str, origin: str, template: Map) -> str:
    """What a node's ``# from`` comment says of a resource SAM made."""
    resources = template["Resources"]
    assert isinstance(resources, Map)
    body = resources[origin]
    assert isinstance(body, Map)
    return f"SAM {origin} ({body['Type']}) → {logical_id}"


def _error(file: str, template: Map, message: str, more: int) -> Exception:
    """The translator's first complaint, at the resource (or event) it names."""
    resources = template["Resources"]
    assert isinstance(resources, Map)
    pos, path, text = template.pos, "", message
    found = _ID.match(message)
    if found:
        what, name, text = found.groups()
        if what == "Resource" and name in resources:
            pos, path = resources.keys_at[name], f"Resources.{name}"
        elif what == "Resource":  # a resource SAM makes: a function and one of its events
            pos, path = _made(resources, name, pos, path)
        else:
            pos, path = _event(resources, name) or (pos, path)
    text = " ".join(text.split())
    if more:
        text += f" (and {more} more)"
    return fail(file, pos, path, f"SAM: {text}")


def _made(resources: Map, name: str, pos: Pos, path: str) -> tuple[Pos, str]:
    """Where the SAM resource (and its event) that makes the resource ``name`` is."""
    for logical_id in sorted(map(str, resources), key=len, reverse=True):
        if name.startswith(logical_id):
            found = _event(Map({logical_id: resources[logical_id]}), name[len(logical_id) :])
            return found or (resources.keys_at[logical_id], f"Resources.{logical_id}")
    return pos, path


def _event(resources: Map, name: str) -> tuple[Pos, str] | None:
    """Where the first function's event called ``name`` is."""
    for logical_id, body in resources.items():
        props = body.get("Properties") if isinstance(body, Map) else None
        events = props.get("Events") if isinstance(props, Map) else None
        if isinstance(events, Map) and name in events:
            return events.keys_at[name], f"Resources.{logical_id}.Properties.Events.{name}"
    return None
