"""The execution engine: dispatch over translated units, in either tier.

`Engine.run(R, space, budget)` runs one thread (register array `R`) in the
address space the MMU currently has active until an exit, and returns the
`Exit`.  Tier 0 (`interp`) translates one instruction per unit; tier 1
(`tier1`) one basic block per unit and chains blocks to their last
successor; `jit` is tier 1 plus tier 2 (`machr.jit.tier2`): blocks that get
hot are grouped into numba-compiled regions, which the dispatcher enters
instead of the block.  A region returns at a block boundary, or in the
middle of a block when an instruction needs the Python tiers (TLB miss,
fault, code-page store); the engine then runs the rest of that block one
instruction at a time, so faults stay precise and every tier stops at the
same block boundaries.

Time is the retired-instruction count.  The budget (quantum end or
--max-insns) is only checked at *canonical* block boundaries — after a block
ender, before the first instruction on a new page, or after
MAX_BLOCK_INSNS — which both tiers compute the same way, so they make the
same scheduling decisions and produce the same output.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from machr.isa.base import DecodeError, Insn, Isa
from machr.jit.pyregion import PYHOT, PyRegion, choose_blocks, compile_region
from machr.jit.region import SLOW, X_BLOCK, X_INDEX
from machr.jit.tier2 import T2_CLAIMED, Tier2, numba_available
from machr.jit.translator import MAX_BLOCK_INSNS, Block, compile_block, compile_unit, decode_at, form_block
from machr.machine import exits
from machr.machine.exits import (
    ACCESS_EXEC,
    EXIT_BREAKPOINT,
    EXIT_PAGE_FAULT,
    EXIT_QUANTUM,
    EXIT_UNDEFINED,
    Exit,
    GuestExit,
    MemFault,
)
from machr.machine.mmu import Mmu

TIERS = ("interp", "tier1", "jit")
LAST = MAX_BLOCK_INSNS - 1       # the interpreter's count within a block before its last possible instruction


@dataclass
class EngineStats:
    units_translated: int = 0
    insns_translated: int = 0
    translate_seconds: float = 0.0
    dispatches: int = 0
    chain_hits: int = 0
    invalidations: int = 0
    slow_paths: int = 0          # tier-2 exits finished by the Python tiers
    run_seconds: float = 0.0     # wall time inside Engine.run
    pyregions: int = 0           # Python regions compiled (machr.jit.pyregion)
    pyregion_blocks: int = 0
    pyregion_seconds: float = 0.0
    pyregion_entries: int = 0
    pyregion_insns: int = 0


class Engine:
    """Runs guest code for one processor in one tier ("interp" or "jit")."""

    def __init__(self, isa: Isa, mmu: Mmu, tier: str = "jit", background: bool = True):
        if tier not in TIERS:
            raise ValueError(f"unknown tier {tier!r}")
        self.isa = isa
        self.mmu = mmu
        self.tier = tier
        self.tier2 = Tier2(isa, mmu, background) if tier == "jit" and numba_available() else None
        self.breakpoints: dict[object, set[int]] = {}
        self.unit_insns = 1 if tier == "interp" else MAX_BLOCK_INSNS
        self.clock = 0                       # instructions retired on this processor, ever
        self.clock_base = 0                  # retired count at the entry of the running unit
        self.stats = EngineStats()
        self.trace = None        # callable(R, clock) at every canonical block boundary (lockstep checks)
        self.caches: dict[object, dict[int, Block]] = {}
        self.by_frame: dict[int, list[tuple[dict[int, Block], int]]] = {}
        self.pyregions: list[PyRegion] = []
        self._fast: dict[int, tuple[dict, dict]] = {}     # interpreter: id(cache) -> (cache, pc -> plain unit)
        self._t2_installs = 0                # tier-2 installs seen (Python regions over their blocks are dropped)
        mmu.on_code_write = self.invalidate_frame
        env = dict(isa.globals)
        env.update({k: getattr(exits, k) for k in dir(exits) if k.startswith("EXIT_")})
        env.update(mmu.accessors)
        env.update(mmu.inline_env)          # the TLB hit path Python regions inline
        env.update(_exit=exits.guest_exit, _clock=lambda: self.clock_base,
                   _GuestExit=GuestExit, _MemFault=MemFault)
        self.env = env

    # --- translation cache ---------------------------------------------------
    def translate(self, cache: dict[int, Block], pc: int, space: object = None) -> Block:
        t0 = time.perf_counter()
        mmu = self.mmu
        frames: list[int] = []

        def fetch(va: int, n: int) -> bytes:
            data, frame = mmu.fetch_frame(va, n)
            if frame not in frames:
                frames.append(frame)
            return data

        insns = form_block(self.isa, fetch, pc, self.unit_insns, self.breakpoints.get(space, ()))
        if self.tier == "interp":
            blk = compile_unit(self.isa, insns[0], tuple(frames), self.env, self._after(insns[0], fetch))
        else:
            blk = compile_block(self.isa, insns, tuple(frames), self.env)
        end = insns[-1].pc + insns[-1].length
        # form_block also stops early when the next instruction's bytes on the following page cannot be
        # fetched yet; that end is no canonical boundary (the fault is taken when the next block forms).
        blk.boundary = (blk.ends_block or len(insns) == self.unit_insns or end >> 12 != pc >> 12
                        or end in self.breakpoints.get(space, ()))
        cache[pc] = blk
        for f in frames:
            mmu.mark_code_frame(f)
            self.by_frame.setdefault(f, []).append((cache, pc))
        st = self.stats
        st.units_translated += 1
        st.insns_translated += len(insns)
        st.translate_seconds += time.perf_counter() - t0
        if self.tier2 is not None:
            self.tier2.translated(cache, blk)
            self._tier2_claims()
        return blk

    def _after(self, insn: Insn, fetch: Callable[[int, int], bytes]) -> Insn | None:
        """The instruction after `insn` on its page (the interpreter's lazy units), or None (a branch, another page)."""
        nxt = insn.pc + insn.length
        if insn.ends_block or nxt >> 12 != insn.pc >> 12:
            return None
        try:
            return decode_at(self.isa, fetch, nxt)
        except (MemFault, DecodeError):
            return None

    def invalidate_frame(self, frame: int) -> None:
        """Code in `frame` was written: forget every translation made from it."""
        for cache, pc in self.by_frame.pop(frame, ()):
            blk = cache.pop(pc, None)
            if blk is not None:
                self._forget(blk)

    def invalidate_space(self, space: object) -> None:
        """An address space went away or was remapped wholesale."""
        for blk in self.caches.pop(space, {}).values():
            self._forget(blk)
        self.breakpoints.pop(space, None)

    def invalidate_range(self, space: object, start: int, end: int) -> None:
        """Mappings of [start, end) changed in `space` (unmap, protect, remap)."""
        cache = self.caches.get(space)
        if not cache:
            return
        lo, hi = start & ~0xFFF, end
        for pc in [pc for pc in cache if lo <= pc < hi or lo <= (pc | 0xFFF) < hi]:
            self._forget(cache.pop(pc))

    def _forget(self, blk: Block) -> None:
        blk.valid = False
        self.stats.invalidations += 1
        for _, fast in self._fast.values():     # cleared in place: a running interpreter loop holds one of them
            fast.clear()
        for pyr in blk.pyregions or ():
            self._drop_pyregion(pyr)
        if blk.region is not None:
            self.tier2.drop(blk.region)

    def set_breakpoint(self, space: object, va: int, on: bool = True) -> None:
        """DDB's hook: make `va` in `space` stop with EXIT_BREAKPOINT before it executes (or no longer).

        Translations covering `va` are dropped, so blocks re-form ending just
        before it and no tier-2 region runs through it.
        """
        bps = self.breakpoints.setdefault(space, set())
        if on:
            bps.add(va)
        else:
            bps.discard(va)
        self.invalidate_range(space, va - MAX_BLOCK_INSNS * self.isa.max_insn_len, va + 1)

    # --- running -------------------------------------------------------------
    def run(self, R, space: object, budget: int) -> Exit:
        """Run the thread whose registers are `R` until an exit or `budget` instructions.

        The caller has activated `space`'s page tables in the MMU.  The
        time spent here (translation and compilation in this process
        included, the kernel's own work not) is `stats.run_seconds`: the
        engine's MIPS without process start-up and boot.
        """
        t0 = time.perf_counter()
        try:
            return self._run(R, space, budget)
        finally:
            self.stats.run_seconds += time.perf_counter() - t0

    def _run(self, R, space: object, budget: int) -> Exit:
        cache = self.caches.get(space)
        if cache is None:
            cache = self.caches[space] = {}
        if self.tier == "interp":
            return self._run_interp(R, space, cache, budget)
        pcslot = self.isa.pc_slot
        retired = 0
        prev: Block | None = None
        pc = R[pcslot]
        st = self.stats
        trace = self.trace
        tier2 = self.tier2
        if tier2 is not None and tier2.busy:
            tier2.poll()
            self._tier2_claims()
        bps = self.breakpoints.get(space) or None
        hot = tier2.hot if tier2 is not None else 0
        try:
            while True:
                if bps is not None and retired and pc in bps:    # resuming at a breakpoint runs it (x86 RF)
                    return Exit(EXIT_BREAKPOINT, pc, retired=retired)
                if prev is not None and prev.succ_pc == pc and prev.succ.valid:
                    blk = prev.succ
                    st.chain_hits += 1
                else:
                    blk = cache.get(pc)
                    if blk is None:
                        try:
                            blk = self.translate(cache, pc, space)
                        except MemFault as e:
                            return Exit(EXIT_PAGE_FAULT, pc, e.addr, ACCESS_EXEC, 0, retired)
                    if prev is not None:
                        prev.succ_pc = pc
                        prev.succ = blk
                st.dispatches += 1
                if blk.uses_clock or blk.region is not None:
                    self.clock_base = self.clock + retired
                if blk.region is not None:
                    kind, n = tier2.run(cache, R, 1 if trace is not None else budget - retired, self.clock_base)
                    retired += n
                    if kind == SLOW:
                        X = tier2.X
                        ex, n = self._finish_block(R, cache[int(X[X_BLOCK])], int(X[X_INDEX]), retired)
                        retired += n
                        if ex is not None:
                            ex.retired = retired
                            return ex
                    pc = R[pcslot]
                    prev = None
                elif blk.pyregion is not None and bps is None and (room := self._pyregion_room(blk.pyregion, hot)):
                    # A Python region: it returns at a canonical boundary (or an exit), like a block does.
                    pyr = blk.pyregion
                    limit = min(budget - retired, room)
                    if trace is None:
                        n, e, site, hits = pyr.fn(R, limit, self.clock + retired)
                    else:
                        n, e, site, hits = pyr.traced()(R, limit, self.clock + retired, trace)
                    retired += n
                    st.pyregion_entries += 1
                    st.pyregion_insns += n
                    if hits is not None:
                        self._count_region_hits(cache, pyr, hits)
                    if e is not None:
                        b, k = pyr.sites[site]
                        return self._exit(R, b, k, e, retired)
                    pc = R[pcslot]
                    prev = None
                else:
                    r = blk.fn(R)
                    if r is not None:
                        n, e = r
                        retired += n
                        return self._exit(R, blk, n, e, retired)
                    retired += blk.ninsns
                    pc = R[pcslot]
                    prev = blk
                    h = blk.hits = blk.hits + 1
                    if h == hot and blk.t2 != T2_CLAIMED:
                        tier2.request(cache, blk)
                        self._tier2_claims()
                    if not h % PYHOT and h >= hot and blk.pyregion is None:
                        self._form_pyregion(cache, blk)
                    if not blk.boundary:
                        continue
                if trace is not None:
                    trace(R, self.clock + retired)
                if retired >= budget:
                    return Exit(EXIT_QUANTUM, pc, retired=retired)
        finally:
            self.clock += retired

    # --- Python regions (tier 1) ----------------------------------------------
    def _form_pyregion(self, cache: dict[int, Block], seed: Block) -> None:
        """`seed` ran PYHOT more times in tier 1: compile a Python region around it, if it has a loop.

        With tier 2 only from its threshold on (`hot`): a block that reaches
        it becomes a tier-2 region at once when that region is in the disk
        cache, and a Python region compiled on the way would be wasted (it
        costs about as much as the thousand dispatches it saves).  Blocks
        whose tier-2 region is still compiling, or that tier 2 cannot run,
        keep running in tier 1 past the threshold and get a Python region
        then.
        """
        blocks = choose_blocks(self.isa, cache, seed)
        if blocks is None:
            return
        t0 = time.perf_counter()
        region = compile_region(self.isa, blocks, self.env, counts_hits=self.tier2 is not None)
        for b in region.blocks:
            b.pyregion = region
            if b.pyregions is None:
                b.pyregions = []
            b.pyregions.append(region)
        self.pyregions.append(region)
        st = self.stats
        st.pyregions += 1
        st.pyregion_blocks += len(blocks)
        st.pyregion_seconds += time.perf_counter() - t0

    def _drop_pyregion(self, region: PyRegion) -> None:
        """`region` no longer runs: its blocks fall back to an older region that has them, or to tier 1."""
        if not region.valid:
            return
        region.valid = False
        for b in region.blocks:
            if b.pyregions and region in b.pyregions:
                b.pyregions.remove(region)
            b.pyregion = b.pyregions[-1] if b.pyregions else None
        self.pyregions = [r for r in self.pyregions if r.valid]

    def _tier2_claims(self) -> None:
        """Tier 2 installed regions: Python regions over any of their blocks go (tier 2 takes precedence)."""
        t2 = self.tier2
        if t2 is None or t2.stats.regions == self._t2_installs:
            return
        self._t2_installs = t2.stats.regions
        for pyr in list(self.pyregions):
            if any(b.region is not None for b in pyr.blocks):
                self._drop_pyregion(pyr)

    def _pyregion_room(self, pyr: PyRegion, hot: int) -> int:
        """Instructions `pyr` may run now without any of its blocks reaching tier 2's threshold inside it.

        Tier 2 forms a region at the very dispatch where a block reaches
        `hot`, from the hit counts of its neighbours at that moment, so that
        a run forms the same regions whatever ran in between and a second
        run finds all of them in the disk cache.  A Python region counts its
        blocks' runs and adds them on return; it therefore runs at most
        `room - 1` blocks of its shortest length (it tests the budget after
        each block), and near the threshold (room 0) the blocks run one by
        one in tier 1, which makes the exact request.  Without tier 2 there
        is no limit.
        """
        if self.tier2 is None:
            return 1 << 62
        room = min((hot - b.hits for b in pyr.blocks if b.hits < hot and b.t2 != T2_CLAIMED), default=None)
        if room is None:
            return 1 << 62
        return max(0, (room - 2) * pyr.min_insns + 1)

    def _count_region_hits(self, cache: dict[int, Block], pyr: PyRegion, hits: tuple[int, ...]) -> None:
        """Add a Python region's per-block runs to the blocks' hit counts; blocks that got hot go to tier 2."""
        hot = self.tier2.hot
        seeds = []
        for b, n in zip(pyr.blocks, hits, strict=True):
            if n:
                old = b.hits
                b.hits = old + n
                if old < hot <= b.hits and b.t2 != T2_CLAIMED and b.valid:
                    seeds.append(b)
        for b in seeds:
            if b.t2 != T2_CLAIMED:
                self.tier2.request(cache, b)
        if seeds:
            self._tier2_claims()

    def _run_interp(self, R, space: object, cache: dict[int, Block], budget: int) -> Exit:
        """Tier 0's loop: one instruction per unit; budget, trace and quantum only at canonical boundaries.

        A separate loop because it runs once per guest instruction: no
        chaining, no tier 2, counters kept in locals.  Units return the next
        pc (machr.jit.translator.unit_source); the pc is stored into R only
        at boundaries and exits.  Units that can neither end a block nor
        cross a page nor read the clock go into `fast` (pc -> function),
        whose loop only counts; the others take the full path.  `fast`
        holds a unit's `lazy` form where it has one (machr.jit.translator.
        compile_unit: flags its next instruction kills are not computed), so
        the last instruction before a block's size limit, whose end is a
        boundary, takes the full path and its exact unit.
        """
        pcslot = self.isa.pc_slot
        retired = 0
        pc = R[pcslot]
        last = LAST                 # `retired` at the block's last possible instruction (its start + LAST)
        trace = self.trace
        bps = self.breakpoints.get(space) or None
        get = cache.get
        entry = self._fast.get(id(cache))
        if entry is None or entry[0] is not cache:
            entry = self._fast[id(cache)] = (cache, {})
        fast = entry[1]
        fget = fast.get if bps is None else {}.get      # breakpoints: every unit takes the full path
        RD = memoryview(R).cast("B").cast("d")          # R as doubles, for units' binary64 operations
        try:
            while True:
                fn = fget(pc)
                if fn is not None and retired != last:
                    pc = fn(R, RD)
                    retired += 1
                    continue
                else:
                    if bps is not None and retired and pc in bps:    # resuming at a breakpoint runs it (x86 RF)
                        R[pcslot] = pc
                        return Exit(EXIT_BREAKPOINT, pc, retired=retired)
                    blk = get(pc)
                    if blk is None:
                        try:
                            blk = self.translate(cache, pc, space)
                        except MemFault as e:
                            R[pcslot] = pc
                            return Exit(EXIT_PAGE_FAULT, pc, e.addr, ACCESS_EXEC, 0, retired)
                    if blk.uses_clock:
                        self.clock_base = self.clock + retired
                    cur = pc
                    pc = blk.fn(R, RD)
                    retired += 1
                    crossed = pc >> 12 != cur >> 12
                    if not (blk.ends_block or crossed or blk.uses_clock):
                        fast[cur] = blk.lazy or blk.fn
                    if not (blk.ends_block or crossed) and retired != last + 1:
                        continue
                last = retired + LAST
                R[pcslot] = pc
                if trace is not None:
                    trace(R, self.clock + retired)
                if retired >= budget:
                    return Exit(EXIT_QUANTUM, pc, retired=retired)
        except (GuestExit, MemFault) as e:
            blk = cache[pc]
            insn = blk.insns[0]
            R[pcslot] = insn.pc + insn.length if e.after else insn.pc
            retired += e.after
            return self._exit(R, blk, 0, e, retired)
        finally:
            RD.release()                                # R may be resized again
            self.clock += retired
            self.stats.dispatches += retired

    def _finish_block(self, R, blk: Block, k: int, retired: int) -> tuple[Exit | None, int]:
        """After a tier-2 SLOW exit: run instructions k.. of `blk` one at a time in Python.

        Returns (exit or None, instructions retired).  The units are the
        interpreter's (one instruction each, every flag stored), made once
        per block and kept on it.
        """
        self.stats.slow_paths += 1
        if blk.singles is None:
            blk.singles = [compile_block(self.isa, [i], blk.frames, self.env)
                           for i in blk.insns]
        done = 0
        for unit in blk.singles[k:]:
            self.clock_base = self.clock + retired + done
            r = unit.fn(R)
            if r is not None:
                n, e = r
                return self._exit(R, unit, n, e, retired + done + n), done + n
            done += 1
        return None, done

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
