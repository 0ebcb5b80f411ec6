"""`machr` command line: run guest ELF programs on the Mach kernel.

    machr run [--interp|--tier1|--jit] [--check] [--mem SIZE] [--max-insns N] [--stats] ELF
    machr bench [...]        (see `machr bench --help`)

The architecture comes from the ELF header.  Errors about the command line
or the ELF file are one line on stderr and exit status 2; the guest's own
fate decides the status otherwise (0: clean halt or end of init; 1: init
died of an exception or the machine deadlocked; 3: instruction limit).
"""

from __future__ import annotations

import argparse
import sys
import time

from machr.kernel.kern.elf_loader import ElfError
from machr.machine.memory import parse_size


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="machr", description="A Mach microkernel in Python running real "
                                "x86_64 and aarch64 code.")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="boot the kernel with ELF as its first task")
    tier = run.add_mutually_exclusive_group()
    tier.add_argument("--interp", dest="tier", action="store_const", const="interp",
                      help="tier 0: interpret one instruction at a time")
    tier.add_argument("--jit", dest="tier", action="store_const", const="jit",
                      help="tier 1 (basic blocks as Python) plus tier 2 (hot regions compiled with numba, "
                           "when numba is installed; the default)")
    tier.add_argument("--tier1", "--no-numba", dest="tier", action="store_const", const="tier1",
                      help="tier 1 only")
    run.set_defaults(tier="jit")
    run.add_argument("--mem", default="64M", help="physical memory size (default 64M)")
    run.add_argument("--max-insns", type=int, default=None, help="stop after N guest instructions")
    run.add_argument("--stats", action="store_true", help="print execution statistics at the end")
    run.add_argument("--flags", default="", help="boot flags passed to init as -FLAGS")
    run.add_argument("--check", action="store_true",
                     help="run the JIT and the interpreter in lockstep; stop at the first divergence and print "
                          "both states")
    run.add_argument("elf", help="the init program (static ELF, x86_64 or aarch64)")
    sub.add_parser("bench", help="guest workloads per tier: MIPS and ratios (see `machr bench --help`)",
                   add_help=False)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:
        from machr.bench import main as bench_main

        return bench_main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.command == "run":
        return cmd_run(args)
    return 2


def cmd_run(args) -> int:
    from machr.console.plain import PlainConsole
    from machr.console.tty import TtyConsole
    from machr.kernel.kern.startup import Kernel, load_elf_file

    try:
        mem = parse_size(args.mem)
        if mem < (1 << 20) or mem % 4096:
            raise ValueError
    except ValueError:
        print(f"machr: bad --mem value {args.mem!r} (want e.g. 64M, at least 1M)", file=sys.stderr)
        return 2
    try:
        image = load_elf_file(args.elf, va_limit=1 << 47, mem_limit=mem)
    except ElfError as e:
        print(f"machr: {args.elf}: {e}", file=sys.stderr)
        return 2
    if args.check:
        from machr.jit.check import check_run

        return check_run(image, mem, args.flags, b"" if sys.stdin.isatty() else sys.stdin.buffer.read(),
                         args.max_insns)
    t0 = time.perf_counter()
    console = TtyConsole() if sys.stdin.isatty() and sys.stdout.isatty() else PlainConsole()
    kernel = Kernel(image.arch, mem, args.tier, console, max_insns=args.max_insns)
    try:
        kernel.boot(image, args.flags)
    except (ElfError, MemoryError) as e:
        print(f"machr: {args.elf}: {e}", file=sys.stderr)
        return 2
    status = kernel.run()
    elapsed = time.perf_counter() - t0
    if kernel.halt_reason and status != 0:
        kernel.log(kernel.halt_reason)
    if args.stats:
        print_stats(kernel, elapsed)
    return status


def print_stats(kernel, elapsed: float) -> None:
    st = kernel.engine.stats
    insns = kernel.engine.clock
    mips = insns / elapsed / 1e6 if elapsed > 0 else 0.0
    lines = [
        f"arch {kernel.arch}  tier {kernel.tier}",
        f"guest instructions retired  {insns}",
        f"wall seconds                {elapsed:.3f}",
        f"guest MIPS                  {mips:.2f} (in the engine: "
        f"{insns / st.run_seconds / 1e6 if st.run_seconds else 0.0:.2f}, translation included)",
        (f"units translated            {st.units_translated} ({st.insns_translated} insns, "
        f"{st.translate_seconds:.3f} s)"),
        f"dispatches                  {st.dispatches} (chained {st.chain_hits})",
        f"invalidations               {st.invalidations}",
        f"TLB walks                   {kernel.mmu.walks}",
        *_tier2_stats(kernel.engine),
        f"halt                        {kernel.halt_reason}",
    ]
    print("\n".join("machr stats: " + ln for ln in lines), file=sys.stderr)


def _tier2_stats(engine) -> list[str]:
    if engine.tier2 is None:
        return []
    t2 = engine.tier2.stats
    mips = t2.insns / t2.run_seconds / 1e6 if t2.run_seconds else 0.0
    return [f"tier 2 regions              {t2.regions} ({t2.compiled} compiled, {t2.compile_seconds:.2f} s; "
            f"cache loads {t2.load_seconds:.2f} s; {t2.rejected_blocks} blocks kept in tier 1)",
            f"tier 2 instructions         {t2.insns} ({mips:.0f} MIPS inside regions, {t2.entries} entries, "
            f"{t2.calls} region calls, {engine.stats.slow_paths} slow paths)"]


if __name__ == "__main__":
    sys.exit(main())
