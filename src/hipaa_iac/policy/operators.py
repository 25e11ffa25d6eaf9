"""checkov's attribute operators on a known value: one function per operator, in one table (`OPERATORS`).

Semantics follow checkov 3.3.30 (checkov/common/checks_infra/solvers/attribute_solvers/): values are
compared as strings where checkov does (`True` and `"true"` are equal for booleans), a missing attribute is
None. `exists`, `not_exists` and `any` are decided by policy/evaluate.py from the path (three-valued); their
entries here are for a value that is known. tests/test_operators.py has a table per operator, and
tests/test_operators.py::test_checkov_agrees runs checkov on the same values.
"""
from __future__ import annotations

import re
from typing import Any, Callable


def _s(v: Any) -> str:
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


_REGEX_CACHE: dict[str, re.Pattern] = {}


def _regex(p: str) -> re.Pattern:
    r = _REGEX_CACHE.get(p)
    if r is None:
        r = _REGEX_CACHE[p] = re.compile(p)
    return r


def _as_list(v: Any) -> list:
    return v if isinstance(v, list) else [v]


# ---- equality ---------------------------------------------------------------------------------------------
def equals(attr: Any, value: Any) -> bool:
    if isinstance(attr, bool) or isinstance(value, bool):
        return _s(attr).lower() == _s(value).lower()
    return _s(attr) == _s(value)


def not_equals(attr: Any, value: Any) -> bool:
    return not equals(attr, value)


def equals_ignore_case(attr: Any, value: Any) -> bool:
    return _s(attr).lower() == _s(value).lower()


def not_equals_ignore_case(attr: Any, value: Any) -> bool:
    return not equals_ignore_case(attr, value)


# ---- presence ---------------------------------------------------------------------------------------------
def exists(attr: Any, value: Any = None) -> bool:
    return attr is not None


def not_exists(attr: Any, value: Any = None) -> bool:
    return attr is None


def any_(attr: Any, value: Any = None) -> bool:
    return True


def is_empty(attr: Any, value: Any = None) -> bool:
    return attr is None or (hasattr(attr, "__len__") and len(attr) == 0)


def is_not_empty(attr: Any, value: Any = None) -> bool:
    return not is_empty(attr)


def is_true(attr: Any, value: Any = None) -> bool:
    return attr is True or (isinstance(attr, str) and attr.lower() == "true")


def is_false(attr: Any, value: Any = None) -> bool:
    return attr is False or (isinstance(attr, str) and attr.lower() == "false")


# ---- membership -------------------------------------------------------------------------------------------
def within(attr: Any, value: Any) -> bool:
    if attr is None:
        return False
    vals = _as_list(value)
    if isinstance(attr, bool):
        return any(_s(attr).lower() == _s(v).lower() for v in vals)
    return attr in vals or _s(attr) in [_s(v) for v in vals]


def not_within(attr: Any, value: Any) -> bool:
    return not within(attr, value)


def contains(attr: Any, value: Any) -> bool:
    if isinstance(attr, dict):
        return value in attr or value in attr.values()
    if isinstance(attr, list):
        return value in attr or _s(value) in [_s(x) for x in attr]
    if isinstance(attr, str):
        return str(value) in attr
    return False


def not_contains(attr: Any, value: Any) -> bool:
    return not contains(attr, value)


def _sets(attr: Any, value: Any) -> tuple[list, set, set]:
    a = attr if isinstance(attr, list) else ([] if attr is None else [attr])
    return a, {_s(x) for x in a}, {_s(x) for x in _as_list(value)}


def intersects(attr: Any, value: Any) -> bool:
    _, sa, sv = _sets(attr, value)
    return bool(sa & sv)


def not_intersects(attr: Any, value: Any) -> bool:
    return not intersects(attr, value)


def subset(attr: Any, value: Any) -> bool:
    a, sa, sv = _sets(attr, value)
    return bool(a) and sa <= sv


def not_subset(attr: Any, value: Any) -> bool:
    return not subset(attr, value)


# ---- strings ----------------------------------------------------------------------------------------------
def starting_with(attr: Any, value: Any) -> bool:
    return isinstance(attr, str) and attr.startswith(str(value))


def not_starting_with(attr: Any, value: Any) -> bool:
    return not starting_with(attr, value)


def ending_with(attr: Any, value: Any) -> bool:
    return isinstance(attr, str) and attr.endswith(str(value))


def not_ending_with(attr: Any, value: Any) -> bool:
    return not ending_with(attr, value)


def regex_match(attr: Any, value: Any) -> bool:
    return _regex(str(value)).match(_s(attr)) is not None


def not_regex_match(attr: Any, value: Any) -> bool:
    return not regex_match(attr, value)


# ---- numbers and lengths ----------------------------------------------------------------------------------
def _compare(attr: Any, value: Any, test: Callable[[float, float], bool]) -> bool:
    a, b = _num(attr), _num(value)
    return a is not None and b is not None and test(a, b)


def greater_than(attr: Any, value: Any) -> bool:
    return _compare(attr, value, lambda a, b: a > b)


def greater_than_or_equal(attr: Any, value: Any) -> bool:
    return _compare(attr, value, lambda a, b: a >= b)


def less_than(attr: Any, value: Any) -> bool:
    return _compare(attr, value, lambda a, b: a < b)


def less_than_or_equal(attr: Any, value: Any) -> bool:
    return _compare(attr, value, lambda a, b: a <= b)


def _length(attr: Any, value: Any, test: Callable[[int, float], bool]) -> bool:
    if attr is None or not hasattr(attr, "__len__"):
        return False
    v = _num(value)
    return v is not None and test(len(attr), v)


def length_equals(attr: Any, value: Any) -> bool:
    return _length(attr, value, lambda n, v: n == v)


def length_not_equals(attr: Any, value: Any) -> bool:
    return _length(attr, value, lambda n, v: n != v)


def length_greater_than(attr: Any, value: Any) -> bool:
    return _length(attr, value, lambda n, v: n > v)


def length_greater_than_or_equal(attr: Any, value: Any) -> bool:
    return _length(attr, value, lambda n, v: n >= v)


def length_less_than(attr: Any, value: Any) -> bool:
    return _length(attr, value, lambda n, v: n < v)


def length_less_than_or_equal(attr: Any, value: Any) -> bool:
    return _length(attr, value, lambda n, v: n <= v)


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": equals, "not_equals": not_equals, "equals_ignore_case": equals_ignore_case,
    "not_equals_ignore_case": not_equals_ignore_case,
    "exists": exists, "not_exists": not_exists, "is_empty": is_empty, "is_not_empty": is_not_empty,
    "is_true": is_true, "is_false": is_false,
    "any": any_, "within": within, "not_within": not_within, "contains": contains, "not_contains": not_contains,
    "intersects": intersects, "not_intersects": not_intersects, "subset": subset, "not_subset": not_subset,
    "starting_with": starting_with, "not_starting_with": not_starting_with, "ending_with": ending_with,
    "not_ending_with": not_ending_with, "regex_match": regex_match, "not_regex_match": not_regex_match,
    "greater_than": greater_than, "greater_than_or_equal": greater_than_or_equal, "less_than": less_than,
    "less_than_or_equal": less_than_or_equal,
    "length_equals": length_equals, "length_not_equals": length_not_equals,
    "length_greater_than": length_greater_than, "length_greater_than_or_equal": length_greater_than_or_equal,
    "length_less_than": length_less_than, "length_less_than_or_equal": length_less_than_or_equal,
}


def apply_operator(op: str, attr: Any, value: Any) -> bool:
    """checkov's operator on a known attribute value (None when missing)."""
    fn = OPERATORS.get(op)
    if fn is None:
        raise ValueError(f"unsupported operator {op}")
    return fn(attr, value)
