"""python-hcl2's raw Lark parse tree, read for parse/hcl2_fallback.py: token and comment helpers, numbers,
string escapes, and the brace matching that cuts interpolations out of heredoc bodies."""
from __future__ import annotations

import re
from typing import Any

from ..expr import Lit, Node, UnaryOp
from ..safejson import number
from .hcl_convert import _code_point

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

