"""Code loaded after start (firmware/programs/codeload.c) in every tier.

The guest copies a leaf function into a vm_allocate'd page and calls it 20000
times per step: after loading it, after storing another function over it,
after unmapping the page and mapping a new one at the same address, and after
taking execute permission away (the call must fault, and runs once the
guest's exception handler gives it back).  Tier 2 compiles the regions in
process here, so they run from the moment they are hot; each step must form a
fresh region in the page and each change must drop the last one.
"""

import hashlib
import io

import pytest

from machr.console.plain import PlainConsole
from machr.kernel.kern.startup import Kernel, load_elf_file
from tests.conftest import ARCHES, boot, firmware
from tests.jit.test_workloads import assert_lockstep

SUM_F1 = sum(x + 1 for x in range(20000))
SUM_F2 = sum(3 * x + 7 for x in range(20000))
OUTPUT = (f"codeload: f1 loaded: sum {SUM_F1}, expected {SUM_F1}\n"
          f"codeload: f2 written over f1: sum {SUM_F2}, expected {SUM_F2}\n"
          f"codeload: page remapped, f1 loaded again: sum {SUM_F1}, expected {SUM_F1}\n"
          "codeload: no-execute page: exception 1, code 2, at the page\n"
          f"codeload: executable again, loop resumed: sum {SUM_F1}, expected {SUM_F1}\n"
          "codeload ok\n").encode()


@pytest.mark.parametrize("tier", ["interp", "tier1"])
def test_codeload_in_python_tiers(arch, tier):
    kernel, status, out, log = boot(arch, "codeload", tier)
    assert (status, out, log) == (0, OUTPUT, [])
    assert kernel.engine.stats.invalidations > 0


def run_with_regions(arch, tier, cache, traced):
    """Run codeload with tier 2 compiling in process; returns (states, status, output, kernel, installed, dropped).

    states: (clock, pc, digest of R) at each canonical block boundary if `traced` (tracing makes tier 2
    return at every boundary, so regions then never chain natively); installed / dropped: the block pcs
    of each region as it was installed / dropped.
    """
    image = load_elf_file(str(firmware(arch, "codeload")), 1 << 47, 16 << 20)
    out = io.BytesIO()
    kernel = Kernel(arch, 16 << 20, tier, PlainConsole(io.BytesIO(), out), log=lambda line: None)
    engine = kernel.engine
    pc = kernel.isa.pc_slot
    states, installed, dropped = [], [], []
    if traced:
        engine.trace = lambda R, clock: states.append((clock, R[pc], hashlib.blake2b(R, digest_size=8).digest()))
    t2 = engine.tier2
    if t2 is not None:
        t2.background, t2.dir = False, cache
        install, drop = t2._install, t2.drop

        def recording_install(path, region):
            install(path, region)
            if any(b.region is region for b in region.blocks.values()):
                installed.append(sorted(region.blocks))

        def recording_drop(region):
            dropped.append(sorted(region.blocks))
            drop(region)

        t2._install, t2.drop = recording_install, recording_drop
    kernel.boot(image)
    status = kernel.run()
    assert kernel.errors == []
    return states, status, out.getvalue(), kernel, installed, dropped


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.getbasetemp() / "regions"


@pytest.mark.parametrize("arch", ARCHES)
def test_codeload_tier2_regions_in_the_loaded_page(arch, cache):
    """Untraced, so the hot loop's region calls the page's region through the trampoline."""
    pytest.importorskip("numba")
    _, status, out, kernel, installed, dropped = run_with_regions(arch, "jit", cache, traced=False)
    assert (status, out) == (0, OUTPUT)
    image = load_elf_file(str(firmware(arch, "codeload")), 1 << 47, 16 << 20)

    def in_page(pcs):                      # the loaded page is the only code outside the ELF's segments
        return any(not any(s.vaddr <= p < s.vaddr + s.memsz for s in image.segments) for p in pcs)

    # One region per step (f1, f2, f1 remapped, f1 executable again), each dropped by the next change
    # (the store, the unmap, the protect, task termination).
    assert sum(map(in_page, installed)) >= 4
    assert sum(map(in_page, dropped)) >= 4
    st, t2 = kernel.engine.stats, kernel.engine.tier2.stats
    assert t2.regions > 0 and st.invalidations > 0
    assert t2.insns > kernel.engine.clock // 2         # most of the loops ran in regions
    assert t2.calls > 10 * t2.entries                  # and chained natively


@pytest.mark.parametrize("arch", ARCHES)
def test_codeload_tier1_and_tier2_in_lockstep(arch, cache):
    pytest.importorskip("numba")
    tier1 = run_with_regions(arch, "tier1", cache, traced=True)
    tier2 = run_with_regions(arch, "jit", cache, traced=True)
    assert tier2[1:3] == (0, OUTPUT)
    assert_lockstep(tier1[:3], tier2[:3])
