"""Running the policies: policies x resources -> result dicts (passed | failed | unknown), with the configured
parameters applied, the PHI scope, and the tool's own failures contained (unknown with the reason, and an error).
`policy/evaluate.py` judges one definition on one resource; this module runs the pack over the graph.
"""
from __future__ import annotations

import copy
from typing import Any

from ..graph import Graph
from ..model import Resource, ScanError, Unknown, internal_error
from .messages import unknown_hint

STATUS = {"T": "passed", "F": "failed", "U": "unknown"}


def apply_parameters(definition: Any, meta: dict, config) -> Any:
    """Replace the policy's default parameter values in its definition by configured ones."""
    params = meta.get("parameters") or {}
    if not params or config is None:
        return definition
    configured = {k: config.parameters[k] for k in params if k in getattr(config, "parameters", {})}
    if not configured:
        return definition
    replace = {repr(params[k]): v for k, v in configured.items() if params[k] != v}
    if not replace:
        return definition

    def walk(node):
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                if k == "value" and not isinstance(v, (dict, list)) and repr(v) in replace:
                    out[k] = replace[repr(v)]
                else:
                    out[k] = walk(v)
            return out
        if isinstance(node, list):
            return [walk(x) for x in node]
        return node
    return walk(copy.deepcopy(definition))


def phi_resources(graph: Graph, phi_tags: dict) -> list[Resource]:
    out = []
    for r in graph.resources:
        tags = r.attributes.get("tags") or r.attributes.get("labels")
        if not isinstance(tags, dict):
            continue
        for k, want in phi_tags.items():
            v = tags.get(k)
            wants = [want] if isinstance(want, str) else list(want)
            if isinstance(v, str) and v.lower() in [w.lower() for w in wants]:
                out.append(r)
                break
    return out


def _guarded(ev, r: Resource, policy_id: str, errors: list | None):
    """One (policy, resource) verdict; the tool's own failure on it is unknown with the reason and an error."""
    from .evaluate import UNK, Verdict
    try:
        return ev.evaluate(r)
    except Exception as e:
        msg = internal_error(e, "evaluate")
        if errors is not None:
            errors.append(ScanError(r.file, r.line, f"{policy_id} on {r.address}: {msg}"))
        return Verdict(UNK, msg)


def with_provider_defaults(r: Resource, defaults: list | None, versions: dict | None = None) -> tuple[Resource, list]:
    """The resource as the policy judges it, and notes for its message. An argument left unset (or null) whose
    provider default changed between provider versions (`metadata.provider_defaults`) takes the default of
    the provider version its root module is locked to (.terraform.lock.hcl, provider_versions.py), said in a
    note; without a lock it is unknown with the entry's reason, never read as either default. A plan holds
    the value the provider chose, so plan resources are judged as they are."""
    if not defaults or r.source == "plan":
        return r, []
    missing = [d for d in defaults if r.attributes.get(d["attribute"]) is None]
    if not missing:
        return r, []
    import dataclasses
    from ..provider_versions import LOCK_FILE, default_for
    from .phrases import hcl
    attrs = dict(r.attributes)
    notes = []
    for d in missing:
        picked = default_for(d, versions or {})
        if picked is not None:
            value, version = picked
            attrs[d["attribute"]] = value
            notes.append(f"{d['attribute']} is not set: {d['provider']} {version} ({LOCK_FILE}) defaults it to "
                         f"{hcl(value)}")
        else:
            attrs[d["attribute"]] = Unknown(f"not set, and {d['reason']}")
    return dataclasses.replace(r, attributes=attrs), notes


def evaluate_policies(graph: Graph, policies: list, config=None, errors: list | None = None) -> list[dict]:
    """Results of every policy on the graph. Internal errors (a bug of the tool on one input) become
    unknown results and, when `errors` is given, entries in it: the scan never ends on one."""
    from .engines import run_engine
    from .evaluate import NA, DefinitionEvaluator
    in_scope = None
    if config is not None and config.scope == "phi-path":
        in_scope = graph.reachable(phi_resources(graph, config.phi_tags))
    results: list[dict] = []
    for p in policies:
        meta = p.meta
        definition = apply_parameters(p.definition, meta, config)
        try:
            ev = DefinitionEvaluator(graph, meta, definition)
            candidates = ev.candidates()
            if meta.get("engine"):
                judged = [(r, v, ()) for r, v in run_engine(meta, graph, candidates, config)]
            else:
                defaults = meta.get("provider_defaults")
                judged = []
                for r in candidates:
                    if r.action != "delete":
                        seen, notes = with_provider_defaults(r, defaults, graph.provider_versions.get(r.module_root))
                        judged.append((r, _guarded(ev, seen, p.id, errors), notes))
        except Exception as e:  # the policy as a whole failed: reported once, the other policies still run
            if errors is not None:
                errors.append(ScanError(p.file if hasattr(p, "file") else p.id, None,
                                        f"{p.id}: {internal_error(e, 'evaluate')}"))
            continue
        for r, v, notes in judged:
            if v.state == NA:
                continue
            if in_scope is not None and r.address not in in_scope:
                continue
            res = make_result(p, r, v)
            for note in notes:  # what a provider default decided
                res["message"] += f" ({note})"
            results.append(res)
    results.sort(key=lambda x: (x["file"] or "", x["line"] or 0, x["policy_id"], x["resource"]))
    return results


_SHARED: dict[int, tuple] = {}


def _shared(p) -> dict:
    """Per-policy fields every result of the policy shares (one object each, not one per result)."""
    meta = p.meta
    got = _SHARED.get(id(meta))
    if got is None or got[0] is not meta:
        sh = {"title": meta["name"], "severity": meta["severity"].lower(), "hipaa_category": meta["hipaa_category"],
              "hipaa": list(meta["hipaa"]), "nist_800_171": list(meta["nist_800_171"]),
              "remediation": meta["remediation"].strip()}
        got = _SHARED[id(meta)] = (meta, sh)
    return got[1]


def make_result(p, r: Resource, v) -> dict:
    meta = p.meta
    sh = _shared(p)
    status = STATUS[v.state]
    attr = v.path
    line = r.line_of(attr) if attr else None
    if line is None:
        line = r.line
    if status == "passed":
        message = v.reason or "passed"
    elif status == "failed":
        message = v.reason or meta["name"]
    else:
        message = f"cannot be decided statically: {v.reason}"
        hint = unknown_hint(v)
        if hint:
            message += f". To decide it: {hint}"
    attr_name = None
    if attr:
        parts = [x for x in attr.split(".") if not x.isdigit() and x != "*"]
        attr_name = parts[-1] if parts else None
    return {
        "policy_id": p.id,
        "title": sh["title"],
        "severity": sh["severity"],
        "hipaa_category": sh["hipaa_category"],
        "status": status,
        "resource": r.address,
        "module_root": r.module_root,
        "resource_type": r.type,
        "file": r.file,
        "line": line,
        "end_line": r.end_line,
        "attribute": attr_name,
        "hipaa": sh["hipaa"],
        "nist_800_171": sh["nist_800_171"],
        "message": message,
        "remediation": sh["remediation"],
        "suppression": None,
    }
