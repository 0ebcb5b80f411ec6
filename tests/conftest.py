"""Shared fixtures: booting the firmware in-process with a scripted console."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pytest

from machr.console.plain import PlainConsole

# Compiled tier-2 regions go to a cache of the test session's own, never the user's.
os.environ["MACHR_CACHE"] = tempfile.mkdtemp(prefix="machr-test-cache-")

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE = ROOT / "firmware" / "build"
ARCHES = ("x86_64", "aarch64")
TIERS = ("interp", "jit")


def pytest_sessionfinish(session, exitstatus):
    """The session's compile worker goes with it: what it would still compile is for a cache nobody reads again."""
    from machr.jit import tier2

    if tier2._WORKER is not None:
        tier2._WORKER.proc.kill()
        tier2._WORKER.proc.wait()


def firmware(arch: str, program: str) -> Path:
    return FIRMWARE / arch / f"{program}.elf"


def boot(arch: str, program: str, tier: str = "jit", stdin: bytes = b"", max_insns: int | None = None,
         mem: int = 16 << 20, root_name: str = "none"):
    """Boot `program` as init (its last argv word is `root_name`, spec §10); returns
    (kernel, status, stdout bytes, kernel log lines)."""
    from machr.kernel.kern.startup import Kernel, load_elf_file

    out = io.BytesIO()
    log: list[str] = []
    image = load_elf_file(str(firmware(arch, program)), 1 << 47, mem)
    kernel = Kernel(arch, mem, tier, PlainConsole(io.BytesIO(stdin), out), max_insns=max_insns, log=log.append)
    kernel.boot(image, root_name=root_name)
    status = kernel.run()
    assert kernel.errors == [], kernel.errors[0]
    return kernel, status, out.getvalue(), log


@pytest.fixture(params=ARCHES)
def arch(request):
    return request.param


@pytest.fixture(params=TIERS)
def tier(request):
    return request.param
