"""A bare machine for engine tests: one code page, one data page, no kernel."""

from array import array

from machr.jit.engine import Engine
from machr.kernel.mach.vm_types import VM_PROT_ALL, VM_PROT_DEFAULT
from machr.kernel.vm.pmap import Pmap
from machr.kernel.vm.vm_page import VmPagePool
from machr.machine.memory import PhysicalMemory
from machr.machine.mmu import Mmu

CODE, DATA = 0x400000, 0x600000


def bare_engine(isa, code: bytes, regs: dict[str, int], tier: str, cache_dir=None):
    """An engine in `tier` with `code` mapped RWX at CODE and a data page at DATA; returns (engine, R, pmap)."""
    mem = PhysicalMemory(1 << 20)
    pool = VmPagePool(mem)
    mmu = Mmu(mem, isa.paging)
    pmap = Pmap(isa.paging, pool)
    for va, prot in ((CODE, VM_PROT_ALL), (DATA, VM_PROT_DEFAULT)):
        pmap.enter(va, pool.grab(), prot)
    mmu.activate(pmap.root)
    mmu.store(CODE, code)
    R = array("Q", bytes(8 * isa.nregs))
    isa.abi.init_user_thread(R, CODE, DATA + 0x800)
    for name, value in regs.items():
        exec(isa.state_vars[name].store.format(v="value"), {"R": R, "value": value})
    engine = Engine(isa, mmu, tier, background=False)
    if engine.tier2 is not None:
        engine.tier2.hot = 50
        if cache_dir is not None:
            engine.tier2.dir = cache_dir
    return engine, R, pmap
