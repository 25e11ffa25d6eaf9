"""tree-sitter CST -> Blocks and expression ASTs (hipaa_iac.expr): the converter behind parse/hcl.py's
parse_hcl, parse_tfvars and parse_expression, with HCL's string escapes, templates and heredocs."""
from __future__ import annotations

import re

from ..expr import (BinOp, Call, Cond, ForExpr, Invalid, Lit, Node, ObjectExpr, Template, Traversal,
                    TupleExpr, UnaryOp, Var)
from ..model import Attribute, Block
from ..safejson import number
from .hcl import MAX_BLOCK_DEPTH, HCLSyntaxError

_BINARY_OPS = {"+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "&&", "||"}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_ESC_RE = re.compile(r'\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)|\$\$\{|%%\{', re.S)


def _has_splat(t: Traversal) -> bool:
    """`(a[*].b)[0]` indexes the splat's result; merged into one traversal the index would apply to each
    element. A parenthesized traversal with a splat therefore stays the base of the steps that follow."""
    return any(s[0] in ("splat", "legacy_splat") for s in t.steps)


def _code_point(cp: int) -> str:
    """A \\u/\\U escape's character; a surrogate or an out-of-range value is U+FFFD, as Go decodes it."""
    if 0xD800 <= cp <= 0xDFFF or cp > 0x10FFFF:
        return "\ufffd"
    return chr(cp)


def unescape(raw: str) -> str:
    def rep(m: re.Match) -> str:
        s = m.group(0)
        if s == "$${":
            return "${"
        if s == "%%{":
            return "%{"
        e = m.group(1)
        if e[0] in "uU" and len(e) > 1:
            return _code_point(int(e[1:], 16))
        return _ESCAPES.get(e, "\\" + e)
    return _ESC_RE.sub(rep, raw)


_COMMENT_QUERY = None


def _all_comments(root) -> list[tuple[int, int, str]]:
    """(start byte, line, text) of every comment node in the tree, in source order."""
    global _COMMENT_QUERY
    import tree_sitter
    import tree_sitter_hcl
    if _COMMENT_QUERY is None:
        _COMMENT_QUERY = tree_sitter.Query(tree_sitter.Language(tree_sitter_hcl.language()), "(comment) @c")
    caps = tree_sitter.QueryCursor(_COMMENT_QUERY).captures(root).get("c", [])
    out = [(c.start_byte, c.start_point[0] + 1, c.text.decode("utf-8", "replace").rstrip("\r")) for c in caps]
    out.sort()
    return out


class _Converter:
    def __init__(self, src: bytes, file: str, root=None):
        self.src = src
        self.file = file
        self._paren: set[int] = set()
        self.depth = 0
        # every comment in the file (including those inside expressions), by start byte
        self.comment_nodes: list = []
        if root is not None and (b"#" in src or b"//" in src or b"/*" in src):
            self.comment_nodes = _all_comments(root)
        self.comment_starts = [c[0] for c in self.comment_nodes]

    def text(self, n) -> str:
        return self.src[n.start_byte:n.end_byte].decode("utf-8", "replace")

    # ---- structure -------------------------------------------------------------------------
    def body(self, body, comments_out: list) -> tuple[dict[str, Attribute], list[Block]]:
        attrs: dict[str, Attribute] = {}
        blocks: list[Block] = []
        for c in body.children:
            t = c.type
            if t == "attribute":
                name = self.text(c.children[0])
                expr_node = c.children[2] if len(c.children) > 2 else None
                if expr_node is None:
                    continue
                attrs[name] = Attribute(name, self.expr(expr_node), c.start_point[0] + 1,
                                        c.end_point[0] + 1, self.text(expr_node))
            elif t == "block":
                blocks.append(self.block(c))
            elif t == "comment":
                comments_out.append((c.start_point[0] + 1, self.text(c).rstrip("\r")))
        return attrs, blocks

    def block(self, n) -> Block:
        self.depth += 1
        try:
            if self.depth > MAX_BLOCK_DEPTH:
                raise HCLSyntaxError(n.start_point[0] + 1, f"blocks nested deeper than {MAX_BLOCK_DEPTH} levels")
            return self._block(n)
        finally:
            self.depth -= 1

    def _block(self, n) -> Block:
        btype = ""
        labels: list[str] = []
        attrs: dict = {}
        blocks: list = []
        comments: list = []
        for c in n.children:
            t = c.type
            if t == "identifier":
                if not btype:
                    btype = self.text(c)
                else:
                    labels.append(self.text(c))
            elif t == "string_lit":
                labels.append(unescape(self.text(c)[1:-1]))
            elif t == "body":
                attrs, blocks = self.body(c, comments)
        if self.comment_nodes:
            import bisect
            i = bisect.bisect_left(self.comment_starts, n.start_byte)
            j = bisect.bisect_left(self.comment_starts, n.end_byte)
            comments = [(line, text) for _, line, text in self.comment_nodes[i:j]]
        else:
            comments = []
        return Block(btype, labels, attrs, blocks, self.file, n.start_point[0] + 1, n.end_point[0] + 1, comments)

    # ---- expressions -----------------------------------------------------------------------
    # size: one branch per tree-sitter expression node type (the grammar's list), each a few lines
    def expr(self, n) -> Node:
        t = n.type
        if t == "expression":
            named = [c for c in n.children if c.type != "comment"]
            if not named:
                return Invalid("empty expression")
            first = named[0]
            if first.type == "(":  # parenthesized
                inner = next((c for c in named if c.type == "expression"), None)
                base = self.expr(inner) if inner is not None else Invalid("empty parentheses")
                self._paren.add(id(base))
                rest = named[3:]
            else:
                base = self.expr(first)
                rest = named[1:]
            steps: list = []
            for c in rest:
                self._steps(c, steps)
            if steps:
                if isinstance(base, Traversal) and not (first.type == "(" and _has_splat(base)):
                    return Traversal(base.base, base.steps + steps)
                return Traversal(base, steps)
            return base
        if t == "variable_expr":
            return Var(self.text(n.children[0]))
        if t == "literal_value":
            return self.literal(n.children[0])
        if t == "collection_value":
            return self.expr(n.children[0])
        if t == "tuple":
            return TupleExpr([self.expr(c) for c in n.children if c.type == "expression"])
        if t == "object":
            items = []
            for c in n.children:
                if c.type == "object_elem":
                    kids = [k for k in c.children if k.type == "expression"]
                    if len(kids) == 2:
                        items.append((self._key(kids[0]), self.expr(kids[1])))
            return ObjectExpr(items)
        if t == "template_expr":
            return self.template(n.children[0])
        if t == "function_call":
            name = self.text(n.children[0])
            args: list = []
            expand = False
            for c in n.children:
                if c.type == "function_arguments":
                    for a in c.children:
                        if a.type == "expression":
                            args.append(self.expr(a))
                        elif a.type == "ellipsis":
                            expand = True
            return Call(name, args, expand)
        if t == "conditional":
            e = [c for c in n.children if c.type == "expression"]
            first = e[0]
            then, other = self.expr(e[1]), self.expr(e[2])
            kids = [c for c in first.children if c.type != "comment"]
            if len(kids) == 1 and kids[0].type == "conditional":
                # tree-sitter-hcl nests `a ? b : c ? d : e` to the left; HCL (and Terraform) to the right
                return _rotate(self.expr(first), then, other, self._paren)
            return Cond(self.expr(first), then, other)
        if t == "operation":
            return self.expr(n.children[0])
        if t == "binary_operation":
            kids = [c for c in n.children if c.type != "comment"]
            op_i = next(i for i, c in enumerate(kids) if c.type in _BINARY_OPS)
            return BinOp(kids[op_i].type, self.term(kids[:op_i]), self.term(kids[op_i + 1:]))
        if t == "unary_operation":
            return UnaryOp(n.children[0].type, self.term(n.children[1:]))
        if t == "for_expr":
            return self.for_expr(n.children[0])
        if t in ("quoted_template", "heredoc_template"):
            return self.template(n)
        return Invalid(f"unsupported expression {t}")

    def term(self, nodes: list) -> Node:
        """An operand given as a run of sibling nodes: a base, or `( expr )`, then postfix steps."""
        nodes = [c for c in nodes if c.type != "comment"]
        if not nodes:
            return Invalid("missing operand")
        if nodes[0].type == "(":
            inner = next((c for c in nodes if c.type == "expression"), None)
            base = self.expr(inner) if inner is not None else Invalid("empty parentheses")
            close = next((i for i, c in enumerate(nodes) if c.type == ")"), len(nodes) - 1)
            rest = nodes[close + 1:]
        else:
            base = self.expr(nodes[0])
            rest = nodes[1:]
        steps: list = []
        for c in rest:
            self._steps(c, steps)
        if not steps:
            return base
        if isinstance(base, Traversal) and not (nodes[0].type == "(" and _has_splat(base)):
            return Traversal(base.base, base.steps + steps)
        return Traversal(base, steps)

    def _key(self, n) -> Node:
        """Object keys: a bare identifier is a string; `(expr)` is an expression."""
        e = self.expr(n)
        first = next((c for c in n.children if c.type != "comment"), None)
        if isinstance(e, Var) and not (first is not None and first.type == "("):
            return Lit(e.name)
        return e

    def _steps(self, c, steps: list) -> None:
        t = c.type
        if t == "get_attr":
            steps.append(("attr", self.text(c.children[-1])))
        elif t == "index":
            inner = c.children[0]
            if inner.type == "legacy_index":
                steps.append(("index", Lit(number(self.text(inner).lstrip(".")))))
            else:
                e = next((k for k in inner.children if k.type == "expression"), None)
                steps.append(("index", self.expr(e) if e is not None else Invalid("empty index")))
        elif t == "splat":
            inner = c.children[0]
            steps.append(("splat",) if inner.type == "full_splat" else ("legacy_splat",))
            for k in inner.children:
                if k.is_named:
                    self._steps(k, steps)

    def literal(self, n) -> Node:
        t = n.type
        if t == "numeric_lit":
            return Lit(number(self.text(n)))
        if t == "bool_lit":
            return Lit(self.text(n) == "true")
        if t == "null_lit":
            return Lit(None)
        if t == "string_lit":
            return Lit(unescape(self.text(n)[1:-1]))
        return Invalid(f"unsupported literal {t}")

    def template(self, n) -> Node:
        heredoc = n.type == "heredoc_template"
        kids = n.children
        if heredoc:
            strip = self.text(kids[0]).endswith("-")
            ident = [k for k in kids if k.type == "heredoc_identifier"]
            # content starts on the line after the opening marker, ends before the closing marker's line
            start = self.src.index(b"\n", ident[0].end_byte) + 1 if b"\n" in self.src[ident[0].end_byte:] else ident[0].end_byte
            end = ident[-1].start_byte if len(ident) > 1 else n.end_byte
            while end > start and self.src[end - 1:end] in (b" ", b"\t"):
                end -= 1
            inner = [k for k in kids if k.type in ("template_interpolation", "template_directive")]
        else:
            start = kids[0].end_byte
            end = kids[-1].start_byte if kids[-1].type == "quoted_template_end" else n.end_byte
            inner = [k for k in kids if k.type in ("template_interpolation", "template_directive")]
        parts: list = []
        pos = start
        directives = False
        strip_next = False
        for k in inner:
            lit = self.src[pos:k.start_byte].decode("utf-8", "replace") if k.start_byte > pos else ""
            if k.type == "template_interpolation" and lit.endswith("$"):
                # `$$${x}`: HCL reads `$`, then the escape `$${`: the "interpolation" is literal text
                parts.append(lit + self.src[k.start_byte:k.end_byte].decode("utf-8", "replace"))
                pos = k.end_byte
                continue
            strip_before = any(x.type == "strip_marker" and x.start_byte < k.start_byte + 3 for x in k.children)
            strip_after = any(x.type == "strip_marker" and x.end_byte > k.end_byte - 3 for x in k.children)
            if strip_next:
                lit = lit.lstrip(" \t\r\n")
            if strip_before:
                lit = lit.rstrip(" \t\r\n")
            if lit:
                parts.append(lit)
            if k.type == "template_directive":
                directives = True
                parts.append(Invalid("template directive"))
            else:
                e = next((x for x in k.children if x.type == "expression"), None)
                parts.append(self.expr(e) if e is not None else Invalid("empty interpolation"))
            strip_next = strip_after
            pos = k.end_byte
        if end > pos:
            tail = self.src[pos:end].decode("utf-8", "replace")
            if strip_next:
                tail = tail.lstrip(" \t\r\n")
            if tail:
                parts.append(tail)
        if heredoc:
            if strip:
                parts = _strip_indent(parts)
            parts = [_unescape_template(p) if isinstance(p, str) else p for p in parts]
        else:
            parts = [unescape(p) if isinstance(p, str) else p for p in parts]
        parts = _join_strings(parts)
        if all(isinstance(p, str) for p in parts):
            return Lit("".join(parts))
        return Template(parts, directives)

    def for_expr(self, n) -> Node:
        is_object = n.type == "for_object_expr"
        intro = next(c for c in n.children if c.type == "for_intro")
        idents = [self.text(c) for c in intro.children if c.type == "identifier"]
        coll = self.expr(next(c for c in intro.children if c.type == "expression"))
        key_var, val_var = (idents[0], idents[1]) if len(idents) == 2 else (None, idents[0])
        exprs = [c for c in n.children if c.type == "expression"]
        cond_n = next((c for c in n.children if c.type == "for_cond"), None)
        cond = None
        if cond_n is not None:
            cond = self.expr(next(c for c in cond_n.children if c.type == "expression"))
        group = any(c.type == "ellipsis" for c in n.children)
        if is_object:
            return ForExpr(True, key_var, val_var, coll, self.expr(exprs[0]), self.expr(exprs[1]), cond, group)
        return ForExpr(False, key_var, val_var, coll, None, self.expr(exprs[0]), cond, False)


_TEMPLATE_ESC_RE = re.compile(r"\$\$\{|%%\{")


def _unescape_template(raw: str) -> str:
    """The template escapes every template has (heredocs too): `$${` -> `${`, `%%{` -> `%{`."""
    return _TEMPLATE_ESC_RE.sub(lambda m: m.group(0)[1:], raw)


def _join_strings(parts: list) -> list:
    out: list = []
    for p in parts:
        if isinstance(p, str) and out and isinstance(out[-1], str):
            out[-1] += p
        elif not (isinstance(p, str) and p == ""):
            out.append(p)
    return out


def _rotate(c: Node, then: Node, other: Node, paren: set) -> Node:
    """Re-associate a left-nested conditional chain to the right: ((a ? b : c) ? d : e) -> a ? b : (c ? d : e)."""
    if isinstance(c, Cond) and id(c) not in paren:
        return Cond(c.cond, c.then, _rotate(c.other, then, other, paren))
    return Cond(c, then, other)


def _strip_indent(parts: list) -> list:
    """`<<-` heredocs: remove the smallest common leading whitespace of the literal lines."""
    text = "".join(p if isinstance(p, str) else "\x00" for p in parts)
    lines = [ln for ln in text.split("\n") if ln.strip()]
    indent = min((len(ln) - len(ln.lstrip(" \t")) for ln in lines), default=0)
    if not indent:
        return parts
    out: list = []
    at_line_start = True
    for p in parts:
        if isinstance(p, str):
            segs = p.split("\n")
            new = []
            for i, s in enumerate(segs):
                if (i > 0 or at_line_start):
                    s = s[indent:] if s[:indent].strip() == "" else s.lstrip(" \t")
                new.append(s)
            out.append("\n".join(new))
            at_line_start = p.endswith("\n")
        else:
            out.append(p)
            at_line_start = False
    return out


