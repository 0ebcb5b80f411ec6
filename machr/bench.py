"""`machr bench`: the CPU workloads of firmware/bench in each tier; guest MIPS and ratios.

Each cell runs in a fresh child process (`python -m machr.bench --one ...`),
so its wall time (measured by the parent: the whole process, start to exit)
includes start-up as a user of `machr run` sees it, and its
peak RSS is its own (the compile worker's, where numba runs, is not).
Tiers: `interp` (tier 0), `tier1` (Python blocks), `jit-cold` (tier 1 +
tier 2 with an empty region cache, compiling in the background worker) and
`jit-warm` (the same run again, once the worker has compiled what the cold
run left: regions load from the on-disk cache).
Reference rows, where installed: `unicorn` (the same ELF on Unicorn with
a minimal Mach stand-in, firmware/tools/fakemach.py) and `qemu` (a
host-Linux build of the workload under qemu-user, from bench/ref/).
`boot` times init from the child's first line of machr code (the interpreter's own start-up, ~30 ms,
excluded) to its first `machr# `, per tier.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from machr.jit.worker import wait_for_workers

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE = ROOT / "firmware" / "build"
WORKLOADS = ("crc", "list", "dhry", "matmul", "sieve", "fp")
TIERS = ("interp", "tier1", "jit-cold", "jit-warm")
ARCHES = ("x86_64", "aarch64")


@dataclass
class Row:
    arch: str
    workload: str
    tier: str
    size: str
    insns: int
    seconds: float
    compile_seconds: float
    mips: float
    rss_mib: float
    output: str
    speedup: float = 1.0          # engine MIPS over the interpreter's
    tier2_mips: float = 0.0       # guest instructions retired inside regions / seconds inside them
    engine_mips: float = 0.0      # guest instructions / seconds inside Engine.run (no start-up, no boot)


def one(arch: str, workload: str, tier: str, size: str, stdin: bytes = b"") -> dict:
    """Run one cell in this process (called in the child); returns its measurements."""
    t0 = time.perf_counter()
    from machr.console.plain import PlainConsole
    from machr.kernel.kern.startup import Kernel, load_elf_file

    out = io.BytesIO()
    console = PlainConsole(io.BytesIO(stdin), out)
    prompt_at = []
    write = console.write

    def watch(data: bytes) -> None:
        write(data)
        if not prompt_at and b"machr# " in out.getvalue():
            prompt_at.append(time.perf_counter() - t0)

    console.write = watch
    image = load_elf_file(str(FIRMWARE / arch / f"{workload}.elf"), 1 << 47, 64 << 20)
    cap = int(size.split(":")[1]) if ":" in size else None        # "full:N": the full size, stopped after N insns
    kernel = Kernel(arch, 64 << 20, "jit" if tier.startswith("jit") else tier, console, max_insns=cap,
                    log=lambda line: None)
    kernel.boot(image, "small" if size == "small" else "")
    kernel.run()
    seconds = time.perf_counter() - t0
    eng = kernel.engine
    t2 = eng.tier2.stats if eng.tier2 is not None else None
    return {"insns": eng.clock, "seconds": seconds, "output": out.getvalue().decode(errors="replace").strip(),
            "compile_seconds": eng.stats.translate_seconds + (t2.compile_seconds if t2 else 0.0),
            "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "tier2_mips": t2.insns / t2.run_seconds / 1e6 if t2 and t2.run_seconds else 0.0,
            "engine_seconds": eng.stats.run_seconds,
            "prompt_seconds": prompt_at[0] if prompt_at else seconds}


def _child(args: list[str], env: dict) -> dict:
    """Run one cell in a fresh interpreter; its `seconds` become the whole process's, start to exit."""
    cmd = [sys.executable, "-m", "machr.bench", "--one", *args]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, env=env, cwd=ROOT, check=False)
    seconds = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {res.stderr.decode(errors='replace')[-2000:]}")
    return dict(json.loads(res.stdout.decode().splitlines()[-1]), seconds=seconds)


def measure(arch: str, workload: str, tier: str, size: str, cache: str) -> Row:
    env = dict(os.environ, MACHR_CACHE=cache, PYTHONPATH=str(ROOT))
    if tier == "jit-cold":
        shutil.rmtree(cache, ignore_errors=True)
    r = _child([arch, workload, tier, size], env)
    wait_for_workers(Path(cache))     # regions left compiling at exit: the warm run finds them all
    return Row(arch, workload, tier, size, r["insns"], r["seconds"], r["compile_seconds"],
               r["insns"] / r["seconds"] / 1e6, r["rss_mib"], r["output"], tier2_mips=r["tier2_mips"],
               engine_mips=r["insns"] / r["engine_seconds"] / 1e6 if r["engine_seconds"] else 0.0)


def reference_rows(arch: str, workload: str, size: str, insns: int) -> list[Row]:
    """Unicorn and qemu-user rows where installed (bench/ref/reference.py); MIPS from machr's `insns`."""
    sys.path.insert(0, str(ROOT / "bench" / "ref"))
    from reference import run_qemu, run_unicorn

    rows = []
    for name, fn in (("unicorn", run_unicorn), ("qemu", run_qemu)):
        r = fn(arch, workload, size)
        if r is not None:
            seconds, output = r
            rows.append(Row(arch, workload, name, size, insns, seconds, 0.0, insns / seconds / 1e6, 0.0, output))
    return rows


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--one"]:
        arch, workload, tier, size = argv[1:5]
        stdin = b"halt\n" if workload == "init" else b""
        print(json.dumps(one(arch, workload, tier, size, stdin)))
        return 0
    p = argparse.ArgumentParser(prog="machr bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--arch", choices=ARCHES, action="append")
    p.add_argument("--workload", choices=WORKLOADS, action="append")
    p.add_argument("--tier", choices=TIERS, action="append")
    p.add_argument("--size", choices=("full", "small"), default="full",
                   help="full: about 1e8 guest instructions per workload; small: the test size")
    p.add_argument("--slow-insns", type=int, default=20_000_000,
                   help="the interp and tier1 rows run the full size but stop after this many guest instructions "
                        "(their MIPS barely depend on it; to the end takes many minutes); 0: run to the end")
    p.add_argument("--repeat", type=int, default=1, help="runs per cell; the fastest counts")
    p.add_argument("--reference", action="store_true", help="add Unicorn / qemu-user rows where installed")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    tiers = args.tier or TIERS
    cache = tempfile.mkdtemp(prefix="machr-bench-cache-")
    rows: list[Row] = []
    boot: dict[str, float] = {}
    try:
        for arch in args.arch or ARCHES:
            for tier in tiers:
                env = dict(os.environ, MACHR_CACHE=cache, PYTHONPATH=str(ROOT))
                boot[f"{arch}/{tier}"] = min(_child([arch, "init", tier, "full"], env)["prompt_seconds"]
                                             for _ in range(args.repeat))
            for workload in args.workload or WORKLOADS:
                base = None
                for tier in tiers:
                    size = args.size
                    if tier in ("interp", "tier1") and args.slow_insns and args.size == "full":
                        size = f"full:{args.slow_insns}"
                    row = min((measure(arch, workload, tier, size, os.path.join(cache, workload))
                               for _ in range(args.repeat)), key=lambda r: r.seconds)
                    base = base or row.engine_mips
                    row.speedup = row.engine_mips / base
                    rows.append(row)
                if args.reference:
                    for row in reference_rows(arch, workload, args.size, rows[-1].insns):
                        row.speedup = row.mips / base if base else 0.0      # no engine time: wall
                        rows.append(row)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    if args.json:
        print(json.dumps({"rows": [asdict(r) for r in rows], "boot_to_prompt_seconds": boot}, indent=2))
        return 0
    print_table(rows, boot)
    return 0


def print_table(rows: list[Row], boot: dict[str, float]) -> None:
    print(f"{'arch':8} {'workload':8} {'tier':9} {'size':14} {'guest insns':>12} {'wall s':>8} {'compile s':>9} "
          f"{'MIPS':>8} {'engine MIPS':>11} {'region MIPS':>11} {'vs interp':>9} {'RSS MiB':>8}  checksum")
    for r in rows:
        region = f"{r.tier2_mips:11.1f}" if r.tier2_mips else " " * 11
        engine = f"{r.engine_mips:11.2f}" if r.engine_mips else " " * 11
        print(f"{r.arch:8} {r.workload:8} {r.tier:9} {r.size:14} {r.insns:12d} {r.seconds:8.2f} "
              f"{r.compile_seconds:9.2f} {r.mips:8.2f} {engine} {region} {r.speedup:8.1f}x {r.rss_mib:8.0f}  "
              f"{r.output.rsplit(' ', 1)[-1]}")
    print()
    for k, v in boot.items():
        print(f"boot to first prompt  {k:18} {v:6.3f} s")


if __name__ == "__main__":
    sys.exit(main())
