"""Reference rows for `machr bench --reference`: the same workloads on Unicorn and on qemu-user.

Unicorn runs the very ELF machr runs, under firmware/tools/fakemach.py (a
minimal Mach stand-in); fakemach always passes argv[1] = "-x", so it runs the
full size only.  qemu-user runs a host-Linux build of the same C source
(bench/ref/Makefile, shim.c; built on first use, not committed).  Each
returns (seconds, output) or None when the tool is not installed; the
instruction count for MIPS is machr's for the same workload.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def run_unicorn(arch: str, workload: str, size: str) -> tuple[float, str] | None:
    if size != "full" or importlib.util.find_spec("unicorn") is None:
        return None
    sys.path.insert(0, str(ROOT / "firmware" / "tools"))
    from fakemach import FakeMach

    t0 = time.perf_counter()
    machine = FakeMach(str(ROOT / "firmware" / "build" / arch / f"{workload}.elf"), [], False)
    machine.run()
    return time.perf_counter() - t0, machine.output.decode(errors="replace").strip()


def run_qemu(arch: str, workload: str, size: str) -> tuple[float, str] | None:
    qemu = shutil.which(f"qemu-{arch}")
    if qemu is None:
        return None
    exe = HERE / "build" / arch / workload
    if not exe.exists() and subprocess.run(["make", "-s", "-C", str(HERE), f"build/{arch}/{workload}"],
                                           capture_output=True, check=False).returncode != 0:
        return None
    t0 = time.perf_counter()
    res = subprocess.run([qemu, str(exe)] + (["-small"] if size == "small" else []), capture_output=True,
                         check=False)
    return time.perf_counter() - t0, res.stdout.decode(errors="replace").strip()
