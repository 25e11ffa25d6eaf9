"""The parse pool: many files parsed across worker processes (fork), a dying worker never hangs the scan."""
from __future__ import annotations

import os

from ..model import internal_error
from .hcl import HCLSyntaxError
from .read import parse_config_file

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
    from .hcl import _parser
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
