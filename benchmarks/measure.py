"""Measure one child process: wall time, CPU time and peak RSS (``ru_maxrss`` from ``os.wait4``).

Linux carries a process's RSS high-water mark across ``exec``: a child's ``ru_maxrss`` is at least the
RSS of whoever spawned it (with vfork/posix_spawn, the spawning process's own peak). A benchmark driver
that has generated 20,000 resources or parsed checkov's JSON would inflate every later child's figure.
So the children are spawned by this small helper process (``python -I -S``, standard library only,
about 10 MiB, started before the driver does any work), one request per line on stdin, one JSON answer per line on stdout.
``Spawner.floor_bytes()`` measures the residual floor by spawning ``/bin/true``.

Run as ``python benchmarks/measure.py`` (the server); import ``Spawner`` from the driver.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

# The helper imports nothing else (run with -I -S): its RSS is the floor of every figure it reports.
WRITE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC


def run_child(cmd: list[str], cwd: str, env: dict[str, str], timeout_s: float,
              stdout_path: str, stderr_path: str) -> dict:
    """Run ``cmd`` once in its own session and reap it with ``os.wait4``; SIGKILL its process group after
    ``timeout_s``. Not thread-safe (changes the working directory and the SIGALRM handler)."""
    actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
               (os.POSIX_SPAWN_OPEN, 1, stdout_path, WRITE, 0o644),
               (os.POSIX_SPAWN_OPEN, 2, stderr_path, WRITE, 0o644)]
    timed_out = False
    pid = 0

    def kill(*_: object) -> None:
        nonlocal timed_out
        timed_out = True
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    previous = os.getcwd()
    os.chdir(cwd)  # posix_spawn has no chdir action before Python 3.13
    try:
        start = time.perf_counter()
        pid = os.posix_spawnp(cmd[0], cmd, env, file_actions=actions, setsid=True)
    finally:
        os.chdir(previous)
    signal.signal(signal.SIGALRM, kill)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        _, status, usage = os.wait4(pid, 0)  # retried after the SIGALRM handler runs (PEP 475)
    except BaseException:  # interrupted (Ctrl-C): take the child's process group down too
        kill()
        os.wait4(pid, 0)
        raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    wall = time.perf_counter() - start
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_bytes": usage.ru_maxrss * 1024,  # Linux reports KiB
            "exit_code": os.waitstatus_to_exitcode(status), "timed_out": timed_out}


def serve() -> None:
    try:
        for line in sys.stdin:
            req = json.loads(line)
            try:
                answer = run_child(req["cmd"], req["cwd"], req["env"], req["timeout_s"], req["stdout"],
                                   req["stderr"])
            except OSError as exc:  # the command could not be started
                answer = {"error": f"{type(exc).__name__}: {exc}"}
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()
    except (KeyboardInterrupt, BrokenPipeError):
        pass


class Spawner:
    """Client side: a long-lived helper process that spawns and measures the children."""

    def __init__(self) -> None:
        import subprocess

        self.proc = subprocess.Popen([sys.executable, "-I", "-S", os.path.abspath(__file__)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def run(self, cmd: list[str], cwd: str, env: dict[str, str], timeout_s: float,
            stdout_path: str, stderr_path: str) -> dict:
        req = {"cmd": cmd, "cwd": cwd, "env": env, "timeout_s": timeout_s,
               "stdout": stdout_path, "stderr": stderr_path}
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the measuring helper process exited")
        answer = json.loads(line)
        if "error" in answer:
            raise OSError(answer["error"])
        return answer

    def floor_bytes(self, scratch: str) -> int:
        """Peak RSS reported for a child that does nothing: the measurement's floor."""
        out = os.path.join(scratch, "floor.out")
        return self.run(["/bin/true"], scratch, dict(os.environ), 30, out, out)["peak_rss_bytes"]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        if self.proc.poll() is None:
            time.sleep(0.1)
            if self.proc.poll() is None:
                self.proc.kill()
        self.proc.wait()


if __name__ == "__main__":
    serve()
