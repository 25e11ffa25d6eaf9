"""Operators, conditionals, tuple/object constructors and `for` expressions. A mixin of
`evaluate.Evaluator`; conditions follow Terraform's type rules, three-valued where a value is unknown."""
from __future__ import annotations

from typing import Any

from ..expr import BinOp, Cond, ForExpr, ObjectExpr, TupleExpr, UnaryOp
from ..model import Unknown, contains_unknown
from . import functions as F
from .functions import (LIMIT, Refuse, TFError, as_bool, bool_or_unknown, derive, equal, num_ok, refs_of, to_num,
                        to_str)
from .scope import Scope, _limit_unknown


MAX_COLLECTION = 100_000  # elements one `for` iterates


class OperatorsMixin:
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

    # size: one branch per HCL binary operator, each with Terraform's operand rules next to it
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
