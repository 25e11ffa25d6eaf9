"""Give expression ASTs values: literals, variables, locals, references, Terraform's functions
(resolve/functions.py). Whatever cannot be known statically is Unknown with the reason, never a guess.

Every reference followed while evaluating is recorded in `Scope.collect` (graph edges), whether or not
its value is known: `bucket = aws_s3_bucket.b.bucket` resolves to the configured name and is still an edge.

Total by construction: an Unknown never reaches a truth test, comparison, `len`, hash, sort or number
conversion here (model.Unknown raises on bool()); conditions follow Terraform's type rules (a bool, or the
strings "true"/"false"; anything else is the error Terraform reports, as a `TFError`). Work is bounded per
top-level evaluation (`functions.Budget`: nodes evaluated, elements produced) and strings by
`functions.MAX_STRING`; past a limit the value is Unknown("... exceeds the analysis limit ...").

Order: `for` over a map or object iterates its keys in lexicographic order, as Terraform does; a set
(`toset`, `setunion`, ...) is a list in Terraform's set order (strings lexicographically, numbers
ascending), so `for` over it iterates in that order too.
"""
from __future__ import annotations

import hashlib
import os
import re
from typing import Any, Callable

from ..expr import (BinOp, Call, Cond, ForExpr, Invalid, Lit, Node, ObjectExpr, Template, Traversal,
                    TupleExpr, UnaryOp, Var, traversal_text)
from ..model import SENSITIVE_TEXT, Unknown, contains_unknown
from ..paths import inside as _inside
from . import functions as F
from .functions import core as _core  # the budget lives (and is swapped) there
from .functions import (EXTRA_READS, FUNCTIONS, LIMIT, MAX_FILE, SENSITIVE_MARK, Budget, PartialJSON, Refuse,
                        TFError, as_bool, bool_or_unknown, derive, equal, num_ok, refs_of, to_num, to_str)

__all__ = ["EXTRA_READS", "FUNCTIONS", "MAX_COLLECTION", "Evaluator", "Idx", "Partial", "PartialJSON", "Scope",
           "TFError", "get_step", "to_str"]

MAX_COLLECTION = 100_000  # elements one `for` iterates
MAX_TOTAL_NODES = 5_000_000  # nodes one Evaluator evaluates over its life (one load); real modules: < 20,000


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


def _index_key(key: Any, what: str) -> int | Unknown:
    """A list index as Terraform converts it: a whole number, or a string holding one."""
    if isinstance(key, bool) or key is None:
        return TFError(f"{what}: a list index must be a number")
    try:
        n = to_num(key, "a list index")
    except Refuse as e:
        return e.unknown
    if isinstance(n, float):
        return TFError(f"{what}: a list index must be a whole number")
    return n


def get_step(value: Any, key: Any, what: str) -> Any:
    """value[key] / value.key with Terraform's rules; Unknown propagates."""
    if isinstance(value, Unknown):
        return value
    if isinstance(key, Unknown):
        return derive(key, f"index of {what} is not known statically ({key.reason})")
    if isinstance(value, dict):
        k = to_str(key)
        if isinstance(k, str) and k in value:
            return value[k]
        return Unknown(f"{what} has no key with that name")
    if isinstance(value, list):
        if isinstance(key, str) and not F._NUM_RE.match(key):
            if len(value) == 1 and isinstance(value[0], dict):  # a single nested block
                return get_step(value[0], key, what)
            return Unknown(f"{what} is a list, not indexable by a name")
        i = _index_key(key, what)
        if isinstance(i, Unknown):
            return i
        if 0 <= i < len(value):
            return value[i]
        return Unknown(f"{what} has no element {i}")
    if value is None:
        return Unknown(f"{what} is null")
    return Unknown(f"{what} is not a collection")


def _limit_unknown(budget: Budget) -> Unknown:
    return Unknown(budget.why())


class Evaluator:
    def __init__(self, functions: dict | None = None, max_nodes: int = 500_000,
                 max_elements: int = F.MAX_ELEMENTS, max_total_nodes: int = MAX_TOTAL_NODES):
        self.functions = FUNCTIONS if functions is None else functions
        self.max_nodes = max_nodes
        self.max_elements = max_elements
        self.max_total_nodes = max_total_nodes
        self.total_nodes = 0
        self.budget = Budget(max_nodes, max_elements)
        self.depth = 0

    def eval(self, node: Node, scope: Scope) -> Any:
        if self.depth == 0:
            return self._top(node, scope)
        b = self.budget
        b.nodes += 1
        if b.exhausted():
            return _limit_unknown(b)
        self.depth += 1
        try:
            return getattr(self, "_" + type(node).__name__)(node, scope)
        finally:
            self.depth -= 1

    def _top(self, node: Node, scope: Scope) -> Any:
        """One evaluation from outside: a fresh work budget, nested re-entries (references) share it."""
        if self.total_nodes > self.max_total_nodes:
            return Unknown(f"the work of this configuration's expressions {LIMIT} ({self.max_total_nodes} steps)")
        saved = _core.BUDGET
        self.budget = _core.BUDGET = Budget(self.max_nodes, self.max_elements)
        self.depth = 1
        try:
            return getattr(self, "_" + type(node).__name__)(node, scope)
        except Refuse as e:
            return e.unknown
        except RecursionError:
            return Unknown("expression nested too deeply to evaluate")
        finally:
            self.total_nodes += self.budget.nodes
            self.depth = 0
            _core.BUDGET = saved

    def _Lit(self, n: Lit, scope: Scope) -> Any:
        v = n.value
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            try:
                return num_ok(v)
            except Refuse as e:
                return e.unknown
        return v

    def _Invalid(self, n: Invalid, scope: Scope) -> Any:
        return Unknown(n.reason)

    def _Template(self, n: Template, scope: Scope) -> Any:
        out: list[str] = []
        size = 0
        unknown: Unknown | None = None
        prefix = ""
        tail: list[str] = []  # known text after the last unknown part: the string's known end
        for p in n.parts:
            if isinstance(p, str):
                if unknown is None:
                    out.append(p)
                    size += len(p)
                else:
                    tail.append(p)
                continue
            v = self.eval(p, scope)
            if isinstance(v, TFError):
                return v
            v = to_str(v)
            if isinstance(v, Unknown):
                if unknown is None:
                    unknown = v
                    prefix = "".join(out) + (v.prefix or "")
                else:
                    unknown = Unknown(unknown.reason, unknown.refs + v.refs)
                tail = [v.suffix] if v.suffix else []
                continue
            if unknown is None:
                out.append(v)
                size += len(v)
                if size > F.MAX_STRING:
                    return Unknown(f"a string template result {LIMIT} ({F.MAX_STRING} characters)")
            else:
                tail.append(v)
        if unknown is not None:
            # the start and the end of the string are still known: "serviceAccount:${...}" is never
            # "allUsers"; "arn:${partition}:iam::aws:policy/ReadOnlyAccess" never ends in AdministratorAccess
            suffix = "".join(tail)
            if len(prefix) > F.MAX_STRING:
                prefix = ""
            if len(suffix) > F.MAX_STRING:
                suffix = ""
            return Unknown(unknown.reason, unknown.refs, prefix=prefix or None, suffix=suffix or None)
        self.budget.chars += size
        if self.budget.chars > self.budget.max_chars:
            return _limit_unknown(self.budget)
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
                    static.append(Idx(int(k) if isinstance(k, float) and k.is_integer() else k))
                else:
                    break
                i += 1
            if i < len(steps) and steps[i][0] in ("splat", "legacy_splat") and _resource_prefix(n.base.name, static):
                got = scope.lookup(n.base.name, static + [SPLAT], scope)
                got = got.value if isinstance(got, _Partial) else got
                if isinstance(got, Instances):
                    return self._splat_instances(n, static, got.keys, steps[i][0], steps[i + 1:], scope)
                if isinstance(got, Unknown) and got.refs:
                    return got
            value = scope.lookup(n.base.name, static, scope)
            consumed = len(static)
            if isinstance(value, _Partial):
                value, consumed = value.value, value.consumed
            rest = steps[consumed:]
            return self._apply_steps(value, rest, scope, traversal_text(n) or n.base.name)
        base = self.eval(n.base, scope)
        return self._apply_steps(base, steps, scope, traversal_text(n) or "expression")

    def _splat_instances(self, n: Traversal, static: list, keys: list, kind: str, rest: list, scope: Scope) -> Any:
        """`aws_x.y[*].attr` over a counted resource: the traversal once per instance (`aws_x.y[k].attr`),
        as Terraform evaluates it; a full splat applies every later step to each instance, a legacy `.*`
        only the attribute steps that follow it."""
        j = 0
        while j < len(rest) and rest[j][0] == "attr":
            j += 1
        inner, after = (rest[:j], rest[j:]) if kind == "legacy_splat" else (rest, [])
        attrs = [s[1] for s in inner[:j]] if kind == "legacy_splat" else \
            [s[1] for s in inner[:next((x for x, s in enumerate(inner) if s[0] != "attr"), len(inner))]]
        what = traversal_text(n) or n.base.name
        items = []
        for k in keys:
            pre = static + ([] if k is None else [Idx(k)])
            value = scope.lookup(n.base.name, pre + attrs, scope)
            consumed = len(pre) + len(attrs)
            if isinstance(value, _Partial):
                value, consumed = value.value, value.consumed
            left = (inner)[max(0, consumed - len(pre)):]
            items.append(self._apply_steps(value, left, scope, what))
        return self._apply_steps(items, after, scope, what) if after else items

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

    # ---- function calls ----------------------------------------------------------------------------
    def _Call(self, n: Call, scope: Scope) -> Any:
        name = n.name
        if name.startswith("core::"):  # Terraform's namespace for its built-in functions
            name = name[len("core::"):]
        if name in ("try", "can"):
            return self._try(n, scope, name)
        args = [self.eval(a, scope) for a in n.args]
        if "::" in name:
            return Unknown(f"provider-defined function {name}() is not evaluated statically", refs_of(*args))
        if n.expand and args:
            last = args.pop()
            if isinstance(last, Unknown):
                return derive(last, f"{name}(...) expands a value that is not known statically", last)
            if not isinstance(last, list):
                return TFError(f"{name}(...): only a list, set or tuple can be expanded")
            args.extend(last)
        scoped = _SCOPED.get(name)
        fn = None if scoped else self.functions.get(name)
        if scoped is None and fn is None:
            return Unknown(f"function {name}() is not evaluated statically", refs_of(*args))
        try:
            r = scoped(self, scope, *args) if scoped else fn(*args)
        except Refuse as e:
            return e.unknown
        except RecursionError:
            return Unknown(f"{name}(): nested too deeply to evaluate")
        except Exception as e:  # noqa: BLE001 - arguments a function rejects: Terraform would report an error
            return Unknown(f"{name}() could not be evaluated: {type(e).__name__}")
        if isinstance(r, str):
            if len(r) > F.MAX_STRING:
                return Unknown(f"{name}() result {LIMIT} ({F.MAX_STRING} characters)")
            self.budget.chars += len(r)
            if self.budget.chars > self.budget.max_chars:
                return _limit_unknown(self.budget)
        return r

    def _try(self, n: Call, scope: Scope, name: str) -> Any:
        for a in n.args:
            v = self.eval(a, scope)
            u = contains_unknown(v)
            if u is None:
                return True if name == "can" else v
            # an error (or a missing key / element) means this alternative fails; anything else is unknown
            if not (isinstance(u, TFError) or _is_missing(u)):
                if name == "try" and v is u and u.instance_certain and _plain_attribute_reference(a, scope):
                    # `try(aws_x.y[0].id, ...)` where the instance exists: reading one attribute of it cannot fail
                    # at apply, so Terraform's result is that attribute (a reference, configured, known at apply)
                    return v
                return Unknown(f"{name}() depends on a value not known statically ({u.reason})", u.refs)
        if name == "can":
            return False
        return TFError("try(): no alternative could be evaluated")

    # ---- operators ----------------------------------------------------------------------------------
    def _Cond(self, n: Cond, scope: Scope) -> Any:
        c = bool_or_unknown(self.eval(n.cond, scope))
        if isinstance(c, TFError):
            return c
        if isinstance(c, Unknown):
            a = self.eval(n.then, scope)
            b = self.eval(n.other, scope)
            if equal(a, b) is True:
                return a
            return Unknown(f"condition is not known statically ({c.reason})", refs_of(c, a, b))
        return self.eval(n.then if c else n.other, scope)

    def _BinOp(self, n: BinOp, scope: Scope) -> Any:
        op = n.op
        left = self.eval(n.left, scope)
        if op in ("&&", "||"):
            lb = bool_or_unknown(left, f"the left operand of {op}")
            if lb is (op == "||"):  # false && x is false, true || x is true
                return lb
            rb = bool_or_unknown(self.eval(n.right, scope), f"the right operand of {op}")
            for x in (lb, rb):
                if isinstance(x, TFError):
                    return x
            if rb is (op == "||"):
                return rb
            u = next((x for x in (lb, rb) if isinstance(x, Unknown)), None)
            if u is not None:
                return Unknown(u.reason, refs_of(lb, rb))
            return rb
        right = self.eval(n.right, scope)
        if op in ("==", "!="):
            r = equal(left, right)
            if r is None:
                u = contains_unknown(left)
                u = contains_unknown(right) if u is None else u
                return derive(u, u.reason, left, right)
            return r if op == "==" else not r
        for x in (left, right):
            if isinstance(x, Unknown):
                return derive(x, x.reason, left, right)
        try:
            a, b = to_num(left, f"operand of {op}"), to_num(right, f"operand of {op}")
            if op == "+":
                return num_ok(a + b)
            if op == "-":
                return num_ok(a - b)
            if op == "*":
                if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > F.MAX_INT_BITS + 1:
                    F.unknown(f"a number of more than {F.MAX_INT_BITS} bits {LIMIT}")
                return num_ok(a * b)
            if op == "/":
                if b == 0:
                    F.fail("division by zero")
                if isinstance(a, int) and isinstance(b, int) and a % b == 0:
                    return num_ok(a // b)
                return num_ok(a / b)
            if op == "%":
                if b == 0:
                    F.fail("modulo by zero")
                if isinstance(a, int) and isinstance(b, int):
                    r = abs(a) % abs(b)  # the sign of the dividend, as Terraform (Go) computes it
                    return -r if a < 0 else r
                import math
                return num_ok(math.fmod(a, b))
            if op == "<":
                return a < b
            if op == ">":
                return a > b
            if op == "<=":
                return a <= b
            if op == ">=":
                return a >= b
        except Refuse as e:
            return e.unknown
        except (OverflowError, ValueError, TypeError):
            return Unknown(f"operator {op} cannot be evaluated on these values")
        return Unknown(f"operator {op} is not supported")

    def _UnaryOp(self, n: UnaryOp, scope: Scope) -> Any:
        v = self.eval(n.operand, scope)
        if isinstance(v, Unknown):
            return v
        try:
            if n.op == "!":
                return not as_bool(v, "the operand of !")
            return num_ok(-to_num(v, "the operand of -"))
        except Refuse as e:
            return e.unknown

    def _TupleExpr(self, n: TupleExpr, scope: Scope) -> Any:
        self.budget.elements += len(n.items)
        return [self.eval(x, scope) for x in n.items]

    def _ObjectExpr(self, n: ObjectExpr, scope: Scope) -> Any:
        out: dict = {}
        self.budget.elements += len(n.items)
        for k, v in n.items:
            key = self.eval(k, scope)
            key = key if isinstance(key, TFError) else to_str(key)
            val = self.eval(v, scope)
            if isinstance(key, Unknown):
                return derive(key, f"an object key is not known statically ({key.reason})")
            out[key] = val
        return out

    def _ForExpr(self, n: ForExpr, scope: Scope) -> Any:
        coll = self.eval(n.coll, scope)
        if isinstance(coll, Unknown):
            return derive(coll, f"for expression over a value not known statically ({coll.reason})")
        if isinstance(coll, dict):
            pairs = sorted(coll.items(), key=lambda kv: kv[0])  # Terraform: keys in lexicographic order
        elif isinstance(coll, list):
            pairs = list(enumerate(coll))
        elif coll is None:
            return TFError("for expression over null")
        else:
            return TFError("for expression over a value that is not a collection")
        if len(pairs) > MAX_COLLECTION:
            return Unknown(f"for expression over {len(pairs)} elements {LIMIT}")
        b = self.budget
        b.elements += len(pairs)
        out_list: list = []
        out_map: dict = {}
        for k, v in pairs:
            if b.exhausted():
                return _limit_unknown(b)
            bind = {n.val_var: v}
            if n.key_var:
                bind[n.key_var] = k
            s = scope.child(bind)
            if n.cond is not None:
                c = bool_or_unknown(self.eval(n.cond, s), "the for expression's if clause")
                if isinstance(c, Unknown):
                    return derive(c, f"for expression filter not known statically ({c.reason})")
                if not c:
                    continue
            if n.is_object:
                key = self.eval(n.key, s)
                key = key if isinstance(key, TFError) else to_str(key)
                if isinstance(key, Unknown):
                    return derive(key, f"for expression key not known statically ({key.reason})")
                val = self.eval(n.value, s)
                if n.group:
                    out_map.setdefault(key, []).append(val)
                elif key in out_map:
                    return TFError(f"for expression produces the key {key[:60]!r} twice (use ... to group)")
                else:
                    out_map[key] = val
            else:
                out_list.append(self.eval(n.value, s))
        return out_map if n.is_object else out_list

    # ---- templates (templatefile, templatestring) ---------------------------------------------------------
    def render(self, parts: list, scope: Scope) -> Any:
        """A parsed template (see `parse_template`) with `scope`'s bindings; Unknown when any part is."""
        out: list[str] = []
        size = [0]
        u = self._render(parts, scope, out, size)
        if u is not None:
            known = "".join(out)
            return Unknown(u.reason, u.refs, prefix=(known + (u.prefix or "")) or None) \
                if not isinstance(u, TFError) else u
        return "".join(out)

    def _render(self, parts: list, scope: Scope, out: list, size: list) -> Unknown | None:
        for p in parts:
            if isinstance(p, str):
                out.append(p)
                size[0] += len(p)
            elif p[0] == "expr":
                v = self.eval(p[1], scope)
                v = v if isinstance(v, TFError) else to_str(v)
                if isinstance(v, Unknown):
                    return v
                out.append(v)
                size[0] += len(v)
                self.budget.chars += len(v)
            elif p[0] == "if":
                c = bool_or_unknown(self.eval(p[1], scope), "the template's if condition")
                if isinstance(c, Unknown):
                    return derive(c, f"template condition not known statically ({c.reason})")
                u = self._render(p[2] if c else p[3], scope, out, size)
                if u is not None:
                    return u
            elif p[0] == "for":
                _, key_var, val_var, coll_node, body = p
                coll = self.eval(coll_node, scope)
                if isinstance(coll, Unknown):
                    return derive(coll, f"template for over a value not known statically ({coll.reason})")
                if isinstance(coll, dict):
                    pairs = sorted(coll.items(), key=lambda kv: kv[0])
                elif isinstance(coll, list):
                    pairs = list(enumerate(coll))
                else:
                    return TFError("template for over a value that is not a collection")
                self.budget.elements += len(pairs)
                for k, v in pairs:
                    if self.budget.exhausted():
                        return _limit_unknown(self.budget)
                    bind = {val_var: v}
                    if key_var:
                        bind[key_var] = k
                    u = self._render(body, scope.child(bind), out, size)
                    if u is not None:
                        return u
            if size[0] > F.MAX_STRING:
                return Unknown(f"a template result {LIMIT} ({F.MAX_STRING} characters)")
            if self.budget.exhausted():
                return _limit_unknown(self.budget)
        return None


class _Splat:
    """The `[*]` step handed to a resolver lookup right after a resource's name (`aws_x.y[*].arn`)."""
    __slots__ = ()

    def __repr__(self) -> str:
        return "SPLAT"


SPLAT = _Splat()


class Instances:
    """A resolver's answer to a SPLAT lookup: the instance keys of a counted resource (ints for count,
    strings for for_each), or [None] for a resource without count/for_each."""
    __slots__ = ("keys",)

    def __init__(self, keys: list):
        self.keys = keys


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


_NOT_RESOURCES = {"var", "local", "module", "path", "terraform", "count", "each", "self"}


def _resource_prefix(root: str, static: list) -> bool:
    """`static` names one resource (`aws_x.name`) or data source (`data.t.name`) and nothing more."""
    if root in _NOT_RESOURCES or not all(isinstance(x, str) for x in static):
        return False
    return len(static) == (2 if root == "data" else 1)


def _plain_attribute_reference(n: Any, scope: Scope) -> bool:
    """`type.name.attr` or `type.name[key].attr` of a managed resource: one attribute of one instance, no
    further index (an element of an attribute may be absent at apply, so it could still fail)."""
    if not (isinstance(n, Traversal) and isinstance(n.base, Var)) or n.base.name in scope.bindings:
        return False
    if n.base.name in _NOT_RESOURCES:
        return False
    kinds = [s[0] for s in n.steps]
    return kinds in (["attr", "attr"], ["attr", "index", "attr"])


def _is_missing(u: Unknown) -> bool:
    r = u.reason
    return " has no key " in r or " has no element " in r or r.endswith(" is null") or "has no attribute" in r


# ---- template text (templatefile / templatestring) -----------------------------------------------------------

_TEMPLATE_OPEN = re.compile(r"\$\$\{|%%\{|\$\{|%\{")
_DIRECTIVE = re.compile(r"\s*(if|else|endif|for|endfor)\b(.*)\Z", re.S)
_FOR_HEAD = re.compile(r"\s*([A-Za-z_][\w-]*)\s*(?:,\s*([A-Za-z_][\w-]*)\s*)?\bin\b(.*)\Z", re.S)


def parse_template(text: str) -> list:
    """Template text -> parts: str | ("expr", node) | ("if", cond, then, else) | ("for", k, v, coll, body).

    Follows the HCL template syntax: `${...}` interpolations, `%{if}/%{else}/%{endif}` and
    `%{for x in xs}/%{endfor}` directives, `~` strip markers, `$${` and `%%{` escapes. Raises Refuse with a
    TFError for text Terraform would reject.
    """
    from ..parse.hcl import parse_expression
    from ..parse.hcl2_fallback import _match_brace
    root: list = []
    stack: list[tuple[str, list]] = [("root", root)]
    cur = root
    i = 0
    strip_next = False
    lit: list[str] = []

    def flush(strip_before: bool) -> None:
        s = "".join(lit)
        lit.clear()
        if strip_next_box[0]:
            s = s.lstrip(" \t\r\n")
        if strip_before:
            s = s.rstrip(" \t\r\n")
        strip_next_box[0] = False
        if s:
            cur.append(s)
    strip_next_box = [strip_next]
    n = len(text)
    while i < n:
        m = _TEMPLATE_OPEN.search(text, i)
        if m is None:
            lit.append(text[i:])
            break
        if m.start() > i:
            lit.append(text[i:m.start()])
        i = m.start()
        if m.group(0) in ("$${", "%%{"):
            lit.append(m.group(0)[1:])
            i = m.end()
            continue
        kind = text[i]
        end = _match_brace(text, i + 2)
        if end < 0:
            F.fail("template: an unclosed ${ or %{")
        inner = text[i + 2:end]
        strip_before = inner.startswith("~")
        strip_after = inner.endswith("~") and len(inner) > 1
        if strip_before:
            inner = inner[1:]
        if strip_after:
            inner = inner[:-1]
        flush(strip_before)
        i = end + 1
        if kind == "$":
            node = parse_expression(inner.strip())
            if isinstance(node, Invalid):
                F.fail("template: an interpolation that cannot be read")
            cur.append(("expr", node))
        else:
            m = _DIRECTIVE.match(inner)
            if m is None:
                F.fail("template: unknown directive")
            word, rest = m.group(1), m.group(2).strip()
            if word == "if":
                node = ("if", parse_expression(rest), [], [])
                cur.append(node)
                stack.append(("if", node))
                cur = node[2]
            elif word == "else":
                if stack[-1][0] != "if":
                    F.fail("template: else without if")
                stack[-1] = ("else", stack[-1][1])
                cur = stack[-1][1][3]
            elif word == "endif":
                if stack[-1][0] not in ("if", "else"):
                    F.fail("template: endif without if")
                stack.pop()
                cur = _body_of(stack[-1])
            elif word == "for":
                fm = _FOR_HEAD.match(rest)
                if fm is None:
                    F.fail("template: bad for directive")
                a, b, coll = fm.group(1), fm.group(2), fm.group(3).strip()
                key_var, val_var = (a, b) if b else (None, a)
                node = ("for", key_var, val_var, parse_expression(coll), [])
                cur.append(node)
                stack.append(("for", node))
                cur = node[4]
            else:  # endfor
                if stack[-1][0] != "for":
                    F.fail("template: endfor without for")
                stack.pop()
                cur = _body_of(stack[-1])
        strip_next_box[0] = strip_after
    flush(False)
    if len(stack) != 1:
        F.fail("template: a directive is not closed")
    return root


def _body_of(frame: tuple) -> list:
    kind, node = frame
    if kind == "root":
        return node
    if kind == "if":
        return node[2]
    if kind == "else":
        return node[3]
    return node[4]


# ---- functions that read the scanned tree or the scope ----------------------------------------------------------

def _tree_file(scope: Scope, path: Any, name: str) -> str:
    """The real path of a file argument inside the scanned tree, or raise Refuse."""
    if isinstance(path, Unknown):
        raise Refuse(derive(path, f"{name}() path not known statically ({path.reason})"))
    if not isinstance(path, str) or scope.module_dir is None or scope.root_dir is None:
        F.unknown(f"{name}() cannot be read here")
    shown = SENSITIVE_TEXT if SENSITIVE_MARK in scope.collect else repr(path)
    # relative to the module's directory, then (path.module/path.root are relative to the scan root) the root
    candidates = [os.path.join(scope.module_dir, path)]
    if not os.path.isabs(path):
        candidates.append(os.path.join(scope.root_dir, path))
    inside = [f for f in (os.path.realpath(c) for c in candidates) if _inside(f, scope.root_dir)]
    if not inside:
        F.unknown(f"{name}({shown}) is outside the repository: not read")
    return next((f for f in inside if os.path.exists(f)), inside[0])


def _read(full: str, shown: str, name: str) -> bytes:
    EXTRA_READS.setdefault(full, None)
    try:
        if os.path.getsize(full) > MAX_FILE:
            F.unknown(f"{name}({shown}) is too large to analyze")
        with open(full, "rb") as fh:
            data = fh.read(MAX_FILE + 1)
    except OSError:
        F.unknown(f"{name}({shown}) cannot be read")
    EXTRA_READS[full] = hashlib.sha256(data).hexdigest()
    return data


def _shown(scope: Scope, path: Any) -> str:
    return SENSITIVE_TEXT if SENSITIVE_MARK in scope.collect else repr(path)


def _file_text(ev: Evaluator, scope: Scope, path: Any, name: str) -> str:
    full = _tree_file(scope, path, name)
    data = _read(full, _shown(scope, path), name)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        F.fail(f"{name}({_shown(scope, path)}) is not UTF-8 text")
    raise AssertionError


def _file(ev: Evaluator, scope: Scope, path: Any = None, *rest) -> Any:
    """file(): only inside the repository; the path is not quoted when it is tainted."""
    return _file_text(ev, scope, path, "file")


def _filebytes_fn(name: str, digest: Callable[[bytes], str]) -> Callable:
    def fn(ev: Evaluator, scope: Scope, path: Any = None, *rest) -> Any:
        full = _tree_file(scope, path, name)
        return digest(_read(full, _shown(scope, path), name))
    return fn


def _fileexists(ev: Evaluator, scope: Scope, path: Any = None, *rest) -> Any:
    full = _tree_file(scope, path, "fileexists")
    if os.path.isdir(full):
        F.fail("fileexists(): the path is a directory")
    EXTRA_READS.setdefault(full, None)
    return os.path.isfile(full)


def _glob_regex(pattern: str) -> re.Pattern:
    """fileset()'s pattern (functions/fileset): `*` (not /), `**` (any depth), `?`, `[...]`, `{a,b}`."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j < 0:
                F.fail("fileset(): bad pattern")
            body = pattern[i + 1:j]
            out.append("[" + ("^" + re.escape(body[1:]) if body.startswith(("!", "^")) else re.escape(body)) + "]")
            i = j + 1
        elif c == "{":
            j = pattern.find("}", i + 1)
            if j < 0:
                F.fail("fileset(): bad pattern")
            out.append("(?:" + "|".join(re.escape(x) for x in pattern[i + 1:j].split(",")) + ")")
            i = j + 1
        elif c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out) + r"\Z")


def _fileset(ev: Evaluator, scope: Scope, path: Any = None, pattern: Any = None, *rest) -> Any:
    # functions/fileset: files (not directories) under path matching pattern, relative to path, sorted
    if isinstance(pattern, Unknown):
        raise Refuse(derive(pattern, f"fileset() pattern not known statically ({pattern.reason})"))
    if not isinstance(pattern, str):
        F.fail("fileset() pattern must be a string")
    base = _tree_file(scope, path, "fileset")
    if not os.path.isdir(base):
        return []
    rx = _glob_regex(pattern)
    out = []
    seen = 0
    for d, dirs, files in os.walk(base):
        dirs[:] = sorted(x for x in dirs if not x.startswith(".terraform")
                         and _inside(os.path.join(d, x), scope.root_dir))
        for f in files:
            seen += 1
            if seen > 100_000:
                F.unknown(f"fileset() over more than 100000 files {LIMIT}")
            rel = os.path.relpath(os.path.join(d, f), base).replace(os.sep, "/")
            if rx.match(rel):
                out.append(rel)
    F.produce(len(out), "fileset()")
    EXTRA_READS.setdefault(base, None)
    return sorted(out)


def _template_vars(vars_: Any, name: str) -> dict:
    if isinstance(vars_, Unknown):
        raise Refuse(derive(vars_, f"{name}() variables not known statically ({vars_.reason})"))
    if vars_ is None:
        return {}
    if not isinstance(vars_, dict):
        F.fail(f"{name}() variables must be a map or object")
    for k in vars_:
        if not re.fullmatch(r"[A-Za-z_][\w-]*", k):
            F.fail(f"{name}(): invalid template variable name")
    return vars_


def _template_scope(scope: Scope, bindings: dict) -> Scope:
    def nolookup(root: str, steps: list, s: Scope) -> Any:
        return TFError(f"template: {root} is not a template variable")
    return Scope(nolookup, dict(bindings), scope.collect, scope.module_dir, scope.root_dir)


def _templatefile(ev: Evaluator, scope: Scope, path: Any = None, vars_: Any = None, *rest) -> Any:
    # functions/templatefile: the file rendered as a template with exactly the given variables
    text = _file_text(ev, scope, path, "templatefile")
    return _render_text(ev, scope, text, vars_, "templatefile")


def _templatestring(ev: Evaluator, scope: Scope, template: Any = None, vars_: Any = None, *rest) -> Any:
    # functions/templatestring: a string (from a reference) rendered as a template
    if isinstance(template, Unknown):
        raise Refuse(derive(template, f"templatestring() template not known statically ({template.reason})"))
    if not isinstance(template, str):
        F.fail("templatestring() template must be a string")
    return _render_text(ev, scope, template, vars_, "templatestring")


def _render_text(ev: Evaluator, scope: Scope, text: str, vars_: Any, name: str) -> Any:
    bindings = _template_vars(vars_, name)
    parts = parse_template(text)
    return ev.render(parts, _template_scope(scope, bindings))


def _sensitive(ev: Evaluator, scope: Scope, value: Any = None, *rest) -> Any:
    # the value is tainted: module.py hides whatever its evaluation collected SENSITIVE_MARK for
    scope.collect.add(SENSITIVE_MARK)
    return value


def _nonsensitive(ev: Evaluator, scope: Scope, value: Any = None, *rest) -> Any:
    # taint is never removed: nonsensitive() of a tainted value stays tainted
    return value


def _b64(data: bytes) -> str:
    import base64
    return base64.b64encode(data).decode()


def _b64digest(algo: str) -> Callable[[bytes], str]:
    return lambda data: _b64(hashlib.new(algo, data).digest())


_SCOPED: dict[str, Callable] = {
    "file": _file,
    "fileexists": _fileexists,
    "fileset": _fileset,
    "filebase64": _filebytes_fn("filebase64", _b64),
    "filemd5": _filebytes_fn("filemd5", lambda d: hashlib.md5(d).hexdigest()),
    "filesha1": _filebytes_fn("filesha1", lambda d: hashlib.sha1(d).hexdigest()),
    "filesha256": _filebytes_fn("filesha256", lambda d: hashlib.sha256(d).hexdigest()),
    "filesha512": _filebytes_fn("filesha512", lambda d: hashlib.sha512(d).hexdigest()),
    "filebase64sha256": _filebytes_fn("filebase64sha256", _b64digest("sha256")),
    "filebase64sha512": _filebytes_fn("filebase64sha512", _b64digest("sha512")),
    "templatefile": _templatefile,
    "templatestring": _templatestring,
    "sensitive": _sensitive,
    "nonsensitive": _nonsensitive,
}
