"""IPC fuzz campaign: runs firmware/programs/ipc_fuzz.c over many seeds on both ISAs.

    python3 bench/ipc_fuzz_campaign.py [--messages 100000] [--per-seed 2000] [--first-seed 1] [--jobs 2]

Each seed boots ipc_fuzz as init with `fuzz=SEED,COUNT` as its last argument.
A seed fails if the guest saw a code spec §4 does not list, if the kernel
raised a Python exception (kernel.errors), or if the exit status is not 0.
Every seed also runs a second time stopped halfway by an instruction limit,
and the kernel's right counts are checked then (tests/kernel/ipc/invariants).
Prints one line per seed and a summary with the code histogram.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ARCHES = ("x86_64", "aarch64")


def boot_fuzz(arch: str, seed: int, count: int, max_insns: int | None = None):
    """Boot ipc_fuzz for (seed, count); returns (kernel, status, output)."""
    from machr.console.plain import PlainConsole
    from machr.kernel.kern.startup import Kernel, load_elf_file

    out = io.BytesIO()
    image = load_elf_file(str(ROOT / "firmware" / "build" / arch / "ipc_fuzz.elf"), 1 << 47, 16 << 20)
    kernel = Kernel(arch, 16 << 20, "jit", PlainConsole(io.BytesIO(), out), max_insns=max_insns,
                    log=lambda line: None)
    kernel.boot(image, root_name=f"fuzz={seed},{count}")
    status = kernel.run()
    return kernel, status, out.getvalue().decode(errors="replace")


def run_seed(job: tuple[str, int, int]) -> dict:
    from tests.kernel.ipc.invariants import ipc_check_kernel

    arch, seed, count = job
    start = time.time()
    kernel, status, text = boot_fuzz(arch, seed, count)
    codes = Counter({int(c, 16): int(n) for c, n in re.findall(r"^  (0x[0-9a-f]{8}) x(\d+)$", text, re.M)})
    summary = re.search(r"ipc_fuzz seed \d+: (\d+) messages, \d+ distinct codes, (\d+) unexpected", text)
    problems = [f"kernel exception: {e}" for e in kernel.errors[:3]]
    if status != 0:
        problems.append(f"exit status {status} ({kernel.halt_reason})")
    if summary is None:
        problems.append("no summary line")
    elif int(summary.group(2)):
        problems.append(f"{summary.group(2)} unexpected codes")
    half = max(1, kernel.engine.clock // 2)
    kernel2, status2, _ = boot_fuzz(arch, seed, count, max_insns=half)
    problems += [f"kernel exception (half run): {e}" for e in kernel2.errors[:3]]
    ports = 0
    try:
        ports = ipc_check_kernel(kernel2) if status2 == 3 else 0
    except AssertionError as e:
        problems.append(f"invariant: {e!r}")
    return {"arch": arch, "seed": seed, "messages": int(summary.group(1)) if summary else 0, "codes": codes,
            "problems": problems, "ports": ports, "seconds": time.time() - start}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=100_000, help="total messages over all seeds")
    ap.add_argument("--per-seed", type=int, default=2000, help="messages per seed (≤ 102400)")
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    nseeds = -(-args.messages // args.per_seed)
    jobs = [(ARCHES[i % 2], args.first_seed + i, args.per_seed) for i in range(nseeds)]
    total, codes, failed, start = 0, Counter(), 0, time.time()
    with ProcessPoolExecutor(args.jobs) as pool:
        for r in pool.map(run_seed, jobs):
            total += r["messages"]
            codes += r["codes"]
            failed += bool(r["problems"])
            verdict = "ok" if not r["problems"] else "FAIL " + "; ".join(r["problems"])
            print(f"seed {r['seed']:6d} {r['arch']:8s} {r['messages']:6d} messages {r['ports']:4d} ports checked "
                  f"{r['seconds']:6.1f}s {verdict}", flush=True)
    print(f"\n{nseeds} seeds, {total} messages in {time.time() - start:.0f}s: {failed} seeds failed")
    for code, n in sorted(codes.items()):
        print(f"  0x{code:08x} {n:9d}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
