"""Encoding functions: JSON and YAML (with partial JSON for unknown leaves), base64, URL, hashes."""
from __future__ import annotations

import base64
import hashlib
import json
import re
import urllib.parse
from typing import Any, Callable

from ...model import Unknown
from . import core
from .core import (LIMIT, MAX_NUMBER_TEXT, PartialJSON, Refuse, TFError, check_len, derive, fail, produce, refs_of,
                   unknown)
from .values import as_str, is_num, num_ok, num_str

# ---- JSON and YAML -------------------------------------------------------------------------------------------

_JSON_ESC = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _json_str(s: str) -> str:
    out = json.dumps(s, ensure_ascii=False)
    return re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESC[m.group(0)], out)


def _encode_parts(v: Any, parts: list, size: list, depth: int = 0) -> None:
    if depth > 200:
        unknown(f"jsonencode() nesting {LIMIT}")
    if isinstance(v, Unknown):
        parts.append(v)
        return
    if isinstance(v, dict):
        parts.append("{")
        for i, k in enumerate(sorted(v)):
            if i:
                parts.append(",")
            parts.append(_json_str(k) + ":")
            _encode_parts(v[k], parts, size, depth + 1)
        parts.append("}")
    elif isinstance(v, list):
        parts.append("[")
        for i, x in enumerate(v):
            if i:
                parts.append(",")
            _encode_parts(x, parts, size, depth + 1)
        parts.append("]")
    elif v is None:
        parts.append("null")
    elif isinstance(v, bool):
        parts.append("true" if v else "false")
    elif is_num(v):
        parts.append(num_str(num_ok(v)))
    elif isinstance(v, str):
        parts.append(_json_str(v))
    else:
        unknown(f"jsonencode() of a {type(v).__name__}")
    size[0] += len(parts[-1]) if isinstance(parts[-1], str) else 0
    check_len(size[0], "jsonencode() result")


def _encode_json(v: Any) -> str:
    parts: list = []
    _encode_parts(v, parts, [0])
    u = next((p for p in parts if isinstance(p, Unknown)), None)
    if u is not None:
        raise Refuse(derive(u, f"the value depends on a value not known statically ({u.reason})"))
    return "".join(parts)


def merge_text(parts: list) -> list:
    """Encoded JSON pieces with adjacent known strings joined: the `parts` of a PartialJSON."""
    merged: list = []
    for p in parts:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        else:
            merged.append(p)
    return merged


def _jsonencode(v):
    # functions/jsonencode: keys sorted, <>& escaped as \u003c \u003e \u0026; numbers without exponent
    parts: list = []
    _encode_parts(v, parts, [0])
    merged = merge_text(parts)
    leaves = [p for p in merged if isinstance(p, Unknown)]
    if not leaves:
        return "".join(merged)
    first = leaves[0]
    if isinstance(first, TFError):
        raise Refuse(first)
    return PartialJSON(f"jsonencode() depends on a value not known statically ({first.reason})",
                       refs_of(*leaves), merged, v)


def _json_int(s: str):
    if len(s) > MAX_NUMBER_TEXT:
        unknown(f"a JSON number of more than {MAX_NUMBER_TEXT} digits {LIMIT}")
    return num_ok(int(s))


def _json_float(s: str):
    if len(s) > MAX_NUMBER_TEXT:
        unknown(f"a JSON number of more than {MAX_NUMBER_TEXT} digits {LIMIT}")
    return num_ok(float(s))


def _json_const(s: str):
    fail(f"jsondecode(): {s} is not JSON")


def _jsondecode(s):
    if isinstance(s, PartialJSON):
        return s.value
    s = as_str(s)
    try:
        v = json.loads(s, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_const)
    except RecursionError:
        unknown(f"jsondecode() nesting {LIMIT}")
    except ValueError as e:
        fail(f"jsondecode(): invalid JSON ({str(e)[:60]})")
    produce(_count(v), "jsondecode()")
    return v


def _count(v: Any) -> int:
    n = 0
    stack = [v]
    while stack:
        x = stack.pop()
        n += 1
        if isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)
    return n


def _yamldecode(s):
    # functions/yamldecode: one document; timestamps stay strings; anchors are bounded by expanded size
    import yaml
    s = as_str(s)

    class Loader(yaml.SafeLoader):
        pass
    Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda ld, node: ld.construct_scalar(node))
    Loader.add_constructor("tag:yaml.org,2002:binary", lambda ld, node: ld.construct_scalar(node))
    try:
        node = yaml.compose(s, Loader=Loader)
    except RecursionError:
        unknown(f"yamldecode() nesting {LIMIT}")
    except yaml.YAMLError as e:
        fail(f"yamldecode(): invalid YAML ({str(e)[:60]})")
    if node is None:
        return None
    sizes: dict[int, int] = {}

    def size(nd, depth=0) -> int:
        if id(nd) in sizes:
            return sizes[id(nd)]
        if depth > 200:
            unknown(f"yamldecode() nesting {LIMIT}")
        sizes[id(nd)] = 1  # cycles count once; construction refuses them below
        if isinstance(nd, yaml.SequenceNode):
            t = 1 + sum(size(c, depth + 1) for c in nd.value)
        elif isinstance(nd, yaml.MappingNode):
            t = 1 + sum(size(k, depth + 1) + size(v, depth + 1) for k, v in nd.value)
        else:
            t = 1
        sizes[id(nd)] = t
        return t
    total = size(node)
    if total > core.BUDGET.max_elements - core.BUDGET.elements:
        unknown(f"yamldecode() of {total} values {LIMIT}")
    try:
        data = Loader(s).get_single_data()
    except RecursionError:
        unknown(f"yamldecode() nesting {LIMIT}")
    except (yaml.YAMLError, ValueError, TypeError) as e:
        fail(f"yamldecode(): invalid YAML ({str(e)[:60]})")
    produce(total, "yamldecode()")
    return _yaml_value(data, 0, set())


def _yaml_value(v: Any, depth: int, active: set) -> Any:
    if depth > 200:
        unknown(f"yamldecode() nesting {LIMIT}")
    if isinstance(v, (dict, list)):
        if id(v) in active:
            fail("yamldecode(): a recursive alias")
        active = active | {id(v)}
    if isinstance(v, dict):
        return {as_str(k, "key") if k is not None else "null": _yaml_value(x, depth + 1, active)
                for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_yaml_value(x, depth + 1, active) for x in v]
    if isinstance(v, set):
        return [_yaml_value(x, depth + 1, active) for x in sorted(v, key=str)]
    if isinstance(v, float):
        return num_ok(v)
    if isinstance(v, int) and not isinstance(v, bool):
        return num_ok(v)
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return v


# ---- encoding and hashing -----------------------------------------------------------------------------------

def _b64decode(s):
    s = as_str(s)
    try:
        raw = base64.b64decode(s, validate=True)
        return raw.decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        fail("base64decode(): not base64-encoded UTF-8")


def _urlencode(s):
    # functions/urlencode: Go's url.QueryEscape (space becomes +)
    return urllib.parse.quote_plus(as_str(s), safe="-_.~")


def _hash(algo: str, b64: bool = False) -> Callable:
    def fn(s):
        d = hashlib.new(algo, as_str(s).encode("utf-8"))
        return base64.b64encode(d.digest()).decode() if b64 else d.hexdigest()
    fn.__name__ = ("base64" if b64 else "") + algo
    return fn
