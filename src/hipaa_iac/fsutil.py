"""Files the tool writes (reports, baselines, cache entries) are written atomically: a temporary file in
the same directory, flushed and renamed over the target, so an interrupted write never leaves a
truncated file behind."""
from __future__ import annotations

import os
import tempfile


def atomic_write(path: str, content: str | bytes, durable: bool = True) -> None:
    """durable=False is for cache entries, which a crash may lose (a lost entry is a miss): no fsync, and
    the fewest system calls (the entry keeps mkstemp's private 0600 mode; the directory is created only
    when missing), so a cold scan does not pay for its cache."""
    # "replace": a lone surrogate (from a hostile name) can never make a report unwritable
    data = content.encode("utf-8", "replace") if isinstance(content, str) else content
    mode = None
    if durable:
        try:  # the mode a plain open() would give (mkstemp makes 0600), or the replaced file's own
            mode = os.stat(path).st_mode & 0o7777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    _replace(path, data, mode, durable)


def _replace(path: str, data: bytes, mode: int | None, durable: bool) -> None:
    """Write `data` to a temporary file beside `path` (its directory created when missing), then rename it
    over `path`; the temporary file never survives a failure."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    try:
        fd, tmp = tempfile.mkstemp(prefix=".hipaa-iac-", suffix=".tmp", dir=directory)
    except FileNotFoundError:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".hipaa-iac-", suffix=".tmp", dir=directory)
    try:
        if mode is not None:
            os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class OutputError(OSError):
    """A report or baseline that cannot be written: one line for the user (exit 2)."""


def write_output(path: str, content: str | bytes) -> None:
    """Write a user-named output (`-o`, `--also`, a baseline). A regular file (or a new one) is written
    atomically. A target that exists and is not a regular file is never replaced: a character device
    (/dev/null, /dev/stdout) or a FIFO with a reader is written into directly; a FIFO without a reader, a
    directory, a socket or a block device is refused. Every failure raises OutputError with one line."""
    import stat
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror}") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        if stat.S_ISDIR(st.st_mode):
            raise OutputError(f"cannot write {path}: it is a directory")
        if not (stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
            raise OutputError(f"cannot write {path}: not a regular file, a character device or a FIFO (refused)")
        try:  # no O_CREAT, no O_TRUNC: the node stays what it is
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
        except OSError as e:
            why = "no process is reading the FIFO" if e.errno == 6 else e.strerror  # ENXIO
            raise OutputError(f"cannot write {path}: {why}") from None
        try:
            os.set_blocking(fd, True)
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
        except OSError as e:
            raise OutputError(f"cannot write {path}: {e.strerror}") from None
        finally:
            os.close(fd)
        return
    try:
        atomic_write(path, data)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from None
