"""The control catalogue: HIPAA Security Rule citations and NIST SP 800-171 Rev. 2 requirements.

Data lives in `data/controls.yaml` (sourced and dated there). This module loads it once, checks that it
is well formed and validates the citations a policy declares, so that a typo fails CI instead of
reaching an auditor. `citations_by_category` there is the reviewed table of which citations each kind of
policy carries; `citation_deviation` says when a policy departs from it without a stated reason.
"""
from __future__ import annotations

import difflib
import functools
import re
from importlib import resources
from typing import Any

import yaml

from .vocab import NIST_REVISION  # noqa: F401  (re-exported; the report contract takes it from vocab)

HIPAA_ID = re.compile(r"^164\.3(0[89]|1[0246])(\((?:[a-z]|[0-9]+|[ivx]+|[A-Z])\))+$|^164\.50[24]\([a-z]\)$")
NIST_ID = re.compile(r"^3\.(\d|1[0-4])\.\d{1,2}$")
RA_VALUES = {"R", "A"}
KINDS = {"standard", "specification"}


@functools.cache
def load_controls() -> dict[str, Any]:
    """The catalogue, as {"version", "sections", "hipaa": {id: entry}, "nist_800_171": {id: entry}}.

    Entries keep the file order (regulation order), and each gets an `order` index for sorting.
    Raises ValueError when the table is malformed.
    """
    text = resources.files("hipaa_iac").joinpath("data/controls.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    errors = table_errors(raw)
    if errors:
        raise ValueError("controls.yaml is malformed:\n  " + "\n  ".join(errors))
    hipaa = {}
    for i, entry in enumerate(raw["hipaa"]):
        section = entry["id"].split("(", 1)[0]
        hipaa[entry["id"]] = {**entry, "order": i, "section": section,
                              "section_title": raw["sections"].get(section, ""),
                              "rule": entry.get("rule", "security")}
    nist = {entry["id"]: {**entry, "order": i} for i, entry in enumerate(raw["nist_800_171"])}
    return {"version": str(raw["version"]), "sections": dict(raw["sections"]),
            "hipaa": hipaa, "nist_800_171": nist, "by_category": _profiles(raw.get("citations_by_category") or {})}


def _profiles(table: dict) -> dict[str, list[dict]]:
    """{category: [{"profile", "hipaa", "nist_800_171", "note"}]}, `same_as` entries resolved."""
    out: dict[str, list[dict]] = {}
    for cat, entries in table.items():
        out[cat] = []
        for e in entries:
            if "same_as" in e:
                c, name = e["same_as"].split("/", 1)
                e = next(x for x in table[c] if x.get("profile") == name)
                e = {**e, "profile": f"{c}/{name}"}
            out[cat].append({"profile": e["profile"], "hipaa": list(e["hipaa"]),
                             "nist_800_171": list(e["nist_800_171"]), "note": e.get("note", "")})
    return out


def category_citations(category: str) -> list[dict]:
    """The reviewed citation profiles of a hipaa_category (the first is its default)."""
    return load_controls()["by_category"].get(category, [])


def citation_deviation(meta: dict) -> str | None:
    """Why a policy's citations are not in the table for its category (None when they are, or when the
    policy states its reason in `citation_override_reason`)."""
    if str(meta.get("citation_override_reason") or "").strip():
        return None
    profiles = category_citations(meta.get("hipaa_category", ""))
    if not profiles:
        return f"hipaa_category {meta.get('hipaa_category')!r} has no row in citations_by_category"
    have = (set(meta.get("hipaa") or []), set(meta.get("nist_800_171") or []))
    for p in profiles:
        if have == (set(p["hipaa"]), set(p["nist_800_171"])):
            return None
    names = ", ".join(p["profile"] for p in profiles)
    return (f"hipaa {sorted(have[0])} / nist_800_171 {sorted(have[1])} match no citation profile of "
            f"{meta.get('hipaa_category')} ({names}); use one, or say why in citation_override_reason")


def table_errors(raw: Any) -> list[str]:
    """Problems in the raw YAML table: missing keys, duplicate or malformed ids, empty titles."""
    if not isinstance(raw, dict):
        return ["top level must be a mapping"]
    errors: list[str] = []
    for key in ("version", "sections", "hipaa", "nist_800_171"):
        if key not in raw:
            errors.append(f"missing key {key!r}")
    if errors:
        return errors
    for table, pattern, required in (("hipaa", HIPAA_ID, ("id", "title", "kind", "ra", "technical")),
                                     ("nist_800_171", NIST_ID, ("id", "family", "title"))):
        seen: set[str] = set()
        for n, entry in enumerate(raw[table] or []):
            where = f"{table}[{n}]"
            if not isinstance(entry, dict):
                errors.append(f"{where}: not a mapping")
                continue
            for field in required:
                if field not in entry:
                    errors.append(f"{where}: missing {field!r}")
            cid = entry.get("id")
            if not isinstance(cid, str) or not pattern.match(cid):
                errors.append(f"{where}: malformed id {cid!r}")
                continue
            if cid in seen:
                errors.append(f"{where}: duplicate id {cid}")
            seen.add(cid)
            if not isinstance(entry.get("title"), str) or not entry["title"].strip():
                errors.append(f"{cid}: empty title")
            if table == "hipaa":
                if entry.get("ra") not in RA_VALUES:
                    errors.append(f"{cid}: ra must be R or A, not {entry.get('ra')!r}")
                if entry.get("kind") not in KINDS:
                    errors.append(f"{cid}: kind must be standard or specification")
                if not isinstance(entry.get("technical"), bool):
                    errors.append(f"{cid}: technical must be true or false")
                if cid.split("(", 1)[0] not in raw["sections"]:
                    errors.append(f"{cid}: section not in sections")
            elif not str(entry.get("family", "")).strip():
                errors.append(f"{cid}: empty family")
    errors.extend(_profile_errors(raw))
    return errors


def _profile_errors(raw: dict) -> list[str]:
    table = raw.get("citations_by_category")
    if table is None:
        return []
    if not isinstance(table, dict):
        return ["citations_by_category must be a mapping of hipaa_category to profiles"]
    hipaa = {e.get("id") for e in raw["hipaa"] or [] if isinstance(e, dict)}
    nist = {e.get("id") for e in raw["nist_800_171"] or [] if isinstance(e, dict)}
    errors: list[str] = []
    for cat, entries in table.items():
        if not isinstance(entries, list) or not entries:
            errors.append(f"citations_by_category.{cat}: expected a non-empty list of profiles")
            continue
        for n, e in enumerate(entries):
            where = f"citations_by_category.{cat}[{n}]"
            if not isinstance(e, dict):
                errors.append(f"{where}: not a mapping")
                continue
            if "same_as" in e:
                c, _, name = str(e["same_as"]).partition("/")
                if not any(isinstance(x, dict) and x.get("profile") == name for x in table.get(c) or []):
                    errors.append(f"{where}: same_as {e['same_as']!r} names no profile")
                continue
            if not e.get("profile"):
                errors.append(f"{where}: missing 'profile'")
            for key, known in (("hipaa", hipaa), ("nist_800_171", nist)):
                ids = e.get(key)
                if not isinstance(ids, list) or not ids:
                    errors.append(f"{where}: {key} must be a non-empty list")
                    continue
                errors.extend(f"{where}: unknown {key} id {i!r}" for i in ids if i not in known)
    return errors


def _unknown(kind: str, value: Any, known: dict[str, Any]) -> str:
    if not isinstance(value, str):
        return f"{kind} citation must be a string, not {value!r}"
    hint = ""
    close = difflib.get_close_matches(value, list(known), n=1, cutoff=0.8)
    prefixed = [k for k in known if k.startswith(value + "(")]
    if prefixed:
        hint = f" (did you mean {prefixed[0]!r}?)"
    elif close:
        hint = f" (did you mean {close[0]!r}?)"
    return f"unknown {kind} citation {value!r}{hint}"


def validate_citations(hipaa: list, nist: list) -> list[str]:
    """Errors for citations that are not in the catalogue (empty list when all are known)."""
    controls = load_controls()
    errors: list[str] = []
    for kind, values, known in (("HIPAA", hipaa, controls["hipaa"]),
                                ("NIST SP 800-171", nist, controls["nist_800_171"])):
        if values is None:
            continue
        if not isinstance(values, (list, tuple)):
            errors.append(f"{kind} citations must be a list, not {values!r}")
            continue
        for value in values:
            if not isinstance(value, str) or value not in known:
                errors.append(_unknown(kind, value, known))
    return errors


def hipaa_title(citation: str) -> str:
    entry = load_controls()["hipaa"].get(citation)
    return entry["title"] if entry else ""


def nist_title(control: str) -> str:
    entry = load_controls()["nist_800_171"].get(control)
    return entry["title"] if entry else ""


def sort_key(kind: str, citation: str) -> tuple[int, str]:
    """Regulation order for known ids (kind: "hipaa" or "nist_800_171"), then unknown ids by text."""
    entry = load_controls()[kind].get(citation)
    return (entry["order"], "") if entry else (1 << 30, citation)
