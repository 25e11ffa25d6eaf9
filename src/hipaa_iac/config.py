"""Configuration: `[tool.hipaa-iac]` in pyproject.toml or `.hipaa-iac.yaml`, found from the scanned path
upwards to the repository root, validated with clear errors."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any

CONFIG_FILES = (".hipaa-iac.yaml", ".hipaa-iac.yml", "pyproject.toml")
MAX_CONFIG_BYTES = 1024 * 1024


class ConfigError(Exception):
    def __init__(self, file: str, line: int | None, message: str):
        super().__init__(f"{file}: {message}")
        self.file = file
        self.line = line
        self.message = message


@dataclass
class Config:
    """Settings with their defaults. Files are validated by `_Schema` (pydantic, imported only then)."""
    severity_threshold: str = "low"
    unknown: str = "warn"
    policies: list = field(default_factory=list)
    skip_policies: list = field(default_factory=list)
    opt_in: list = field(default_factory=list)
    var_files: list = field(default_factory=list)
    scope: str = "all"
    phi_tags: dict = field(default_factory=lambda: {"data_classification": ["ephi", "phi"]})
    parameters: dict = field(default_factory=dict)
    eligible_services: dict = field(default_factory=dict)
    exceptions: str | None = None
    max_exception_days: int = 365
    forbid_inline_waivers: list = field(default_factory=list)
    allow_parse_errors: bool = False
    allow_outside_modules: bool = False
    policy_dir: str | None = None
    cache: bool = True
    checkov_skip: bool = True  # honour `#checkov:skip=ID:reason` comments as inline waivers
    source: str | None = None  # which file it came from


def _validate(raw: dict) -> Config:
    from typing import Literal

    from pydantic import BaseModel, ConfigDict, Field

    class _Schema(BaseModel):
        model_config = ConfigDict(extra="forbid")
        severity_threshold: Literal["critical", "high", "medium", "low"] = "low"
        unknown: Literal["fail", "warn"] = "warn"
        policies: list[str] = Field(default_factory=list)
        skip_policies: list[str] = Field(default_factory=list)
        opt_in: list[str] = Field(default_factory=list)
        var_files: list[str] = Field(default_factory=list)
        scope: Literal["all", "phi-path"] = "all"
        phi_tags: dict[str, list[str] | str] = Field(default_factory=lambda: {"data_classification": ["ephi", "phi"]})
        parameters: dict[str, Any] = Field(default_factory=dict)
        eligible_services: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
        exceptions: str | None = None
        max_exception_days: int = Field(default=365, ge=1, le=3650)
        forbid_inline_waivers: list[str] = Field(default_factory=list)
        allow_parse_errors: bool = False
        allow_outside_modules: bool = False
        policy_dir: str | None = None
        cache: bool = True
        checkov_skip: bool = True

    m = _Schema.model_validate(raw)
    return Config(**{f.name: getattr(m, f.name) for f in fields(Config) if f.name != "source"})


def _safe_yaml(path: str) -> Any:
    """A configuration file: size-limited, no YAML aliases (they expand without bound), no object tags."""
    import yaml
    if os.path.getsize(path) > MAX_CONFIG_BYTES:
        raise ConfigError(path, None, f"configuration file larger than {MAX_CONFIG_BYTES} bytes")
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except UnicodeDecodeError:
        raise ConfigError(path, None, "configuration file is not UTF-8 text") from None
    try:
        for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(event, yaml.AliasEvent):
                raise ConfigError(path, event.start_mark.line + 1,
                                  "YAML aliases are not allowed in configuration (they can expand without bound)")
        from .yamlio import safe_load
        return safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise ConfigError(path, mark.line + 1 if mark else None, f"invalid YAML: {getattr(e, 'problem', e)}") from None
    except RecursionError:
        raise ConfigError(path, None, "invalid YAML: nested too deeply") from None


def read_config_file(path: str) -> dict | None:
    """The hipaa-iac section of a config file, or None when the file has none."""
    if path.endswith(".toml"):
        import tomllib
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(path, None, f"invalid TOML: {e}") from None
        except RecursionError:
            raise ConfigError(path, None, "invalid TOML: nested too deeply") from None
        section = data.get("tool", {}).get("hipaa-iac")
        return section
    data = _safe_yaml(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(path, 1, "expected a mapping of settings")
    return data


def find_config(start: str) -> str | None:
    d = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or ".")
    while True:
        for name in CONFIG_FILES:
            p = os.path.join(d, name)
            if os.path.isfile(p):
                if name == "pyproject.toml":
                    try:
                        if read_config_file(p) is None:
                            continue
                    except ConfigError:
                        return p
                return p
        if os.path.exists(os.path.join(d, ".git")):
            return None
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def load_config(explicit: str | None, start: str) -> Config:
    path = explicit or find_config(start)
    if path is None:
        return Config()
    if not os.path.isfile(path):
        raise ConfigError(path, None, "configuration file not found")
    raw = read_config_file(path) or {}
    raw = {k.replace("-", "_"): v for k, v in raw.items()}
    from pydantic import ValidationError
    try:
        cfg = _validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise ConfigError(path, None, f"{loc}: {err['msg']}") from None
    cfg.source = path
    base = os.path.dirname(os.path.abspath(path))
    cfg.var_files = [os.path.join(base, v) if not os.path.isabs(v) else v for v in cfg.var_files]
    if cfg.exceptions and not os.path.isabs(cfg.exceptions):
        cfg.exceptions = os.path.join(base, cfg.exceptions)
    if cfg.policy_dir and not os.path.isabs(cfg.policy_dir):
        cfg.policy_dir = os.path.join(base, cfg.policy_dir)
    return cfg
