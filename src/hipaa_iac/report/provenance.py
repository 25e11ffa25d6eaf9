"""Where and when a scan ran: the scan date and the git repository and commit of the scan root.

The repository is read from the files under `.git` (HEAD, refs, packed-refs, config): no `git` process is
started and nothing from the scanned repository is executed. Every value is optional; a scan outside a
repository, or of a repository whose metadata cannot be read, simply has no `repository`.
"""
from __future__ import annotations

import datetime as dt
import os
import re

_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_MAX_READ = 1 << 20  # refs, HEAD and config are small; never read a huge file planted there


def generated_at(environ: dict | None = None) -> str:
    """The scan time, ISO 8601 UTC to the second (`2026-12-04T18:32:41Z`). `SOURCE_DATE_EPOCH` (the
    reproducible-builds convention) fixes it, so two runs of the same input give identical reports."""
    environ = os.environ if environ is None else environ
    epoch = (environ.get("SOURCE_DATE_EPOCH") or "").strip()
    when = None
    if epoch.isdigit():
        try:
            when = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            when = None
    when = when or dt.datetime.now(dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _read(path: str) -> str | None:
    """A small regular file's text, or None. The scanned repository is untrusted: a FIFO or a device
    planted as .git/HEAD must not block or flood the scan (non-blocking open, regular files only)."""
    import stat
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return os.read(fd, _MAX_READ).decode("utf-8", "replace")
    except OSError:
        return None
    finally:
        os.close(fd)


def find_repository(start: str) -> tuple[str, str] | None:
    """(worktree root, git directory) of the repository holding `start`, or None."""
    d = os.path.abspath(start)
    if not os.path.isdir(d):
        d = os.path.dirname(d)
    while True:
        dot = os.path.join(d, ".git")
        if os.path.isdir(dot):
            return d, dot
        if os.path.isfile(dot):  # worktree or submodule: "gitdir: <path>"
            text = _read(dot) or ""
            m = re.match(r"gitdir:\s*(.+)", text.strip())
            if m:
                gitdir = m.group(1).strip()
                gitdir = gitdir if os.path.isabs(gitdir) else os.path.normpath(os.path.join(d, gitdir))
                # a worktree's or a submodule's git directory (.../.git/worktrees/NAME, .../.git/modules/NAME),
                # never an arbitrary directory a hostile .git file names
                parts = gitdir.replace(os.sep, "/").split("/")
                legit = len(parts) >= 3 and parts[-3] == ".git" and parts[-2] in ("worktrees", "modules")
                if legit and os.path.isdir(gitdir):
                    return d, gitdir
            return None
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def _common_dir(gitdir: str) -> str:
    text = _read(os.path.join(gitdir, "commondir"))
    if text and text.strip():
        c = text.strip()
        return c if os.path.isabs(c) else os.path.normpath(os.path.join(gitdir, c))
    return gitdir


def _resolve_ref(gitdir: str, ref: str) -> str | None:
    if not ref.startswith("refs/") or ".." in ref.split("/"):
        return None
    for base in dict.fromkeys((gitdir, _common_dir(gitdir))):
        text = _read(os.path.join(base, *ref.split("/")))
        if text and _SHA.match(text.strip()):
            return text.strip()
        packed = _read(os.path.join(base, "packed-refs")) or ""
        for line in packed.splitlines():
            parts = line.split(" ", 1)
            if len(parts) == 2 and parts[1].strip() == ref and _SHA.match(parts[0]):
                return parts[0]
    return None


def _remote_name(gitdir: str) -> str | None:
    """The repository name from `remote "origin"`'s url (`git@github.com:org/name.git` -> `org/name`)."""
    config = _read(os.path.join(_common_dir(gitdir), "config")) or ""
    section = None
    for line in config.splitlines():
        line = line.strip()
        m = re.match(r'\[\s*remote\s+"([^"]+)"\s*\]', line)
        if m:
            section = m.group(1)
            continue
        if line.startswith("["):
            section = None
            continue
        if section == "origin":
            m = re.match(r"url\s*=\s*(\S+)", line)
            if m:
                url = re.sub(r"\.git/?$", "", m.group(1).rstrip("/"))
                url = re.sub(r"^[a-z+]+://([^@/]+@)?[^/]+/", "", url)  # https://host/ or ssh://user@host/
                url = re.sub(r"^[^@/:]+@[^:/]+:", "", url)  # scp-like git@host:
                parts = [p for p in url.split("/") if p]
                if parts and all(re.match(r"^[\w.-]+$", p) for p in parts[-2:]):
                    return "/".join(parts[-2:])
    return None


def repository(scan_root: str, environ: dict | None = None) -> dict | None:
    """`{"name", "commit", "branch", "path"}` for the repository holding `scan_root`, or None.

    name: `GITHUB_REPOSITORY` when set (CI), else `owner/name` from the origin remote, else the worktree's
    directory name. commit: the checked-out commit (`GITHUB_SHA` when HEAD cannot be read). branch: the
    checked-out branch, None when detached. path: the scan root relative to the repository root ("." at
    the root), POSIX separators."""
    environ = os.environ if environ is None else environ
    found = find_repository(scan_root)
    if found is None:
        return None
    top, gitdir = found
    head = (_read(os.path.join(gitdir, "HEAD")) or "").strip()
    commit = branch = None
    if head.startswith("ref:"):
        ref = head[4:].strip()
        commit = _resolve_ref(gitdir, ref)
        branch = ref[len("refs/heads/"):] if ref.startswith("refs/heads/") else None
    elif _SHA.match(head):
        commit = head
    if commit is None and _SHA.match(environ.get("GITHUB_SHA") or ""):
        commit = environ["GITHUB_SHA"]
    gh = environ.get("GITHUB_REPOSITORY") or ""
    name = gh if re.match(r"^[\w.-]+/[\w.-]+$", gh) else (_remote_name(gitdir) or os.path.basename(top))
    rel = os.path.relpath(os.path.abspath(scan_root), top).replace(os.sep, "/")
    return {"name": name, "commit": commit, "branch": branch, "path": rel}
