"""Tier 2 (numba regions): precise exits, quantum boundaries, invalidation and the on-disk cache.

The programs are tiny hand-assembled loops on a bare machine (tests/jit/machine.py)
with a low hotness threshold, so regions form after a few iterations; every
result is compared with the interpreter's.  numba compiles are the cost
here, so the loops are few and small and share one region cache.
"""

import io
import subprocess
import sys
from pathlib import Path

import pytest

from machr.console.plain import PlainConsole
from machr.isa.aarch64 import ISA as ARM
from machr.isa.x86_64 import ISA as X86
from machr.jit import loader, tier2
from machr.jit.worker import wait_for_workers
from machr.kernel.kern.startup import Kernel, load_elf_file
from machr.machine.exits import ACCESS_READ, EXIT_BREAKPOINT, EXIT_PAGE_FAULT, EXIT_QUANTUM, EXIT_UNDEFINED
from tests.conftest import firmware
from tests.jit.machine import CODE, DATA, bare_engine

pytest.importorskip("numba")

# Sum the bytes from DATA upwards until the walk leaves the data page (a fault inside the region).
WALK = {
    "x86_64": (X86, bytes.fromhex("0fb613" "4801d0" "4883c301" "ebf4"), {"rbx": DATA}),   # movzx/add/add/jmp
    "aarch64": (ARM, bytes.fromhex("22144038" "0000028b" "feffff17"), {"x1": DATA}),     # ldrb post-index/add/b
}

# x86: rax counts to 5000, rbx counts the odd values: three blocks (add/test/jz, add rbx, cmp/jne), then ud2.
BRANCHY = bytes.fromhex("4883c001" "a801" "7404" "4883c301" "483d88130000" "75ec" "0f0b")

# x86: count 3000 times by 1, patch the loop's immediate to 5 (a store into the code page), count again, ud2.
SMC = bytes.fromhex("b9b80b0000" "83c001" "ffc9" "75f9" "85db" "750b" "ffc3" "c605eeffffff05" "ebe5" "0f0b")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("regions")


def run(isa, code, regs, tier, budget, cache, fill=True):
    engine, R, pmap = bare_engine(isa, code, regs, tier, cache)
    if fill:
        engine.mmu.store(DATA, bytes(range(256)) * 16)
    return engine, R, pmap, engine.run(R, pmap, budget)


def exit_state(ex, R):
    return (ex.reason, ex.pc, ex.addr, ex.access, ex.retired, list(R))


@pytest.mark.parametrize("arch", sorted(WALK))
def test_fault_inside_region_is_precise(arch, cache):
    isa, code, regs = WALK[arch]
    _, r_i, _, ex_i = run(isa, code, regs, "interp", 1 << 20, cache)
    engine, r_j, _, ex_j = run(isa, code, regs, "jit", 1 << 20, cache)
    assert (ex_i.reason, ex_i.addr, ex_i.access) == (EXIT_PAGE_FAULT, DATA + 0x1000, ACCESS_READ)
    assert exit_state(ex_j, r_j) == exit_state(ex_i, r_i)
    st = engine.tier2.stats
    assert st.regions == 1 and st.insns > 10_000 and engine.stats.slow_paths >= 1


@pytest.mark.parametrize("budget", [1234, 5001])
def test_quantum_ends_at_the_same_block_boundary(budget, cache):
    isa, code, regs = WALK["x86_64"]
    _, r_i, _, ex_i = run(isa, code, regs, "interp", budget, cache)
    engine, r_j, _, ex_j = run(isa, code, regs, "jit", budget, cache)
    assert ex_i.reason == EXIT_QUANTUM
    assert exit_state(ex_j, r_j) == exit_state(ex_i, r_i)
    assert engine.tier2.stats.insns > 0


def test_regions_chain_natively_through_the_trampoline(cache, monkeypatch):
    """One block per region: the loop runs region to region without returning to Python, with the same result."""
    monkeypatch.setattr(tier2, "MAX_BLOCKS", 1)
    _, r_i, _, ex_i = run(X86, BRANCHY, {}, "interp", 1 << 20, cache, fill=False)
    engine, r_j, _, ex_j = run(X86, BRANCHY, {}, "jit", 1 << 20, cache, fill=False)
    assert ex_i.reason == EXIT_UNDEFINED and (r_i[0], r_i[3]) == (5000, 2500)
    assert exit_state(ex_j, r_j) == exit_state(ex_i, r_i)
    st = engine.tier2.stats
    assert st.regions == 3 and st.calls > 50 * st.entries and st.insns > 10_000


def test_store_into_running_code_invalidates_region(cache):
    _, r_i, _, ex_i = run(X86, SMC, {}, "interp", 1 << 20, cache, fill=False)
    engine, r_j, _, ex_j = run(X86, SMC, {}, "jit", 1 << 20, cache, fill=False)
    assert ex_i.reason == EXIT_UNDEFINED and r_i[0] == 3000 + 3000 * 5
    assert exit_state(ex_j, r_j) == exit_state(ex_i, r_i)
    assert engine.tier2.stats.regions >= 2 and engine.stats.invalidations > 0


def test_breakpoint_stops_a_running_region(cache):
    isa, code, regs = WALK["x86_64"]
    engine, R, pmap, ex = run(isa, code, regs, "jit", 3000, cache)
    assert ex.reason == EXIT_QUANTUM and engine.tier2.stats.regions == 1
    engine.set_breakpoint(pmap, CODE + 6)
    ex = engine.run(R, pmap, 1 << 20)
    assert (ex.reason, ex.pc) == (EXIT_BREAKPOINT, CODE + 6)
    ex = engine.run(R, pmap, 1 << 20)                 # resuming runs the instruction at the breakpoint
    assert (ex.reason, ex.pc) == (EXIT_BREAKPOINT, CODE + 6) and ex.retired == 4
    engine.set_breakpoint(pmap, CODE + 6, on=False)
    ex = engine.run(R, pmap, 1 << 20)
    assert ex.reason == EXIT_PAGE_FAULT and R[3] == DATA + 0x1000


def test_second_run_loads_regions_from_the_disk_cache(cache):
    isa, code, regs = WALK["aarch64"]
    run(isa, code, regs, "jit", 1 << 20, cache)
    engine, _, _, _ = run(isa, code, regs, "jit", 1 << 20, cache)
    st = engine.tier2.stats
    assert st.regions == 1 and st.compiled == 0


def test_damaged_object_in_the_disk_cache_is_compiled_again(tmp_path, capsys, monkeypatch):
    """LLVM would crash on damaged object code: a cached object that fails its digest is not loaded but removed (its
    blocks stay in tier 1 and the run's result is unchanged), and the next run compiles and loads it again."""
    isa, code, regs = WALK["x86_64"]
    _, r_i, _, ex_i = run(isa, code, regs, "interp", 1 << 20, tmp_path)
    run(isa, code, regs, "jit", 1 << 20, tmp_path)
    (obj,) = tmp_path.glob("r_*.o")
    obj.write_bytes(obj.read_bytes()[:-100])
    monkeypatch.setattr(loader, "_LOADER", None)        # as in a new process: nothing loaded yet
    engine, r_j, _, ex_j = run(isa, code, regs, "jit", 1 << 20, tmp_path)
    assert "damaged" in capsys.readouterr().err and not obj.exists()
    assert engine.tier2.stats.regions == 0 and exit_state(ex_j, r_j) == exit_state(ex_i, r_i)
    engine, _, _, _ = run(isa, code, regs, "jit", 1 << 20, tmp_path)
    assert (engine.tier2.stats.regions, engine.tier2.stats.compiled) == (1, 1)


def test_a_warm_run_loads_regions_without_numba(cache):
    """The engine's process loads cached object code through llvmlite: numba (0.6-1 s to import and set up) stays
    out of it."""
    program = ("import sys\n"
               "from pathlib import Path\n"
               "from machr.isa.aarch64 import ISA\n"
               "from tests.jit.machine import bare_engine\n"
               f"engine, R, pmap = bare_engine(ISA, {WALK['aarch64'][1]!r}, {WALK['aarch64'][2]!r}, 'jit', "
               "Path(sys.argv[1]))\n"
               "engine.run(R, pmap, 1 << 20)\n"
               "print(engine.tier2.stats.regions, engine.tier2.stats.compiled, 'numba' in sys.modules)\n")
    run(*WALK["aarch64"], "jit", 1 << 20, cache)
    out = subprocess.run([sys.executable, "-c", program, str(cache)], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2]).stdout
    assert out.split() == ["1", "0", "False"]


def test_worker_finishes_the_regions_a_run_leaves(tmp_path):
    """The compile worker (a process of its own) gets the regions still waiting when the engine exits and compiles
    them after it: the next run of the program loads them instead of compiling."""
    program = ("import sys\n"
               "from pathlib import Path\n"
               "from machr.isa.x86_64 import ISA\n"
               "from tests.jit.machine import bare_engine\n"
               f"engine, R, pmap = bare_engine(ISA, {BRANCHY!r}, {{}}, 'jit', Path(sys.argv[1]))\n"
               "engine.tier2.background = True\n"
               "engine.run(R, pmap, 1 << 20)\n"
               "print(engine.tier2.stats.regions, engine.tier2.busy)\n")
    out = subprocess.run([sys.executable, "-c", program, str(tmp_path)], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2]).stdout
    assert out.split() == ["0", "True"]           # the run ended long before numba had compiled anything
    wait_for_workers(tmp_path)
    engine, r_j, _, ex_j = run(X86, BRANCHY, {}, "jit", 1 << 20, tmp_path, fill=False)
    _, r_i, _, ex_i = run(X86, BRANCHY, {}, "interp", 1 << 20, tmp_path, fill=False)
    assert exit_state(ex_j, r_j) == exit_state(ex_i, r_i)
    assert engine.tier2.stats.regions >= 1 and engine.tier2.stats.compiled == 0


def formations(arch, program, cache, install, preinstall=False):
    """The (pc, hits) of every region's blocks, in the order tier 2 formed them, for one run of `program`."""
    image = load_elf_file(str(firmware(arch, program)), 1 << 47, 16 << 20)
    kernel = Kernel(arch, 16 << 20, "jit", PlainConsole(io.BytesIO(), io.BytesIO()), log=lambda line: None)
    t2 = kernel.engine.tier2
    t2.background, t2.dir, t2.preinstall = False, cache, preinstall
    formed = []
    start, install_region = t2._start, t2._install

    def record(cache, chosen):
        formed.append([(b.pc, b.hits) for b in chosen])
        start(cache, chosen)

    t2._start = record
    t2._install = install_region if install else (lambda path, region: None)
    kernel.boot(image, "small")
    assert kernel.run() == 0
    return formed, t2.stats


def test_regions_form_the_same_whenever_they_are_installed(cache):
    """Formation depends only on the guest's execution, not on when compiled regions arrive (Python regions count
    their blocks' runs in bulk): a run whose regions never install forms exactly the regions of one whose regions
    install at once, so a second run of a program finds every region in the disk cache."""
    never, st_never = formations("x86_64", "dhry", cache, install=False)
    at_once, st = formations("x86_64", "dhry", cache, install=True)
    assert st_never.regions == 0 and st.regions >= 5
    assert never == at_once
    # A later run installs every one of those regions as soon as its blocks are translated: nothing is formed
    # (no block even reaches the threshold), nothing compiled.
    again, st_again = formations("x86_64", "dhry", cache, install=True, preinstall=True)
    assert again == [] and (st_again.regions, st_again.compiled) == (st.regions, 0)
