"""CloudFormation's intrinsic functions, resolved with the parameters' defaults.

A reference to a resource stays a :class:`ResourceRef` (the importer turns it into a node,
an ARN or a name); a parameter becomes its default; a condition is evaluated with the
defaults, so ``Fn::If`` takes the branch a stack deployed without parameters would take.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from archgen.model.importers.template import Map, Pos, Seq, fail

NO_VALUE = object()
"""``AWS::NoValue``: the property is removed."""


@dataclass(frozen=True)
class ResourceRef:
    """``Ref`` (``attribute`` None) or ``Fn::GetAtt`` of a resource of the template."""

    logical_id: str
    attribute: str | None = None


Stringify = Callable[[ResourceRef], str]


class Resolver:
    """Resolves values of one template; ``pseudo`` holds AWS::Region, AWS::AccountId…"""

    def __init__(
        self,
        file: str,
        template: Map,
        pseudo: Mapping[str, str],
        stringify: Stringify,
    ) -> None:
        self.file = file
        self.template = template
        self.pseudo = pseudo
        self.stringify = stringify
        resources = template.get("Resources")
        self.resources: Map = resources if isinstance(resources, Map) else Map()
        self._conditions: dict[str, bool] = {}
        self._evaluating: list[str] = []

    # ------------------------------------------------------------------ parameters

    def parameter(self, name: str, pos: Pos | None, path: str) -> object:
        params = self.template.get("Parameters")
        spec = params.get(name) if isinstance(params, Map) else None
        if not isinstance(spec, Map):
            raise fail(self.file, pos, path, f"unknown parameter or resource '{name}'")
        if "Default" not in spec:
            raise fail(
                self.file,
                spec.pos,
                f"Parameters.{name}",
                "the parameter has no Default: archgen imports a template with its defaults",
            )
        default = spec["Default"]
        kind = spec.get("Type", "String")
        if (isinstance(kind, str) and kind.startswith("List<")) or kind == "CommaDelimitedList":
            return [item.strip() for item in str(default).split(",")]
        return default

    # ------------------------------------------------------------------ conditions

    def condition(self, name: str, pos: Pos | None, path: str) -> bool:
        if name in self._conditions:
            return self._conditions[name]
        conditions = self.template.get("Conditions")
        body = conditions.get(name) if isinstance(conditions, Map) else None
        if body is None:
            raise fail(self.file, pos, path, f"unknown condition '{name}'")
        if name in self._evaluating:
            cycle = " -> ".join([*self._evaluating, name])
            raise fail(self.file, pos, path, f"circular condition: {cycle}")
        self._evaluating.append(name)
        value = bool(self.resolve(body, f"Conditions.{name}"))
        self._evaluating.pop()
        self._conditions[name] = value
        return value

    # ------------------------------------------------------------------ values

    def resolve(self, value: object, path: str) -> object:
        """``value`` with every intrinsic function applied; NO_VALUE entries removed."""
        if isinstance(value, Map):
            if len(value) == 1:
                (key,) = value
                if key == "Ref" or key.startswith("Fn::") or key == "Condition":
                    return self._function(key, value[key], value.keys_at[key], path)
            out: dict[str, object] = {}
            for key, item in value.items():
                resolved = self.resolve(item, f"{path}.{key}")
                if resolved is not NO_VALUE:
                    out[key] = resolved
            return out
        if isinstance(value, Seq):
            items = (self.resolve(item, f"{path}[{i}]") for i, item in enumerate(value))
            return [item for item in items if item is not NO_VALUE]
        return value

    def text(self, value: object) -> str:
        """A resolved value as CloudFormation would write it in a string."""
        if isinstance(value, ResourceRef):
            return self.stringify(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return ",".join(self.text(item) for item in value)
        return str(value)

    def _function(self, name: str, arg: object, pos: Pos, path: str) -> object:
        here = f"{path}.{name}"
        if name == "Ref":
            return self._ref(arg, pos, here)
        if name == "Condition":
            return self.condition(str(arg), pos, here)
        if name == "Fn::GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else arg
            if not (isinstance(parts, list) and len(parts) == 2):
                raise fail(self.file, pos, here, "takes [LogicalId, Attribute]")
            logical, attribute = (self.text(self.resolve(p, here)) for p in parts)
            if logical not in self.resources:
                raise fail(self.file, pos, here, f"unknown resource '{logical}'")
            return ResourceRef(logical, attribute)
        if name == "Fn::Sub":
            return self._sub(arg, pos, here)
        if name == "Fn::If":
            if not (isinstance(arg, list) and len(arg) == 3):
                raise fail(self.file, pos, here, "takes [Condition, ValueIfTrue, ValueIfFalse]")
            chosen = arg[1] if self.condition(str(arg[0]), pos, here) else arg[2]
            return self.resolve(chosen, here)
        args = self.resolve(arg, here)
        try:
            return self._pure(name, args)
        except (TypeError, ValueError, IndexError, KeyError) as error:
            message = str(error) if isinstance(error, ValueError) else "bad arguments"
            raise fail(self.file, pos, here, message) from None

    def _pure(self, name: str, args: object) -> object:
        if name == "Fn::Equals":
            assert isinstance(args, list)
            left, right = args
            return self.text(left) == self.text(right)
        if name == "Fn::Not":
            assert isinstance(args, list)
            return not args[0]
        if name == "Fn::And":
            assert isinstance(args, list)
            return all(args)
        if name == "Fn::Or":
            assert isinstance(args, list)
            return any(args)
        if name == "Fn::Join":
            assert isinstance(args, list)
            separator, items = args
            assert isinstance(items, list)
            return str(separator).join(self.text(item) for item in items)
        if name == "Fn::Select":
            assert isinstance(args, list)
            index, items = args
            assert isinstance(items, list)
            return items[int(str(index))]
        if name == "Fn::Split":
            assert isinstance(args, list)
            separator, source = args
            return self.text(source).split(str(separator))
        if name == "Fn::GetAZs":
            region = self.text(args) or self.pseudo["AWS::Region"]
            return [f"{region}{letter}" for letter in "abc"]
        if name == "Fn::FindInMap":
            assert isinstance(args, list)
            mappings = self.template.get("Mappings")
            assert isinstance(mappings, Map)
            top, second, third = (self.text(item) for item in args[:3])
            return self.resolve(mappings[top][second][third], "Mappings")  # type: ignore[index]
        if name == "Fn::Base64":
            return self.text(args)
        if name == "Fn::ImportValue":
            return f"imported:{self.text(args)}"
        if name == "Fn::Cidr":
            return []
        raise ValueError(
            f"unknown intrinsic function '{name}' (archgen resolves Ref, Fn::GetAtt, Fn::Sub, "
            "Fn::If, Fn::Join, Fn::Select, Fn::Split, Fn::FindInMap, Fn::GetAZs, Fn::Equals, "
            "Fn::Not, Fn::And, Fn::Or, Fn::Base64, Fn::ImportValue)"
        )

    def _ref(self, arg: object, pos: Pos, path: str) -> object:
        if not isinstance(arg, str):
            raise fail(self.file, pos, path, "Ref takes the name of a parameter or resource")
        if arg == "AWS::NoValue":
            return NO_VALUE
        if arg in self.pseudo:
            return self.pseudo[arg]
        if arg in self.resources:
            return ResourceRef(arg)
        return self.parameter(arg, pos, path)

    def _sub(self, arg: object, pos: Pos, path: str) -> str:
        variables: dict[str, object] = {}
        if isinstance(arg, list):
            if len(arg) != 2 or not isinstance(arg[1], Map):
                raise fail(self.file, pos, path, "takes a string or [String, {Var: Value}]")
            arg, extra = arg
            variables = {key: self.resolve(value, path) for key, value in extra.items()}
        if not isinstance(arg, str):
            raise fail(self.file, pos, path, "takes a string or [String, {Var: Value}]")

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return self.text(variables[name])
            if "." in name:
                logical, attribute = name.split(".", 1)
                if logical in self.resources:
                    return self.stringify(ResourceRef(logical, attribute))
            return self.text(self._ref(name, pos, path))

        return re.sub(r"\$\{([^}]*)\}", one, arg)
