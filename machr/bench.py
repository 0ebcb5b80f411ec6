"""`machr bench`: guest workloads in each tier, guest MIPS and the ratios between tiers.

Each measurement boots a fresh kernel in-process with the workload as its
first task, so start-up (ELF load, translation) is inside the figure, as a
user running `machr run` would see it.  `boot-to-prompt` times init from
kernel creation to its first `machr# `.
"""

from __future__ import annotations

import argparse
import io
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from machr.console.plain import PlainConsole

FIRMWARE = Path(__file__).resolve().parent.parent / "firmware" / "build"
TIERS = ("interp", "jit")
WORKLOADS = ("spin",)


@dataclass
class Row:
    arch: str
    workload: str
    tier: str
    insns: int
    seconds: float
    translate_seconds: float
    mips: float
    speedup: float = 1.0
    output: str = ""


class _PromptWatch(PlainConsole):
    """A console that notes when the guest first prints its prompt."""

    def __init__(self, stdin: bytes):
        super().__init__(io.BytesIO(stdin), io.BytesIO())
        self.prompt_at: float | None = None

    def write(self, data: bytes) -> None:
        super().write(data)
        if self.prompt_at is None and b"machr# " in self.out.getvalue():
            self.prompt_at = time.perf_counter()


def run_workload(arch: str, workload: str, tier: str, mem: int = 64 << 20) -> Row:
    from machr.kernel.kern.startup import Kernel, load_elf_file

    t0 = time.perf_counter()
    console = _PromptWatch(b"")
    image = load_elf_file(str(FIRMWARE / arch / f"{workload}.elf"), 1 << 47, mem)
    kernel = Kernel(arch, mem, tier, console, log=lambda line: None)
    kernel.boot(image)
    kernel.run()
    seconds = time.perf_counter() - t0
    insns = kernel.engine.clock
    out = console.out.getvalue().decode(errors="replace").strip()
    return Row(arch, workload, tier, insns, seconds, kernel.engine.stats.translate_seconds,
               insns / seconds / 1e6, output=out)


def boot_to_prompt(arch: str, tier: str) -> float:
    from machr.kernel.kern.startup import Kernel, load_elf_file

    t0 = time.perf_counter()
    console = _PromptWatch(b"halt\n")
    image = load_elf_file(str(FIRMWARE / arch / "init.elf"), 1 << 47, 64 << 20)
    kernel = Kernel(arch, 64 << 20, tier, console, log=lambda line: None)
    kernel.boot(image)
    kernel.run()
    return (console.prompt_at or time.perf_counter()) - t0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="machr bench")
    p.add_argument("--arch", choices=("x86_64", "aarch64"), action="append")
    p.add_argument("--workload", choices=WORKLOADS, action="append")
    p.add_argument("--tier", choices=TIERS, action="append")
    p.add_argument("--repeat", type=int, default=1, help="runs per cell; the fastest counts")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    rows: list[Row] = []
    prompts = {}
    for arch in args.arch or ("x86_64", "aarch64"):
        for tier in args.tier or TIERS:
            prompts[f"{arch}/{tier}"] = min(boot_to_prompt(arch, tier) for _ in range(args.repeat))
        for workload in args.workload or WORKLOADS:
            base = None
            for tier in args.tier or TIERS:
                row = min((run_workload(arch, workload, tier) for _ in range(args.repeat)), key=lambda r: r.seconds)
                base = base or row.mips
                row.speedup = row.mips / base
                rows.append(row)
    if args.json:
        print(json.dumps({"rows": [asdict(r) for r in rows], "boot_to_prompt_seconds": prompts}, indent=2))
        return 0
    print(f"{'arch':8} {'workload':9} {'tier':7} {'guest insns':>12} {'wall s':>8} {'xlate s':>8} "
          f"{'MIPS':>7} {'vs interp':>9}")
    for r in rows:
        print(f"{r.arch:8} {r.workload:9} {r.tier:7} {r.insns:12d} {r.seconds:8.2f} {r.translate_seconds:8.3f} "
              f"{r.mips:7.2f} {r.speedup:8.2f}x")
    print()
    for k, v in prompts.items():
        print(f"boot to first prompt  {k:16} {v:6.3f} s")
    return 0
