"""Give expression ASTs values: literals, variables, locals, references, Terraform's functions
(resolve/functions/). Whatever cannot be known statically is Unknown with the reason, never a guess.

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

Layout: this module is the visitor's core (dispatch, budget, literals, function calls); `scope.py` holds what
an expression is evaluated in and the resolver's lookup protocol, and the node kinds live in mixins:
`eval_traversal.py` (references), `eval_operators.py` (operators, conditionals, constructors, `for`),
`eval_templates.py` (string templates, template text); `eval_files.py` holds the functions that read the
scanned tree or the scope (file, fileset, templatefile, sensitive).
"""
from __future__ import annotations

from typing import Any

from ..expr import Call, Invalid, Lit, Node
from ..model import Unknown, contains_unknown
from . import functions as F
from .functions import core as _core  # the budget lives (and is swapped) there
from .functions import (EXTRA_READS, FUNCTIONS, LIMIT, Budget, PartialJSON, Refuse, TFError, derive, num_ok, refs_of,
                        to_str)
from .eval_files import _SCOPED
from .eval_operators import MAX_COLLECTION, OperatorsMixin
from .eval_templates import TemplatesMixin, parse_template
from .eval_traversal import TraversalMixin, _plain_attribute_reference
from .scope import SPLAT, Idx, Instances, Partial, Scope, _limit_unknown, get_step

__all__ = ["EXTRA_READS", "FUNCTIONS", "MAX_COLLECTION", "SPLAT", "Evaluator", "Idx", "Instances", "Partial",
           "PartialJSON", "Scope", "TFError", "get_step", "parse_template", "to_str"]

MAX_TOTAL_NODES = 5_000_000  # nodes one Evaluator evaluates over its life (one load); real modules: < 20,000


class Evaluator(TraversalMixin, OperatorsMixin, TemplatesMixin):
    """Expression AST -> value: `eval` dispatches on the node's class to `_<Class>` (here and in the mixins)."""

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


def _is_missing(u: Unknown) -> bool:
    r = u.reason
    return " has no key " in r or " has no element " in r or r.endswith(" is null") or "has no attribute" in r

