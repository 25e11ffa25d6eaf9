"""python-hcl2 as an independent oracle for the tree-sitter front end, over every .tf file under fixtures/.

Each file is read by parse_hcl (tree-sitter) and parse_hcl_fallback (python-hcl2, whose expression ASTs are
built from python-hcl2's own parse tree). Both must give the same blocks (type, labels, lines), the same
attributes (lines, source text with whitespace normalised, value) and the same comments. Values are
compared in a canonical rendering: literals by value (1 == 1.0, `-1` == Lit(-1)), everything else as
normalised source text. Files tree-sitter rejects are skipped here (tests/test_hcl_frontend.py covers the
fallback on them).

Where the two disagree one of them is wrong; Terraform's spec (hashicorp/hcl hclsyntax/spec.md) is the
judge. The cases found so far are in KNOWN below, each with the front end that is wrong and why. A
disagreement that no entry explains fails the test; an entry that no fixture needs any more fails
test_every_known_disagreement_is_still_seen (delete the entry once the bug is fixed).
"""
from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from hipaa_iac.expr import (BinOp, Call, Cond, ForExpr, Invalid, Lit, ObjectExpr, Template, Traversal,
                            TupleExpr, UnaryOp, Var)
from hipaa_iac.model import Block
from hipaa_iac.parse.hcl import HCLSyntaxError, parse_hcl
from hipaa_iac.parse.hcl2_fallback import parse_hcl_fallback

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "fixtures").rglob("*.tf"))


# ---- canonical rendering -----------------------------------------------------------------------------

def _num(v) -> str:
    if isinstance(v, float) and math.isfinite(v) and v.is_integer() and abs(v) < 2 ** 53:
        return str(int(v))
    return repr(v)


def canon(n) -> str:
    """Expression -> normalised source text. Literals by value; operators fully parenthesised."""
    if isinstance(n, Lit):
        v = n.value
        if v is None:
            return "null"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return _num(v)
        return json.dumps(v, ensure_ascii=False)
    if isinstance(n, UnaryOp):
        if n.op == "-" and isinstance(n.operand, Lit) and isinstance(n.operand.value, (int, float)) \
                and not isinstance(n.operand.value, bool):
            return _num(-n.operand.value)
        return f"({n.op}{canon(n.operand)})"
    if isinstance(n, Template):
        out = []
        for p in n.parts:
            if isinstance(p, str):
                out.append(json.dumps(p, ensure_ascii=False)[1:-1])
            elif isinstance(p, Invalid):
                out.append("%{" + p.reason + "}")
            else:
                out.append("${" + canon(p) + "}")
        return '"' + "".join(out) + '"' + ("/*directives*/" if n.directives else "")
    if isinstance(n, Var):
        return n.name
    if isinstance(n, Traversal):
        out = canon(n.base)
        for s in n.steps:
            if s[0] == "attr":
                out += "." + s[1]
            elif s[0] == "index":
                out += "[" + canon(s[1]) + "]"
            elif s[0] == "splat":
                out += "[*]"
            else:
                out += ".*"
        return out
    if isinstance(n, Call):
        return n.name + "(" + ", ".join(canon(a) for a in n.args) + ("..." if n.expand else "") + ")"
    if isinstance(n, Cond):
        return f"({canon(n.cond)} ? {canon(n.then)} : {canon(n.other)})"
    if isinstance(n, BinOp):
        return f"({canon(n.left)} {n.op} {canon(n.right)})"
    if isinstance(n, TupleExpr):
        return "[" + ", ".join(canon(i) for i in n.items) + "]"
    if isinstance(n, ObjectExpr):
        return "{" + ", ".join(f"{canon(k)} = {canon(v)}" for k, v in n.items) + "}"
    if isinstance(n, ForExpr):
        names = f"{n.key_var}, {n.val_var}" if n.key_var else n.val_var
        cond = f" if {canon(n.cond)}" if n.cond is not None else ""
        if n.is_object:
            return (f"{{for {names} in {canon(n.coll)} : {canon(n.key)} => {canon(n.value)}"
                    f"{'...' if n.group else ''}{cond}}}")
        return f"[for {names} in {canon(n.coll)} : {canon(n.value)}{cond}]"
    if isinstance(n, Invalid):
        return f"<invalid: {n.reason}>"
    return f"<unknown node {type(n).__name__}>"


def _pairs(a, b) -> list | None:
    """Child expression pairs of two nodes of the same shape (same type and scalar fields), else None."""
    if type(a) is not type(b):
        return None
    if isinstance(a, Template):
        if a.directives != b.directives or len(a.parts) != len(b.parts):
            return None
        if any(isinstance(x, str) != isinstance(y, str) or (isinstance(x, str) and x != y)
               for x, y in zip(a.parts, b.parts)):
            return None
        return [(x, y) for x, y in zip(a.parts, b.parts) if not isinstance(x, str)]
    if isinstance(a, Traversal):
        if len(a.steps) != len(b.steps) or any(x[0] != y[0] or (x[0] == "attr" and x[1] != y[1])
                                               for x, y in zip(a.steps, b.steps)):
            return None
        return [(a.base, b.base)] + [(x[1], y[1]) for x, y in zip(a.steps, b.steps) if x[0] == "index"]
    if isinstance(a, Call):
        if (a.name, a.expand, len(a.args)) != (b.name, b.expand, len(b.args)):
            return None
        return list(zip(a.args, b.args))
    if isinstance(a, Cond):
        return [(a.cond, b.cond), (a.then, b.then), (a.other, b.other)]
    if isinstance(a, BinOp):
        return [(a.left, b.left), (a.right, b.right)] if a.op == b.op else None
    if isinstance(a, UnaryOp):
        return [(a.operand, b.operand)] if a.op == b.op else None
    if isinstance(a, TupleExpr):
        return list(zip(a.items, b.items)) if len(a.items) == len(b.items) else None
    if isinstance(a, ObjectExpr):
        if len(a.items) != len(b.items):
            return None
        return [p for (ka, va), (kb, vb) in zip(a.items, b.items) for p in ((ka, kb), (va, vb))]
    if isinstance(a, ForExpr):
        if (a.is_object, a.key_var, a.val_var, a.group, a.key is None, a.cond is None) != \
                (b.is_object, b.key_var, b.val_var, b.group, b.key is None, b.cond is None):
            return None
        return [(x, y) for x, y in ((a.coll, b.coll), (a.key, b.key), (a.value, b.value), (a.cond, b.cond))
                if x is not None]
    return None  # Lit, Var, Invalid: leaves


# ---- known disagreements -----------------------------------------------------------------------------


def _identity(n):
    return n


@dataclass(frozen=True)
class Known:
    id: str
    wrong: str  # the front end that is wrong: "tree-sitter" | "python-hcl2"
    reason: str
    kind: str  # "expr": fix_ts/fix_fb normalise one side; "comments"; "file": python-hcl2 cannot read it
    fix_ts: Callable = _identity
    fix_fb: Callable = _identity
    file_match: Callable | None = None


KNOWN = [
    Known("PH2_STRIP_MARKERS", "python-hcl2",
          "python-hcl2 8.1.4 cannot read strip markers in an interpolation (`${~ x ~}`), which the spec "
          "allows (TemplateInterpolation = (\"${\" | \"${~\") Expression (\"}\" | \"~}\"))",
          "file", file_match=lambda line: "${~" in line or re.search(r"\$\{[^}]*~\}", line) is not None),
    Known("PH2_MULTILINE_TRAVERSAL", "python-hcl2",
          "python-hcl2 8.1.4 cannot read a traversal continued on the next line (`a.b\\n  .c`) inside "
          "brackets or parentheses, where the spec makes newlines whitespace; Terraform accepts it",
          "file", file_match=lambda line: line.lstrip().startswith(".")),
]
BY_ID = {k.id: k for k in KNOWN}


# ---- comparison --------------------------------------------------------------------------------------

@dataclass
class Outcome:
    skipped: str | None = None
    explained: set = field(default_factory=set)  # ids of KNOWN entries that explained something
    unexplained: list = field(default_factory=list)  # human-readable disagreements


def _ws(text: str) -> str:
    return " ".join(text.split())


def _attr_spans(b: Block) -> list[tuple[int, int]]:
    spans = [(a.line, a.end_line) for a in b.attributes.values()]
    for c in b.blocks:
        spans += _attr_spans(c)
    return spans


def explain(ts, fb) -> set | None:
    """Ids of the KNOWN entries that account for every difference between two expressions, or None.

    Walks both trees in step; where they differ, a KNOWN fix (applied at that node only) must make
    them equal, possibly with further explained differences below it.
    """
    if canon(ts) == canon(fb):
        return set()
    entries = [k for k in KNOWN if k.kind == "expr"]
    for k in entries:
        t2, f2 = k.fix_ts(ts), k.fix_fb(fb)
        if canon(t2) == canon(f2):
            return {k.id}
    pairs = _pairs(ts, fb)
    if pairs is not None:
        credited: set = set()
        for a, b in pairs:
            sub = explain(a, b)
            if sub is None:
                break
            credited |= sub
        else:
            return credited
    for k in entries:
        t2, f2 = k.fix_ts(ts), k.fix_fb(fb)
        if canon(t2) != canon(ts) or canon(f2) != canon(fb):
            pairs = _pairs(t2, f2)
            subs = [explain(a, b) for a, b in pairs] if pairs is not None else [None]
            if all(x is not None for x in subs):
                return {k.id}.union(*subs)
    return None


def _compare_exprs(where: str, ts, fb, out: Outcome) -> None:
    ids = explain(ts, fb)
    if ids is None:
        out.unexplained.append(f"{where}: tree-sitter {canon(ts)}  !=  python-hcl2 {canon(fb)}")
    else:
        out.explained |= ids


def _compare_comments(where: str, ts_b: Block, fb_b: Block, out: Outcome) -> None:
    if ts_b.comments == fb_b.comments:
        return
    ts_c = [(line, text.rstrip("\r")) for line, text in ts_b.comments]
    extra = sorted(set(fb_b.comments) - set(ts_c))
    spans = _attr_spans(fb_b)
    if set(ts_c) <= set(fb_b.comments) and all(any(a <= line <= b for a, b in spans) for line, _ in extra):
        if ts_c != ts_b.comments:
            out.explained.add("TS_COMMENT_CR")
        if extra:
            out.explained.add("TS_COMMENTS_IN_EXPRESSIONS")
        return
    out.unexplained.append(f"{where}: comments tree-sitter {ts_b.comments} != python-hcl2 {fb_b.comments}")


def _compare_blocks(where: str, ts: list[Block], fb: list[Block], out: Outcome) -> None:
    if [(b.type, b.labels) for b in ts] != [(b.type, b.labels) for b in fb]:
        out.unexplained.append(f"{where}: blocks tree-sitter {[(b.type, b.labels) for b in ts]} != "
                               f"python-hcl2 {[(b.type, b.labels) for b in fb]}")
        return
    for i, (a, b) in enumerate(zip(ts, fb)):
        here = f"{where}/{'.'.join([a.type] + a.labels)}[{i}]"
        if (a.line, a.end_line, a.file) != (b.line, b.end_line, b.file):
            out.unexplained.append(f"{here}: span tree-sitter {(a.line, a.end_line)} != "
                                   f"python-hcl2 {(b.line, b.end_line)}")
        if list(a.attributes) != list(b.attributes):
            out.unexplained.append(f"{here}: attributes tree-sitter {list(a.attributes)} != "
                                   f"python-hcl2 {list(b.attributes)}")
        for name in a.attributes.keys() & b.attributes.keys():
            x, y = a.attributes[name], b.attributes[name]
            if (x.line, x.end_line) != (y.line, y.end_line):
                out.unexplained.append(f"{here}.{name}: lines tree-sitter {(x.line, x.end_line)} != "
                                       f"python-hcl2 {(y.line, y.end_line)}")
            if _ws(x.text) != _ws(y.text):
                out.unexplained.append(f"{here}.{name}: text tree-sitter {x.text!r} != "
                                       f"python-hcl2 {y.text!r}")
            _compare_exprs(f"{here}.{name}", x.expr, y.expr, out)
        _compare_comments(here, a, b, out)
        _compare_blocks(here, a.blocks, b.blocks, out)


@functools.lru_cache(maxsize=None)
def compare_file(path: Path) -> Outcome:
    src = path.read_bytes()
    rel = path.relative_to(ROOT).as_posix()
    out = Outcome()
    try:
        ts = parse_hcl(src, rel)
    except HCLSyntaxError as e:
        out.skipped = f"tree-sitter rejects {rel} (line {e.line}: {e.message})"
        return out
    try:
        fb = parse_hcl_fallback(src, rel)
    except HCLSyntaxError as e:
        lines = src.decode("utf-8", "replace").splitlines()
        line = lines[e.line - 1] if 0 < e.line <= len(lines) else ""
        hits = [k.id for k in KNOWN if k.kind == "file" and k.file_match(line)]
        if hits:
            out.explained.update(hits)
        else:
            out.unexplained.append(f"python-hcl2 rejects a file tree-sitter reads: line {e.line}: "
                                   f"{e.message} ({line.strip()!r})")
        return out
    _compare_blocks(rel, ts, fb, out)
    return out


# ---- tests -------------------------------------------------------------------------------------------

def test_fixtures_exist():
    assert FILES, "no .tf files under fixtures/"


@pytest.mark.parametrize("path", FILES, ids=[p.relative_to(ROOT / "fixtures").as_posix() for p in FILES])
def test_front_ends_agree(path: Path):
    out = compare_file(path)
    if out.skipped:
        pytest.skip(out.skipped)
    assert not out.unexplained, "tree-sitter and python-hcl2 disagree (find which is wrong; fix it or " \
                                "add a KNOWN entry with the reason):\n" + "\n".join(out.unexplained)


def test_every_known_disagreement_is_still_seen():
    seen = set()
    for p in FILES:
        seen |= compare_file(p).explained
    stale = [k.id for k in KNOWN if k.id not in seen]
    assert not stale, f"KNOWN entries no fixture needs any more (fixed? delete them): {stale}"


def test_known_entries_are_well_formed():
    assert len(BY_ID) == len(KNOWN)
    for k in KNOWN:
        assert k.wrong in ("tree-sitter", "python-hcl2") and k.reason
        assert k.kind in ("expr", "comments", "file")
        assert (k.file_match is not None) == (k.kind == "file")


def test_canonical_rendering_compares_literals_by_value():
    assert canon(Lit(1)) == canon(Lit(1.0))
    assert canon(UnaryOp("-", Lit(3))) == canon(Lit(-3))
    assert canon(Template(["a"])) == canon(Lit("a"))
    assert canon(Lit("1")) != canon(Lit(1))
    assert canon(Lit(True)) != canon(Lit(1))
    assert canon(BinOp("-", BinOp("-", Var("a"), Var("b")), Var("c"))) != \
        canon(BinOp("-", Var("a"), BinOp("-", Var("b"), Var("c"))))
