"""The compile worker: a process of its own in which numba compiles tier-2 regions.

The engine (machr.jit.tier2) starts one per process as it starts, on the
machine's other core, so that numba's import and warm-up overlap the
guest's boot, and talks to it over pipes, one line per message:

* engine → worker: `<region module path>\\t<trampoline object path>`, a job;
* worker → engine: `<region module path>\\tok\\t<seconds>` or `…\\terror\\t<message>`, per job.

When the engine exits with regions still waiting, it sends them all and
closes the pipe instead of waiting: the worker compiles them in the
background and exits at the end of its input, so the next run of the
program finds every region it formed in the disk cache, however soon
this one ended.  While it lives it holds a shared lock on
`<cache>/.worker.lock`, which `wait_for_workers` takes exclusively
(`machr bench` waits there before a warm run).
"""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path

LOCK = ".worker.lock"


def wait_for_workers(directory: Path) -> None:
    """Return once no compile worker is working for the cache in `directory`."""
    lock = directory / LOCK
    if lock.exists():
        with open(lock) as f:
            fcntl.flock(f, fcntl.LOCK_EX)


def warm_up(directory: Path) -> None:
    """What every worker pays once, done while the engine boots the guest, before any region is hot.

    numba's import (half a second) and its first compilation (as much
    again: the typing and lowering registries load then), which is the
    trampoline's when its object is not cached yet, else a one-line cfunc's.
    """
    from numba import cfunc

    from machr.jit import loader, native
    from machr.jit.tier2 import _trampoline_path

    trampoline = _trampoline_path(directory)
    if trampoline.exists():
        cfunc("int64(int64)")(lambda x: x + 1)
    else:
        loader.write_object(trampoline, native.trampoline_object())


def main() -> None:
    lock = open(Path(sys.argv[1]) / LOCK, "a")      # noqa: SIM115 - held until the process ends
    fcntl.flock(lock, fcntl.LOCK_SH)
    warm_up(Path(sys.argv[1]))
    from machr.jit.tier2 import compile_region_file

    for line in sys.stdin:
        path, trampoline = line.rstrip("\n").split("\t")
        try:
            reply = f"{path}\tok\t{compile_region_file(path, trampoline)}"
        except Exception as e:                                 # noqa: BLE001 - reported to the engine
            reply = f"{path}\terror\t" + f"{type(e).__name__}: {e}"[:300].replace("\n", " ")
        try:
            print(reply, flush=True)
        except BrokenPipeError:                                # the engine is gone: finish what it left
            sys.stdout = open(os.devnull, "w")                 # noqa: SIM115


if __name__ == "__main__":
    main()
