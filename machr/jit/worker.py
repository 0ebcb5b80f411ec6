"""The compile worker: a process of its own in which tier-2 regions compile (machr.jit.emit, or numba).

The engine (machr.jit.tier2) starts one per process as it starts, on the
machine's other core, so that its start-up overlaps the guest's boot, and
talks to it over pipes, one line per message:

* engine → worker: `<region module path>\\t<trampoline object path>`, a job;
* worker → engine: `<region module path>\\tok\\t<seconds>` or `…\\terror\\t<message>`, per job.

The engine sends each region as it forms it; answers come in the order
`main` compiles them.  When the engine exits, it closes the pipe instead
of waiting for what it sent: the worker compiles the rest in the
background and exits at the end of its input, so the next run of the
program finds every region it formed in the disk cache, however soon
this one ended.  While it lives it holds a shared lock on
`<cache>/.worker.lock`, which `wait_for_workers` takes exclusively
(`machr bench` waits there before a warm run).
"""

from __future__ import annotations

import fcntl
import functools
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

LOCK = ".worker.lock"


def wait_for_workers(directory: Path) -> None:
    """Return once no compile worker is working for the cache in `directory`."""
    lock = directory / LOCK
    if lock.exists():
        with open(lock) as f:
            fcntl.flock(f, fcntl.LOCK_EX)


def spawn(directory: Path, **popen) -> subprocess.Popen:
    """Start a worker for the cache in `directory`, holding its shared lock from before it exists.

    The lock is taken here and the worker inherits it (an flock belongs to
    the open file, whose descriptor the worker keeps, unused, until it
    exits), so that
    `wait_for_workers` waits for a worker even if it is called before the
    worker's interpreter has started.
    """
    with open(directory / LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_SH)
        return subprocess.Popen([sys.executable, "-m", "machr.jit.worker", str(directory)],
                                pass_fds=(lock.fileno(),), **popen)


def main() -> None:
    """Answer jobs as they come: machr.jit.emit's at once, those it declines with numba, in a thread.

    A numba region takes 0.2-2 s (and numba's import and first compilation
    as much again) where an emitted one takes a few hundredths, so numba's
    must not hold up the others: they go to a thread of its own, started at
    the first of them (machr.jit.emit's LLVM work releases the interpreter
    lock, and uses an LLVM context of its own).  No region the workloads or
    the tests form needs it, so numba is usually never imported.
    """
    from machr.jit.tier2 import _trampoline_path, compile_region_file, ensure_trampoline

    ensure_trampoline(_trampoline_path(Path(sys.argv[1])))
    numba_jobs: queue.Queue[tuple[str, str]] = queue.Queue()
    numba = threading.Thread(target=_numba_thread, args=(numba_jobs,), daemon=True)
    for line in sys.stdin:
        path, trampoline = line.rstrip("\n").split("\t")
        if not _answer(path, functools.partial(compile_region_file, path, trampoline, numba=False)):
            if numba.ident is None:           # not started yet
                numba.start()
            numba_jobs.put((path, trampoline))
    numba_jobs.join()                 # the engine is gone or done: finish what it left


def _numba_thread(jobs: queue.Queue[tuple[str, str]]) -> None:
    from machr.jit.tier2 import compile_region_file

    while True:
        path, trampoline = jobs.get()
        _answer(path, functools.partial(compile_region_file, path, trampoline))
        jobs.task_done()


_REPLY = threading.Lock()


def _answer(path: str, compile_region) -> bool:
    """Compile, and tell the engine how it went; False if the compiler declined (nothing told)."""
    try:
        seconds = compile_region()
    except Exception as e:                                     # noqa: BLE001 - reported to the engine
        reply = f"{path}\terror\t" + f"{type(e).__name__}: {e}"[:300].replace("\n", " ")
    else:
        if seconds is None:
            return False
        reply = f"{path}\tok\t{seconds}"
    with _REPLY:
        try:
            print(reply, flush=True)
        except BrokenPipeError:                                # the engine is gone: finish what it left
            sys.stdout = open(os.devnull, "w")                 # noqa: SIM115
    return True


if __name__ == "__main__":
    main()
