"""Kernel start-up and the processor's dispatch loop.

`Kernel` owns the simulated machine (physical memory, MMU, execution
engine) and the kernel's global objects (page pool, host, device server).
`boot` follows Mach's order: machine, VM, IPC, scheduler, host and device
ports, then the first task from the init ELF, set up as spec §10 says.
`run` is the dispatch loop: choose a thread, run its continuation if it has
one, run it on the CPU until an exit, service the exit (`user_trap`).
"""

from __future__ import annotations

import itertools
import sys

from machr.isa.base import Isa
from machr.jit.engine import Engine
from machr.kernel.ipc.ipc_port import (ipc_port_alloc_kernel, ipc_port_dealloc_kernel, ipc_port_make_send,
                                       ipc_port_release_send)
from machr.kernel.ipc.ipc_space import ipc_space_destroy, ipc_space_insert_send
from machr.kernel.kern.elf_loader import ElfError, ElfImage, elf_inspect, elf_load
from machr.kernel.kern.sched_prim import QUANTUM_INSNS, TH_HALTED, TH_RUN, Processor
from machr.kernel.kern.task import Task
from machr.kernel.kern.thread import Thread
from machr.kernel.kern.trap import user_trap
from machr.kernel.mach.kern_return import KERN_SUCCESS
from machr.kernel.vm.vm_page import VmPagePool
from machr.machine.memory import PhysicalMemory
from machr.machine.mmu import Mmu

STACK_SIZE = 8 << 20
KERNEL_VERSION = "machr 0.1.0 (Mach 3.0 personality in Python; {arch})"


def isa_for(arch: str) -> Isa:
    if arch == "x86_64":
        from machr.isa.x86_64 import ISA
    elif arch == "aarch64":
        from machr.isa.aarch64 import ISA
    else:
        raise ValueError(f"unsupported architecture {arch}")
    return ISA


class Kernel:
    """One booted machr kernel on one simulated machine."""

    def __init__(self, arch: str, mem_size: int = 64 << 20, tier: str = "jit", console=None,
                 max_insns: int | None = None, log=None):
        self.isa = isa_for(arch)
        self.arch = arch
        self.tier = tier
        self.mem = PhysicalMemory(mem_size)
        self.mmu = Mmu(self.mem, self.isa.paging)
        self.engine = Engine(self.isa, self.mmu, tier)
        self.processor = Processor(self.engine)
        self.pool = VmPagePool(self.mem)
        self.console = console
        self.max_insns = max_insns
        self._log = log or (lambda line: print(f"machr: {line}", file=sys.stderr, flush=True))
        self.tasks: list[Task] = []
        self.task_ids = itertools.count(1)
        self.thread_ids = itertools.count(1)
        self.init_task: Task | None = None
        self.halt_status: int | None = None
        self.errors: list[str] = []          # tracebacks of kernel errors (each killed its task)
        self.halt_reason = ""
        self.yield_requested = False
        self.version = KERNEL_VERSION.format(arch=arch)
        self._ipc_startup()

    def _ipc_startup(self) -> None:
        """Kernel ports and the MIG servers behind them (importing a server registers its routines)."""
        import machr.kernel.ipc.mach_port
        import machr.kernel.kern.task_server
        import machr.kernel.vm.vm_user  # noqa: F401
        from machr.kernel.device.ds_routines import DeviceServer
        from machr.kernel.kern.host import Host

        self.host = Host(self)
        self.devices = DeviceServer(self)

    def log(self, line: str) -> None:
        """A kernel message (stderr), after the guest's pending console output."""
        if self.console is not None:
            self.console.flush()
        self._log(line)

    # --- objects --------------------------------------------------------------
    def task_create(self, name: str) -> Task:
        task = Task(self, name)
        task.port = ipc_port_alloc_kernel(task, "task")
        self.tasks.append(task)
        return task

    def thread_create(self, task: Task) -> Thread:
        thread = Thread(task)
        thread.port = ipc_port_alloc_kernel(thread, "thread")
        task.threads.append(thread)
        return thread

    def send_right_name(self, task: Task, port) -> int:
        """Give `task` a send right to kernel port `port` (+1 uref); its name (0 on failure)."""
        return ipc_space_insert_send(task.space, ipc_port_make_send(port))

    def pmap_changed(self, pmap, start: int, end: int) -> None:
        """TLB and translation-cache maintenance after a pmap change (pmap's hook)."""
        if pmap.root == self.mmu.root:
            if end - start > 64 * 4096:
                self.mmu.flush()
            else:
                for va in range(start & ~0xFFF, end, 4096):
                    self.mmu.invalidate_page(va)
        self.engine.invalidate_range(pmap, start, end)

    # --- boot -----------------------------------------------------------------
    def boot(self, image: ElfImage, flags: str = "", root_name: str = "none") -> Task:
        """Create the first task from `image` exactly as spec §10 says."""
        from machr.kernel.kern.bootstrap import bootstrap_task_setup

        if image.arch != self.arch:
            raise ElfError(f"ELF is {image.arch}, kernel is {self.arch}")
        task = self.task_create("init")
        kr = elf_load(task, image)
        if kr != KERN_SUCCESS:
            raise ElfError(f"cannot map segments (kern_return {kr})")
        thread = self.thread_create(task)
        bootstrap_task_setup(self, task, thread, image, ["init", f"-{flags}"], root_name)
        self.init_task = task
        self.processor.setrun(thread)
        return task

    # --- death ----------------------------------------------------------------
    def task_terminate(self, task: Task, why: str = "") -> None:
        """Stop every thread of `task`, release its rights and memory (task_terminate)."""
        if not task.active:
            return
        task.active = False
        task.exit_status = why or "terminated"
        for thread in task.threads:
            thread.state = TH_HALTED
            thread.continuation = None
            hook, thread.abort_hook = thread.abort_hook, None
            if hook is not None:
                hook()
        ipc_space_destroy(task.space)
        for holder in (task, *task.threads):
            _release_port_tables(holder)
        for thread in task.threads:
            if thread.port.active:                 # not already gone with thread_terminate
                ipc_port_dealloc_kernel(thread.port)
        ipc_port_dealloc_kernel(task.port)         # holders' rights become dead names
        self.engine.invalidate_space(task.map.pmap)
        if self.mmu.root == task.map.pmap.root:
            self.mmu.activate(-1)
        task.map.destroy()
        if task in self.tasks:
            self.tasks.remove(task)
        if task is self.init_task and self.halt_status is None:
            self.halt(0 if why in ("", "terminated") else 1, f"init ended ({task.exit_status})")

    def thread_terminate(self, thread) -> None:
        """Stop one thread; the last thread of a task takes the task with it (CMU)."""
        if thread.state == TH_HALTED:
            return
        if all(t.state == TH_HALTED or t is thread for t in thread.task.threads):
            self.task_terminate(thread.task)
            return
        thread.state = TH_HALTED
        thread.continuation = None
        hook, thread.abort_hook = thread.abort_hook, None
        if hook is not None:
            hook()
        _release_port_tables(thread)
        ipc_port_dealloc_kernel(thread.port)

    def halt(self, status: int, reason: str) -> None:
        if self.halt_status is None:
            self.halt_status = status
            self.halt_reason = reason

    # --- the dispatch loop ---------------------------------------------------
    def run(self) -> int:
        """Run until the machine halts; returns the exit status for the CLI."""
        proc = self.processor
        engine = self.engine
        while self.halt_status is None:
            proc.fire_timers()
            thread = proc.choose()
            if thread is None:
                if self.devices.idle_poll() or proc.idle_until_timer():
                    continue
                self.halt(1, "every thread is blocked and nothing can wake one")
                break
            if thread.continuation is not None:
                cont, thread.continuation = thread.continuation, None
                self._kernel_call(thread, cont, thread)
                if thread.state != TH_RUN or self.halt_status is not None:
                    continue
            self.mmu.activate(thread.task.map.pmap.root)
            budget = thread.quantum_left
            if self.max_insns is not None:
                left = self.max_insns - engine.clock
                if left <= 0:
                    self.halt(3, f"instruction limit ({self.max_insns}) reached")
                    break
                budget = min(budget, left)
            ex = engine.run(thread.R, thread.task.map.pmap, budget)
            thread.quantum_left -= ex.retired
            self.yield_requested = False
            yield_cpu = self._kernel_call(thread, user_trap, thread, ex)
            if thread.state == TH_RUN and not thread.on_runq:
                if yield_cpu or self.yield_requested or thread.quantum_left <= 0:
                    thread.quantum_left = QUANTUM_INSNS
                    self.console.flush()
                    proc.setrun(thread)
                else:
                    proc.setrun(thread)
                    proc.runq.rotate(1)          # keep the CPU: back to the head of the queue
        self.console.flush()
        return self.halt_status


    def _kernel_call(self, thread, fn, *args):
        """Run kernel code on behalf of `thread`; a kernel bug kills that task, never the host process.

        The error is logged in one line and kept in `self.errors` (tests
        assert it stays empty).
        """
        try:
            return fn(*args)
        except Exception as e:                  # noqa: BLE001 - the last line of defence
            import traceback

            self.errors.append(traceback.format_exc())
            self.log(f"kernel error serving task {thread.task.task_id} ({thread.task.name}): "
                     f"{type(e).__name__}: {e}; task terminated")
            self.task_terminate(thread.task, "kernel error")
            return False


def _release_port_tables(holder) -> None:
    """Release the send rights a task or thread holds in its special and exception port tables."""
    for port in holder.special_ports.values():
        ipc_port_release_send(port)
    for port, _, _ in holder.exception_ports.values():
        ipc_port_release_send(port)
    holder.special_ports = {}
    holder.exception_ports = {}


def load_elf_file(path: str, va_limit: int, mem_limit: int) -> ElfImage:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ElfError(f"cannot read: {e.strerror}") from None
    return elf_inspect(data, va_limit, mem_limit)
