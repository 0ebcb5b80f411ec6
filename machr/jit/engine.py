"""The execution engine: dispatch over translated units, in either tier.

`Engine.run(R, space, budget)` runs one thread (register array `R`) in the
address space the MMU currently has active until an exit, and returns the
`Exit`.  Tier 0 (`interp`) translates one instruction per unit; tier 1
(`jit`) one basic block per unit and chains blocks to their last successor.

Time is the retired-instruction count.  The budget (quantum end or
--max-insns) is only checked at *canonical* block boundaries — after a block
ender, before the first instruction on a new page, or after
MAX_BLOCK_INSNS — which both tiers compute the same way, so they make the
same scheduling decisions and produce the same output.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from machr.isa.base import Isa
from machr.jit.translator import MAX_BLOCK_INSNS, Block, compile_block, form_block
from machr.machine import exits
from machr.machine.exits import (
    ACCESS_EXEC,
    EXIT_PAGE_FAULT,
    EXIT_QUANTUM,
    EXIT_UNDEFINED,
    Exit,
    GuestExit,
    MemFault,
)
from machr.machine.mmu import Mmu


@dataclass
class EngineStats:
    units_translated: int = 0
    insns_translated: int = 0
    translate_seconds: float = 0.0
    dispatches: int = 0
    chain_hits: int = 0
    invalidations: int = 0


class Engine:
    """Runs guest code for one processor in one tier ("interp" or "jit")."""

    def __init__(self, isa: Isa, mmu: Mmu, tier: str = "jit"):
        if tier not in ("interp", "jit"):
            raise ValueError(f"unknown tier {tier!r}")
        self.isa = isa
        self.mmu = mmu
        self.tier = tier
        self.unit_insns = 1 if tier == "interp" else MAX_BLOCK_INSNS
        self.clock = 0                       # instructions retired on this processor, ever
        self.clock_base = 0                  # retired count at the entry of the running unit
        self.stats = EngineStats()
        self.trace = None        # callable(R, clock) at every canonical block boundary (lockstep checks)
        self.caches: dict[object, dict[int, Block]] = {}
        self.by_frame: dict[int, list[tuple[dict[int, Block], int]]] = {}
        mmu.on_code_write = self.invalidate_frame
        env = dict(isa.globals)
        env.update({k: getattr(exits, k) for k in dir(exits) if k.startswith("EXIT_")})
        env.update(mmu.accessors)
        env.update(_exit=exits.guest_exit, _clock=lambda: self.clock_base,
                   _GuestExit=GuestExit, _MemFault=MemFault)
        self.env = env

    # --- translation cache ---------------------------------------------------
    def translate(self, cache: dict[int, Block], pc: int) -> Block:
        t0 = time.perf_counter()
        mmu = self.mmu
        frames: list[int] = []

        def fetch(va: int, n: int) -> bytes:
            data = mmu.fetch(va, n)
            frame = mmu.frame_of(va)
            if frame not in frames:
                frames.append(frame)
            return data

        insns = form_block(self.isa, fetch, pc, self.unit_insns)
        blk = compile_block(self.isa, insns, tuple(frames), self.env, eliminate_flags=self.tier == "jit")
        cache[pc] = blk
        for f in frames:
            mmu.mark_code_frame(f)
            self.by_frame.setdefault(f, []).append((cache, pc))
        st = self.stats
        st.units_translated += 1
        st.insns_translated += len(insns)
        st.translate_seconds += time.perf_counter() - t0
        return blk

    def invalidate_frame(self, frame: int) -> None:
        """Code in `frame` was written: forget every translation made from it."""
        for cache, pc in self.by_frame.pop(frame, ()):
            blk = cache.pop(pc, None)
            if blk is not None:
                blk.valid = False
                self.stats.invalidations += 1

    def invalidate_space(self, space: object) -> None:
        """An address space went away or was remapped wholesale."""
        for blk in self.caches.pop(space, {}).values():
            blk.valid = False

    def invalidate_range(self, space: object, start: int, end: int) -> None:
        """Mappings of [start, end) changed in `space` (unmap, protect, remap)."""
        cache = self.caches.get(space)
        if not cache:
            return
        lo, hi = start & ~0xFFF, end
        for pc in [pc for pc in cache if lo <= pc < hi or lo <= (pc | 0xFFF) < hi]:
            cache.pop(pc).valid = False
            self.stats.invalidations += 1

    # --- running -------------------------------------------------------------
    def run(self, R, space: object, budget: int) -> Exit:
        """Run the thread whose registers are `R` until an exit or `budget` instructions.

        The caller has activated `space`'s page tables in the MMU.
        """
        cache = self.caches.get(space)
        if cache is None:
            cache = self.caches[space] = {}
        pcslot = self.isa.pc_slot
        retired = 0
        prev: Block | None = None
        pc = R[pcslot]
        interp = self.tier == "interp"
        in_block = 0
        start_page = pc >> 12
        st = self.stats
        trace = self.trace
        try:
            while True:
                if prev is not None and prev.succ_pc == pc and prev.succ.valid:
                    blk = prev.succ
                    st.chain_hits += 1
                else:
                    blk = cache.get(pc)
                    if blk is None:
                        try:
                            blk = self.translate(cache, pc)
                        except MemFault as e:
                            return Exit(EXIT_PAGE_FAULT, pc, e.addr, ACCESS_EXEC, 0, retired)
                    if prev is not None:
                        prev.succ_pc = pc
                        prev.succ = blk
                st.dispatches += 1
                self.clock_base = self.clock + retired
                r = blk.fn(R)
                if r is not None:
                    n, e = r
                    retired += n
                    return self._exit(R, blk, n, e, retired)
                retired += blk.ninsns
                pc = R[pcslot]
                prev = blk
                if interp:
                    in_block += 1
                    if not (blk.ends_block or in_block == MAX_BLOCK_INSNS or pc >> 12 != start_page):
                        continue
                    in_block = 0
                    start_page = pc >> 12
                if trace is not None:
                    trace(R, self.clock + retired)
                if retired >= budget:
                    return Exit(EXIT_QUANTUM, pc, retired=retired)
        finally:
            self.clock += retired

    def _exit(self, R, blk: Block, n: int, e: Exception, retired: int) -> Exit:
        pc = R[self.isa.pc_slot]
        if isinstance(e, MemFault):
            return Exit(e.reason, pc, e.addr, e.access, 0, retired)
        assert isinstance(e, GuestExit)
        raw = b""
        if e.reason == EXIT_UNDEFINED:
            insn = blk.insns[n]
            raw = insn.raw
        return Exit(e.reason, pc, 0, 0, e.code, retired, raw)
