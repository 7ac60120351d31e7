"""Hypothesis strategies that mutate real models into hostile ones.

A case starts from a parsed seed model (the reference model or a small test model), applies
one to three mutations to the data (delete a key, swap a type, extreme numbers, unicode,
duplicate ids, dangling references, structural damage, or a benign tweak), serializes it to
YAML text and optionally damages the text itself (truncation, a dropped or repeated line,
a stray character). Numbers too large for ``str(int)`` are written as raw text through
placeholders, so the loader sees exactly the literal a user could type.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from archgen.model import reference_model_path

TESTS = Path(__file__).resolve().parent.parent
SEED_FILES = {
    "reference": reference_model_path(),
    "mini-shop": TESTS / "runtime" / "models" / "mini-shop.yaml",
    "photo-sharing": TESTS / "models" / "photo-sharing.yaml",
    "tickets": TESTS / "check" / "models" / "tickets.yaml",
    "orders": TESTS / "runtime2" / "models" / "orders.yaml",
    "tiny-shop": TESTS / "site" / "models" / "tiny-shop.yaml",
    "render-mini": TESTS / "render" / "models" / "mini.yaml",
    "hostile": TESTS / "render" / "models" / "hostile.yaml",
}
"""Valid models to mutate; the small ones make a run cheap, the reference covers every kind."""

PathKey = tuple[str | int, ...]
Draw = Callable[[st.SearchStrategy[Any]], Any]

RAW_PREFIX = "__archgen_fuzz_raw_"
ID_REFERENCE_KEYS = frozenset(
    {
        "from",
        "to",
        "node",
        "target",
        "group",
        "parent",
        "flow",
        "metric",
        "queue",
        "client",
        "replica_of",
        "role",
        "kms_key",
        "endpoint",
        "protects",
        "zones",
        "health_alarm",
    }
)
"""Keys whose values are the id of something else in the model."""
REFERENCE_KEYS = ID_REFERENCE_KEYS | {"op", "operations", "region", "alarm", "topic"}
"""Those, and keys naming an operation or a region."""
TEXT_KEYS = frozenset({"label", "title", "name", "description", "note", "summary", "text"})
"""Free-text keys: renaming them should keep the model valid."""

WEIRD_TEXT = [
    "\u202eevil\u202c",  # right-to-left override (Trojan Source)
    "\u2066iso\u2069\u200f",  # bidi isolate and mark
    "👩\u200d💻",  # an emoji joined by a zero-width joiner
    "\x00",
    "nul\x00inside",
    "😀🚀",
    "e\u0301\u0302\u0303",  # combining marks
    "\x07\x1b[31mred\x1b[0m",  # bell and an ANSI escape
    "\r",
    "line\nbreak",
    "tab\there",
    "\ufeffbom",
    "\u2028\u2029",
    "\x85next",
    "\u200b",  # zero-width space
    "ﬁ",  # compatibility ligature
    "日本語",
    "",
    " ",
    "'\"`{}[]<>&|;#%@!*",
    "--> end",
    "x" * 300,
]
BENIGN_TEXT = [
    "😀🚀",
    "e\u0301\u0302",
    "ﬁ",
    "日本語",
    "👩\u200d💻",
    "\u202eevil\u202c",
    'R&D <team> "quoted" #1; {a|b} [c] --> end',
]
"""Label text a diagram must draw as written."""
EXTREME_NUMBERS: list[Any] = [
    0,
    -1,
    1,
    0.0,
    -0.0,
    5e-324,
    1e308,
    -1e308,
    math.inf,
    -math.inf,
    math.nan,
    2**31,
    2**63,
    2**64 + 1,
    -(2**63),
    10**30,
]
RAW_NUMBERS = [
    "1" + "0" * 5000,  # past Python's int-to-str digit limit
    "-" + "9" * 5000,
    "1e999",
    "-1e999",
    ".Inf",
    ".NaN",
    "0x7fffffffffffffff",
    "0o777",
    "1_000_000",
    "+12",
    "0.",
    "1e-400",
]
OTHER_TYPES: list[Any] = [
    "text",
    "",
    7,
    1.5,
    True,
    False,
    None,
    [],
    ["x"],
    {},
    {"k": 1},
    [[None]],
]
RAW_TEXT_SNIPPETS = [
    "\t",
    "{",
    "}",
    "[",
    ":",
    ": :",
    "&a",
    "*a",
    "*undefined",
    "!!python/object/apply:os.system ['true']",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!custom x",
    "? complex\n",
    "%YAML 1.1\n",
    "---\n",
    "...\n",
    "\x1b",  # control characters YAML's reader refuses (finding F5)
    "\x7f",
    "\u2028",
    "\ufeff",
    "'",
    '"',
    "<<: *a\n",
    "2024-01-01",
    "~",
]


@dataclass(frozen=True)
class Case:
    """One fuzz case: which seed, what was done to it (for the report), the YAML text."""

    seed: str
    mutations: tuple[str, ...]
    text: str

    def __repr__(self) -> str:  # short: the test notes the text of a failing example
        done = "; ".join(self.mutations)
        return f"Case(seed={self.seed!r}, mutations=[{done}], {len(self.text)} chars)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis pretty-prints dataclasses field by field (the whole text) otherwise.
        printer.text(repr(self))


@cache
def seed_data(name: str) -> Any:
    with SEED_FILES[name].open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def paths(data: Any, path: PathKey = ()) -> list[tuple[PathKey, Any]]:
    """Every (path, value) below ``data``, parents before children, in document order."""
    found: list[tuple[PathKey, Any]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            found.append(((*path, key), value))
            found.extend(paths(value, (*path, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.append(((*path, index), value))
            found.extend(paths(value, (*path, index)))
    return found


def get(data: Any, path: PathKey) -> Any:
    for step in path:
        data = data[step]
    return data


def put(data: Any, path: PathKey, value: Any) -> Any:
    """``data`` with the value at ``path`` replaced (the root itself when ``path`` is empty)."""
    if not path:
        return value
    get(data, path[:-1])[path[-1]] = value
    return data


def _pick(draw: Draw, items: list[Any]) -> Any:
    """An item drawn by index: hypothesis would otherwise print whole model subtrees."""
    return items[draw(st.integers(0, len(items) - 1))]


def _key(path: PathKey) -> str | None:
    """The mapping key a value sits under (``zones`` for ``….zones.1``)."""
    return next((step for step in reversed(path) if isinstance(step, str)), None)


def _where(path: PathKey) -> str:
    return ".".join(str(step) for step in path) or "<root>"


class Raw:
    """Placeholders for literals that only exist as text; replaced after dumping."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def add(self, literal: str) -> str:
        self.texts.append(literal)
        return f"{RAW_PREFIX}{len(self.texts) - 1}__"


# ------------------------------------------------------------------------------- mutations


def delete_key(draw: Draw, data: Any, raw: Raw) -> tuple[Any, str]:
    found = paths(data)
    if not found:
        return data, "delete: nothing"
    path, _ = _pick(draw, found)
    del get(data, path[:-1])[path[-1]]
    return data, f"delete {_where(path)}"


def swap_type(draw: Draw, data: Any, raw: Raw) -> tuple[Any, str]:
    found = [((), data), *paths(data)]
    path, value = _pick(draw, found)
    choices = [v for v in OTHER_TYPES if type(v) is not type(value)]
    new = copy.deepcopy(draw(st.sampled_from(choices)))
    return put(data, path, new), f"swap {_where(path)} to {new!r}"


def extreme_number(draw: Draw, data: Any, raw: Raw) -> tuple[Any, str]:
    found = paths(data)
    numeric = [item for item in found if isinstance(item[1], int | float)]
    if not found:
        return data, "number: nothing"
    path, _ = _pick(draw, numeric or found)
    if draw(st.booleans()):
        literal = draw(st.sampled_from(RAW_NUMBERS))
        return put(data, path, raw.add(literal)), f"number {_where(path)} = {literal[:12]}…"
    value = draw(st.sampled_from(EXTREME_NUMBERS))
    return put(data, path, value), f"number {_where(path)} = {value!r}"


def huge_string(draw: Draw, data: Any, raw: Raw) -> tuple[Any, str]:
    found = [item for item in paths(data) if isinstance(item[1], str)]
    if not found:
        return data, "huge string: nothing"
    path, _ = _pick(draw, found)
    size = draw(st.sampled_from([65, 257, 20_000]))
    return put(data, path, "é" * size), f"huge string {_where(path)} ({size} chars)"


def weird_unicode(draw: Draw, data: Any, raw: Raw) -> tuple[Any, str]:
    found = [item for item in paths(data) if isinstance(item[1], str)]
    weird = draw(st.sampled_from(WEIRD_TEXT) | st.text(max_size=8))
    if found and draw(st.booleans()):
        path, value = _pick(draw, found)
        how = draw(st.sampled_from(["replace", "prefix", "suffix"]))
        new = {"replace": weird, "prefix": weird + value, "suffix": value + weird}[how]
        return put(data, path, new), f"unicode {how} {_where(path)} with {weird!r}"
    # Or rename a mapping key.
    keyed = [item for item in paths(data) if isinstance(item[1], dict) and item[1]]
    if not keyed:
        return data, "unicode: nothing"
    path, mapping = _pick(draw, keyed)
    old = draw(st.sampled_from(list(mapping)))
    key = draw(st.sampled_from([old + weird, weird, 1, True, None, 1.5]))
    if key in mapping:
        return data, "unicode: key exists"
    mapping[key] = mapping.pop(old)
    return data, f"rename key {_where((*path, old))} to {key!r}"


def _id_lists(data: Any) -> list[tuple[PathKey, list[Any]]]:
    return [
        (path, value)
        for path, value in [((), data), *paths(data)]
        if isinstance(value, list)
        and value
        and all(isinstance(item, dict) and "id" in item for item in value)
    ]


def _all_ids(data: Any) -> list[str]:
    ids = {
        value["id"]
        for _, value in paths(data)
        if isinstance(value, dict) and isinstance(value.get("id"), str)
    }
    return sorted(ids)


def duplicate_id(draw: Draw, data: Any, raw: Raw) -> tuple[Any, str]:
    lists = _id_lists(data)
    if not lists:
        return data, "duplicate: nothing"
    path, items = _pick(draw, lists)
    source = draw(st.integers(0, len(items) - 1))
    if len(items) > 1 and draw(st.booleans()):
        target = (source + draw(st.integers(1, len(items) - 1))) % len(items)
        items[target]["id"] = items[source]["id"]
        return data, f"duplicate id {_where(path)}[{target}] = [{source}] ({_key(path)})"
    items.append(copy.deepcopy(items[source]))
    return data, f"duplicate item {_where(path)}[{source}] ({_key(path)})"


def dangling_reference(draw: Draw, data: Any, raw: Raw) -> tuple[Any, str]:
    found = [
        (path, value)
        for path, value in paths(data)
        if isinstance(value, str) and _key(path) in REFERENCE_KEYS
    ]
    if not found:
        return data, "dangling: nothing"
    path, _ = _pick(draw, found)
    ids = _all_ids(data)
    new = draw(
        st.sampled_from(["ghost", "", "Ghost-Node", "a" * 65, "x.y", "-bad", *ids])
        | st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)
    )
    return put(data, path, new), f"reference {_where(path)} = {new!r}"


def fresh_reference(draw: Draw, data: Any, raw: Raw) -> tuple[Any, str]:
    """An id reference pointed at a name nothing in the model has: never a valid model."""
    found = [
        (path, value)
        for path, value in paths(data)
        if isinstance(value, str) and _key(path) in ID_REFERENCE_KEYS
    ]
    if not found:
        return data, "fresh reference: nothing"
    path, _ = _pick(draw, found)
    ids = set(_all_ids(data))
    new = draw(st.from_regex(r"ghost-[a-z0-9]{1,8}", fullmatch=True).filter(lambda n: n not in ids))
    return put(data, path, new), f"fresh reference {_where(path)} = {new!r}"


def structural(draw: Draw, data: Any, raw: Raw) -> tuple[Any, str]:
    found = [((), data), *paths(data)]
    containers = [item for item in found if isinstance(item[1], list | dict)]
    if not containers:
        return data, "structure: nothing"
    path, value = _pick(draw, containers)
    how = draw(st.sampled_from(["empty", "nest", "nest-deep", "repeat", "wrap-list"]))
    if how == "empty":
        new: Any = [] if isinstance(value, list) else {}
    elif how == "nest":
        new = value
        for _ in range(draw(st.integers(1, 5))):
            new = [new]
    elif how == "nest-deep":
        new = "leaf"
        shape = draw(st.sampled_from(["list", "dict", "both"]))
        for level in range(draw(st.sampled_from([50, 99, 100, 101, 200, 1000]))):
            use_dict = shape == "dict" or (shape == "both" and level % 2 == 0)
            new = {"k": new} if use_dict else [new]
    elif how == "repeat" and isinstance(value, list) and value:
        new = value + copy.deepcopy(value) * draw(st.integers(1, 3))
    else:
        new = [value]
    return put(data, path, new), f"structure {how} {_where(path)}"


def benign(draw: Draw, data: Any, raw: Raw) -> tuple[Any, str]:
    """A change a real user makes: a number nudged, a label renamed, a description dropped."""
    found = paths(data)
    numbers = [
        item
        for item in found
        if isinstance(item[1], int | float) and not isinstance(item[1], bool) and item[1] != 0
    ]
    texts = [item for item in found if item[0][-1] in TEXT_KEYS and isinstance(item[1], str)]
    how = draw(st.sampled_from(["number", "number", "text", "drop-text"]))
    if how == "number" and numbers:
        path, value = _pick(draw, numbers)
        factor = draw(st.sampled_from([0.5, 0.9, 1.1, 1.5, 2.0]))
        new = value * factor
        if isinstance(value, int):
            new = max(1, round(new)) if value > 0 else round(new)
        return put(data, path, new), f"benign {_where(path)} = {new!r}"
    if how == "text" and texts:
        path, value = _pick(draw, texts)
        text = draw(st.sampled_from(BENIGN_TEXT) | st.text(max_size=20))
        new = (value + " " + text).strip() or value
        return put(data, path, new), f"benign {_where(path)} = {new!r}"
    if texts:
        path, _ = _pick(draw, texts)
        if path[-1] in {"description", "note", "label"}:
            del get(data, path[:-1])[path[-1]]
            return data, f"benign delete {_where(path)}"
    return data, "benign: nothing"


BOUNDARY_NUMBERS = [0, 1, 2, 0.001, 1e-9, 99.999, 1e4, 1e6, 1e9]


def boundary_number(draw: Draw, data: Any, raw: Raw) -> tuple[Any, str]:
    """A number at an edge that validation may accept (zero, tiny, huge): the runtime's
    queues, rates and timers must still finish."""
    numbers = [
        item
        for item in paths(data)
        if isinstance(item[1], int | float) and not isinstance(item[1], bool)
    ]
    if not numbers:
        return data, "boundary: nothing"
    path, value = _pick(draw, numbers)
    new = draw(st.sampled_from(BOUNDARY_NUMBERS))
    if isinstance(value, int) and new == int(new):
        new = int(new)
    return put(data, path, new), f"boundary {_where(path)} = {new!r}"


HOSTILE = [
    delete_key,
    swap_type,
    extreme_number,
    huge_string,
    weird_unicode,
    duplicate_id,
    dangling_reference,
    structural,
]
ALL = [*HOSTILE, benign, boundary_number]


def _raw_damage(draw: Draw, text: str) -> tuple[str, str]:
    how = draw(st.sampled_from(["truncate", "drop-line", "repeat-line", "insert", "dedent"]))
    lines = text.split("\n")
    if how == "truncate":
        cut = draw(st.integers(0, len(text)))
        return text[:cut], f"text truncated at {cut}"
    line = draw(st.integers(0, len(lines) - 1))
    if how == "drop-line":
        del lines[line]
    elif how == "repeat-line":
        lines.insert(line, lines[line])
    elif how == "dedent":
        lines[line] = lines[line].lstrip(" ")
    else:
        snippet = draw(st.sampled_from(RAW_TEXT_SNIPPETS))
        column = draw(st.integers(0, len(lines[line])))
        lines[line] = lines[line][:column] + snippet + lines[line][column:]
        how = f"insert {snippet!r} at col {column}"
    return "\n".join(lines), f"text {how} line {line + 1}"


def dump(data: Any, raw: Raw, *, flow: bool) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(
        data,
        Dumper=dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=flow,
        width=100,
    )
    for index, literal in enumerate(raw.texts):
        text = text.replace(f"{RAW_PREFIX}{index}__", literal)
    return text


@st.composite
def cases(
    draw: Draw,
    seeds: tuple[str, ...] = tuple(SEED_FILES),
    mutations: tuple[Callable[..., tuple[Any, str]], ...] = tuple(ALL),
    raw_damage: bool = True,
    most: int = 3,
) -> Case:
    """A seed model with 1 to ``most`` mutations, as YAML text (sometimes damaged as text)."""
    seed = draw(st.sampled_from(seeds))
    data = copy.deepcopy(seed_data(seed))
    raw = Raw()
    done: list[str] = []
    for _ in range(draw(st.integers(1, most))):
        mutate = draw(st.sampled_from(mutations))
        data, what = mutate(draw, data, raw)
        done.append(what)
    try:
        text = dump(data, raw, flow=draw(st.booleans()))
    except RecursionError:  # PyYAML's own emitter: not what is under test
        text = dump("deep", Raw(), flow=False)
        done.append("(too deep for the emitter: replaced)")
    if raw_damage and draw(st.integers(0, 4)) == 0:
        text, what = _raw_damage(draw, text)
        done.append(what)
    return Case(seed, tuple(done), text)
