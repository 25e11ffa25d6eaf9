"""From paths to one resource graph: discover, parse (tree-sitter, python-hcl2 fallback, JSON syntax,
plans), merge overrides, resolve every root module, attach plan resources to their sources.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from .discover import Discovery, discover, is_override
from .graph import Graph
from .model import Block, ScanError, SourceFile, internal_error
from .parse.hcl import HCLSyntaxError

# tree-sitter needs ~100 bytes of memory per source byte (more in long strings) and crashes when an
# allocation fails: a larger file is reported, not parsed. Real configuration files are far smaller.
MAX_PARSE_BYTES = 4 * 1024 * 1024
MAX_STUB_BYTES = 512 * 1024 * 1024  # resource headers of a refused file are still found, up to this size


@dataclass
class LoadOptions:
    var_files: list[str] = field(default_factory=list)
    allow_outside_modules: bool = False
    cache_dir: str | None = None  # parse cache directory, None = no cache


def rel(path: str, root: str) -> str:
    r = os.path.relpath(path, root)
    return r.replace(os.sep, "/")


def read_text(path: str, data: bytes | None = None) -> str:
    """Read a configuration file as Terraform does (UTF-8; a BOM is tolerated). `data`: its bytes, already
    read (and recorded in the scan cache ledger) by the caller; else read here, once, and recorded."""
    if data is None:
        size = os.path.getsize(path)
        if size > MAX_PARSE_BYTES:
            raise HCLSyntaxError(1, f"file is {size / (1024 * 1024):.1f} MB, above the {MAX_PARSE_BYTES // (1024 * 1024)} MB "
                                    "limit for one configuration file: not analyzed")
        from .cache import read_input
        data = read_input(path)
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise HCLSyntaxError(1, "binary file, not Terraform configuration")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise HCLSyntaxError(line, "file is not valid UTF-8") from None


def parse_config_file(path: str, relpath: str, data: bytes | None = None) -> SourceFile:
    """Parse one configuration file; tree-sitter first, python-hcl2 when tree-sitter reports an error."""
    text = read_text(path, data)
    if path.endswith(".json"):
        from .parse.json_config import parse_tf_json
        return SourceFile(relpath, parse_tf_json(text, relpath), "json")
    from .parse.hcl import parse_hcl
    src = text.encode("utf-8")
    try:
        return SourceFile(relpath, parse_hcl(src, relpath), "tree-sitter")
    except HCLSyntaxError as ts_err:
        try:
            from .parse.hcl2_fallback import parse_hcl_fallback
        except ImportError:
            raise ts_err from None
        try:
            return SourceFile(relpath, parse_hcl_fallback(src, relpath), "python-hcl2")
        except HCLSyntaxError:
            raise ts_err from None
        except Exception:  # the fallback must never hide the first parser's error
            raise ts_err from None


_BLOCK_RE = None


def stub_source(path: str, relpath: str) -> SourceFile | None:
    """The resource blocks of a file that cannot be parsed, found by their headers, without attributes:
    every policy that applies to them reports unknown (never a silent pass). The file is read line by line,
    so a huge or hostile file costs little memory; counting is linear in its size."""
    import re
    global _BLOCK_RE
    if _BLOCK_RE is None:
        _BLOCK_RE = (re.compile(rb'^[ \t]*resource[ \t]+"([A-Za-z0-9_-]+)"[ \t]+"([A-Za-z0-9_-]+)"'),
                     re.compile(rb'"([a-z][a-z0-9]*_[a-z0-9_]+)"\s*:\s*[\[{]\s*\{?\s*"([A-Za-z0-9_-]+)"\s*:\s*[\[{]'))
    hcl_re, json_re = _BLOCK_RE
    is_json = path.endswith(".json")
    blocks = []
    seen_resource_key = not is_json
    try:
        with open(path, "rb") as fh:
            read = 0
            for line_no, raw in enumerate(fh, start=1):
                read += len(raw)
                if read > MAX_STUB_BYTES:
                    break
                if is_json:
                    if not seen_resource_key:
                        k = raw.find(b'"resource"')
                        if k < 0:
                            continue
                        seen_resource_key = True
                        raw = raw[k + 10:]
                    for m in json_re.finditer(raw):
                        blocks.append(_stub_block(m, relpath, line_no))
                else:
                    m = hcl_re.match(raw)
                    if m:
                        blocks.append(_stub_block(m, relpath, line_no))
    except (OSError, MemoryError):
        return SourceFile(relpath, blocks, "none") if blocks else None
    return SourceFile(relpath, blocks, "none")


def _stub_block(m, relpath: str, line: int) -> Block:
    return Block("resource", [m.group(1).decode("ascii"), m.group(2).decode("ascii")], {}, [], relpath, line, line)


def merge_overrides(blocks: list[Block], overrides: list[Block]) -> list[Block]:
    """Terraform override files: attributes replace, nested blocks of a type replace all of that type."""
    index = {(b.type, tuple(b.labels)): b for b in blocks}
    for o in overrides:
        key = (o.type, tuple(o.labels))
        if o.type == "locals":
            target = next((b for b in blocks if b.type == "locals" and
                           set(b.attributes) & set(o.attributes)), None)
            if target is None:
                blocks.append(o)
            else:
                target.attributes.update(o.attributes)
            continue
        base = index.get(key)
        if base is None:
            blocks.append(o)
            index[key] = o
            continue
        base.attributes.update(o.attributes)
        types = {b.type for b in o.blocks}
        if types:
            base.blocks = [b for b in base.blocks if b.type not in types] + o.blocks
        base.comments = sorted(base.comments + o.comments)
    return blocks


def max_plan_bytes() -> int:
    """Plans above this are reported, not read: json + values cost ~40x the file in memory (a 47 MB plan
    peaked at 2.1 GB), more than a CI runner may have. HIPAA_IAC_MAX_PLAN_MB raises it."""
    try:
        return int(float(os.environ.get("HIPAA_IAC_MAX_PLAN_MB", "40")) * 1_000_000)
    except ValueError:
        return 40_000_000


PARALLEL_MIN_BYTES = 4_000_000  # measured: on 2 cores, below this the workers cost more than they save


def _parse_worker(args: tuple):
    path, relpath, *data = args  # (path, relpath[, bytes read by the parent: what the cache key hashed])
    try:
        return path, parse_config_file(path, relpath, data[0] if data else None), None
    except HCLSyntaxError as e:
        return path, None, (e.line, e.message)
    except OSError as e:
        return path, None, (None, f"cannot read: {e.strerror}")
    except Exception as e:  # the tool's own failure on this file: reported, its resources stay unknown
        return path, None, (1, internal_error(e, "parse"))


def parse_parallel(jobs: list[tuple[str, str]], workers: int | None = None) -> dict:
    """Parse many files across processes (fork: the parser is already imported). A worker that dies (the
    native parser crashing on a file) never hangs the scan: the files it left are parsed one per process,
    and a file that kills its process is reported."""
    import multiprocessing
    workers = workers or min(os.cpu_count() or 1, 8)
    if workers < 2 or len(jobs) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return {p: (sf, err) for p, sf, err in map(_parse_worker, jobs)}
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    from .parse.hcl import _parser
    _parser()  # imported once in the parent, inherited by the workers
    ctx = multiprocessing.get_context("fork")
    out: dict = {}
    chunk = max(1, len(jobs) // (workers * 4))
    batches = [jobs[i:i + chunk] for i in range(0, len(jobs), chunk)]
    try:
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            for result in pool.map(_parse_batch, batches):
                for p, sf, err in result:
                    out[p] = (sf, err)
    except (BrokenProcessPool, OSError, RuntimeError):
        for job in jobs:
            if job[0] not in out:
                out[job[0]] = _parse_isolated(job, ctx)
    return out


def _parse_batch(batch: list[tuple[str, str]]) -> list:
    return [_parse_worker(j) for j in batch]


def _parse_isolated(job: tuple[str, str], ctx) -> tuple:
    """Parse one file in its own process, so a crash of the native parser is reported, not fatal."""
    import pickle
    r, w = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_isolated_child, args=(job, w))
    proc.start()
    w.close()
    try:
        data = r.recv_bytes() if r.poll(120) else None
    except (EOFError, OSError):
        data = None
    proc.join(5)
    if proc.is_alive():
        proc.kill()
    if data is None:
        return None, (1, "the parser stopped on this file (out of memory or a crash): not analyzed")
    _, sf, err = pickle.loads(data)
    return sf, err


def _isolated_child(job, conn) -> None:
    import pickle
    conn.send_bytes(pickle.dumps(_parse_worker(job)))
    conn.close()


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
                from .cache import lookup, read_input
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
                from .cache import store
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
                from .cache import cached_parse
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
        from .resolve.module import ModuleSource
        directory = os.path.normpath(directory)
        if directory in self.cache:
            return self.cache[directory]
        if files is None:
            try:
                names = sorted(os.listdir(directory))
            except OSError:
                self.cache[directory] = None
                return None
            from .discover import OUTSIDE_LINK, config_kind, _apply_tofu_precedence
            from .paths import inside
            from .scancache import record_listing
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


def load_tfvars(paths: list[str], root: str, errors: list) -> dict:
    from .parse.hcl import parse_tfvars
    from .parse.json_config import parse_tfvars_json
    from .resolve.evaluate import Evaluator
    from .resolve.module import read_tfvars_values
    values: dict = {}
    ev = Evaluator()
    for p in paths:
        relpath = rel(p, root) if os.path.isabs(p) else p
        try:
            text = read_text(p)
            attrs = parse_tfvars_json(text, relpath) if p.endswith(".json") else parse_tfvars(text.encode(), relpath)
        except HCLSyntaxError as e:
            errors.append(ScanError(relpath, e.line, e.message))
            continue
        except OSError as e:
            errors.append(ScanError(relpath, None, f"cannot read variables file: {e.strerror}"))
            continue
        except Exception as e:
            errors.append(ScanError(relpath, 1, internal_error(e, "variables file parse")))
            continue
        try:
            values.update(read_tfvars_values(attrs, ev))
        except Exception as e:
            errors.append(ScanError(relpath, 1, internal_error(e, "variables file evaluation")))
    return values


def _tfvars_order(files: list[str]) -> list[str]:
    """terraform.tfvars, terraform.tfvars.json, then *.auto.tfvars(.json) in lexical order."""
    def key(p: str):
        n = os.path.basename(p)
        return (0 if n == "terraform.tfvars" else 1 if n == "terraform.tfvars.json" else 2, n)
    return sorted(files, key=key)


def called_module_dirs(src_by_dir: dict, loader: Loader) -> set[str]:
    """Directories that another scanned directory calls as a local module (judged as children)."""
    from .expr import Lit
    called = set()
    for d, src in src_by_dir.items():
        if src is None:
            continue
        for b in src.blocks:
            if b.type == "module" and "source" in b.attributes:
                e = b.attributes["source"].expr
                if isinstance(e, Lit) and isinstance(e.value, str) and e.value.startswith(("./", "../")):
                    called.add(os.path.normpath(os.path.join(d, e.value)))
    return called


def load(paths: list[str], options: LoadOptions | None = None, disc: Discovery | None = None) -> Graph:
    options = options or LoadOptions()
    disc = disc or discover(paths)
    from .resolve import evaluate as _ev
    _ev.EXTRA_READS.clear()
    root = disc.root
    errors: list[ScanError] = [ScanError(rel(f, root) if os.path.isabs(f) else f, line, msg)
                               for f, line, msg in disc.errors]
    warnings: list[ScanError] = [ScanError(rel(f, root), line, msg) for f, line, msg in disc.warnings]
    loader = Loader(root, errors, options.cache_dir)
    from .paths import project_root
    loader.repo_for = lambda d: project_root(disc.repo_for(d))  # module files: the project, not only the scan
    loader.prefetch([f for files in disc.module_dirs.values() for f in files])
    from .resolve.module import Context, ModuleInstance, load_modules_json
    src_by_dir = {d: loader.module(d, files) for d, files in sorted(disc.module_dirs.items())}
    children = called_module_dirs(src_by_dir, loader)
    extra_vars = load_tfvars(options.var_files, root, errors) if options.var_files else {}
    resources = []
    visited: set[str] = set()
    from .resolve.module import Budget
    budget = Budget()  # total resource and module instances of the scan, shared by every root

    def run_root(d: str, src) -> None:
        ctx = Context(root_dir=root, load_module=loader.module, modules_json=load_modules_json(d, disc.repo_for(d)),
                      allow_outside=options.allow_outside_modules, visited=visited, repo_dir=project_root(disc.repo_for(d)),
                      budget=budget, module_root=rel(d, root) if os.path.normpath(d) != os.path.normpath(root) else ".")
        inst = ModuleInstance(ctx, src, "", {}, "", (os.path.realpath(d),))
        tfv = load_tfvars(_tfvars_order(disc.tfvars.get(d, [])), root, errors)
        tfv.update(extra_vars)
        inst.tfvars = tfv
        try:
            inst.emit()
        except Exception as e:  # backstop: the resources of this root not yet emitted stay unknown
            _emit_stubs(ctx, src, e)
        errors.extend(ctx.errors)
        warnings.extend(ctx.warnings)
        resources.extend(ctx.resources)

    for d, src in src_by_dir.items():
        if src is not None and d not in children:
            run_root(d, src)
    # a directory that is only ever called from a module cycle is judged as a root too: never skipped
    for d, src in src_by_dir.items():
        if src is not None and d in children and os.path.realpath(d) not in visited:
            run_root(d, src)
    if budget.summary() is not None:
        warnings.append(budget.summary())
    plan_resources = []
    plan_files = disc.plans + disc.explicit_json
    if plan_files:
        from .parse import plan as planmod
        for p in plan_files:
            relpath = rel(p, root)
            try:
                size = os.path.getsize(p)
            except OSError:
                size = 0
            if size > max_plan_bytes():
                errors.append(ScanError(relpath, None, f"plan is {size / 1e6:.0f} MB, above the "
                                        f"{max_plan_bytes() // 1_000_000} MB limit (about 40 bytes of memory per "
                                        "byte of plan): not analyzed; set HIPAA_IAC_MAX_PLAN_MB to raise it"))
                continue
            try:
                from .cache import read_input
                raw = read_input(p)
                from . import safejson
                doc = safejson.loads(planmod.decode_json_bytes(raw))
            except (OSError, ValueError, UnicodeDecodeError) as e:
                line = getattr(e, "lineno", None)
                errors.append(ScanError(relpath, line, f"cannot read plan JSON: {e}"))
                continue
            except RecursionError:
                errors.append(ScanError(relpath, None, "cannot read plan JSON: nested too deeply to analyze"))
                continue
            kind = planmod.classify(doc)
            if kind != "plan":
                errors.append(ScanError(relpath, None, planmod.not_a_plan_message(doc)))
                continue
            try:
                res, errs = planmod.read_plan(doc, relpath)
            except RecursionError:
                errors.append(ScanError(relpath, None, "plan values nested too deeply to analyze"))
                continue
            except Exception as e:
                errors.append(ScanError(relpath, 1, internal_error(e, "plan reading")))
                continue
            errors.extend(errs)
            for r in res:  # a plan is one root module's: told apart by the plan's directory
                r.module_root = os.path.dirname(relpath).replace(os.sep, "/") or "."
            plan_resources.extend(res)
            loader.files_read += 1
    if plan_resources:
        from .parse import plan as planmod
        if resources:
            planmod.attach_sources(plan_resources, resources)
            # the plan is the more precise description of what will exist: it replaces the HCL view
            planned = {r.address for r in plan_resources}
            resources = [r for r in resources if r.address not in planned and
                         not _base_in(r.address, planned)]
        resources.extend(plan_resources)
    for r in resources:
        if r.file in loader.tainted:
            r.tainted = loader.tainted[r.file]
    loader.cache.clear()  # the parsed blocks are no longer needed: let them go before evaluation
    loader.prefetched.clear()
    warnings.extend(loader.warnings)
    g = Graph(resources, root=root, errors=errors, warnings=warnings, files_read=loader.files_read,
              parsers=loader.parsers, tainted=loader.tainted)
    from . import scancache
    reads = _ev.EXTRA_READS  # file() targets -> digest of the bytes read (None: absent)
    for f, digest in (reads.items() if isinstance(reads, dict) else ((f, scancache._disk_digest(f)) for f in reads)):
        if scancache._LEDGER is not None:
            scancache._LEDGER.files.setdefault(f, digest)
    g.extra_files = sorted(set(loader.paths_read) - set(disc_files(disc)) | set(_ev.EXTRA_READS))
    return g


def _emit_stubs(ctx, src, exc: BaseException) -> None:
    """After an internal error while resolving a root module: every resource block of the root that was
    not emitted becomes a resource whose results are unknown, and the error is reported."""
    from .model import Resource
    msg = internal_error(exc, "resolve")
    first = next((b for b in src.blocks if b.type == "resource"), None)
    ctx.errors.append(ScanError(first.file if first else (src.rel or "."), first.line if first else None, msg))
    done = {r.address.split("[", 1)[0] for r in ctx.resources}
    for b in src.blocks:
        if b.type == "resource" and len(b.labels) == 2 and f"{b.labels[0]}.{b.labels[1]}" not in done:
            ctx.resources.append(Resource(address=f"{b.labels[0]}.{b.labels[1]}", mode="managed", type=b.labels[0],
                                          name=b.labels[1], module="", file=b.file, line=b.line,
                                          end_line=b.end_line, tainted=msg))


def disc_files(disc: Discovery) -> list[str]:
    """Every input file discovery found (configuration, variables files, plans)."""
    out = [f for files in disc.module_dirs.values() for f in files]
    out += [f for files in disc.tfvars.values() for f in files]
    out += disc.plans + disc.explicit_json
    return sorted(out)


def _base_in(address: str, planned: set[str]) -> bool:
    if address.endswith("]"):
        return address[: address.rfind("[")] in planned
    return any(p.startswith(address + "[") for p in planned)
