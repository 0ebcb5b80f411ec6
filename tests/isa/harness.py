"""Run one instruction's semantics over a flat, sparse memory, without a machine.

Used by the per-ISA differential tests (against Unicorn): it executes exactly
the statements `Isa.translate` returns — the same text every tier runs — with
the state variables held in a namespace dict and memory as a dict of pages.
"""

from __future__ import annotations

from machr.isa.base import Insn, Isa
from machr.machine import exits
from machr.machine.exits import ACCESS_READ, ACCESS_WRITE, GuestExit, MemFault

PAGE = 4096


class FlatMemory:
    """Sparse little-endian memory; unmapped pages fault like the MMU would."""

    def __init__(self):
        self.pages: dict[int, bytearray] = {}
        self.writes: list[tuple[int, int, int]] = []   # (addr, size_bytes, value)

    def map(self, addr: int, data: bytes | int):
        """Map pages covering [addr, addr+len) (or `data` bytes of zeros) and fill them."""
        if isinstance(data, int):
            data = bytes(data)
        for p in range(addr // PAGE, (addr + max(len(data), 1) - 1) // PAGE + 1):
            self.pages.setdefault(p, bytearray(PAGE))
        self.write_bytes(addr, data)

    def write_bytes(self, addr: int, data: bytes):
        for i, b in enumerate(data):
            self.pages[(addr + i) // PAGE][(addr + i) % PAGE] = b

    def read_bytes(self, addr: int, n: int, access: int = ACCESS_READ) -> bytes:
        out = bytearray()
        for i in range(n):
            a = (addr + i) & 0xFFFFFFFFFFFFFFFF
            page = self.pages.get(a // PAGE)
            if page is None:
                raise MemFault(a, access)
            out.append(page[a % PAGE])
        return bytes(out)

    def helpers(self) -> dict:
        """ld8..ld128 / st8..st128 as translated code expects them."""
        h = {}
        for bits in (8, 16, 32, 64, 128):
            n = bits // 8

            def ld(a, n=n):
                return int.from_bytes(self.read_bytes(a, n), "little")

            def st(a, v, n=n):
                self.read_bytes(a, n, ACCESS_WRITE)          # fault before any byte changes
                if not 0 <= v < 1 << (8 * n):
                    raise ValueError(f"st{8 * n}: value {v:#x} not masked")
                self.write_bytes(a, v.to_bytes(n, "little"))
                self.writes.append((a, n, v))

            h[f"ld{bits}"] = ld
            h[f"st{bits}"] = st
        return h


def run_insn(isa: Isa, insn: Insn, state: dict[str, int], mem: FlatMemory, clock: int = 0):
    """Execute one instruction's statements.

    Returns (new_state, next_pc, exit) where exit is None, a GuestExit or a
    MemFault; on an exit the state is as the instruction left it (for a
    MemFault, unchanged — the rule of `machr.isa.base`).
    """
    ns = dict(isa.globals)
    ns.update({k: getattr(exits, k) for k in dir(exits) if k.startswith("EXIT_")})
    ns.update(mem.helpers())
    ns["_exit"] = exits.guest_exit
    ns["_clock"] = lambda: clock
    ns["_n"] = 0
    for name in isa.state_vars:
        ns[name] = state.get(name, 0)
    ns["_npc"] = insn.pc + insn.length
    code = "\n".join(isa.translate(insn))
    exit_ = None
    try:
        exec(compile(code, f"<{insn.mnemonic}>", "exec"), ns)
    except (GuestExit, MemFault) as e:
        exit_ = e
    new_state = {name: ns[name] for name in isa.state_vars}
    for name, v in new_state.items():
        if not isinstance(v, int) or v < 0:
            raise AssertionError(f"{insn}: state var {name} = {v!r} is not an unsigned int")
    return new_state, ns["_npc"], exit_
