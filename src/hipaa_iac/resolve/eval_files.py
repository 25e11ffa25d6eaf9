"""The functions that read the scanned tree or the evaluation's scope (file, fileset, templatefile,
sensitive, ...): only inside the repository, every file read recorded in `EXTRA_READS` (scan cache key)."""
from __future__ import annotations

import hashlib
import os
import re
from typing import TYPE_CHECKING, Any, Callable

from ..model import SENSITIVE_TEXT, Unknown
from ..paths import inside as _inside
from . import functions as F
from .functions import EXTRA_READS, LIMIT, MAX_FILE, SENSITIVE_MARK, Refuse, TFError, derive
from .eval_templates import parse_template
from .scope import Scope

if TYPE_CHECKING:
    from .evaluate import Evaluator


def _tree_file(scope: Scope, path: Any, name: str) -> str:
    """The real path of a file argument inside the scanned tree, or raise Refuse."""
    if isinstance(path, Unknown):
        raise Refuse(derive(path, f"{name}() path not known statically ({path.reason})"))
    if not isinstance(path, str) or scope.module_dir is None or scope.root_dir is None:
        F.unknown(f"{name}() cannot be read here")
    shown = SENSITIVE_TEXT if SENSITIVE_MARK in scope.collect else repr(path)
    # relative to the module's directory, then (path.module/path.root are relative to the scan root) the root
    candidates = [os.path.join(scope.module_dir, path)]
    if not os.path.isabs(path):
        candidates.append(os.path.join(scope.root_dir, path))
    inside = [f for f in (os.path.realpath(c) for c in candidates) if _inside(f, scope.root_dir)]
    if not inside:
        F.unknown(f"{name}({shown}) is outside the repository: not read")
    return next((f for f in inside if os.path.exists(f)), inside[0])


def _read(full: str, shown: str, name: str) -> bytes:
    EXTRA_READS.setdefault(full, None)
    try:
        if os.path.getsize(full) > MAX_FILE:
            F.unknown(f"{name}({shown}) is too large to analyze")
        with open(full, "rb") as fh:
            data = fh.read(MAX_FILE + 1)
    except OSError:
        F.unknown(f"{name}({shown}) cannot be read")
    EXTRA_READS[full] = hashlib.sha256(data).hexdigest()
    return data


def _shown(scope: Scope, path: Any) -> str:
    return SENSITIVE_TEXT if SENSITIVE_MARK in scope.collect else repr(path)


def _file_text(ev: Evaluator, scope: Scope, path: Any, name: str) -> str:
    full = _tree_file(scope, path, name)
    data = _read(full, _shown(scope, path), name)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        F.fail(f"{name}({_shown(scope, path)}) is not UTF-8 text")
    raise AssertionError


def _file(ev: Evaluator, scope: Scope, path: Any = None, *rest) -> Any:
    """file(): only inside the repository; the path is not quoted when it is tainted."""
    return _file_text(ev, scope, path, "file")


def _filebytes_fn(name: str, digest: Callable[[bytes], str]) -> Callable:
    def fn(ev: Evaluator, scope: Scope, path: Any = None, *rest) -> Any:
        full = _tree_file(scope, path, name)
        return digest(_read(full, _shown(scope, path), name))
    return fn


def _fileexists(ev: Evaluator, scope: Scope, path: Any = None, *rest) -> Any:
    full = _tree_file(scope, path, "fileexists")
    if os.path.isdir(full):
        F.fail("fileexists(): the path is a directory")
    EXTRA_READS.setdefault(full, None)
    return os.path.isfile(full)


def _glob_regex(pattern: str) -> re.Pattern:
    """fileset()'s pattern (functions/fileset): `*` (not /), `**` (any depth), `?`, `[...]`, `{a,b}`."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j < 0:
                F.fail("fileset(): bad pattern")
            body = pattern[i + 1:j]
            out.append("[" + ("^" + re.escape(body[1:]) if body.startswith(("!", "^")) else re.escape(body)) + "]")
            i = j + 1
        elif c == "{":
            j = pattern.find("}", i + 1)
            if j < 0:
                F.fail("fileset(): bad pattern")
            out.append("(?:" + "|".join(re.escape(x) for x in pattern[i + 1:j].split(",")) + ")")
            i = j + 1
        elif c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out) + r"\Z")


def _fileset(ev: Evaluator, scope: Scope, path: Any = None, pattern: Any = None, *rest) -> Any:
    # functions/fileset: files (not directories) under path matching pattern, relative to path, sorted
    if isinstance(pattern, Unknown):
        raise Refuse(derive(pattern, f"fileset() pattern not known statically ({pattern.reason})"))
    if not isinstance(pattern, str):
        F.fail("fileset() pattern must be a string")
    base = _tree_file(scope, path, "fileset")
    if not os.path.isdir(base):
        return []
    rx = _glob_regex(pattern)
    out = []
    seen = 0
    for d, dirs, files in os.walk(base):
        dirs[:] = sorted(x for x in dirs if not x.startswith(".terraform")
                         and _inside(os.path.join(d, x), scope.root_dir))
        for f in files:
            seen += 1
            if seen > 100_000:
                F.unknown(f"fileset() over more than 100000 files {LIMIT}")
            rel = os.path.relpath(os.path.join(d, f), base).replace(os.sep, "/")
            if rx.match(rel):
                out.append(rel)
    F.produce(len(out), "fileset()")
    EXTRA_READS.setdefault(base, None)
    return sorted(out)


def _template_vars(vars_: Any, name: str) -> dict:
    if isinstance(vars_, Unknown):
        raise Refuse(derive(vars_, f"{name}() variables not known statically ({vars_.reason})"))
    if vars_ is None:
        return {}
    if not isinstance(vars_, dict):
        F.fail(f"{name}() variables must be a map or object")
    for k in vars_:
        if not re.fullmatch(r"[A-Za-z_][\w-]*", k):
            F.fail(f"{name}(): invalid template variable name")
    return vars_


def _template_scope(scope: Scope, bindings: dict) -> Scope:
    def nolookup(root: str, steps: list, s: Scope) -> Any:
        return TFError(f"template: {root} is not a template variable")
    return Scope(nolookup, dict(bindings), scope.collect, scope.module_dir, scope.root_dir)


def _templatefile(ev: Evaluator, scope: Scope, path: Any = None, vars_: Any = None, *rest) -> Any:
    # functions/templatefile: the file rendered as a template with exactly the given variables
    text = _file_text(ev, scope, path, "templatefile")
    return _render_text(ev, scope, text, vars_, "templatefile")


def _templatestring(ev: Evaluator, scope: Scope, template: Any = None, vars_: Any = None, *rest) -> Any:
    # functions/templatestring: a string (from a reference) rendered as a template
    if isinstance(template, Unknown):
        raise Refuse(derive(template, f"templatestring() template not known statically ({template.reason})"))
    if not isinstance(template, str):
        F.fail("templatestring() template must be a string")
    return _render_text(ev, scope, template, vars_, "templatestring")


def _render_text(ev: Evaluator, scope: Scope, text: str, vars_: Any, name: str) -> Any:
    bindings = _template_vars(vars_, name)
    parts = parse_template(text)
    return ev.render(parts, _template_scope(scope, bindings))


def _sensitive(ev: Evaluator, scope: Scope, value: Any = None, *rest) -> Any:
    # the value is tainted: module.py hides whatever its evaluation collected SENSITIVE_MARK for
    scope.collect.add(SENSITIVE_MARK)
    return value


def _nonsensitive(ev: Evaluator, scope: Scope, value: Any = None, *rest) -> Any:
    # taint is never removed: nonsensitive() of a tainted value stays tainted
    return value


def _b64(data: bytes) -> str:
    import base64
    return base64.b64encode(data).decode()


def _b64digest(algo: str) -> Callable[[bytes], str]:
    return lambda data: _b64(hashlib.new(algo, data).digest())


_SCOPED: dict[str, Callable] = {
    "file": _file,
    "fileexists": _fileexists,
    "fileset": _fileset,
    "filebase64": _filebytes_fn("filebase64", _b64),
    "filemd5": _filebytes_fn("filemd5", lambda d: hashlib.md5(d).hexdigest()),
    "filesha1": _filebytes_fn("filesha1", lambda d: hashlib.sha1(d).hexdigest()),
    "filesha256": _filebytes_fn("filesha256", lambda d: hashlib.sha256(d).hexdigest()),
    "filesha512": _filebytes_fn("filesha512", lambda d: hashlib.sha512(d).hexdigest()),
    "filebase64sha256": _filebytes_fn("filebase64sha256", _b64digest("sha256")),
    "filebase64sha512": _filebytes_fn("filebase64sha512", _b64digest("sha512")),
    "templatefile": _templatefile,
    "templatestring": _templatestring,
    "sensitive": _sensitive,
    "nonsensitive": _nonsensitive,
}
