"""Safe YAML loading: libyaml's C loader when present (several times faster), never object construction."""
from __future__ import annotations

from typing import Any


def safe_load(stream: Any) -> Any:
    import yaml
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(stream, Loader=loader)  # noqa: S506 - a safe loader
