"""Numbers, primitive conversions, equality and sets as Terraform defines them (shared by every family)."""
from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

from ...model import Unknown, contains_unknown
from .core import LIMIT, MAX_INT_BITS, MAX_NUMBER_TEXT, Refuse, derive, fail, unknown

# ---- numbers and primitive conversions --------------------------------------------------------------

def is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def num_ok(x: Any) -> int | float:
    """A number result inside the analysis range (finite, bounded), integral floats as int."""
    if isinstance(x, float):
        if not math.isfinite(x):
            unknown("a number beyond the analysis range (infinite or not a number)")
        if x.is_integer():
            return int(x)
        return x
    if isinstance(x, int) and x.bit_length() > MAX_INT_BITS:
        unknown(f"a number of more than {MAX_INT_BITS} bits {LIMIT}")
    return x


_NUM_RE = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\Z")


def parse_number(s: str) -> int | float:
    """A number written as a string (Terraform converts "42" to 42 where a number is expected)."""
    if len(s) > MAX_NUMBER_TEXT:
        unknown(f"a number written with more than {MAX_NUMBER_TEXT} characters {LIMIT}")
    if not _NUM_RE.match(s):
        fail(f"cannot convert {s[:40]!r} to a number")
    if re.fullmatch(r"-?\d+", s):
        return num_ok(int(s))
    return num_ok(float(s))


def to_num(v: Any, what: str = "a number") -> int | float:
    if is_num(v):
        return num_ok(v)
    if isinstance(v, str):
        return parse_number(v)
    if v is None:
        fail(f"{what} is required, got null")
    fail(f"{what} is required, got {type_name(v)}")
    raise AssertionError


def type_name(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if is_num(v):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "list"
    if isinstance(v, dict):
        return "object"
    return "null" if v is None else type(v).__name__


def num_str(v: int | float) -> str:
    """A number as Terraform prints it: 1.0 -> "1", 1.5 -> "1.5", 1e-05 -> "0.00001", no exponent."""
    if isinstance(v, int):
        return str(v)
    if v.is_integer():
        return str(int(v))
    r = repr(v)
    if "e" in r or "E" in r:
        r = format(Decimal(r), "f")
    return r


def to_str(v: Any) -> Any:
    """Terraform's conversion of a primitive to a string; Unknown (with the reason) otherwise."""
    if isinstance(v, Unknown):
        return v
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if is_num(v):
        if isinstance(v, float) and not math.isfinite(v):
            return Unknown("a number beyond the analysis range (infinite or not a number)")
        if isinstance(v, int) and v.bit_length() > MAX_INT_BITS:
            return Unknown(f"a number of more than {MAX_INT_BITS} bits {LIMIT}")
        return num_str(v)
    if v is None:
        return Unknown("null value used in a string")
    if isinstance(v, (dict, list)):
        return Unknown("a collection cannot be converted to a string")
    return Unknown(f"a {type(v).__name__} cannot be converted to a string")


def as_str(v: Any, what: str = "argument") -> str:
    """A known string argument, or raise (Unknown propagates; collections/null are Terraform errors)."""
    if isinstance(v, Unknown):
        raise Refuse(v)
    if isinstance(v, str):
        return v
    if v is None:
        fail(f"{what} must not be null")
    if isinstance(v, (list, dict)):
        fail(f"{what} must be a string, got {type_name(v)}")
    s = to_str(v)
    if isinstance(s, Unknown):
        raise Refuse(s)
    return s


def as_bool(v: Any, what: str = "condition") -> bool:
    """A bool as Terraform converts it ("true"/"false" strings too); Unknown/errors otherwise."""
    if isinstance(v, bool):
        return v
    if isinstance(v, Unknown):
        raise Refuse(v)
    if v == "true":
        return True
    if v == "false":
        return False
    if v is None:
        fail(f"{what} is null")
    fail(f"{what} must be a bool, got {type_name(v)}")
    raise AssertionError


def bool_or_unknown(v: Any, what: str = "condition") -> bool | Unknown:
    try:
        return as_bool(v, what)
    except Refuse as e:
        return e.unknown


def as_int(v: Any, what: str = "argument") -> int:
    n = to_num(v, what)
    if isinstance(n, float):
        fail(f"{what} must be a whole number, got {num_str(n)}")
    return n


def as_list(v: Any, what: str = "argument") -> list:
    if isinstance(v, Unknown):
        raise Refuse(v)
    if isinstance(v, list):
        return v
    if v is None:
        fail(f"{what} must not be null")
    fail(f"{what} must be a list, got {type_name(v)}")
    raise AssertionError


def as_map(v: Any, what: str = "argument") -> dict:
    if isinstance(v, Unknown):
        raise Refuse(v)
    if isinstance(v, dict):
        return v
    if v is None:
        fail(f"{what} must not be null")
    fail(f"{what} must be a map or object, got {type_name(v)}")
    raise AssertionError


def known(v: Any, name: str, *all_args) -> Any:
    """v itself, or refuse when it holds an Unknown anywhere."""
    u = contains_unknown(v)
    if u is not None:
        raise Refuse(derive(u, f"{name}() depends on a value not known statically ({u.reason})",
                            *(all_args or (v,))))
    return v


# ---- equality and sets --------------------------------------------------------------------------------

def equal(a: Any, b: Any) -> bool | None:
    """Terraform's == on two values; None when an Unknown part decides it. `1 == "1"` is false."""
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return None
    if is_num(a) and is_num(b):
        return a == b
    if type_name(a) != type_name(b):
        return False
    if isinstance(a, list):
        if len(a) != len(b):
            return False
        pending = False
        for x, y in zip(a, b):
            r = equal(x, y)
            if r is False:
                return False
            pending = pending or r is None
        return None if pending else True
    if isinstance(a, dict):
        if set(a) != set(b):
            return False
        pending = False
        for k in a:
            r = equal(a[k], b[k])
            if r is False:
                return False
            pending = pending or r is None
        return None if pending else True
    return a == b


def _canon(v: Any) -> str:
    return json.dumps(v, sort_keys=True, default=str) if isinstance(v, (dict, list)) else repr((type_name(v), v))


def make_set(values: list, name: str) -> list:
    """Terraform's set of the values: unified element type, no duplicates, Terraform's order."""
    values = known(values, name)
    prims = [v for v in values if not isinstance(v, (list, dict))]
    if prims and len(prims) == len(values):
        kinds = {type_name(v) for v in values if v is not None}
        if None in values:
            fail(f"{name}(): a set cannot contain null")
        if len(kinds) > 1:
            if "string" not in kinds and kinds != {"number", "bool"}:
                pass
            if "string" in kinds:  # mixed primitives convert to the most general type, string
                values = [as_str(v) for v in values]
                kinds = {"string"}
            else:
                fail(f"{name}(): elements of different types (bool and number)")
        uniq = list({_canon(v): v for v in values}.values())
        return sorted(uniq)  # strings lexicographically, numbers ascending, false before true
    seen: dict = {}
    for v in values:
        seen.setdefault(_canon(v), v)
    return list(seen.values())
