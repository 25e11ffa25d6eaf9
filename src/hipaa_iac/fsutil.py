"""Files the tool writes (reports, baselines, cache entries) are written atomically: a temporary file in
the same directory, flushed and renamed over the target, so an interrupted write never leaves a
truncated file behind."""
from __future__ import annotations

import os
import tempfile


def atomic_write(path: str, content: str | bytes) -> None:
    directory = os.path.dirname(os.path.abspath(path)) or "."
    os.makedirs(directory, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp = tempfile.mkstemp(prefix=".hipaa-iac-", suffix=".tmp", dir=directory)
    try:
        try:  # the mode a plain open() would give (mkstemp makes 0600), or the replaced file's own
            mode = os.stat(path).st_mode & 0o7777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
