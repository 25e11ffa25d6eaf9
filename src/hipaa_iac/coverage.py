"""Framework coverage: which policy covers each Terraform-checkable item of a HIPAA framework, or why none does.

The frameworks' items are data (`data/frameworks/<name>.yaml`, each with its source repository, path and
commit). Which policy covers an item is never written there: it is derived from the policies' own
`metadata.crosswalk` (the key the framework declares, e.g. `prowler` or `aws_config`), so one fact lives in
one place. An item no policy covers carries the reason none does:

- `no-terraform-surface`: nothing in a Terraform configuration decides it (findings, usage, expiry dates);
- `account-level-runtime`: a runtime state of the account that a configuration does not hold;
- `not-technical-safeguard`: Terraform can set it, but it is not a HIPAA technical safeguard (164.312);
- `out-of-scope:<text>`: Terraform can set it and the text says why the pack does not judge it.

The coverage share counts the Terraform-checkable HIPAA technical safeguards only: every item except
`no-terraform-surface` and `account-level-runtime` ones (status `not-checkable`) and `not-technical-safeguard`
ones (status `not-safeguard`: process checks such as a risk assessment, or operations settings outside 164.312;
they are listed and counted apart, never as covered). An item without a policy and without a reason is a gap,
and says so.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

FRAMEWORK_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "frameworks")
REASONS = ("no-terraform-surface", "account-level-runtime", "not-technical-safeguard")
NOT_CHECKABLE = ("no-terraform-surface", "account-level-runtime")
NOT_SAFEGUARD = "not-technical-safeguard"
OUT_OF_SCOPE = "out-of-scope:"


@dataclass
class Item:
    id: str
    policies: list[str] = field(default_factory=list)
    reason: str | None = None
    note: str | None = None
    requirements: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.policies:
            return "covered"
        if self.reason in NOT_CHECKABLE:
            return "not-checkable"
        if self.reason == NOT_SAFEGUARD:
            return "not-safeguard"
        return "uncovered"


@dataclass
class Framework:
    name: str
    title: str
    cloud: str
    key: str
    source: dict
    items: list[Item]
    problems: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        checkable = [i for i in self.items if i.status not in ("not-checkable", "not-safeguard")]
        covered = [i for i in checkable if i.status == "covered"]
        gaps = [i for i in checkable if i.status == "uncovered" and not i.reason]
        return {"items": len(self.items), "terraform_checkable": len(checkable),
                "not_checkable": sum(i.status == "not-checkable" for i in self.items),
                "not_technical_safeguard": sum(i.status == "not-safeguard" for i in self.items),
                "covered": len(covered),
                "uncovered_with_reason": len(checkable) - len(covered) - len(gaps), "gaps": len(gaps),
                "percent": round(100.0 * len(covered) / len(checkable), 1) if checkable else 100.0}


def valid_reason(reason: Any) -> bool:
    if not isinstance(reason, str):
        return False
    if reason in REASONS:
        return True
    return reason.startswith(OUT_OF_SCOPE) and bool(reason[len(OUT_OF_SCOPE):].strip())


def framework_files(directory: str = FRAMEWORK_DIR) -> list[str]:
    return sorted(os.path.join(directory, n) for n in os.listdir(directory) if n.endswith(".yaml")
                  and n != "sources.yaml")


def read_framework(path: str) -> tuple[dict, list[str]]:
    """The raw framework document and its structural problems (each naming the file and the item)."""
    from .yamlio import safe_load
    name = os.path.basename(path)[:-len(".yaml")]
    with open(path, encoding="utf-8") as fh:
        doc = safe_load(fh.read())
    problems: list[str] = []
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        return {}, [f"{path}: a mapping with framework, title, cloud, crosswalk_key, source and items"]
    for key in ("framework", "title", "cloud", "crosswalk_key", "source"):
        if not doc.get(key):
            problems.append(f"{path}: {key}: missing")
    if doc.get("framework") != name:
        problems.append(f"{path}: framework: {doc.get('framework')!r} differs from the file name {name!r}")
    src = doc.get("source") or {}
    for key in ("repository", "path", "commit", "date"):
        if not isinstance(src, dict) or not src.get(key):
            problems.append(f"{path}: source.{key}: missing")
    seen: set[str] = set()
    for n, it in enumerate(doc["items"]):
        where = f"{path}: items[{n}]"
        if not isinstance(it, dict) or not isinstance(it.get("id"), str) or not it["id"]:
            problems.append(f"{where}: an item needs an id")
            continue
        if it["id"] in seen:
            problems.append(f"{where}: {it['id']} is listed twice")
        seen.add(it["id"])
        if "reason" in it and not valid_reason(it["reason"]):
            problems.append(f"{where} ({it['id']}): reason {it['reason']!r} is not one of "
                            f"{', '.join(REASONS)} or out-of-scope:<why>")
        extra = set(it) - {"id", "reason", "note", "requirements", "resource_types"}
        if extra:
            problems.append(f"{where} ({it['id']}): unknown keys {', '.join(sorted(extra))}")
    return doc, problems


def load(policies: list | None = None, directory: str = FRAMEWORK_DIR) -> list[Framework]:
    """Every framework with each item's covering policies derived from the policies' crosswalk.

    `policies` are loader.Policy objects (default: the installed pack). Problems (a crosswalk naming an item
    the framework does not list, an item both covered and given a reason) are collected per framework."""
    if policies is None:
        from .policy.loader import load_pack
        policies = load_pack().policies
    out = []
    for path in framework_files(directory):
        doc, problems = read_framework(path)
        if not doc:
            out.append(Framework(os.path.basename(path)[:-5], "?", "?", "?", {}, [], problems))
            continue
        items = [Item(id=it["id"], reason=it.get("reason"), note=it.get("note"),
                      requirements=list(it.get("requirements") or []))
                 for it in doc["items"] if isinstance(it, dict) and isinstance(it.get("id"), str)]
        by_id = {i.id: i for i in items}
        key, cloud = doc.get("crosswalk_key"), doc.get("cloud")
        for p in sorted(policies, key=lambda p: p.id):
            if p.cloud != cloud:
                continue
            for ref in (p.meta.get("crosswalk") or {}).get(key) or []:
                item = by_id.get(ref)
                if item is None:
                    problems.append(f"{p.id}: crosswalk {key}: {ref!r} is not an item of {doc['framework']}")
                elif p.id not in item.policies:
                    item.policies.append(p.id)
        for item in items:
            if item.policies and item.reason:
                problems.append(f"{doc['framework']}: {item.id} is covered by {', '.join(item.policies)} "
                                f"but also gives the reason {item.reason!r}: drop the reason")
        out.append(Framework(doc["framework"], doc["title"], cloud, key, doc["source"], items, problems))
    return out


def report(frameworks: list[Framework]) -> dict[str, Any]:
    """The JSON form (also what the Markdown renders)."""
    return {"frameworks": [{
        "framework": f.name, "title": f.title, "cloud": f.cloud, "crosswalk_key": f.key, "source": f.source,
        "summary": f.summary(), "problems": f.problems,
        "items": [{"id": i.id, "status": i.status, "policies": i.policies, "reason": i.reason, "note": i.note,
                   "requirements": i.requirements} for i in f.items]} for f in frameworks]}


def render_json(frameworks: list[Framework]) -> str:
    return json.dumps(report(frameworks), indent=2, sort_keys=False) + "\n"


def _cell(text: Any) -> str:
    return str(text or "").replace("|", "\\|").replace("\n", " ")


def render_markdown(frameworks: list[Framework]) -> str:
    out = ["# Framework coverage", "",
           "Each Terraform-checkable item of the frameworks below, with the hipaa-iac policy that covers it "
           "(from the policies' `crosswalk` metadata) or the reason none does. The share counts "
           "Terraform-checkable items only (not `no-terraform-surface` or `account-level-runtime` ones, nor "
           "`not-technical-safeguard` ones: process checks and operations settings outside 164.312). "
           "Coverage of an item supports an assessment of the safeguard; it does not by itself establish "
           "that an environment meets it.", ""]
    for f in frameworks:
        s = f.summary()
        src = f.source
        out += [f"## {f.title} (`{f.name}`)", "",
                f"Source: `{src.get('repository')}` `{src.get('path')}` at `{src.get('commit')}` ({src.get('date')}).",
                "", f"Covered: {s['covered']} of {s['terraform_checkable']} Terraform-checkable items "
                f"({s['percent']}%); {s['uncovered_with_reason']} uncovered with a reason, {s['gaps']} without "
                f"a policy yet; {s['not_checkable']} items not checkable from Terraform; {s['not_technical_safeguard']} "
                f"not HIPAA technical safeguards.", "",
                "| Item | Status | Policies or reason |", "|---|---|---|"]
        for i in f.items:
            what = ", ".join(i.policies) if i.policies else (i.reason or "no policy yet")
            if i.note and not i.policies:
                what += f" ({i.note})"
            out.append(f"| `{i.id}` | {i.status} | {_cell(what)} |")
        if f.problems:
            out += ["", "Problems:", "", *(f"- {_cell(p)}" for p in f.problems)]
        out.append("")
    return "\n".join(out)
