"""Second HCL front end on python-hcl2: source text -> the same Blocks as parse/hcl.py.

Used for the files tree-sitter-hcl rejects but Terraform accepts (e.g. the number `1e+09`), and by the
test suite as an independent oracle for the tree-sitter front end. It reads python-hcl2's raw Lark parse
tree (`hcl2.parses_to_tree`), whose nodes carry line numbers and whose tokens still hold the comments,
and builds the expression AST of hipaa_iac.expr straight from that tree, so no expression passes through
tree-sitter. Heredoc bodies are one opaque token in python-hcl2's grammar: their interpolations are cut out
here and read with python-hcl2 again.

python-hcl2 is slow to import (~0.4 s, ~0.9 s with the first parse, measured here) and writes a grammar
cache into site-packages on first use: it is imported only when a file is actually read this way.
"""
from __future__ import annotations

import re
import sys
from typing import Any

from ..expr import (BinOp, Call, Cond, ForExpr, Invalid, Lit, Node, ObjectExpr, Template, Traversal,
                    TupleExpr, UnaryOp, Var)
from ..model import Attribute, Block
from ..safejson import number
from .hcl import HCLSyntaxError, _code_point

# Binary operators, longest first (a newline or comment before an operator is merged into its token).
_BINARY_OPS = ("==", "!=", "<=", ">=", "&&", "||", "<", ">", "+", "-", "*", "/", "%")
_COMMENT_RE = re.compile(r"(?:#|//)[^\n]*|/\*.*?\*/", re.S)
_HEREDOC_RE = re.compile(r"<<(-?)([A-Za-z][A-Za-z0-9._-]*)\r?\n")
_DIRECTIVE_RE = re.compile(r"%\{~?\s*(if|for|else|endif|endfor)\b")
# binary operators (and `?`) onto which python-hcl2 8.1.4 glues the newline or comment before them
_OPERATOR_TEXT = {"DOUBLE_EQ": "==", "NEQ": "!=", "LT": "<", "GT": ">", "LEQ": "<=", "GEQ": ">=",
                  "ASTERISK": "*", "SLASH": "/", "PERCENT": "%", "DOUBLE_AMP": "&&", "DOUBLE_PIPE": "||",
                  "PLUS": "+", "QMARK": "?"}
# tokens that may carry comments
_COMMENT_TOKENS = frozenset({"NL_OR_COMMENT", *_OPERATOR_TEXT})


def parse_hcl_fallback(src: bytes, file: str) -> list[Block]:
    """Parse HCL source with python-hcl2 into top-level Blocks (same model as parse_hcl).

    Raises HCLSyntaxError with the line python-hcl2 reports when it cannot read the file.
    """
    import hcl2  # slow import: only on fallback
    from lark.exceptions import LarkError, UnexpectedInput

    try:
        text = src.decode("utf-8")
    except UnicodeDecodeError as e:
        raise HCLSyntaxError(src[:e.start].count(b"\n") + 1, "invalid UTF-8: " + e.reason) from None
    if text.startswith("\ufeff"):  # HCL's scanner drops a byte order mark (scanTokens: stripUTF8BOM)
        text = text[1:]
    last_line = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
    text = _trim_heredoc_markers(text)
    try:
        tree = hcl2.parses_to_tree(text)
    except UnexpectedInput as e:
        line = e.line if isinstance(getattr(e, "line", None), int) and e.line > 0 else last_line
        raise HCLSyntaxError(min(line, last_line), "python-hcl2: " + _error_message(e)) from None
    except (LarkError, RecursionError) as e:
        raise HCLSyntaxError(last_line, f"cannot read file: {type(e).__name__}") from None

    conv = _Converter(file, _comments(tree, text), text)
    body = tree.children[0]
    blocks: list[Block] = []
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))  # as parse_hcl: the tree nests once per operator
    try:
        for c in _trees(body):
            if c.data == "attribute":
                raise HCLSyntaxError(c.meta.line, "attribute outside of any block: " + _name(c.children[0]))
            if c.data == "block":
                try:
                    blocks.append(conv.block(c))
                except RecursionError:
                    raise HCLSyntaxError(c.meta.line, "expression nested too deeply to analyze") from None
    finally:
        sys.setrecursionlimit(limit)
    return blocks


def _error_message(e) -> str:
    token = getattr(e, "token", None)
    if token is not None:
        if token.type == "$END":
            return "unexpected end of file"
        return f"unexpected {token.type} {str(token).strip()[:40]!r}"
    char = getattr(e, "char", None)
    if char is not None:
        return f"unexpected character {char!r}"
    return "unexpected end of file"


def _trim_heredoc_markers(text: str) -> str:
    """Drop spaces after a heredoc's closing marker: Terraform accepts them, python-hcl2 8.1.4 does not.

    Only lines holding nothing but one of the file's heredoc markers change, so line numbers and every
    value stay the same (such a line closes its heredoc in Terraform anyway).
    """
    markers = set(_HEREDOC_RE.findall(text))
    if not markers:
        return text
    names = "|".join(sorted({re.escape(m[1]) for m in markers}))
    return re.sub(r"^([ \t]*(?:" + names + r"))[ \t]+(\r?)$", r"\1\2", text, flags=re.M)


# ---- helpers on the raw Lark tree ------------------------------------------------------------------

def _is_tree(x: Any) -> bool:
    return hasattr(x, "data")


def _trees(t) -> list:
    """Child trees that are not newlines or comments."""
    return [c for c in t.children if _is_tree(c) and c.data != "new_line_or_comment"]


def _tokens(t) -> list:
    return [c for c in t.children if not _is_tree(c)]


def _name(t) -> str:
    """identifier / keyword / literal_value used as a name: its token text."""
    return str(t.children[0]) if not _is_tree(t.children[0]) else _name(t.children[0])


def _iter_tokens(tree):
    """Every token of a Lark tree, without recursion (long operator chains nest deeply)."""
    stack = [tree]
    while stack:
        n = stack.pop()
        if _is_tree(n):
            stack.extend(reversed(n.children))
        else:
            yield n


def _comments(tree, text: str) -> list[tuple[int, int, str]]:
    """(offset, line, text) of every comment in the file, from the tokens python-hcl2 kept.

    python-hcl2's post-lexer glues the newline-or-comment token before a binary operator onto the
    operator (value "# c\\n+", position of the "+"): that prefix is found again in the source just
    before the operator, across the spaces the lexer skipped.
    """
    out = []
    for tok in _iter_tokens(tree):
        if tok.type not in _COMMENT_TOKENS:
            continue
        value = str(tok)
        if "#" not in value and "/" not in value:
            continue
        start = tok.start_pos
        if tok.type != "NL_OR_COMMENT":
            value = value[:len(value) - len(_OPERATOR_TEXT[tok.type])]
            j = tok.start_pos
            while j > 0 and text[j - 1] in " \t\r":
                j -= 1
            start = j - len(value)
            if start < 0 or text[start:j] != value:
                continue
        line = tok.line if tok.type == "NL_OR_COMMENT" else text.count("\n", 0, start) + 1
        for m in _COMMENT_RE.finditer(value):
            out.append((start + m.start(), line + value.count("\n", 0, m.start()), m.group(0).rstrip("\r")))
    return sorted(out)


def _last_token(t):
    """Last token of an expression tree, ignoring trailing newlines and comments."""
    for c in reversed(t.children):
        if _is_tree(c):
            if c.data == "new_line_or_comment":
                continue
            tok = _last_token(c)
            if tok is not None:
                return tok
        elif c.type != "NL_OR_COMMENT":
            return c
    return None


def _number(s: str) -> Node:
    neg = s.startswith("-")
    s = s.lstrip("-")
    v = number(s)
    return UnaryOp("-", Lit(v)) if neg else Lit(v)


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_ESC_RE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))", re.S)


def _unescape(raw: str) -> str:
    """Backslash escapes of a quoted template literal (hclsyntax spec, Template Expressions)."""
    def rep(m: re.Match) -> str:
        hexa = m.group(1) or m.group(2)
        if hexa:
            return _code_point(int(hexa, 16))
        return _ESCAPES.get(m.group(3), m.group(0))
    return _ESC_RE.sub(rep, raw)


def _skip_string(s: str, i: int) -> int:
    """Index just after the closing quote of the quoted string whose body starts at i."""
    while i < len(s):
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            return i + 1
        if s.startswith(("${", "%{"), i):
            j = _match_brace(s, i + 2)
            if j < 0:
                return len(s)
            i = j + 1
            continue
        if c == "\n":
            return i
        i += 1
    return len(s)


def _match_brace(s: str, i: int) -> int:
    """Index of the `}` closing a `{` just before i, skipping quoted strings; -1 if none."""
    depth = 1
    while i < len(s):
        c = s[i]
        if c == '"':
            i = _skip_string(s, i + 1)
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _strip_heredoc_indent(content: str) -> str:
    """`<<-`: remove the smallest leading whitespace of the non-blank lines from every line."""
    lines = content.split("\n")
    indents = [len(ln) - len(ln.lstrip(" \t")) for ln in lines if ln.strip(" \t\r")]
    n = min(indents, default=0)
    if not n:
        return content
    return "\n".join(ln[n:] if ln[:n].strip(" \t") == "" else ln.lstrip(" \t") for ln in lines)


# ---- converter -------------------------------------------------------------------------------------

class _Converter:
    def __init__(self, file: str, comments: list[tuple[int, int, str]], text: str = ""):
        self.file = file
        self.comments = comments
        self.text = text

    # structure
    def block(self, t) -> Block:
        names = []
        body = None
        for c in t.children:
            if not _is_tree(c):
                continue
            if c.data == "body":
                body = c
            elif c.data in ("identifier", "keyword", "literal_value"):
                names.append(_name(c))
            elif c.data == "string":
                names.append(self._label(c))
        attrs: dict[str, Attribute] = {}
        blocks: list[Block] = []
        for c in _trees(body) if body is not None else []:
            if c.data == "attribute":
                a = self.attribute(c)
                attrs[a.name] = a
            elif c.data == "block":
                blocks.append(self.block(c))
        line, end = t.meta.line, t.meta.end_line
        start_pos, end_pos = t.meta.start_pos, t.meta.end_pos
        comments = [(ln, txt) for pos, ln, txt in self.comments if start_pos <= pos < end_pos]
        return Block(names[0], names[1:], attrs, blocks, self.file, line, end, comments)

    def _label(self, t) -> str:
        out = []
        for part in t.children:
            if not _is_tree(part):
                continue  # the quotes
            for tok in part.children:
                out.append(self._literal(tok) if not _is_tree(tok) else "")
        return "".join(out)

    def attribute(self, t) -> Attribute:
        name = _name(t.children[0])
        expr_t = _trees(t)[1]
        first = t.children[0].children[0]
        last = _last_token(expr_t)
        text = ""
        end_line = t.meta.end_line
        if last is not None:
            text = self._source_slice(expr_t, last)
            end_line = last.line + str(last).rstrip().count("\n")
        return Attribute(name, self.expr(expr_t), first.line, end_line, text)

    def _source_slice(self, expr_t, last) -> str:
        """The expression's source text, first token to last (comments inside kept)."""
        first = _first_token(expr_t)
        if first is None:
            return ""
        return self.text[first.start_pos:last.end_pos].rstrip()

    # expressions
    def expr(self, t) -> Node:
        d = t.data
        kids = _trees(t)
        if d == "expr_term":
            return self.expr(kids[0])
        if d == "identifier":
            return Var(_name(t))
        if d == "literal_value":
            return Lit({"true": True, "false": False, "null": None}[str(t.children[0])])
        if d in ("int_lit", "float_lit"):
            return _number(str(t.children[0]))
        if d == "string":
            return self.string(t)
        if d in ("heredoc_template", "heredoc_template_trim"):
            return self.heredoc(str(t.children[0]))
        if d == "tuple":
            return TupleExpr([self.expr(k) for k in kids])
        if d == "object":
            items = []
            for elem in kids:
                key_t, val_t = _trees(elem)
                items.append((self._key(key_t), self.expr(val_t)))
            return ObjectExpr(items)
        if d == "function_call":
            idents = [k for k in kids if k.data == "identifier"]
            name = "::".join(_name(k) for k in idents)
            args: list = []
            expand = False
            for k in kids:
                if k.data == "arguments":
                    args = [self.expr(a) for a in _trees(k)]
                    expand = any(getattr(x, "type", None) == "ELLIPSIS" for x in _tokens(k))
            return Call(name, args, expand)
        if d == "conditional":
            c, a, b = kids
            return Cond(self.expr(c), self.expr(a), self.expr(b))
        if d == "binary_op":
            left, term = kids[0], kids[1]
            op_t, right = _trees(term)
            return BinOp(_operator(str(op_t.children[0])), self.expr(left), self.expr(right))
        if d == "unary_op":
            return UnaryOp(str(t.children[0]), self.expr(kids[0]))
        if d in ("get_attr_expr_term", "index_expr_term", "attr_splat_expr_term", "full_splat_expr_term"):
            base = self.expr(kids[0])
            steps: list = []
            self._steps(kids[1], steps)
            if isinstance(base, Traversal):
                return Traversal(base.base, base.steps + steps)
            return Traversal(base, steps)
        if d == "for_tuple_expr":
            return self.for_expr(t, False)
        if d == "for_object_expr":
            return self.for_expr(t, True)
        if d == "template_string":
            return Invalid("template string in a directive")
        return Invalid(f"unsupported expression {d}")

    def _key(self, t) -> Node:
        """Object key: a bare identifier (or keyword) is a string; `(expr)` and others are expressions."""
        inner = _trees(t)[0] if _trees(t) else t
        if inner.data == "keyword":
            return Lit(_name(inner))
        if inner.data == "expr_term" and len(inner.children) == 1 and _is_tree(inner.children[0]) \
                and inner.children[0].data == "identifier":
            return Lit(_name(inner.children[0]))
        return self.expr(inner)

    def _steps(self, t, steps: list) -> None:
        d = t.data
        if d == "get_attr":
            steps.append(("attr", _name(_trees(t)[0])))
        elif d == "braces_index":
            steps.append(("index", self.expr(_trees(t)[0])))
        elif d == "short_index":
            steps.append(("index", Lit(number(str(_tokens(t)[-1])))))
        elif d in ("attr_splat", "full_splat"):
            steps.append(("splat",) if d == "full_splat" else ("legacy_splat",))
            for k in _trees(t):
                self._steps(k, steps)
        else:  # an index rule wrapping one of the above
            for k in _trees(t):
                self._steps(k, steps)

    def for_expr(self, t, is_object: bool) -> Node:
        intro = next(k for k in _trees(t) if k.data == "for_intro")
        cond_t = next((k for k in _trees(t) if k.data == "for_cond"), None)
        idents = [_name(k) for k in _trees(intro) if k.data == "identifier"]
        coll_t = [k for k in _trees(intro) if k.data != "identifier"][0]
        exprs = [self.expr(k) for k in _trees(t) if k.data not in ("for_intro", "for_cond")]
        key_var, val_var = (idents[0], idents[1]) if len(idents) == 2 else (None, idents[0])
        cond = self.expr(_trees(cond_t)[0]) if cond_t is not None else None
        coll = self.expr(coll_t)
        if is_object:
            group = any(getattr(x, "type", None) == "ELLIPSIS" for x in _tokens(t))
            return ForExpr(True, key_var, val_var, coll, exprs[0], exprs[1], cond, group)
        return ForExpr(False, key_var, val_var, coll, None, exprs[0], cond, False)

    # templates
    @staticmethod
    def _literal(tok) -> str:
        s = str(tok)
        if tok.type == "ESCAPED_INTERPOLATION":
            return "${" + _unescape(s[3:])
        if tok.type == "ESCAPED_DIRECTIVE":
            return "%{" + _unescape(s[3:])
        return _unescape(s)

    def string(self, t) -> Node:
        parts: list = []
        depth = 0
        directives = False
        for part in t.children:
            if not _is_tree(part):
                continue  # the quotes
            for x in part.children:
                if not _is_tree(x):
                    if depth == 0:
                        parts.append(self._literal(x))
                elif x.data == "interpolation":
                    if depth == 0:
                        parts.append(self.expr(_trees(x)[0]))
                else:  # template_if_start, template_else, template_endif, template_for_start, template_endfor
                    directives = True
                    if x.data in ("template_if_start", "template_for_start"):
                        if depth == 0:
                            parts.append(Invalid("template directive"))
                        depth += 1
                    elif x.data in ("template_endif", "template_endfor"):
                        depth -= 1
        return _template(parts, directives)

    def heredoc(self, raw: str) -> Node:
        m = _HEREDOC_RE.match(raw)
        if m is None:
            return Invalid("cannot read heredoc")
        body = raw[m.end():].rstrip("\r\n")
        # the closing marker is the last line; the content is every line before it, newlines included
        cut = body.rfind("\n")
        content = body[:cut + 1] if cut >= 0 else ""  # line endings kept as written (CRLF stays)
        if m.group(1):
            content = _strip_heredoc_indent(content)
        parts: list = []
        directives = False
        depth = 0
        lit: list[str] = []
        i = 0
        n = len(content)
        while i < n:
            if content.startswith(("$${", "%%{"), i):
                if depth == 0:
                    lit.append(content[i + 1:i + 3])
                i += 3
            elif content.startswith("${", i):
                j = _match_brace(content, i + 2)
                if j < 0:
                    return Invalid("unclosed interpolation in heredoc")
                if depth == 0:
                    if lit:
                        parts.append("".join(lit))
                        lit = []
                    parts.append(self._read_expression(content[i + 2:j].strip().strip("~")))
                i = j + 1
            elif content.startswith("%{", i):
                j = _match_brace(content, i + 2)
                if j < 0:
                    return Invalid("unclosed directive in heredoc")
                directives = True
                kw = _DIRECTIVE_RE.match(content, i)
                word = kw.group(1) if kw else ""
                if word in ("if", "for"):
                    if depth == 0:
                        if lit:
                            parts.append("".join(lit))
                            lit = []
                        parts.append(Invalid("template directive"))
                    depth += 1
                elif word in ("endif", "endfor"):
                    depth -= 1
                i = j + 1
            else:
                if depth == 0:
                    lit.append(content[i])
                i += 1
        if lit:
            parts.append("".join(lit))
        return _template(parts, directives)

    def _read_expression(self, text: str) -> Node:
        """An interpolation inside a heredoc: read it with python-hcl2 too."""
        import hcl2
        from lark.exceptions import LarkError
        try:
            tree = hcl2.parses_to_tree("x = (" + text + "\n)\n")  # newlines are whitespace in ( )
            attr = _trees(tree.children[0])[0]
            return self.expr(_trees(attr)[1])
        except (LarkError, IndexError, RecursionError):
            return Invalid("cannot read interpolation: " + text[:60])


def _template(parts: list, directives: bool) -> Node:
    merged: list = []
    for p in parts:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        elif not (isinstance(p, str) and p == ""):
            merged.append(p)
    if all(isinstance(p, str) for p in merged):
        return Lit("".join(merged))
    return Template(merged, directives)


def _operator(value: str) -> str:
    v = value.rstrip()
    for op in _BINARY_OPS:
        if v.endswith(op):
            return op
    return v


def _first_token(t):
    for c in t.children:
        if _is_tree(c):
            if c.data == "new_line_or_comment":
                continue
            tok = _first_token(c)
            if tok is not None:
                return tok
        elif c.type != "NL_OR_COMMENT":
            return c
    return None
