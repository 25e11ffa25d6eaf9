"""Configuration: `[tool.hipaa-iac]` in pyproject.toml or `.hipaa-iac.yaml`, found from the scanned path
upwards to the repository root, validated with clear errors."""
from __future__ import annotations

import os
import re
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Literal

from .vocab import SCOPES, SEVERITIES, UNKNOWN_MODES

CONFIG_FILES = (".hipaa-iac.yaml", ".hipaa-iac.yml", "pyproject.toml")
MAX_CONFIG_BYTES = 1024 * 1024


class ConfigError(Exception):
    def __init__(self, file: str, line: int | None, message: str):
        super().__init__(f"{file}: {message}")
        self.file = file
        self.line = line
        self.message = message


def _setting(default=None, kind: Any = None, factory=None, **constraints):
    """A configuration key: its default and the pydantic type (and Field constraints) a file is validated
    against. The one definition of the configuration: `Config` (the dataclass the scan reads) and the file
    schema (`_schema()`) are both derived from these."""
    meta = {"kind": kind, "constraints": constraints}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def _internal(factory=None, default=None):
    """Not a configuration key: set while loading."""
    return field(default_factory=factory, metadata={}) if factory is not None else field(default=default, metadata={})


_SEVERITY = Literal[SEVERITIES]  # type: ignore[valid-type]
_UNKNOWN = Literal[UNKNOWN_MODES]  # type: ignore[valid-type]
_SCOPE = Literal[SCOPES]  # type: ignore[valid-type]


@dataclass
class Config:
    """Settings with their defaults. Files are validated by the schema derived from these fields (pydantic,
    imported only then)."""
    severity_threshold: str = _setting("low", _SEVERITY)
    unknown: str = _setting("warn", _UNKNOWN)
    policies: list = _setting(kind=list[str], factory=list)
    skip_policies: list = _setting(kind=list[str], factory=list)
    opt_in: list = _setting(kind=list[str], factory=list)
    var_files: list = _setting(kind=list[str], factory=list)
    scope: str = _setting("all", _SCOPE)
    phi_tags: dict = _setting(kind=dict[str, list[str] | str], factory=lambda: {"data_classification": ["ephi", "phi"]})
    parameters: dict = _setting(kind=dict[str, Any], factory=dict)
    eligible_services: dict = _setting(kind=dict[str, dict[str, list[str]]], factory=dict)
    exceptions: str | None = _setting(None, str | None)
    max_exception_days: int = _setting(365, int, ge=1, le=3650)
    forbid_inline_waivers: list = _setting(kind=list[str], factory=list)
    allow_parse_errors: bool = _setting(False, bool)
    allow_outside_modules: bool = _setting(False, bool)
    policy_dir: str | None = _setting(None, str | None)
    cache: bool = _setting(True, bool)
    checkov_skip: bool = _setting(True, bool)  # honour `#checkov:skip=ID:reason` comments as inline waivers
    baseline: str | None = _setting(None, str | None)
    strict: bool = _setting(False, bool)  # governance warnings (blanket exceptions, empty selections, empty PHI scope) are errors
    source: str | None = _internal()  # which file it came from
    trusted: bool = _internal(default=True)  # False when the file lies inside the scanned repository (its paths are contained)
    notes: list = _internal(list)  # (file, line, message) warnings found while loading
    lines: dict = _internal(dict)  # top-level key -> line in the file (for messages)


def settings() -> list:
    """The configuration keys (dataclass fields that carry a schema type), in file order."""
    return [f for f in fields(Config) if f.metadata.get("kind") is not None]


def _schema():
    from pydantic import ConfigDict, Field, create_model

    spec = {}
    for f in settings():
        extra = f.metadata["constraints"]
        default = (Field(default_factory=f.default_factory, **extra) if f.default_factory is not MISSING
                   else Field(default=f.default, **extra))
        spec[f.name] = (f.metadata["kind"], default)
    return create_model("_Schema", __config__=ConfigDict(extra="forbid"), **spec)


def _validate(raw: dict) -> Config:
    m = _schema().model_validate(raw)
    return Config(**{f.name: getattr(m, f.name) for f in settings()})


def duplicate_key(node) -> tuple[int, str] | None:
    """(line, key) of the first key repeated in one YAML mapping (YAML loaders keep the last one silently)."""
    import yaml
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, yaml.MappingNode):
            seen = set()
            for k, v in n.value:
                if isinstance(k, yaml.ScalarNode):
                    if k.value in seen:
                        return k.start_mark.line + 1, k.value
                    seen.add(k.value)
                stack.append(v)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
    return None


def _key_lines(text: str) -> dict:
    """Top-level setting -> line, for YAML (`key:`) and the `[tool.hipaa-iac]` table (`key =`)."""
    out: dict = {}
    lines = text.splitlines()
    first = 0
    for i, line in enumerate(lines):  # pyproject.toml: only the [tool.hipaa-iac] tables
        if re.match(r'^\s*\[\s*tool\s*\.\s*["\']?hipaa-iac', line):
            first = i
            break
    for i, line in enumerate(lines[first:], first + 1):
        m = re.match(r'^\s*["\']?([A-Za-z_][A-Za-z0-9_-]*)["\']?\s*[:=]', line)
        if m:
            out.setdefault(m.group(1).replace("-", "_"), i)
    return out


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
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        dup = duplicate_key(node) if node is not None else None
        if dup:
            raise ConfigError(path, dup[0], f"duplicate key {dup[1]!r} (YAML would keep only the last one)")
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
    """The configuration file found from `start` upwards to the repository root (paths.find_upwards); a
    pyproject.toml counts only when it has a [tool.hipaa-iac] table (or cannot be read: then it is reported)."""
    from .paths import find_upwards

    def is_config(p: str) -> bool:
        if os.path.basename(p) != "pyproject.toml":
            return True
        try:
            return read_config_file(p) is not None
        except ConfigError:
            return True
    return find_upwards(start, CONFIG_FILES, is_config)


PATH_KEYS = ("var_files", "exceptions", "policy_dir", "baseline")


def load_config(explicit: str | None, start: str) -> Config:
    """The configuration for a scan of `start`. A configuration file inside the scanned repository is
    untrusted: every path it names must resolve inside the repository (paths.contain), and it cannot widen
    what is read (`allow_outside_modules` is honoured only from a file outside the repository). A file
    outside the repository (given with --config, or above the scanned root) is the user's choice."""
    from .paths import Refused, contain, inside, repo_root
    path = explicit or find_config(start)
    if path is None:
        return Config()
    if not os.path.isfile(path):
        raise ConfigError(path, None, "configuration file not found")
    repo = repo_root(start)
    as_found = os.path.join(os.path.dirname(os.path.abspath(path)), os.path.basename(path))
    in_repo = inside(os.path.dirname(as_found), repo)
    if in_repo and not inside(as_found, repo):  # a symbolic link in the repository pointing out of it
        raise ConfigError(path, None, f"symbolic link to a file outside the repository ({repo}): refused, not read")
    raw = read_config_file(path) or {}
    raw = {k.replace("-", "_"): v for k, v in raw.items()}
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            key_lines = _key_lines(fh.read(MAX_CONFIG_BYTES))
    except OSError:
        key_lines = {}
    from pydantic import ValidationError
    try:
        cfg = _validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        top = str(err["loc"][0]) if err["loc"] else ""
        # never echo the input (a file that is not configuration would be quoted): key and message only
        raise ConfigError(path, key_lines.get(top), f"{loc}: {err['msg']}") from None
    cfg.source = path
    cfg.trusted = not in_repo
    cfg.lines = key_lines
    base = os.path.dirname(os.path.abspath(path))

    def place(key: str, value: str) -> str:
        full = value if os.path.isabs(value) else os.path.join(base, value)
        if cfg.trusted:
            return full
        try:
            return contain(full, repo, f"{key}")
        except Refused as r:
            raise ConfigError(path, key_lines.get(key), f"{key}: {r.message}") from None
    cfg.var_files = [place("var_files", v) for v in cfg.var_files]
    for key in ("exceptions", "policy_dir", "baseline"):
        if getattr(cfg, key):
            setattr(cfg, key, place(key, getattr(cfg, key)))
    if cfg.allow_outside_modules and not cfg.trusted:
        cfg.allow_outside_modules = False
        cfg.notes.append((path, key_lines.get("allow_outside_modules"),
                          "allow_outside_modules is ignored in a configuration file inside the scanned repository "
                          "(pass a configuration file from outside it with --config to allow modules outside)"))
    return cfg


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a mapping"
    return "null" if v is None else type(v).__name__


def check_parameters(cfg: Config, policies: list) -> None:
    """Configured `parameters` must have the type of the default the policies declare (a string where a
    number is expected would silently compare as never equal): ConfigError naming the file and line. A name
    no policy declares is a warning (a typo does nothing)."""
    if not cfg.parameters:
        return
    declared: dict[str, Any] = {}
    for p in policies:
        for k, v in ((p.meta or {}).get("parameters") or {}).items():
            declared.setdefault(k, v)
    for name, value in cfg.parameters.items():
        line = cfg.lines.get(name.replace("-", "_")) or cfg.lines.get("parameters")
        if name not in declared:
            cfg.notes.append((cfg.source or ".", line, f"parameters.{name}: no policy has this parameter (ignored)"))
            continue
        want, got = _kind(declared[name]), _kind(value)
        if want != got:
            raise ConfigError(cfg.source or ".", line, f"parameters.{name}: expected {want}, got {got}")
