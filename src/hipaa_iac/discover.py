"""Find the inputs under a set of paths: module directories (.tf, .tf.json, .tofu, .tofu.json), variables
files and plan documents (recognised by content, not name). Skips `.terraform/` and `.git/`, follows no
symlink loop, follows no symbolic link whose target leaves the repository (paths.repo_root of the scanned
path), and says why it skipped what it skipped.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from .paths import inside, repo_root

SKIP_DIRS = {".terraform", ".git", ".hg", ".svn", "node_modules", ".terragrunt-cache", "__pycache__"}
# plan JSON found by a directory walk under one of these is test data, not a plan of this code: skipped (and
# listed in Discovery.skipped); name the file on the command line to scan it
FIXTURE_DIRS = {"test", "tests", "testdata", "test-data", "fixtures", "__fixtures__", "testfixtures"}
STATE_SUFFIXES = (".tfstate", ".tfstate.backup")


@dataclass
class Discovery:
    root: str  # absolute scan root (common base for relative paths)
    module_dirs: dict[str, list[str]] = field(default_factory=dict)  # abs dir -> config files (abs)
    tfvars: dict[str, list[str]] = field(default_factory=dict)  # abs dir -> auto-loaded tfvars files
    plans: list[str] = field(default_factory=list)
    explicit_json: list[str] = field(default_factory=list)  # .json files named on the command line
    errors: list[tuple[str, int | None, str]] = field(default_factory=list)
    warnings: list[tuple[str, int | None, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (abs path, why) found but not scanned
    repos: list[str] = field(default_factory=list)  # real repository roots of the scanned paths

    def repo_for(self, path: str) -> str:
        """The repository (containment root) a path found by this discovery belongs to."""
        real = os.path.realpath(path)
        best = None
        for r in self.repos:
            if (real == r or real.startswith(r.rstrip(os.sep) + os.sep)) and (best is None or len(r) > len(best)):
                best = r
        return best or repo_root(self.root)


def config_kind(name: str) -> str | None:
    for suf in (".tofu.json", ".tf.json", ".tofu", ".tf"):
        if name.endswith(suf):
            return suf
    return None


def is_auto_tfvars(name: str) -> bool:
    return name in ("terraform.tfvars", "terraform.tfvars.json") or name.endswith(".auto.tfvars") or \
        name.endswith(".auto.tfvars.json")


def looks_like_plan(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError:
        return False
    if head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff"):
        try:
            head = head.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return False
    return b'"format_version"' in head and (b'"planned_values"' in head or b'"resource_changes"' in head
                                            or b'"terraform_version"' in head)


def discover(paths: list[str]) -> Discovery:
    abs_paths = [os.path.abspath(p) for p in paths] or [os.path.abspath(".")]
    bases = [p if os.path.isdir(p) else os.path.dirname(p) for p in abs_paths]
    root = os.path.commonpath(bases) if bases else os.getcwd()
    d = Discovery(root=root)
    seen_real: set[str] = set()
    d.repos = sorted({repo_root(p) for p in abs_paths})
    for p in abs_paths:
        if not os.path.exists(p):
            d.errors.append((p, None, "no such file or directory"))
        elif os.path.isdir(p):
            _walk(p, d, seen_real, repo_root(p))
        else:
            _add_file(p, d, explicit=True)
    for files in d.module_dirs.values():
        _apply_tofu_precedence(files)
    return d


OUTSIDE_LINK = "symbolic link to a target outside the repository: not followed"


def _walk(top: str, d: Discovery, seen_real: set[str], repo: str) -> None:
    stack = [top]
    while stack:
        cur = stack.pop()
        real = os.path.realpath(cur)
        if real in seen_real:
            if cur != top:
                d.warnings.append((cur, None, "symbolic link loop or repeated directory: not read twice"))
            continue
        seen_real.add(real)
        try:
            entries = sorted(os.scandir(cur), key=lambda e: e.name)
        except OSError as e:
            d.errors.append((cur, None, f"cannot list directory: {e.strerror}"))
            continue
        subdirs = []
        in_fixtures = bool(FIXTURE_DIRS & set(os.path.relpath(cur, top).split(os.sep)))
        for e in entries:
            try:
                if e.is_symlink() and not inside(e.path, repo):
                    d.warnings.append((e.path, None, OUTSIDE_LINK))
                    continue
                if e.is_dir():
                    if e.name in SKIP_DIRS:
                        continue
                    if e.name == "terraform.tfstate.d":
                        d.skipped.append((e.path, "Terraform state (terraform.tfstate.d/)"))
                        continue
                    subdirs.append(e.path)
                elif e.is_file():
                    if e.name.endswith(STATE_SUFFIXES):
                        d.skipped.append((e.path, "Terraform state (*.tfstate)"))
                    elif in_fixtures and e.name.endswith(".json") and looks_like_plan(e.path):
                        d.skipped.append((e.path, "plan JSON in a test or fixture directory"))
                    else:
                        _add_file(e.path, d, explicit=False)
                elif e.is_symlink():
                    d.warnings.append((e.path, None, "broken symbolic link: not read"))
            except OSError as err:
                d.errors.append((e.path, None, f"cannot read: {err.strerror}"))
        stack.extend(reversed(subdirs))


def _add_file(path: str, d: Discovery, explicit: bool) -> None:
    name = os.path.basename(path)
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        if config_kind(name) or name.endswith((".tfvars", ".json")) or explicit:
            shown = path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            d.errors.append((shown, None, "file name is not valid UTF-8: not read (rename it)"))
        return
    kind = config_kind(name)
    directory = os.path.dirname(path)
    if kind is not None:
        d.module_dirs.setdefault(directory, []).append(path)
    elif name.endswith(".tfvars") or name.endswith(".tfvars.json"):
        if is_auto_tfvars(name):
            d.tfvars.setdefault(directory, []).append(path)
        elif explicit:
            d.errors.append((path, None, "a variables file is passed with --var-file, not as a scan path"))
    elif name.endswith(".json"):
        if explicit:
            d.explicit_json.append(path)
        elif looks_like_plan(path):
            d.plans.append(path)
    elif explicit:
        d.errors.append((path, None, "not a Terraform file (.tf, .tf.json, .tofu, .tfvars) or plan JSON"))


def _apply_tofu_precedence(files: list[str]) -> None:
    """OpenTofu: `x.tofu` takes precedence over `x.tf` (and .tofu.json over .tf.json) in one directory."""
    names = {os.path.basename(f) for f in files}
    drop = set()
    for f in files:
        n = os.path.basename(f)
        if n.endswith(".tf") and n[:-3] + ".tofu" in names:
            drop.add(f)
        elif n.endswith(".tf.json") and n[:-8] + ".tofu.json" in names:
            drop.add(f)
    files[:] = sorted(f for f in files if f not in drop)


def is_override(path: str) -> bool:
    n = os.path.basename(path)
    for suf in (".tofu.json", ".tf.json", ".tofu", ".tf"):
        if n.endswith(suf):
            stem = n[: -len(suf)]
            return stem == "override" or stem.endswith("_override")
    return False
