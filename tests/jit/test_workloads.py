"""The bench workloads at test size: every tier prints the same checksum, in lockstep at every block boundary.

interp vs tier 1 and tier 1 vs tier 2 (numba regions, compiled in-process so
they are used from the moment they are hot).  States are compared by digest
at each canonical block boundary; the first difference names the clock and
both pcs.
"""

import hashlib
import io

import pytest

from machr.console.plain import PlainConsole
from machr.kernel.kern.startup import Kernel, load_elf_file
from tests.conftest import ARCHES, firmware

WORKLOADS = ("crc", "list", "dhry", "matmul", "sieve", "fp")
CHECKSUMS = {"crc": "0x000000000ff5adee", "list": "0xcf18e604d4f7f599", "dhry": "0xb1a05a3520860836",
             "matmul": "0xd355ec53d47a16fa", "sieve": "0x0000000086d384d8", "fp": "0x8c9281aea3ef59cc"}


def boundaries(arch, program, tier, flags="small", cache=None):
    """(states, status, output): one (clock, pc, digest of R) per canonical block boundary."""
    image = load_elf_file(str(firmware(arch, program)), 1 << 47, 16 << 20)
    out = io.BytesIO()
    kernel = Kernel(arch, 16 << 20, tier, PlainConsole(io.BytesIO(), out), log=lambda line: None)
    if kernel.engine.tier2 is not None:
        kernel.engine.tier2.background = False
        kernel.engine.tier2.dir = cache
    pc = kernel.isa.pc_slot
    states = []
    kernel.engine.trace = lambda R, clock: states.append((clock, R[pc], hashlib.blake2b(R, digest_size=8).digest()))
    kernel.boot(image, flags)
    status = kernel.run()
    assert kernel.errors == []
    return states, status, out.getvalue(), kernel


def assert_lockstep(a, b):
    assert a[1:3] == b[1:3]                          # same status, same output
    for k, (sa, sb) in enumerate(zip(a[0], b[0], strict=False)):
        if sa != sb:
            pytest.fail(f"boundary {k}: clock {sa[0]} vs {sb[0]}, pc {sa[1]:#x} vs {sb[1]:#x}")
    assert len(a[0]) == len(b[0])


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("workload", WORKLOADS)
def test_interp_and_tier1_in_lockstep(arch, workload):
    interp = boundaries(arch, workload, "interp")
    tier1 = boundaries(arch, workload, "tier1")
    assert f"{workload} checksum {CHECKSUMS[workload]}".encode() in interp[2]
    assert_lockstep(interp, tier1)


# dhry compiles a handful of regions (~20 s per architecture); both run, since each copies its records through
# its own 128-bit registers (movups xmm / ldp-stp q), which tier 2 splits into 64-bit halves.
@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("workload", WORKLOADS)
def test_tier1_and_tier2_in_lockstep(arch, workload, tmp_path_factory):
    pytest.importorskip("numba")
    cache = tmp_path_factory.getbasetemp() / "regions"
    tier1 = boundaries(arch, workload, "tier1")
    tier2 = boundaries(arch, workload, "jit", cache=cache)
    assert_lockstep(tier1, tier2)
    assert tier2[3].engine.tier2.stats.insns > len(tier2[0])    # most of the work ran in regions
