"""What the kernel does with each exit of the CPU (Mach's `user_trap`)."""

from __future__ import annotations

from machr.kernel.kern.exception import exception_triage
from machr.kernel.kern.syscall_sw import syscall_dispatch
from machr.kernel.mach.exception_types import EXC_BAD_ACCESS
from machr.kernel.mach.kern_return import KERN_SUCCESS
from machr.kernel.vm.vm_fault import vm_fault
from machr.machine.exits import EXIT_PAGE_FAULT, EXIT_QUANTUM, EXIT_TRAP, EXIT_YIELD, Exit


def user_trap(thread, ex: Exit) -> bool:
    """Service exit `ex` of `thread`.  Returns True when the thread should yield the CPU."""
    reason = ex.reason
    if reason == EXIT_TRAP:
        syscall_dispatch(thread)
        return False
    if reason == EXIT_PAGE_FAULT:
        kr = vm_fault(thread.task.map, ex.addr, ex.access)
        if kr != KERN_SUCCESS:
            exception_triage(thread, EXC_BAD_ACCESS, kr, ex.addr)
        return False
    if reason in (EXIT_QUANTUM, EXIT_YIELD):
        return True
    exc, code, subcode = thread.kernel.isa.abi.exception_from_exit(ex)
    exception_triage(thread, exc, code, subcode)
    return False
