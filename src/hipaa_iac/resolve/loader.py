"""Reading module directories for resolution: a directory's configuration files (listed, contained in the
project, OpenTofu precedence), each parsed once (the parse pool's prefetch, the parse cache, or here), a file
that cannot be parsed reported and its resource headers kept; override files merged."""
from __future__ import annotations

import os

from ..discover import is_override
from ..model import Block, ScanError, SourceFile, internal_error
from ..parse.hcl import HCLSyntaxError
from ..parse.pool import PARALLEL_MIN_BYTES, parse_parallel
from ..parse.read import MAX_PARSE_BYTES, parse_config_file, rel, stub_source
from .overrides import merge_overrides


class Loader:
    def __init__(self, root: str, errors: list, cache_dir: str | None = None):
        self.root = root
        self.errors = errors
        self.cache: dict[str, object] = {}
        self.files_read = 0
        self.parsers: dict[str, str] = {}
        self.tainted: dict[str, str] = {}  # rel file -> reason it could not be read
        self.cache_dir = cache_dir
        self.prefetched: dict[str, tuple] = {}
        self.paths_read: list[str] = []
        self.repo_for = None  # callable(dir) -> containment root (Discovery.repo_for)
        self.warnings: list = []

    def prefetch(self, paths: list[str]) -> None:
        """Parse a large set of files in parallel ahead of resolution (cache hits are left to `parse`)."""
        todo = []
        total = 0
        for p in paths:
            if p.endswith(".json"):
                continue
            try:
                size = os.path.getsize(p)
            except OSError:
                continue
            data = None
            if self.cache_dir and size <= MAX_PARSE_BYTES:
                from ..cache import lookup, read_input
                try:
                    data = read_input(p)  # read once: the bytes looked up are the bytes parsed
                except OSError:
                    continue
                sf = lookup(self.cache_dir, p, rel(p, self.root), data)
                if sf is not None:
                    self.prefetched[p] = (sf, None)
                    continue
            total += size
            todo.append((p, rel(p, self.root), data) if data is not None else (p, rel(p, self.root)))
        if total < PARALLEL_MIN_BYTES:
            return
        data_of = {j[0]: j[2] for j in todo if len(j) > 2}
        for p, (sf, err) in parse_parallel(todo).items():
            self.prefetched[p] = (sf, err)
            if sf is not None and self.cache_dir and p in data_of:
                from ..cache import store
                store(self.cache_dir, p, sf.path, sf, data_of[p])

    def parse(self, path: str) -> SourceFile | None:
        relpath = rel(path, self.root)
        self.paths_read.append(path)
        if path in self.prefetched:
            sf, err = self.prefetched.pop(path)
            if sf is not None:
                self.files_read += 1
                self.parsers[relpath] = sf.parser
                return sf
            line, message = err
            self.errors.append(ScanError(relpath, line, message))
            self.tainted[relpath] = f"{relpath}:{line}: {message}"
            return stub_source(path, relpath)
        try:
            if self.cache_dir:
                from ..cache import cached_parse
                sf = cached_parse(self.cache_dir, path, relpath, parse_config_file)
            else:
                sf = parse_config_file(path, relpath)
        except HCLSyntaxError as e:
            self.errors.append(ScanError(relpath, e.line, e.message))
            self.tainted[relpath] = f"{relpath}:{e.line}: {e.message}"
            return stub_source(path, relpath)
        except OSError as e:
            self.errors.append(ScanError(relpath, None, f"cannot read: {e.strerror}"))
            self.tainted[relpath] = f"{relpath}: cannot read"
            return None
        except Exception as e:  # the tool's own failure on this file: reported, its resources stay unknown
            msg = internal_error(e, "parse")
            self.errors.append(ScanError(relpath, 1, msg))
            self.tainted[relpath] = f"{relpath}: {msg}"
            return stub_source(path, relpath)
        self.files_read += 1
        self.parsers[relpath] = sf.parser
        return sf

    def module(self, directory: str, files: list[str] | None = None):
        from .module import ModuleSource
        directory = os.path.normpath(directory)
        if directory in self.cache:
            return self.cache[directory]
        if files is None:
            try:
                names = sorted(os.listdir(directory))
            except OSError:
                self.cache[directory] = None
                return None
            from ..discover import OUTSIDE_LINK, config_kind, _apply_tofu_precedence
            from ..paths import inside
            from ..cache.scan import record_listing
            record_listing(directory, names)
            files = []
            for n in names:
                f = os.path.join(directory, n)
                if not config_kind(n):
                    continue
                repo = self.repo_for(directory) if self.repo_for is not None else None
                if repo is not None and not inside(directory, repo):
                    repo = directory  # a module allowed outside (--config allow_outside_modules): its own tree
                if repo is not None and not inside(f, repo):
                    self.warnings.append(ScanError(rel(f, self.root), None, OUTSIDE_LINK))
                    continue
                if os.path.isfile(f):
                    files.append(f)
            _apply_tofu_precedence(files)
        base: list[Block] = []
        overrides: list[Block] = []
        parser: dict[str, str] = {}
        for f in sorted(files, key=lambda p: (is_override(p), p)):
            sf = self.parse(f)
            if sf is None:
                continue
            parser[sf.path] = sf.parser
            (overrides if is_override(f) else base).extend(sf.blocks)
        blocks = merge_overrides(base, overrides) if overrides else base
        src = ModuleSource(directory, rel(directory, self.root) if directory != self.root else "", blocks, parser)
        self.cache[directory] = src
        return src
