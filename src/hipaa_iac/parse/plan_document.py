"""Plan JSON documents: bytes to text (UTF-8 or UTF-16, as Terraform and PowerShell write them), parsing with
the line of an error, and what a JSON document is when it is not a plan (state, schema, configuration)."""
from __future__ import annotations

import json
from typing import Any

from .. import safejson
from ..model import ScanError

RUN_SHOW = "run `terraform show -json PLANFILE`"

def decode_json_bytes(data: bytes) -> str:
    """Text of a JSON document: UTF-8 (with or without BOM) or UTF-16 LE/BE (with BOM, as PowerShell's
    `>` writes it, or without BOM, detected from the zero bytes of the first ASCII character).
    Raises UnicodeDecodeError when the bytes are none of these."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith(b"\xff\xfe"):
        return data[2:].decode("utf-16-le")
    if data.startswith(b"\xfe\xff"):
        return data[2:].decode("utf-16-be")
    if len(data) >= 2 and data[0] == 0 and data[1] != 0:
        return data.decode("utf-16-be")
    if len(data) >= 2 and data[0] != 0 and data[1] == 0:
        return data.decode("utf-16-le")
    return data.decode("utf-8")


def load_json(data: bytes, file: str) -> tuple[Any, ScanError | None]:
    """Decode and parse a JSON document; on failure (None, ScanError) with the line where known."""
    try:
        text = decode_json_bytes(data)
    except UnicodeDecodeError as e:
        return None, ScanError(file, None, f"not UTF-8 or UTF-16 text ({e.reason} at byte {e.start})")
    try:
        return safejson.loads(text), None
    except safejson.NotJSON as e:
        return None, ScanError(file, e.lineno, f"invalid JSON: {e.msg}")
    except json.JSONDecodeError as e:
        return None, ScanError(file, e.lineno, f"invalid JSON: {e.msg} (line {e.lineno} column {e.colno})")
    except RecursionError:
        return None, ScanError(file, None, "invalid JSON: nested too deeply")


def classify(doc: Any) -> str:
    """"plan" (`format_version` with `planned_values` or `resource_changes`), "state" (`values` without
    `planned_values`, or an empty state), else "other"."""
    if not isinstance(doc, dict):
        return "other"
    if "format_version" in doc and ("planned_values" in doc or "resource_changes" in doc):
        return "plan"
    if "planned_values" in doc or "resource_changes" in doc:
        return "other"
    if "values" in doc and ("terraform_version" in doc or "format_version" in doc):
        return "state"
    if "format_version" in doc and set(doc) <= {"format_version", "terraform_version"}:
        return "state"  # `terraform show -json` of an empty state
    return "other"


_TF_JSON_KEYS = frozenset({"resource", "data", "module", "provider", "terraform", "variable", "output",
                           "locals", "moved", "import", "check", "removed"})


def not_a_plan_message(doc: Any) -> str:
    """Why a JSON document is not read as a plan, naming what it looks like and what to run instead."""
    kind = classify(doc)
    if kind == "plan":
        return "a Terraform plan"
    if kind == "state":
        if isinstance(doc, dict) and "values" not in doc:
            return f"an empty Terraform state file, not a plan: {RUN_SHOW}"
        return f"a Terraform state file, not a plan: {RUN_SHOW}"
    if isinstance(doc, list):
        return f"a JSON array (such as `terraform apply -json` log messages), not a plan: {RUN_SHOW}"
    if not isinstance(doc, dict):
        return f"a JSON {type(doc).__name__}, not a Terraform plan: {RUN_SHOW}"
    if "provider_schemas" in doc:
        return f"a provider schema document (`terraform providers schema -json`), not a plan: {RUN_SHOW}"
    if "planned_values" in doc or "resource_changes" in doc:
        return f"a plan-like document without `format_version`, not read as a plan: {RUN_SHOW}"
    if doc and set(doc) <= _TF_JSON_KEYS:
        return "a Terraform JSON configuration (.tf.json), not a plan: scan it as configuration"
    return f"not a Terraform plan (no `format_version` with `planned_values`): {RUN_SHOW}"
