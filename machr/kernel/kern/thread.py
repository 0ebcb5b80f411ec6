"""Threads: a register array, a run state, and a kernel port.

The register array `R` (an `array('Q')` in the ISA's layout, with a numpy
view for bulk access) *is* the thread's machine state: the execution engine
runs on it directly, and thread_get_state / DDB read it through the ISA's
abi module.  Nothing is copied at a context switch.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable

from machr.kernel.kern.sched_prim import QUANTUM_INSNS, TH_HALTED, TH_STOPPED, TH_WAIT


class Thread:
    """A Mach thread of `task`."""

    def __init__(self, task):
        self.task = task
        self.kernel = task.kernel
        self.thread_id = next(self.kernel.thread_ids)
        self.R = array("Q", bytes(8 * self.kernel.isa.nregs))
        self.state = TH_STOPPED
        self.suspend_count = 0
        self.on_runq = False
        self.quantum_left = QUANTUM_INSNS
        self.continuation: Callable | None = None
        self.abort_hook: Callable | None = None   # set while blocked; thread_abort calls it
        self.ipc = None                           # IPC wait state (machr.kernel.ipc)
        self.exception_ports: dict[int, tuple] = {}
        self.port = None                          # kernel port (kobject = self)
        self.special_ports: dict[int, object] = {}

    def __repr__(self) -> str:
        return f"<thread {self.thread_id} of task {self.task.task_id}>"

    def set_trap_result(self, kr: int) -> None:
        """Write a trap's 32-bit result into the return register (spec §2.1)."""
        self.kernel.isa.abi.set_trap_result(self.R, kr)

    @property
    def pc(self) -> int:
        return self.kernel.isa.abi.get_pc(self.R)

    @property
    def waiting(self) -> bool:
        return self.state == TH_WAIT

    @property
    def halted(self) -> bool:
        return self.state == TH_HALTED
