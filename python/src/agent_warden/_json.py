"""Plain JSON values, and the boundary check that turns a Python value into one or refuses it."""

from __future__ import annotations

import json
import math
import re
from typing import Dict, List, Optional, Set, Union, cast

from .errors import InvalidArgs

JsonValue = Union[str, int, float, bool, None, List["JsonValue"], Dict[str, "JsonValue"]]

MAX_DEPTH = 64
# Warden parses JSON numbers as IEEE doubles: a larger integer would be recorded as another number.
MAX_SAFE_INTEGER = 2**53 - 1

_IDENTIFIER = re.compile(r"^[A-Za-z_$][\w$]*$")


def format_path(path: List[Union[str, int]]) -> str:
    """``$.to``, ``$.items[2]``, ``$["odd key"]``: the same notation as Warden's own INVALID_ARGS."""
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.match(part):
            out += f".{part}"
        else:
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
    return out


def to_json_value(value: object) -> JsonValue:
    """
    Returns ``value`` as plain JSON (new dicts and lists) or raises InvalidArgs naming the first bad path.

    Only what JSON carries faithfully passes: str, bool, int within ±2**53-1, finite float, None, and
    lists and dicts with str keys of those. Tuples, sets, bytes, dates, objects, NaN, cycles and nesting
    deeper than 64 are refused rather than silently altered, because the ledger must record exactly what
    the tool received.
    """
    return _convert(value, [], set())


def _fail(message: str, path: List[Union[str, int]]) -> InvalidArgs:
    return InvalidArgs(message, format_path(path))


def _check_text(text: str, what: str, path: List[Union[str, int]]) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _fail(f"{what} with an unpaired surrogate is not valid Unicode", path) from None
    return str(text)


def _convert(value: object, path: List[Union[str, int]], ancestors: Set[int]) -> JsonValue:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise _fail(f"{value} is outside the integers JSON numbers hold exactly (±2**53-1)", path)
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _fail(f"{value} is not a JSON number", path)
        return float(value)
    if isinstance(value, str):
        return _check_text(value, "a string", path)
    if isinstance(value, list):
        return _convert_list(cast(List[object], value), path, ancestors)
    if isinstance(value, dict):
        return _convert_dict(cast(Dict[object, object], value), path, ancestors)
    raise _fail(f"a {type(value).__name__} is not a JSON value", path)


def _enter(value: object, path: List[Union[str, int]], ancestors: Set[int]) -> None:
    if len(path) >= MAX_DEPTH:
        raise _fail(f"nested deeper than {MAX_DEPTH}", path)
    if id(value) in ancestors:
        raise _fail("cyclic reference", path)
    ancestors.add(id(value))


def _convert_list(value: List[object], path: List[Union[str, int]], ancestors: Set[int]) -> JsonValue:
    _enter(value, path, ancestors)
    items: List[JsonValue] = []
    for index, item in enumerate(value):
        path.append(index)
        items.append(_convert(item, path, ancestors))
        path.pop()
    ancestors.discard(id(value))
    return items


def _convert_dict(value: Dict[object, object], path: List[Union[str, int]], ancestors: Set[int]) -> JsonValue:
    _enter(value, path, ancestors)
    members: Dict[str, JsonValue] = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise _fail(f"a {type(key).__name__} key is not a JSON object key", path)
        path.append(key)
        members[_check_text(key, "a key", path)] = _convert(item, path, ancestors)
        path.pop()
    ancestors.discard(id(value))
    return members


def canonical(value: JsonValue) -> str:
    """One text per JSON value, for comparing two calls' arguments (1 and 1.0 are the same JSON number)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def as_object(value: object) -> Optional[Dict[str, object]]:
    """A parsed JSON object with its type known to the checker, or None for anything else."""
    return cast(Dict[str, object], value) if isinstance(value, dict) else None


def as_list(value: object) -> List[object]:
    return cast(List[object], value) if isinstance(value, list) else []
