"""Numeric and type-conversion functions (functions/<name>)."""
from __future__ import annotations

import math

from .core import LIMIT, MAX_INT_BITS, MAX_NUMBER_TEXT, fail, unknown
from .values import as_bool, as_int, as_str, num_ok, to_num, type_name

# ---- numbers -----------------------------------------------------------------------------------------------

def _numbers(name: str, args: tuple) -> list:
    if not args:
        fail(f"{name}() needs at least one number")
    return [to_num(x, f"{name}() argument") for x in args]


def _min(*a):
    return min(_numbers("min", a))


def _max(*a):
    return max(_numbers("max", a))


def _abs(x):
    return abs(to_num(x))


def _floor(x):
    return num_ok(math.floor(to_num(x)))


def _ceil(x):
    return num_ok(math.ceil(to_num(x)))


def _signum(x):
    n = to_num(x)
    return (n > 0) - (n < 0)


def _log(x, base):
    x, b = to_num(x), to_num(base)
    if x <= 0 or b <= 0 or b == 1:
        unknown("log() of these numbers is not a finite number")
    return num_ok(math.log(x) / math.log(b))


def _pow(x, y):
    x, y = to_num(x), to_num(y)
    if isinstance(x, int) and isinstance(y, int) and y >= 0:
        if x not in (0, 1, -1) and y * max(1, abs(x).bit_length()) > MAX_INT_BITS:
            unknown(f"pow() result {LIMIT}")
        return x ** y
    try:
        return num_ok(math.pow(x, y))
    except (OverflowError, ValueError):
        unknown("pow() result is not a finite number")


def _parseint(s, base):
    s, b = as_str(s), as_int(base, "base")
    if not 2 <= b <= 62:
        fail("parseint() base must be between 2 and 62")
    if len(s) > MAX_NUMBER_TEXT:
        unknown(f"parseint() of a string of more than {MAX_NUMBER_TEXT} characters {LIMIT}")
    digits = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if b > 36:
        neg = s.startswith("-")
        body = s[1:] if s[:1] in "+-" else s
        if not body:
            fail("parseint(): not a number")
        n = 0
        for ch in body:
            d = digits.find(ch)
            if d < 0 or d >= b:
                fail(f"parseint(): {s!r} is not a base-{b} number")
            n = n * b + d
        return num_ok(-n if neg else n)
    body = s[1:] if s[:1] in "+-" else s
    if not body or any(digits.find(ch.lower()) < 0 or digits.find(ch.lower()) >= b for ch in body):
        fail(f"parseint(): {s!r} is not a base-{b} number")
    return num_ok(int(s, b))


# ---- type conversions ---------------------------------------------------------------------------------------

def _tostring(v):
    if v is None:
        return None
    if isinstance(v, (list, dict)):
        fail("tostring() of a collection")
    return as_str(v)


def _tonumber(v):
    if v is None:
        return None
    if isinstance(v, bool) or isinstance(v, (list, dict)):
        fail(f"tonumber() of a {type_name(v)}")
    return to_num(v)


def _tobool(v):
    if v is None:
        return None
    return as_bool(v, "tobool() argument")
