"""python-hcl2 raw tree -> Blocks and expression ASTs (hipaa_iac.expr), the same model parse/hcl.py builds
from tree-sitter. Heredoc bodies (one opaque token to python-hcl2) are cut into text and interpolations,
each interpolation read with python-hcl2 again."""
from __future__ import annotations

from ..expr import (BinOp, Call, Cond, ForExpr, Invalid, Lit, Node, ObjectExpr, Template, Traversal, TupleExpr, UnaryOp,
                    Var)
from ..model import Attribute, Block
from ..safejson import number
from .hcl2_tree import (_BINARY_OPS, _DIRECTIVE_RE, _HEREDOC_RE, _is_tree, _last_token, _match_brace, _name, _number,
                        _strip_heredoc_indent, _tokens, _trees, _unescape)


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
    # size: one branch per python-hcl2 expression rule (the grammar's list), each a few lines
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
