"""The source generated for a block also compiles and runs under numba.njit, with the Python tier's result.

Blocks are taken from the firmware as the JIT formed them; every block that
is pure register/flag computation is compiled with numba and run from
seeded random states, and must leave exactly the state the tier-1 function
leaves.  (Blocks with memory access or exits need the numba tier's region
wrapper and are not part of this check.)
"""

import io
import random
from array import array

import numpy as np
import pytest

from machr.console.plain import PlainConsole
from machr.jit.translator import compile_block, numba_block_source
from machr.kernel.kern.startup import Kernel, load_elf_file
from tests.conftest import ARCHES, firmware

numba = pytest.importorskip("numba")


def register_only_blocks(arch):
    image = load_elf_file(str(firmware(arch, "spin")), 1 << 47, 16 << 20)
    kernel = Kernel(arch, 16 << 20, "jit", PlainConsole(io.BytesIO(), io.BytesIO()), max_insns=300_000,
                    log=lambda line: None)
    kernel.boot(image)
    kernel.run()
    out = []
    for cache in kernel.engine.caches.values():
        for blk in sorted(cache.values(), key=lambda b: b.pc):
            try:
                out.append((blk, numba_block_source(kernel.isa, blk.insns)))
            except ValueError:
                continue
    return kernel, out


@pytest.mark.parametrize("arch", ARCHES)
def test_blocks_compile_and_agree_under_numba(arch):
    kernel, blocks = register_only_blocks(arch)
    isa = kernel.isa
    assert len(blocks) >= 3
    rng = random.Random(7)
    for blk, src in blocks:
        env = dict(isa.globals, _U=np.uint64)
        ns: dict = {}
        exec(compile(src, "<numba block>", "exec"), env, ns)
        jitted = numba.njit(ns["_blk"])
        python = compile_block(isa, blk.insns, (), dict(kernel.engine.env)).fn
        for _ in range(3):
            words = [rng.getrandbits(64) for _ in range(isa.nregs)]
            for flag in isa.flag_vars:
                exec(isa.state_vars[flag].store.format(v="b"), {"R": words, "b": rng.getrandbits(1)})
            r_py = array("Q", words)
            r_nb = np.array(words, dtype=np.uint64)
            assert python(r_py) is None
            npc = jitted(r_nb)
            assert int(npc) == r_py[isa.pc_slot], [str(i) for i in blk.insns]
            r_nb[isa.pc_slot] = npc
            assert [int(x) for x in r_nb] == list(r_py), [str(i) for i in blk.insns]
