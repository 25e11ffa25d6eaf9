"""The baseline file: the fingerprints of accepted failed and unknown results (`baseline create`)."""
from __future__ import annotations

import json
import os

from ..model import ScanError
from .match import SUPPRESSIBLE, _display, _posix, fingerprint

MAX_BASELINE_BYTES = 64 * 1024 * 1024
BASELINE_VERSION = 1


def _scan_root(report: dict) -> str:
    roots = (report.get("scan") or {}).get("roots") or ["."]
    bases = []
    for p in roots:
        a = os.path.abspath(p)
        bases.append(a if os.path.isdir(a) else os.path.dirname(a))
    return os.path.commonpath(bases)


def write_baseline(path: str, report: dict) -> int:
    """Record the failed and unknown results; returns how many. `root` is the scan root relative to the
    baseline file, so a later scan of a sub-directory (a pre-commit hook) still recognises the findings."""
    from ..fsutil import write_output as atomic_write  # never replaces a device or FIFO
    items: dict[str, dict] = {}
    for r in report["results"]:
        if r["status"] not in SUPPRESSIBLE:
            continue
        file = r.get("file") or ""
        mroot = r.get("module_root") or "."
        fp = fingerprint(r["policy_id"], r["resource"], file, mroot)
        items[fp] = {"policy_id": r["policy_id"], "resource": r["resource"], "file": file, "fingerprint": fp}
        if mroot != ".":
            items[fp]["module_root"] = mroot
    findings = sorted(items.values(), key=lambda x: (x["file"], x["policy_id"], x["resource"]))
    root = _posix(os.path.relpath(_scan_root(report), os.path.dirname(os.path.abspath(path))))
    atomic_write(path, json.dumps({"version": BASELINE_VERSION, "root": root, "findings": findings},
                                  indent=2, ensure_ascii=False) + "\n")
    return len(findings)


def load_baseline(path: str, root: str) -> tuple[set[str], str, list[ScanError]]:
    """(fingerprints, directory the recorded files are relative to, errors)."""
    shown = _display(path, root)
    if not os.path.isfile(path):
        return set(), root, [ScanError(shown, None, "baseline file not found")]
    try:
        if os.path.getsize(path) > MAX_BASELINE_BYTES:
            return set(), root, [ScanError(shown, None, f"baseline larger than {MAX_BASELINE_BYTES} bytes")]
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as e:
        return set(), root, [ScanError(shown, None, f"cannot read baseline: {e.strerror}")]
    except UnicodeDecodeError:
        return set(), root, [ScanError(shown, None, "baseline is not UTF-8 text")]
    except json.JSONDecodeError as e:
        return set(), root, [ScanError(shown, e.lineno, f"invalid JSON: {e.msg}")]
    except RecursionError:
        return set(), root, [ScanError(shown, None, "malformed baseline: nested too deeply")]

    def bad(message: str):
        return set(), root, [ScanError(shown, None, f"malformed baseline: {message}")]
    if not isinstance(data, dict):
        return bad("expected an object with `version` and `findings`")
    extra = sorted(k for k in data if k not in ("version", "root", "findings"))
    if extra:
        return bad(f"unknown key {extra[0]!r}")
    if data.get("version") != BASELINE_VERSION:
        return bad(f"unsupported version {data.get('version')!r} (expected {BASELINE_VERSION})")
    recorded_root = data.get("root", ".")
    if not isinstance(recorded_root, str):
        return bad("`root` must be a string")
    findings = data.get("findings")
    if not isinstance(findings, list):
        return bad("`findings` must be a list")
    fps: set[str] = set()
    for i, f in enumerate(findings, 1):
        if not isinstance(f, dict):
            return bad(f"finding {i} is not an object")
        extra = sorted(k for k in f if k not in ("policy_id", "resource", "file", "fingerprint", "module_root"))
        if extra:
            return bad(f"finding {i}: unknown key {extra[0]!r}")
        if not all(isinstance(f.get(k), str) for k in ("policy_id", "resource", "file")):
            return bad(f"finding {i}: policy_id, resource and file must be strings")
        if not isinstance(f.get("module_root", "."), str):
            return bad(f"finding {i}: module_root must be a string")
        fp = fingerprint(f["policy_id"], f["resource"], f["file"], f.get("module_root"))
        if "fingerprint" in f and f["fingerprint"] != fp:
            return bad(f"finding {i}: fingerprint does not match policy_id|resource|file")
        fps.add(fp)
    base = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(path)), recorded_root))
    return fps, base, []
