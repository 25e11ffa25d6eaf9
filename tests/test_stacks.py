"""The example stacks: a compliant AI training stack per cloud has no failed result under the whole pack;
every violation marked `# VIOLATION: <ID>` in a noncompliant stack is found, on its line, and every failed result
of a noncompliant stack is marked (so a new false alarm fails here)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from hipaa_iac.load import LoadOptions, load
from hipaa_iac.policy.loader import load_pack, select
from hipaa_iac.scan import evaluate_policies

REPO = Path(__file__).resolve().parents[1]
STACKS = REPO / "fixtures" / "stacks"
PACK = load_pack(str(REPO / "policies"))
ALL = select(PACK, None, None, None)
MARK = re.compile(r"VIOLATION:\s*([A-Za-z0-9_,\s-]+)")


def stacks(kind: str) -> list[Path]:
    return sorted(p for p in STACKS.iterdir() if p.is_dir() and p.name.endswith(kind))


@pytest.mark.parametrize("stack", stacks("-compliant"), ids=lambda p: p.name)
def test_compliant_stack_has_no_failed_result(stack):
    g = load([str(stack)], LoadOptions())
    assert g.errors == []
    res = evaluate_policies(g, ALL)
    failed = [(r["policy_id"], r["resource"], f"{r['file']}:{r['line']}", r["message"]) for r in res
              if r["status"] == "failed"]
    assert failed == []
    assert sum(r["status"] == "passed" for r in res) >= 20


@pytest.mark.parametrize("stack", stacks("-noncompliant"), ids=lambda p: p.name)
def test_every_marked_violation_is_found(stack):
    g = load([str(stack)], LoadOptions())
    assert g.errors == []
    res = evaluate_policies(g, ALL)
    spans = {r.address: (r.file, r.line, r.end_line) for r in g.resources}
    marks = []
    for f in sorted(stack.rglob("*.tf")):
        rel = f.relative_to(stack).as_posix()
        for i, text in enumerate(f.read_text().splitlines(), start=1):
            m = MARK.search(text)
            if m:
                for pid in re.split(r"[,\s]+", m.group(1).strip()):
                    if pid:
                        marks.append((pid, rel, i))
    assert marks, f"{stack.name} marks no violation"
    missing = []
    for pid, rel, line in marks:
        assert pid in PACK.by_id(), f"{rel}:{line} marks unknown policy {pid}"
        hit = any(r["policy_id"] == pid and r["status"] == "failed" and r["file"] == rel and (
            r["line"] == line or spans[r["resource"]][1] <= line <= spans[r["resource"]][2]) for r in res)
        if not hit:
            missing.append(f"{pid} at {rel}:{line}")
    assert missing == []
    # and every failed result is marked: an unmarked one is a new false alarm (or an unmarked violation)
    unmarked = sorted({(r["policy_id"], r["resource"], f"{r['file']}:{r['line']}") for r in res
                       if r["status"] == "failed" and not any(
                           pid == r["policy_id"] and rel == r["file"] and (
                               line == r["line"] or spans[r["resource"]][1] <= line <= spans[r["resource"]][2])
                           for pid, rel, line in marks)})
    assert unmarked == [], "failed results without a # VIOLATION: mark in the resource block"
