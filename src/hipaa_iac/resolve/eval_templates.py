"""String templates: `"${...}"` in an expression (`_Template`), and template text (templatefile,
templatestring) parsed into parts (`parse_template`) and rendered (`render`). A mixin of `evaluate.Evaluator`."""
from __future__ import annotations

import re
from typing import Any

from ..expr import Invalid, Template
from ..model import Unknown
from . import functions as F
from .functions import LIMIT, TFError, bool_or_unknown, derive, to_str
from .scope import Scope, _limit_unknown


class TemplatesMixin:
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


# ---- template text (templatefile / templatestring) -----------------------------------------------------------

_TEMPLATE_OPEN = re.compile(r"\$\$\{|%%\{|\$\{|%\{")
_DIRECTIVE = re.compile(r"\s*(if|else|endif|for|endfor)\b(.*)\Z", re.S)
_FOR_HEAD = re.compile(r"\s*([A-Za-z_][\w-]*)\s*(?:,\s*([A-Za-z_][\w-]*)\s*)?\bin\b(.*)\Z", re.S)


# size: one left-to-right scan of the text; literal runs, interpolations and directives share the frame stack
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
