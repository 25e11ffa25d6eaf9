"""Checks that checkov's YAML cannot express, selected by `metadata.engine` in a policy file.

- eligible_service: the resource's service is on the cloud's HIPAA-eligible list (sourced, dated data in
  src/hipaa_iac/data/eligible/<cloud>.yaml), extended or restricted by configuration.
- literal_secret: a credential attribute holds a value written in the configuration (literal, variable
  default, tfvars) instead of one supplied at run time or generated; the finding never shows the value.
"""
from __future__ import annotations

import functools
import os

from ..model import Resource, Unknown
from .evaluate import FALSE, NA, TRUE, UNK, Verdict

PROVIDER_PREFIXES = {"aws": ("aws_", "awscc_"), "azure": ("azurerm_", "azapi_"), "gcp": ("google_",)}
DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


def eligible_paths(cloud: str) -> tuple[str, str]:
    """The sourced YAML table and its compiled JSON twin (written by `hipaa-iac docs generate`)."""
    base = os.path.join(DATA_DIR, "eligible", cloud)
    return base + ".yaml", base + ".json"


def compiled_eligible_text(cloud: str) -> str | None:
    import hashlib
    import json

    from ..yamlio import safe_load
    src, _ = eligible_paths(cloud)
    try:
        with open(src, "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    data = safe_load(raw.decode("utf-8")) or {}
    return json.dumps({"source_sha256": hashlib.sha256(raw).hexdigest(), "data": data}, sort_keys=True,
                      default=str, separators=(",", ":")) + "\n"


@functools.lru_cache(maxsize=None)
def load_eligible(cloud: str) -> dict:
    """The eligible-service table: its compiled JSON twin when it matches the YAML, else the YAML itself."""
    import hashlib
    import json
    src, compiled = eligible_paths(cloud)
    try:
        with open(src, "rb") as fh:
            raw = fh.read()
    except OSError:
        return {}
    try:
        with open(compiled, encoding="utf-8") as fh:
            twin = json.load(fh)
        if twin.get("source_sha256") == hashlib.sha256(raw).hexdigest():
            return twin["data"] or {}
    except (OSError, ValueError, AttributeError, KeyError):
        pass
    from ..yamlio import safe_load
    return safe_load(raw.decode("utf-8")) or {}


class EligibleIndex:
    def __init__(self, cloud: str, extra: dict | None = None):
        data = load_eligible(cloud)
        self.cloud = cloud
        self.retrieved = str(data.get("retrieved", "unknown date"))
        self.prefixes: list[tuple[str, dict]] = []
        self.types: dict[str, dict] = {}
        for svc in data.get("services", []) or []:
            for p in svc.get("prefixes", []) or []:
                self.prefixes.append((p, svc))
            for t in svc.get("types", []) or []:
                self.types[t] = svc
        self.nonexistent = [(n.get("prefix", ""), n.get("message", "")) for n in data.get("nonexistent_types", []) or []]
        # configuration (your BAA) takes precedence over the published list
        self.config_rules: list[tuple[str, dict]] = []
        extra = extra or {}
        for key, status, label in (("add", "eligible", "added"), ("remove", "not_eligible", "removed")):
            for t in extra.get(key, []) or []:
                self.config_rules.append((t, {"service": f"{t} ({label} in configuration)", "status": status,
                                              "confidence": "config"}))
        self.config_rules.sort(key=lambda x: -len(x[0]))
        self.prefixes.sort(key=lambda x: -len(x[0]))
        self._by_type: dict[str, tuple] = {}

    def classify(self, rtype: str) -> tuple[str, str, str | None]:
        """(status, message, matched) for a resource type (computed once per type)."""
        got = self._by_type.get(rtype)
        if got is None:
            got = self._by_type[rtype] = self._classify(rtype)
        return got

    def _classify(self, rtype: str) -> tuple[str, str, str | None]:
        for p, msg in self.nonexistent:
            if p and rtype.startswith(p):
                return "nonexistent", msg, p
        svc = None
        matched = rtype
        for pat, rule in self.config_rules:
            if rtype == pat or (pat.endswith("_") and rtype.startswith(pat)):
                svc, matched = rule, pat
                break
        if svc is None:
            svc = self.types.get(rtype)
        if svc is None:
            for p, s in self.prefixes:
                if rtype.startswith(p):
                    svc, matched = s, p
                    break
        if svc is None:
            return "unlisted", (f"{rtype} belongs to no service on the {self.cloud.upper()} HIPAA-eligible list "
                                f"(as of {self.retrieved}); if your BAA covers it, add it under "
                                "eligible_services in the configuration"), None
        status = svc.get("status", "eligible")
        name = svc.get("service", matched)
        conf = svc.get("confidence", "")
        if status == "eligible":
            return "eligible", f"{name} is on the HIPAA-eligible list (as of {self.retrieved}, confidence {conf})", matched
        if status == "control_plane":
            return "control_plane", f"{name} holds no data (control plane)", matched
        if conf == "low":
            return "doubtful", (f"{name} was not on the {self.cloud.upper()} HIPAA-eligible list (as of {self.retrieved}) "
                                "but may have been added since: confirm it against the current list or your BAA "
                                "(eligible_services in the configuration)"), matched
        return "not_eligible", (f"{name} is not on the {self.cloud.upper()} HIPAA-eligible list (as of "
                                f"{self.retrieved}); keep ePHI out of it or confirm it is covered by your BAA"), matched


def eligible_candidates(graph, cloud: str) -> list[Resource]:
    prefixes = PROVIDER_PREFIXES.get(cloud, ())
    out = []
    for t, rs in graph.by_type.items():
        if t.startswith(prefixes):
            out.extend(r for r in rs if r.mode == "managed")
    return out


def eligible_verdict(index: EligibleIndex, r: Resource) -> Verdict:
    if r.tainted:
        return Verdict(UNK, f"its file could not be read ({r.tainted})")
    status, msg, _ = index.classify(r.type)
    if status == "eligible":
        return Verdict(TRUE, msg)
    if status == "control_plane":
        return Verdict(NA, msg)
    if status == "doubtful":  # low-confidence data never raises an alarm on its own
        return Verdict(UNK, msg)
    return Verdict(FALSE, msg)


def literal_secret_verdict(attributes: list[str], r: Resource) -> Verdict:
    if r.tainted:
        return Verdict(UNK, f"its file could not be read ({r.tainted})")
    found_any = False
    for name in attributes:
        if name not in r.attributes:
            continue
        found_any = True
        v = r.attributes[name]
        if r.source == "plan":
            return Verdict(UNK, f"{name}: a plan does not show whether the value was written in the configuration",
                           name)
        if isinstance(v, Unknown):
            continue
        if isinstance(v, str) and v != "":
            return Verdict(FALSE, f"{name} is written in the configuration (value not shown); supply it at run "
                                  "time from a secret store or let the service manage it", name)
    if not found_any:
        return Verdict(TRUE, "no credential attribute is set in the configuration")
    return Verdict(TRUE, "credentials are supplied at run time or generated")


def run_engine(meta: dict, graph, candidates_from_definition: list[Resource], config) -> list[tuple[Resource, Verdict]]:
    engine = meta.get("engine")
    args = meta.get("engine_args") or {}
    if engine == "eligible_service":
        cloud = args.get("cloud", "aws")
        extra = (getattr(config, "eligible_services", None) or {}).get(cloud) if config is not None else None
        index = EligibleIndex(cloud, extra)
        out = []
        for r in eligible_candidates(graph, cloud):
            v = eligible_verdict(index, r)
            if v.state != NA:
                out.append((r, v))
        return out
    if engine == "literal_secret":
        attrs = list(args.get("attributes") or [])
        return [(r, literal_secret_verdict(attrs, r)) for r in candidates_from_definition]
    return []
