"""The MMU walks real page-table formats written by the kernel's pmap, and the TLB stays coherent."""

import pytest

from machr.isa.aarch64 import paging as arm_paging
from machr.isa.x86_64 import paging as x86_paging
from machr.kernel.mach.vm_types import VM_PROT_ALL, VM_PROT_DEFAULT, VM_PROT_READ
from machr.kernel.vm.pmap import Pmap
from machr.kernel.vm.vm_page import VmPagePool
from machr.machine.exits import ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, MemFault
from machr.machine.memory import PhysicalMemory
from machr.machine.mmu import Mmu

PAGINGS = [x86_paging, arm_paging]


def machine(paging):
    mem = PhysicalMemory(1 << 20)
    pool = VmPagePool(mem)
    mmu = Mmu(mem, paging)
    changes = []
    pmap = Pmap(paging, pool, on_change=lambda p, s, e: (changes.append((s, e)), mmu.flush()))
    mmu.activate(pmap.root)
    return mem, pool, mmu, pmap


@pytest.mark.parametrize("paging", PAGINGS)
def test_walk_translates_and_sets_accessed_dirty(paging):
    mem, pool, mmu, pmap = machine(paging)
    frame = pool.grab()
    va = 0x7FFF_1234_5000
    pmap.enter(va, frame, VM_PROT_DEFAULT)
    assert mmu.walk(pmap.root, va + 0x10, ACCESS_READ) == (frame << 12) + 0x10
    leaf_slot = pmap._leaf_slot(va, create=False)
    e = mem.m64[leaf_slot >> 3]
    assert paging.is_referenced(e) and not paging.is_dirty(e)
    mmu.walk(pmap.root, va, ACCESS_WRITE)
    assert paging.is_dirty(mem.m64[leaf_slot >> 3])


@pytest.mark.parametrize("paging", PAGINGS)
def test_permissions_fault_precisely(paging):
    _mem, pool, mmu, pmap = machine(paging)
    ro = pool.grab()
    pmap.enter(0x400000, ro, VM_PROT_READ)
    with pytest.raises(MemFault) as e:
        mmu.walk(pmap.root, 0x400008, ACCESS_WRITE)
    assert (e.value.addr, e.value.access) == (0x400008, ACCESS_WRITE)
    with pytest.raises(MemFault):
        mmu.walk(pmap.root, 0x400000, ACCESS_EXEC)
    with pytest.raises(MemFault):
        mmu.walk(pmap.root, 0x500000, ACCESS_READ)
    with pytest.raises(MemFault):
        mmu.walk(pmap.root, paging.VA_LIMIT, ACCESS_READ)
    pmap.enter(0x400000, ro, VM_PROT_ALL)
    assert mmu.walk(pmap.root, 0x400000, ACCESS_EXEC) == ro << 12


@pytest.mark.parametrize("paging", PAGINGS)
def test_accessors_cross_pages_and_fault_before_writing(paging):
    mem, pool, mmu, pmap = machine(paging)
    a, b = pool.grab(), pool.grab()
    pmap.enter(0x10000, a, VM_PROT_DEFAULT)
    pmap.enter(0x11000, b, VM_PROT_DEFAULT)
    acc = mmu.accessors
    acc["st64"](0x10FFC, 0x1122334455667788)            # straddles the two frames
    assert acc["ld64"](0x10FFC) == 0x1122334455667788
    assert acc["ld32"](0x11000) == 0x11223344
    assert mem.buf[(a << 12) + 0xFFC] == 0x88
    acc["st128"](0x10010, (1 << 127) | 5)
    assert acc["ld128"](0x10010) == (1 << 127) | 5
    with pytest.raises(MemFault) as e:
        acc["st64"](0x11FFC, 0xFFFFFFFFFFFFFFFF)         # second page unmapped
    assert e.value.addr == 0x12000
    assert acc["ld32"](0x11FFC) == 0                     # nothing written


@pytest.mark.parametrize("paging", PAGINGS)
def test_store_to_code_frame_notifies_once(paging):
    mem, pool, mmu, pmap = machine(paging)
    f = pool.grab()
    pmap.enter(0x20000, f, VM_PROT_ALL)
    acc = mmu.accessors
    acc["st8"](0x20000, 1)                               # fills the write tag
    seen = []
    mmu.on_code_write = seen.append
    mmu.mark_code_frame(f)
    acc["st8"](0x20001, 2)
    acc["st8"](0x20002, 3)
    assert seen == [f]
    assert bytes(mem.buf[(f << 12):(f << 12) + 3]) == b"\x01\x02\x03"


@pytest.mark.parametrize("paging", PAGINGS)
def test_remove_unmaps(paging):
    _mem, pool, mmu, pmap = machine(paging)
    f = pool.grab()
    pmap.enter(0x30000, f, VM_PROT_DEFAULT)
    assert mmu.accessors["ld8"](0x30000) == 0
    pmap.remove(0x30000, 0x31000)
    with pytest.raises(MemFault):
        mmu.accessors["ld8"](0x30000)
    assert pmap.extract(0x30000) is None


@pytest.mark.parametrize("paging", PAGINGS)
def test_tlb_maintenance_forgets_the_spans_regions_found(paging):
    """Spans of writes go when a frame becomes code; every span goes at an invalidation or a flush."""
    _mem, pool, mmu, pmap = machine(paging)
    for k, invalidate in enumerate((lambda: mmu.invalidate_page(0x50000), mmu.flush)):
        mmu.read_spans[8][5] = mmu.write_spans[64][5] = (1, 2, 3)
        mmu.mark_code_frame(pool.grab())
        assert mmu.read_spans[8] == {5: (1, 2, 3)} and mmu.write_spans[64] == {}, k
        invalidate()
        assert mmu.read_spans[8] == {}, k
