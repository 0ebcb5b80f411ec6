"""Exit records: how a running CPU hands control back to the kernel.

Every way out of guest execution is one `Exit`. State is precise at an exit:
the thread's register array holds every register as of the instruction named
by the exit (the faulting instruction, or the one after a trap), so the
kernel can service the exit and resume.

Inside translated code an exit is raised as `GuestExit` (traps, breakpoints,
undefined instructions, arithmetic faults) or `MemFault` (a TLB miss the MMU
could not serve); the block wrapper writes the registers back and turns the
exception into an `Exit`.
"""

from __future__ import annotations

from dataclasses import dataclass

# Exit reasons (ARCHITECTURE.md §1).
EXIT_NONE = 0          # budget ran out at a block boundary (max-insns / quantum)
EXIT_TRAP = 1          # syscall / svc: code = trap number register is read by the kernel
EXIT_PAGE_FAULT = 2    # addr = faulting address, access = ACCESS_*
EXIT_BREAKPOINT = 3    # int3 / brk; code = brk immediate on aarch64
EXIT_UNDEFINED = 4     # code = instruction word (aarch64) or 0; insn_bytes set
EXIT_ARITH = 5         # x86 divide error
EXIT_HALT = 6          # machine halted (kernel request)
EXIT_QUANTUM = 7       # time quantum over at a block boundary
EXIT_INTERRUPT = 8     # pending interrupt at a block boundary
EXIT_YIELD = 9         # hlt / wfi / wfe / yield used as "let others run"
EXIT_GP = 10           # x86 general protection fault (code = error code)
EXIT_ALIGN = 11        # aarch64 alignment fault (addr set)

REASON_NAMES = {
    EXIT_NONE: "none", EXIT_TRAP: "trap", EXIT_PAGE_FAULT: "page-fault",
    EXIT_BREAKPOINT: "breakpoint", EXIT_UNDEFINED: "undefined", EXIT_ARITH: "arith",
    EXIT_HALT: "halt", EXIT_QUANTUM: "quantum", EXIT_INTERRUPT: "interrupt",
    EXIT_YIELD: "yield", EXIT_GP: "gp", EXIT_ALIGN: "align",
}

# Access kinds of a memory fault.
ACCESS_READ = 1
ACCESS_WRITE = 2
ACCESS_EXEC = 4


@dataclass(slots=True)
class Exit:
    """One exit from guest execution (all fields precise)."""

    reason: int
    pc: int = 0            # pc the thread resumes at (already stored in the register array)
    addr: int = 0          # faulting address for PAGE_FAULT / ALIGN
    access: int = 0        # ACCESS_* for PAGE_FAULT
    code: int = 0          # reason-specific code (brk immediate, gp error code, insn word)
    retired: int = 0       # guest instructions retired during this run call
    insn_bytes: bytes = b""  # raw bytes of the instruction, for UNDEFINED

    def describe(self) -> str:
        name = REASON_NAMES.get(self.reason, str(self.reason))
        return f"{name} pc={self.pc:#x} addr={self.addr:#x} code={self.code:#x}"


class GuestExit(Exception):
    """Raised by translated code for an exit that is not a memory fault.

    `after` says whether the reported pc is the next instruction (syscall,
    int3) or the instruction itself (brk, undefined, divide error).
    """

    __slots__ = ("after", "code", "reason")

    def __init__(self, reason: int, code: int = 0, after: bool = False):
        self.reason = reason
        self.code = code
        self.after = after


class MemFault(Exception):
    """Raised by the MMU when a guest access cannot be translated."""

    __slots__ = ("access", "addr", "reason")
    after = False          # a fault reports the faulting instruction itself

    def __init__(self, addr: int, access: int, reason: int = EXIT_PAGE_FAULT):
        self.addr = addr
        self.access = access
        self.reason = reason


def guest_exit(reason: int, code: int = 0, after: bool = False):
    """The `_exit(...)` helper translated code calls; never returns."""
    raise GuestExit(reason, code, after)
