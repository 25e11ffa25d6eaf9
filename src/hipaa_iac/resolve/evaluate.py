"""Give expression ASTs values: literals, variables, locals, references, the functions real configurations
use for security settings. Whatever cannot be known statically is Unknown with the reason, never a guess.

Every reference followed while evaluating is recorded in `Scope.collect` (graph edges), whether or not
its value is known: `bucket = aws_s3_bucket.b.bucket` resolves to the configured name and is still an edge.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable

from ..expr import (BinOp, Call, Cond, ForExpr, Invalid, Lit, Node, ObjectExpr, Template, Traversal,
                    TupleExpr, UnaryOp, Var, traversal_text)
from ..model import Unknown, contains_unknown

MAX_COLLECTION = 100_000
EXTRA_READS: set[str] = set()  # files read by file() during a load (part of the scan cache key)


class Scope:
    """What names mean where an expression is evaluated.

    `lookup(root, steps)` is supplied by the module resolver for var/local/module/data/resource roots;
    `locals_` holds iteration variables (count, each, for-expression variables, dynamic iterators).
    """

    def __init__(self, lookup: Callable[[str, list, "Scope"], Any], bindings: dict | None = None,
                 collect: set | None = None, module_dir: str | None = None, root_dir: str | None = None):
        self.lookup = lookup
        self.bindings = bindings or {}
        self.collect = collect if collect is not None else set()
        self.module_dir = module_dir
        self.root_dir = root_dir

    def child(self, extra: dict) -> "Scope":
        b = dict(self.bindings)
        b.update(extra)
        return Scope(self.lookup, b, self.collect, self.module_dir, self.root_dir)


def _unknown_in(*values) -> Unknown | None:
    for v in values:
        if isinstance(v, Unknown):
            return v
    return None


def _merge_refs(*values) -> tuple:
    refs: list = []
    for v in values:
        if isinstance(v, Unknown):
            refs.extend(v.refs)
    return tuple(dict.fromkeys(refs))


def to_str(v: Any) -> Any:
    if isinstance(v, Unknown):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if v is None:
        return Unknown("null value used in a string")
    if isinstance(v, (dict, list)):
        return Unknown("a collection cannot be converted to a string")
    return str(v)


def get_step(value: Any, key: Any, what: str) -> Any:
    """value[key] / value.key with Terraform's rules; Unknown propagates."""
    if isinstance(value, Unknown):
        return value
    if isinstance(key, Unknown):
        return Unknown(f"index of {what} is not known statically ({key.reason})", key.refs)
    if isinstance(value, dict):
        k = to_str(key)
        if isinstance(k, str) and k in value:
            return value[k]
        return Unknown(f"{what} has no key with that name")
    if isinstance(value, list):
        try:
            i = int(key)
        except (TypeError, ValueError):
            if len(value) == 1 and isinstance(value[0], dict):  # a single nested block
                return get_step(value[0], key, what)
            return Unknown(f"{what} is a list, not indexable by {key!r}")
        if 0 <= i < len(value):
            return value[i]
        return Unknown(f"{what} has no element {i}")
    if value is None:
        return Unknown(f"{what} is null")
    return Unknown(f"{what} is not a collection")


class Evaluator:
    def __init__(self, functions: dict | None = None):
        self.functions = FUNCTIONS if functions is None else functions

    def eval(self, node: Node, scope: Scope) -> Any:
        m = getattr(self, "_" + type(node).__name__)
        return m(node, scope)

    def _Lit(self, n: Lit, scope: Scope) -> Any:
        return n.value

    def _Invalid(self, n: Invalid, scope: Scope) -> Any:
        return Unknown(n.reason)

    def _Template(self, n: Template, scope: Scope) -> Any:
        out = []
        unknown = None
        for p in n.parts:
            if isinstance(p, str):
                if unknown is None:
                    out.append(p)
                continue
            v = to_str(self.eval(p, scope))
            if isinstance(v, Unknown):
                if unknown is None:
                    unknown = v
                    prefix = "".join(out) + (v.prefix or "")
                else:
                    unknown = Unknown(unknown.reason, unknown.refs + v.refs)
                continue
            if unknown is None:
                out.append(v)
        if unknown is not None:
            # the start of the string is still known: "serviceAccount:${...}" is never "allUsers"
            return Unknown(unknown.reason, unknown.refs, prefix=prefix or None)
        return "".join(out)

    def _Var(self, n: Var, scope: Scope) -> Any:
        if n.name in scope.bindings:
            return scope.bindings[n.name]
        return scope.lookup(n.name, [], scope)

    def _Traversal(self, n: Traversal, scope: Scope) -> Any:
        steps = n.steps
        if isinstance(n.base, Var) and n.base.name not in scope.bindings:
            # hand the static prefix (attrs and literal indexes) to the resolver
            static: list = []
            i = 0
            while i < len(steps):
                s = steps[i]
                if s[0] == "attr":
                    static.append(s[1])
                elif s[0] == "index":
                    k = self.eval(s[1], scope)
                    static.append(Idx(k if not isinstance(k, float) else int(k)))
                else:
                    break
                i += 1
            value = scope.lookup(n.base.name, static, scope)
            consumed = len(static)
            if isinstance(value, _Partial):
                value, consumed = value.value, value.consumed
            rest = steps[consumed:]
            return self._apply_steps(value, rest, scope, traversal_text(n) or n.base.name)
        base = self.eval(n.base, scope)
        return self._apply_steps(base, steps, scope, traversal_text(n) or "expression")

    def _apply_steps(self, value: Any, steps: list, scope: Scope, what: str) -> Any:
        i = 0
        while i < len(steps):
            s = steps[i]
            if s[0] == "attr":
                value = get_step(value, s[1], what)
            elif s[0] == "index":
                value = get_step(value, self.eval(s[1], scope), what)
            else:  # splat: apply the remaining attribute steps to each element
                if isinstance(value, Unknown):
                    return value
                rest = steps[i + 1:]
                if s[0] == "legacy_splat":
                    # .* applies only the following attribute steps
                    j = 0
                    while j < len(rest) and rest[j][0] == "attr":
                        j += 1
                    inner, after = rest[:j], rest[j:]
                else:
                    inner, after = rest, []
                if value is None:
                    items = []
                elif isinstance(value, list):
                    items = value
                else:
                    items = [value]
                value = [self._apply_steps(x, inner, scope, what) for x in items]
                return self._apply_steps(value, after, scope, what) if after else value
            i += 1
        return value

    def _Call(self, n: Call, scope: Scope) -> Any:
        name = n.name.split("::")[-1]
        if name in ("try", "can"):
            return self._try(n, scope, name)
        fn = self.functions.get(name)
        args = [self.eval(a, scope) for a in n.args]
        if n.expand and args:
            last = args.pop()
            if isinstance(last, Unknown):
                return Unknown(f"{name}(...) expands a value that is not known statically", last.refs)
            args.extend(last if isinstance(last, list) else [last])
        if fn is None:
            return Unknown(f"function {name}() is not evaluated statically", _merge_refs(*args))
        if name == "file":
            return _file(scope, *args)
        try:
            return fn(*args)
        except _UnknownArg as e:
            return e.unknown
        except Exception as e:  # a function applied to values it rejects: Terraform would error too
            return Unknown(f"{name}() could not be evaluated: {type(e).__name__}")

    def _try(self, n: Call, scope: Scope, name: str) -> Any:
        for a in n.args:
            v = self.eval(a, scope)
            u = contains_unknown(v)
            if u is None:
                return True if name == "can" else v
            # an Unknown caused by a missing key means this alternative fails; anything else is unknown
            if not _is_missing(u):
                return Unknown(f"{name}() depends on a value not known statically ({u.reason})", u.refs)
        if name == "can":
            return False
        return Unknown("try(): no alternative could be evaluated")

    def _Cond(self, n: Cond, scope: Scope) -> Any:
        c = self.eval(n.cond, scope)
        if isinstance(c, Unknown):
            a = self.eval(n.then, scope)
            b = self.eval(n.other, scope)
            if not isinstance(a, Unknown) and not isinstance(b, Unknown) and a == b:
                return a
            return Unknown(f"condition is not known statically ({c.reason})", _merge_refs(c, a, b))
        if isinstance(c, str):
            c = c == "true"
        return self.eval(n.then if c else n.other, scope)

    def _BinOp(self, n: BinOp, scope: Scope) -> Any:
        op = n.op
        left = self.eval(n.left, scope)
        if op in ("&&", "||") and not isinstance(left, Unknown):
            if op == "&&" and left is False:
                return False
            if op == "||" and left is True:
                return True
        right = self.eval(n.right, scope)
        if op in ("&&", "||") and isinstance(left, Unknown) and not isinstance(right, Unknown):
            if op == "&&" and right is False:
                return False
            if op == "||" and right is True:
                return True
        u = _unknown_in(left, right)
        if u is not None:
            return Unknown(u.reason, _merge_refs(left, right))
        try:
            if op == "==":
                return _norm(left) == _norm(right)
            if op == "!=":
                return _norm(left) != _norm(right)
            if op == "&&":
                return bool(left) and bool(right)
            if op == "||":
                return bool(left) or bool(right)
            a, b = _num(left), _num(right)
            if op == "+":
                return _int(a + b)
            if op == "-":
                return _int(a - b)
            if op == "*":
                return _int(a * b)
            if op == "/":
                return _int(a / b)
            if op == "%":
                return _int(a % b)
            if op == "<":
                return a < b
            if op == ">":
                return a > b
            if op == "<=":
                return a <= b
            if op == ">=":
                return a >= b
        except (TypeError, ValueError, ZeroDivisionError):
            return Unknown(f"operator {op} cannot be evaluated on these values")
        return Unknown(f"operator {op} is not supported")

    def _UnaryOp(self, n: UnaryOp, scope: Scope) -> Any:
        v = self.eval(n.operand, scope)
        if isinstance(v, Unknown):
            return v
        if n.op == "!":
            return not v if isinstance(v, bool) else Unknown("! applied to a non-boolean")
        try:
            return -_num(v)
        except (TypeError, ValueError):
            return Unknown("- applied to a non-number")

    def _TupleExpr(self, n: TupleExpr, scope: Scope) -> Any:
        return [self.eval(x, scope) for x in n.items]

    def _ObjectExpr(self, n: ObjectExpr, scope: Scope) -> Any:
        out: dict = {}
        for k, v in n.items:
            key = to_str(self.eval(k, scope))
            val = self.eval(v, scope)
            if isinstance(key, Unknown):
                return Unknown(f"an object key is not known statically ({key.reason})", key.refs)
            out[key] = val
        return out

    def _ForExpr(self, n: ForExpr, scope: Scope) -> Any:
        coll = self.eval(n.coll, scope)
        if isinstance(coll, Unknown):
            return Unknown(f"for expression over a value not known statically ({coll.reason})", coll.refs)
        if isinstance(coll, dict):
            pairs = list(coll.items())
        elif isinstance(coll, list):
            pairs = list(enumerate(coll))
        else:
            return Unknown("for expression over a non-collection")
        if len(pairs) > MAX_COLLECTION:
            return Unknown(f"for expression over {len(pairs)} elements exceeds the analysis limit")
        out_list: list = []
        out_map: dict = {}
        for k, v in pairs:
            b = {n.val_var: v}
            if n.key_var:
                b[n.key_var] = k
            s = scope.child(b)
            if n.cond is not None:
                c = self.eval(n.cond, s)
                if isinstance(c, Unknown):
                    return Unknown(f"for expression filter not known statically ({c.reason})", c.refs)
                if not c:
                    continue
            if n.is_object:
                key = to_str(self.eval(n.key, s))
                if isinstance(key, Unknown):
                    return Unknown(f"for expression key not known statically ({key.reason})", key.refs)
                val = self.eval(n.value, s)
                if n.group:
                    out_map.setdefault(key, []).append(val)
                else:
                    out_map[key] = val
            else:
                out_list.append(self.eval(n.value, s))
        return out_map if n.is_object else out_list


class Idx:
    """An index step `[k]` handed to a resolver lookup (attribute steps are plain strings)."""
    __slots__ = ("key",)

    def __init__(self, key: Any):
        self.key = key

    def __repr__(self) -> str:
        return f"Idx({self.key!r})"


class _Partial:
    """Returned by a resolver lookup that consumed only the first `consumed` static steps."""
    __slots__ = ("value", "consumed")

    def __init__(self, value: Any, consumed: int):
        self.value = value
        self.consumed = consumed


Partial = _Partial


class _UnknownArg(Exception):
    def __init__(self, unknown: Unknown):
        self.unknown = unknown


def _is_missing(u: Unknown) -> bool:
    r = u.reason
    return " has no key " in r or " has no element " in r or r.endswith(" is null") or "has no attribute" in r


def _norm(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _num(v: Any) -> float | int:
    if isinstance(v, bool):
        raise TypeError
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        f = float(v)
        return int(f) if f.is_integer() and "." not in v and "e" not in v.lower() else f
    raise TypeError


def _int(v: float | int) -> float | int:
    return int(v) if isinstance(v, float) and v.is_integer() else v


# ---- functions ----------------------------------------------------------------------------------

def _strict(fn: Callable) -> Callable:
    """Wrap: any Unknown among the arguments (deeply) makes the result Unknown."""
    def wrapped(*args):
        for a in args:
            u = contains_unknown(a)
            if u is not None:
                raise _UnknownArg(Unknown(f"{fn.__name__.strip('_')}() depends on a value not known statically "
                                          f"({u.reason})", _merge_refs(*[contains_unknown(x) for x in args])))
        return fn(*args)
    wrapped.__name__ = fn.__name__
    return wrapped


def _merge(*maps):
    out: dict = {}
    for m in maps:
        if isinstance(m, Unknown):
            raise _UnknownArg(Unknown(f"merge() depends on a value not known statically ({m.reason})", m.refs))
        if m is None:
            continue
        out.update(m)
    return out


def _lookup(m, key, *default):
    if isinstance(m, Unknown):
        raise _UnknownArg(m)
    if isinstance(key, Unknown):
        raise _UnknownArg(key)
    if key in m:
        return m[key]
    if default:
        return default[0]
    raise KeyError(key)


def _coalesce(*args):
    for a in args:
        if isinstance(a, Unknown):
            raise _UnknownArg(Unknown(f"coalesce() depends on a value not known statically ({a.reason})", a.refs))
        if a is not None and a != "":
            return a
    raise ValueError("no non-null argument")


def _concat(*lists):
    out: list = []
    for x in lists:
        if isinstance(x, Unknown):
            raise _UnknownArg(x)
        out.extend(x)
    return out


def _format(fmt, *args):
    def conv(m):
        spec = m.group(0)
        if spec == "%%":
            return "%"
        conv.i += 1
        v = args[conv.i - 1]
        kind = spec[-1]
        if kind == "d":
            return spec % int(v)
        if kind in "sv":
            return (spec[:-1] + "s") % to_str(v)
        if kind == "q":
            return json.dumps(to_str(v))
        if kind == "t":
            return "true" if v else "false"
        return spec % v
    conv.i = 0
    return re.sub(r"%[-+ #0-9.]*[a-zA-Z%]", conv, fmt)


def _tobool(v):
    if isinstance(v, bool) or v is None:
        return v
    if v in ("true", "false"):
        return v == "true"
    raise ValueError(v)


def _tonumber(v):
    if v is None:
        return None
    return _num(v)


def _jsondecode(s):
    return json.loads(s)


def _jsonencode(v):
    return json.dumps(v, separators=(",", ":"), sort_keys=True)


def _flatten(v):
    out: list = []
    for x in v:
        if isinstance(x, list):
            out.extend(_flatten(x))
        else:
            out.append(x)
    return out


def _element(lst, i):
    return lst[int(i) % len(lst)]


def _length(v):
    return len(v)


def _tostring(v):
    if v is None:
        return None
    r = to_str(v)
    if isinstance(r, Unknown):
        raise ValueError("not a primitive")
    return r


def _compact(v):
    return [x for x in v if x not in (None, "")]


def _distinct(v):
    """Order-keeping de-duplication in linear time (hashable values by key, others by equality)."""
    seen: set = set()
    out = []
    for x in v:
        try:
            key = json.dumps(x, sort_keys=True, default=str) if isinstance(x, (dict, list)) else (type(x).__name__, x)
        except (TypeError, ValueError):
            key = repr(x)
        if key not in seen:
            seen.add(key)
            out.append(x)
    return out


def _range(*a):
    args = [int(x) for x in a]
    r = range(*args)
    if len(r) > MAX_COLLECTION:
        raise _UnknownArg(Unknown(f"range() of {len(r)} elements exceeds the analysis limit"))
    return list(r)


def _toset(v):
    return _distinct(v)


def _file(scope: Scope, path=None, *rest):
    import os
    if isinstance(path, Unknown):
        return Unknown(f"file() path not known statically ({path.reason})", path.refs)
    if not isinstance(path, str) or scope.module_dir is None or scope.root_dir is None:
        return Unknown("file() cannot be read here")
    full = os.path.realpath(os.path.join(scope.module_dir, path))
    root = os.path.realpath(scope.root_dir)
    if not (full == root or full.startswith(root + os.sep)):
        return Unknown(f"file({path!r}) is outside the scanned tree")
    try:
        if os.path.getsize(full) > 2_000_000:
            return Unknown(f"file({path!r}) is too large to analyze")
        EXTRA_READS.add(full)
        with open(full, encoding="utf-8") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError):
        return Unknown(f"file({path!r}) cannot be read")


FUNCTIONS: dict[str, Callable] = {
    "merge": _merge,
    "lookup": _lookup,
    "coalesce": _coalesce,
    "concat": _concat,
    "format": _strict(_format),
    "tostring": _strict(_tostring),
    "tonumber": _strict(_tonumber),
    "tobool": _strict(_tobool),
    "tolist": _strict(lambda v: list(v)),
    "toset": _strict(_toset),
    "tomap": _strict(lambda v: dict(v)),
    "jsonencode": _strict(_jsonencode),
    "jsondecode": _strict(_jsondecode),
    "lower": _strict(lambda s: s.lower()),
    "upper": _strict(lambda s: s.upper()),
    "trimspace": _strict(lambda s: s.strip()),
    "join": _strict(lambda sep, lst: sep.join(to_str(x) for x in lst)),
    "split": _strict(lambda sep, s: s.split(sep)),
    "replace": _strict(lambda s, a, b: s.replace(a, b)),
    "length": _strict(_length),
    "element": _strict(_element),
    "contains": _strict(lambda lst, v: v in lst),
    "keys": _strict(lambda m: sorted(m.keys())),
    "values": _strict(lambda m: [m[k] for k in sorted(m.keys())]),
    "flatten": _strict(_flatten),
    "distinct": _strict(_distinct),
    "compact": _strict(_compact),
    "zipmap": _strict(lambda ks, vs: dict(zip(ks, vs))),
    "min": _strict(lambda *a: _int(min(a))),
    "max": _strict(lambda *a: _int(max(a))),
    "abs": _strict(lambda a: abs(a)),
    "startswith": _strict(lambda s, p: s.startswith(p)),
    "endswith": _strict(lambda s, p: s.endswith(p)),
    "substr": _strict(lambda s, o, n: s[o:] if n < 0 else s[o:o + n]),
    "range": _strict(_range),
    "file": _file,
}
