"""Fakes for the interfaces machr.kernel.ipc relies on: tasks, threads and the scheduler."""

from __future__ import annotations

import heapq
import struct
from collections.abc import Callable

import pytest

from machr.kernel.ipc import ipc_mqueue, mach_msg
from machr.kernel.ipc.ipc_space import IpcSpace
from machr.kernel.kern.copy import CopyError

MEM_SIZE = 1 << 20
HEAP_BASE = 0x80000  # vm_allocate_anywhere hands out pages from here up


class FakeTask:
    """A task with a flat 1 MiB address space; addresses outside it fault."""

    def __init__(self, task_id: int, max_entries: int | None = None):
        self.task_id = task_id
        self.mem = bytearray(MEM_SIZE)
        self.space = IpcSpace(self) if max_entries is None else IpcSpace(self, max_entries)
        self.next_page = HEAP_BASE
        self.allocations: dict[int, int] = {}
        self.deallocated: list[tuple[int, int]] = []
        self.vm_full = False

    def copyin(self, addr: int, n: int) -> bytes:
        if addr < 0 or addr + n > MEM_SIZE:
            raise CopyError(addr, False)
        return bytes(self.mem[addr:addr + n])

    def copyout(self, addr: int, data: bytes) -> None:
        if addr < 0 or addr + len(data) > MEM_SIZE:
            raise CopyError(addr, True)
        self.mem[addr:addr + len(data)] = data

    def vm_allocate_anywhere(self, size: int) -> int | None:
        if self.vm_full or self.next_page + size > MEM_SIZE:
            return None
        addr = self.next_page
        self.next_page += size
        self.allocations[addr] = size
        return addr

    def vm_deallocate(self, addr: int, size: int) -> None:
        self.deallocated.append((addr, size))


class FakeThread:
    def __init__(self, task: FakeTask):
        self.task = task
        self.ipc = None
        self.abort_hook: Callable | None = None
        self.continuation: Callable | None = None
        self.results: list[int] = []

    def set_trap_result(self, kr: int) -> None:
        self.results.append(kr)

    def abort(self) -> None:
        if self.abort_hook is not None:
            self.abort_hook()


class FakeSched:
    """thread_block/thread_go/timers over a virtual millisecond clock."""

    def __init__(self):
        self.now = 0
        self.runnable: list[FakeThread] = []
        self.timers: list = []
        self.seq = 0

    def thread_block(self, thread: FakeThread, continuation: Callable) -> None:
        thread.continuation = continuation

    def thread_go(self, thread: FakeThread) -> None:
        thread.abort_hook = None
        self.runnable.append(thread)

    def clock_ms(self) -> int:
        return self.now

    def timer_enter(self, deadline: int, fn: Callable) -> list:
        handle = [deadline, self.seq, fn]
        self.seq += 1
        heapq.heappush(self.timers, handle)
        return handle

    def timer_cancel(self, handle: list) -> None:
        handle[2] = None

    def run(self) -> None:
        """Run continuations until nobody is runnable."""
        while self.runnable:
            thread = self.runnable.pop(0)
            cont, thread.continuation = thread.continuation, None
            cont(thread)

    def advance(self, ms: int) -> None:
        self.now += ms
        while self.timers and self.timers[0][0] <= self.now:
            _, _, fn = heapq.heappop(self.timers)
            if fn is not None:
                fn()
        self.run()


@pytest.fixture
def sched(monkeypatch) -> FakeSched:
    fake = FakeSched()
    monkeypatch.setattr(ipc_mqueue, "sched", lambda: fake)
    monkeypatch.setattr(mach_msg, "sched", lambda: fake)
    return fake


@pytest.fixture
def task_a() -> FakeTask:
    return FakeTask(1)


@pytest.fixture
def task_b() -> FakeTask:
    return FakeTask(2)


def header(bits: int, size: int, remote: int, local: int, msgid: int, voucher: int = 0) -> bytes:
    return struct.pack("<IIIIIi", bits, size, remote, local, voucher, msgid)


def port_desc(name: int, disposition: int) -> bytes:
    return struct.pack("<IIHBB", name, 0, 0, disposition, 0)


def ool_desc(addr: int, size: int, dealloc: int = 0, copy: int = 1) -> bytes:
    return struct.pack("<QBBBBI", addr, dealloc, copy, 0, 1, size)


def ool_ports_desc(addr: int, count: int, disposition: int, dealloc: int = 0) -> bytes:
    return struct.pack("<QBBBBI", addr, dealloc, 0, disposition, 2, count)
