"""JSON and number reading that no input can crash: the one place numbers and JSON text become values.

- Integers longer than Python's safe conversion limit (4,300 digits, CPython's guard against quadratic
  time) and floats outside the double range become `Unknown` ("number too large to analyze") instead of
  raising; real configuration never holds such numbers, and a verdict must not hang on one.
- `NaN`, `Infinity` and `-Infinity` are not JSON (RFC 8259); Terraform's parser rejects them, so do we:
  a syntax error with the line.
- A lone UTF-16 surrogate escape (`"\\ud800"`) decodes, as in Go's encoding/json, to U+FFFD, so no string
  the tool later writes can fail to encode as UTF-8.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

from .model import Unknown

MAX_INT_DIGITS = 4000
_SURROGATE_ESC = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


class NotJSON(ValueError):
    """A constant JSON does not have (NaN, Infinity): reported like a syntax error."""

    def __init__(self, name: str, lineno: int | None = None):
        super().__init__(f"{name} is not a JSON value")
        self.msg = f"{name} is not a JSON value"
        self.lineno = lineno
        self.colno = None


def number(text: str) -> Any:
    """A number literal's value: int, float, or Unknown when it is beyond what is analyzed."""
    digits = len(text.lstrip("+-"))
    if digits > MAX_INT_DIGITS and not any(c in text for c in ".eE"):
        return Unknown(f"a number with {digits} digits is too large to analyze")
    try:
        return int(text)
    except ValueError:
        pass
    try:
        f = float(text)
    except (ValueError, OverflowError):
        return Unknown(f"number literal {text[:20]!r} cannot be analyzed")
    if math.isinf(f) or math.isnan(f):
        return Unknown(f"number {text[:20]}{'...' if len(text) > 20 else ''} is outside the range analyzed")
    return f


def _parse_int(s: str) -> Any:
    if len(s) > MAX_INT_DIGITS:
        return Unknown(f"a number with {len(s.lstrip('-'))} digits is too large to analyze")
    return int(s)


def _parse_float(s: str) -> Any:
    return number(s)


def _constant(name: str) -> Any:
    raise NotJSON(name)


def fix_surrogates(value: Any) -> Any:
    """Replace lone surrogates in every string of a decoded document (keys included) with U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value
    if isinstance(value, list):
        return [fix_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {fix_surrogates(k): fix_surrogates(v) for k, v in value.items()}
    return value


def fix_text(s: str) -> str:
    return _SURROGATE.sub("\ufffd", s) if _SURROGATE.search(s) else s


def loads(text: str) -> Any:
    """json.loads with the rules above. Raises json.JSONDecodeError (or NotJSON, a ValueError with
    `msg` and `lineno`) on invalid JSON, RecursionError on pathological nesting."""
    try:
        doc = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_constant)
    except NotJSON as e:
        name = e.msg.split(" ", 1)[0]
        m = re.search(r"(?<![\w\"])-?(NaN|Infinity)(?![\w\"])", text)
        e.lineno = text.count("\n", 0, m.start()) + 1 if m else None
        raise NotJSON(name, e.lineno) from None
    if _SURROGATE_ESC.search(text):
        doc = fix_surrogates(doc)
    return doc
