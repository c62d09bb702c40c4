"""Plain JSON values, and the boundary check that turns a Python value into one or refuses it."""

from __future__ import annotations

import json
import math
import re
from typing import Callable, Dict, ItemsView, Iterator, List, Optional, Set, Union, cast

from .errors import InvalidArgs

JsonValue = Union[str, int, float, bool, None, List["JsonValue"], Dict[str, "JsonValue"]]

MAX_DEPTH = 64
# Warden parses JSON numbers as IEEE doubles: a larger integer would be recorded as another number.
MAX_SAFE_INTEGER = 2**53 - 1

# The built-in types' own readers: a subclass's overrides of __iter__ or items() do not run.
_list_items = cast(Callable[[List[object]], Iterator[object]], list.__iter__)  # pyright: ignore[reportUnknownMemberType]
_dict_items = cast(Callable[[Dict[object, object]], ItemsView[object, object]], dict.items)  # pyright: ignore[reportUnknownMemberType]

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

    A subclass of a JSON type (an enum member, a ``str`` with its own ``__str__``, an ``int`` with its own
    ``__abs__``) is read through the built-in type, never its own methods: it is the value it holds, as
    ``json.dumps`` writes it, and no code of the caller's runs here to show one value and send another.
    """
    return _convert(value, [], set())


def _fail(message: str, path: List[Union[str, int]]) -> InvalidArgs:
    return InvalidArgs(message, format_path(path))


def _check_text(text: str, what: str, path: List[Union[str, int]]) -> str:
    plain = str.__str__(text)  # the characters it holds, not what an overridden __str__ says
    try:
        str.encode(plain, "utf-8")
    except UnicodeEncodeError:
        raise _fail(f"{what} with an unpaired surrogate is not valid Unicode", path) from None
    return plain


def _convert(value: object, path: List[Union[str, int]], ancestors: Set[int]) -> JsonValue:
    # type(), not isinstance(): an object whose __class__ claims to be a dict is not one.
    kind = type(value)
    if value is None or kind is bool:
        return cast(Optional[bool], value)
    if issubclass(kind, int):
        number = int.__int__(cast(int, value))
        if not -MAX_SAFE_INTEGER <= number <= MAX_SAFE_INTEGER:
            raise _fail(f"{number} is outside the integers JSON numbers hold exactly (±2**53-1)", path)
        return number
    if issubclass(kind, float):
        real = float.__float__(cast(float, value))
        if not math.isfinite(real):
            raise _fail(f"{real} is not a JSON number", path)
        return real
    if issubclass(kind, str):
        return _check_text(cast(str, value), "a string", path)
    if issubclass(kind, list):
        return _convert_list(cast(List[object], value), path, ancestors)
    if issubclass(kind, dict):
        return _convert_dict(cast(Dict[object, object], value), path, ancestors)
    raise _fail(f"a {kind.__name__} is not a JSON value", path)


def _enter(value: object, path: List[Union[str, int]], ancestors: Set[int]) -> None:
    if len(path) >= MAX_DEPTH:
        raise _fail(f"nested deeper than {MAX_DEPTH}", path)
    if id(value) in ancestors:
        raise _fail("cyclic reference", path)
    ancestors.add(id(value))


def _convert_list(value: List[object], path: List[Union[str, int]], ancestors: Set[int]) -> JsonValue:
    _enter(value, path, ancestors)
    items: List[JsonValue] = []
    held = _list_items(value)
    for index, item in enumerate(held):
        path.append(index)
        items.append(_convert(item, path, ancestors))
        path.pop()
    ancestors.discard(id(value))
    return items


def _convert_dict(value: Dict[object, object], path: List[Union[str, int]], ancestors: Set[int]) -> JsonValue:
    _enter(value, path, ancestors)
    members: Dict[str, JsonValue] = {}
    held = _dict_items(value)
    for key, item in held:
        if not issubclass(type(key), str):
            raise _fail(f"a {type(key).__name__} key is not a JSON object key", path)
        text = cast(str, key)
        path.append(str.__str__(text))
        members[_check_text(text, "a key", path)] = _convert(item, path, ancestors)
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
