"""vm_map, vm_fault and the page pool: the spec §7 VM rules on real page tables."""

import pytest

from machr.isa.x86_64 import paging
from machr.kernel.mach.kern_return import (KERN_INVALID_ADDRESS, KERN_NO_SPACE, KERN_PROTECTION_FAILURE,
                                           KERN_RESOURCE_SHORTAGE, KERN_SUCCESS)
from machr.kernel.mach.vm_types import (VM_INHERIT_COPY, VM_INHERIT_NONE, VM_INHERIT_SHARE, VM_PROT_ALL,
                                        VM_PROT_DEFAULT, VM_PROT_READ)
from machr.kernel.vm.pmap import Pmap
from machr.kernel.vm.vm_fault import vm_fault
from machr.kernel.vm.vm_map import VmMap
from machr.kernel.vm.vm_page import VmPagePool
from machr.machine.exits import ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE
from machr.machine.memory import PhysicalMemory

PAGE = 4096


@pytest.fixture
def pool():
    return VmPagePool(PhysicalMemory(1 << 20))


def new_map(pool):
    return VmMap(Pmap(paging, pool), 0x1000, paging.VA_LIMIT)


def test_allocate_anywhere_fixed_and_busy(pool):
    m = new_map(pool)
    assert m.enter(0, 3 * PAGE, anywhere=True) == (KERN_SUCCESS, 0x1000)
    assert m.enter(0, 100, anywhere=True) == (KERN_SUCCESS, 0x4000)          # rounded to a page
    assert m.enter(0x2000, PAGE, anywhere=False) == (KERN_NO_SPACE, 0)
    assert m.enter(0x10000, PAGE, anywhere=False) == (KERN_SUCCESS, 0x10000)
    assert m.enter(0x5000, PAGE, anywhere=True)[1] == 0x5000                 # hint honoured when free


def test_deallocate_clips_and_tolerates_holes(pool):
    m = new_map(pool)
    m.enter(0x10000, 4 * PAGE, anywhere=False)
    assert m.remove(0x11000, 0x12000) == KERN_SUCCESS
    assert [(e.start, e.end) for e in m.entries] == [(0x10000, 0x11000), (0x12000, 0x14000)]
    assert m.remove(0x0, 0x100000) == KERN_SUCCESS and m.entries == []


def test_demand_zero_fault_and_frames_returned(pool):
    m = new_map(pool)
    free = pool.free_count
    m.enter(0x10000, 2 * PAGE, anywhere=False)
    assert pool.free_count == free                       # nothing resident until touched
    assert vm_fault(m, 0x10008, ACCESS_WRITE) == KERN_SUCCESS
    frame = m.pmap.extract(0x10000)
    assert frame is not None and pool.mem.buf[frame * PAGE:(frame + 1) * PAGE] == bytes(PAGE)
    assert vm_fault(m, 0x30000, ACCESS_READ) == KERN_INVALID_ADDRESS
    assert vm_fault(m, 0x10000, ACCESS_EXEC) == KERN_PROTECTION_FAILURE
    m.remove(0x10000, 0x12000)
    assert m.pmap.extract(0x10000) is None
    assert pool.free_count == free - len(m.pmap.table_frames) + 1            # the data frame came back


def test_protect_rules(pool):
    m = new_map(pool)
    m.enter(0x10000, 2 * PAGE, anywhere=False, max_protection=VM_PROT_DEFAULT)
    assert m.protect(0x10000, 0x12000, False, VM_PROT_ALL) == KERN_PROTECTION_FAILURE
    assert m.protect(0x10000, 0x13000, False, VM_PROT_READ) == KERN_INVALID_ADDRESS    # hole at 0x12000
    assert m.protect(0x11000, 0x12000, False, VM_PROT_READ) == KERN_SUCCESS
    assert vm_fault(m, 0x11000, ACCESS_WRITE) == KERN_PROTECTION_FAILURE
    assert vm_fault(m, 0x10000, ACCESS_WRITE) == KERN_SUCCESS
    assert m.protect(0x10000, 0x11000, True, VM_PROT_READ) == KERN_SUCCESS             # set_max clips current
    assert m.lookup(0x10000).protection == VM_PROT_READ and m.lookup(0x10000).max_protection == VM_PROT_READ


def test_fork_by_inheritance(pool):
    parent = new_map(pool)
    for addr, inherit in ((0x10000, VM_INHERIT_COPY), (0x20000, VM_INHERIT_SHARE), (0x30000, VM_INHERIT_NONE)):
        parent.enter(addr, PAGE, anywhere=False, inheritance=inherit)
        vm_fault(parent, addr, ACCESS_WRITE)
        pool.mem.buf[parent.pmap.extract(addr) * PAGE] = 0x5A
    child = new_map(pool)
    assert child.fork_from(parent)
    assert [e.start for e in child.entries] == [0x10000, 0x20000]
    vm_fault(child, 0x10000, ACCESS_READ)
    vm_fault(child, 0x20000, ACCESS_READ)
    assert child.pmap.extract(0x10000) != parent.pmap.extract(0x10000)      # a copy
    assert pool.mem.buf[child.pmap.extract(0x10000) * PAGE] == 0x5A
    assert child.pmap.extract(0x20000) == parent.pmap.extract(0x20000)      # shared


def test_exhaustion_is_a_code_not_a_crash():
    pool = VmPagePool(PhysicalMemory(64 * PAGE))
    m = new_map(pool)
    m.enter(0x10000, 200 * PAGE, anywhere=False)
    results = {vm_fault(m, 0x10000 + i * PAGE, ACCESS_WRITE) for i in range(200)}
    assert results == {KERN_SUCCESS, KERN_RESOURCE_SHORTAGE}
    m.enter(0x40000000, PAGE, anywhere=False)                     # needs a new page table: none left
    assert vm_fault(m, 0x40000000, ACCESS_WRITE) == KERN_RESOURCE_SHORTAGE
