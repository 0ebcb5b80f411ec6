"""Tier 2: hot blocks grouped into regions and compiled with numba.

The engine counts block dispatches in tier 1.  When a block reaches `HOT`
dispatches, `Tier2.request` forms a region around it: the hot, supported,
not yet claimed blocks reachable from it through their static successors
(jump targets, fall-through and return sites) that ran at least 1/8 as
often, at most `MAX_BLOCKS` of
them, because numba's compile time grows faster than linearly with
function size.

Regions stay small and cheap to compile because leaving one is cheap: a
region's exit to the start of another region's block is followed natively
by the trampoline (machr.jit.native), which probes a table of the address
space's region blocks and calls the next region's cfunc by address.  Python
sees only exits that need it (a pc no region has, the budget, a SLOW
instruction).

Compilation happens off the guest's critical path.  A region's source is
written to the on-disk cache as a module `r_<key>.py` whose function is
decorated with `cfunc(..., cache=True)`; the key is a hash of the source, which
is a function of the code bytes, the ISA and `TRANSLATOR_VERSION`.  A worker
process (the machine's second core) imports the module, which compiles it
and writes numba's cache next to it, while tier 1 keeps running; the engine
then polls and imports the module itself, which only loads the compiled
code.  A second run of the same program finds the module and its numba
cache and compiles nothing.  numba is imported only here, and only once a
block is hot, so the interpreter's and tier 1's start-up never pay for it.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from machr.isa.base import Isa
from machr.jit.region import (
    HELPERS,
    TRANSLATOR_VERSION,
    X_MEMSIZE,
    X_SIZE,
    block_supported,
    region_source,
)
from machr.jit.translator import _INT_LITERAL, Block
from machr.machine.mmu import Mmu

HOT = 1000                    # dispatches that make a block a region seed
MAX_BLOCKS = 6
MAX_INSNS = 64
T2_UNKNOWN, T2_UNSUPPORTED, T2_SUPPORTED, T2_CLAIMED = 0, 1, 2, 3     # Block.t2


def cache_dir() -> Path:
    """Where compiled regions live: $MACHR_CACHE, else $XDG_CACHE_HOME/machr/numba (~/.cache/...)."""
    env = os.environ.get("MACHR_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "machr" / "numba"


def numba_available() -> bool:
    return importlib.util.find_spec("numba") is not None


@dataclass(eq=False)
class Region:
    """A compiled region: its function and the tier-1 blocks it replaces."""

    key: str
    blocks: dict[int, Block]
    cache: dict[int, Block]                   # the translation cache (address space) it was formed from
    fn: object = None                         # the numba cfunc; its `.address` goes into the region table
    queued_work: int = 0                      # _work() when it was queued for the worker


@dataclass
class Tier2Stats:
    regions: int = 0
    compiled: int = 0             # compiled in this run (not loaded from the disk cache)
    compile_seconds: float = 0.0  # worker or in-process numba compile time
    load_seconds: float = 0.0     # importing regions (disk-cache loads) in the engine's process
    entries: int = 0              # calls of the trampoline from Python
    calls: int = 0                # region calls (the trampoline makes several per entry)
    insns: int = 0
    run_seconds: float = 0.0      # wall time inside region functions (steady-state MIPS = insns / this)
    rejected_blocks: int = 0


def _load_module(path: Path):
    """Import a region module under its own name (numba's cached code refers to the module by name)."""
    mod = sys.modules.get(path.stem)
    if mod is None:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = mod
        try:
            spec.loader.exec_module(mod)
        except BaseException:
            del sys.modules[path.stem]
            raise
    return mod


def _cached(path: Path) -> bool:
    """Does numba's cache already hold this region (an index file next to the module)?"""
    pyc = path.parent / "__pycache__"
    return pyc.is_dir() and any(p.name.startswith(path.stem + ".") and p.suffix == ".nbi" for p in pyc.iterdir())


def compile_region_file(path: str) -> float:
    """Worker: import (= compile and cache) one region module; returns the seconds it took.

    The trampoline is imported first so that its compiled code is in numba's cache before the engine needs it.
    """
    t0 = time.perf_counter()
    import machr.jit.native  # noqa: F401
    _load_module(Path(path))
    return time.perf_counter() - t0


class Tier2:
    """Regions for one engine: formation, compilation (background or in-process), running."""

    def __init__(self, isa: Isa, mmu: Mmu, background: bool = True, directory: Path | None = None):
        self.isa = isa
        self.mmu = mmu
        self.background = background
        self.hot = HOT
        self.dir = directory or cache_dir()
        self.stats = Tier2Stats()
        self.job: tuple[object, Path, Region] | None = None     # the region the worker is compiling
        self.queue: list[tuple[Path, Region]] = []                # regions waiting for the worker
        mem = mmu.mem.np
        self.mem_args = (mem, mmu.rtag_np.view(np.uint64), mmu.wtag_np.view(np.uint64), mmu.base_np.view(np.uint64))
        self.X = np.zeros(X_SIZE, dtype=np.int64)
        self.X[X_MEMSIZE] = len(mem)
        # Per translation cache (address space, by id): block pc -> region address, and the probe table of it.
        self.entries: dict[int, dict[int, int]] = {}
        self.tables: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._R = None
        self._Rv = None

    # --- formation -------------------------------------------------------------
    def available(self, blk: Block) -> bool:
        """Is `blk` expressible in tier 2 and not in a region yet?"""
        if blk.t2 == T2_UNKNOWN:
            ok = blk.boundary and block_supported(self.isa, blk.insns)
            blk.t2 = T2_SUPPORTED if ok else T2_UNSUPPORTED
            self.stats.rejected_blocks += not ok
        return blk.t2 == T2_SUPPORTED

    def request(self, cache: dict[int, Block], seed: Block) -> None:
        """`seed` just became hot: form a region around it and start compiling it.

        The region is `seed` plus the blocks reachable from it through
        static successors, breadth first, that ran at least 1/8 of `HOT`
        times, tier 2 can run, and no other region has: at most
        `MAX_BLOCKS` blocks and `MAX_INSNS` instructions.
        """
        chosen: list[Block] = []
        total = 0
        seen = {seed.pc}
        queue = [seed]
        while queue and len(chosen) < MAX_BLOCKS:
            blk = queue.pop(0)
            if not blk.valid or (blk is not seed and blk.hits < self.hot // 8) or not self.available(blk):
                continue
            if total + blk.ninsns > MAX_INSNS:
                break
            chosen.append(blk)
            total += blk.ninsns
            for pc in _successors(blk):
                nxt = cache.get(pc)
                if nxt is not None and pc not in seen:
                    seen.add(pc)
                    queue.append(nxt)
        if chosen:
            self._start(cache, chosen)

    def _start(self, cache: dict[int, Block], chosen: list[Block]) -> None:
        """Claim `chosen` and compile it as a region: from the disk cache, in-process, or in the worker."""
        chosen.sort(key=lambda b: -b.hits)
        for blk in chosen:
            blk.t2 = T2_CLAIMED
        src = self.module_source(chosen)
        key = hashlib.sha256(f"{self.isa.name}\0{TRANSLATOR_VERSION}\0{src}".encode()).hexdigest()[:24]
        region = Region(key, {b.pc: b for b in chosen}, cache)
        path = self._write(key, src)
        if _cached(path) or not self.background:
            self._install(path, region, cold=not _cached(path))
            return
        region.queued_work = _work(region)
        self.queue.append((path, region))
        self._submit()

    @property
    def busy(self) -> bool:
        """Is a region compiling or waiting to?"""
        return self.job is not None or bool(self.queue)

    def _submit(self) -> None:
        """Give the worker the hottest waiting region (one job at a time).

        The blocks of a waiting region keep running in tier 1 and counting
        their dispatches, so when regions wait (a workload with many hot
        procedures, while the worker compiles), the one that ran the most
        guest instructions since it was formed is compiled next rather than
        the one formed first.
        """
        if self.job is not None or not self.queue:
            return
        best = max(range(len(self.queue)), key=lambda i: _work(self.queue[i][1]) - self.queue[i][1].queued_work)
        path, region = self.queue.pop(best)
        self.job = (_worker().apply_async(compile_region_file, (str(path),)), path, region)

    def module_source(self, blocks: list[Block]) -> str:
        consts = "".join(f"{k} = np.array({v.tolist()!r}, dtype=np.{v.dtype})\n"
                         for k, v in self.isa.numba_globals.items())
        return f"{HELPERS}\n{consts}\n{region_source(self.isa, [b.insns for b in blocks])}"

    def _write(self, key: str, src: str) -> Path:
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / f"r_{key}.py"
        if not path.exists():                 # never rewrite: numba's cache is keyed by the file's stamp
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(src)
            os.replace(tmp, path)
        return path

    # --- installation ----------------------------------------------------------
    def poll(self) -> None:
        """Swap in the region whose background compilation finished, and start the next."""
        if self.job is None or not self.job[0].ready():
            return
        job, path, region = self.job
        self.job = None
        try:
            self.stats.compile_seconds += job.get()
        except Exception as e:             # noqa: BLE001 - a region numba rejects stays in tier 1
            self._reject(region, e)
        else:
            self.stats.compiled += 1
            self._install(path, region, cold=False)
        self._submit()

    def _install(self, path: Path, region: Region, cold: bool) -> None:
        t0 = time.perf_counter()
        try:
            region.fn = _load_module(path)._region
        except Exception as e:                 # noqa: BLE001
            self._reject(region, e)
            return
        dt = time.perf_counter() - t0
        if cold:
            self.stats.compiled += 1
            self.stats.compile_seconds += dt
        else:
            self.stats.load_seconds += dt
        if not all(b.valid for b in region.blocks.values()):
            return                             # invalidated while compiling: dropped
        self.stats.regions += 1
        for b in region.blocks.values():
            b.region = region
        self.entries.setdefault(id(region.cache), {}).update(dict.fromkeys(region.blocks, region.fn.address))
        self._retable(region.cache)

    def _retable(self, cache: dict[int, Block]) -> None:
        from machr.jit.native import region_table, run_regions

        self._run_regions = run_regions          # numba is imported here, when the first region is installed
        entries = self.entries.get(id(cache))
        if entries:
            self.tables[id(cache)] = region_table(entries)
        else:                                  # the last region of the space went: forget it (ids are reused)
            self.entries.pop(id(cache), None)
            self.tables.pop(id(cache), None)

    def _reject(self, region: Region, err: Exception) -> None:
        print(f"machr: tier 2 region {region.key} not compiled: {type(err).__name__}: {str(err)[:200]}",
              file=sys.stderr)
        for b in region.blocks.values():
            b.t2 = T2_UNSUPPORTED

    def drop(self, region: Region) -> None:
        """A block of `region` was invalidated: its blocks go back to tier 1 (and may be re-formed)."""
        entries = self.entries.get(id(region.cache), {})
        for b in region.blocks.values():
            b.region = None
            b.t2 = T2_UNKNOWN
            b.hits = 0
            entries.pop(b.pc, None)
        self._retable(region.cache)

    # --- running ---------------------------------------------------------------
    def run(self, cache: dict[int, Block], R, budget: int, clock: int) -> tuple[int, int]:
        """Run regions from R's pc (a region block of `cache`) through the trampoline.

        Returns (exit kind, instructions retired); X holds a SLOW exit's position.
        """
        if R is not self._R:
            self._R, self._Rv = R, np.frombuffer(R, dtype=np.uint64)
        keys, fns = self.tables[id(cache)]
        t0 = time.perf_counter()
        kind, n, calls = self._run_regions(keys, fns, self._Rv, *self.mem_args, self.X, self.isa.pc_slot, budget, clock)
        st = self.stats
        st.run_seconds += time.perf_counter() - t0
        st.entries += 1
        st.calls += calls
        st.insns += n
        return kind, n


_POOL = None


def _worker():
    """The one compile worker of this process (every engine shares it), started on first use.

    At exit it is terminated: a compile in progress is abandoned (numba's cache files appear atomically).
    """
    global _POOL
    if _POOL is None:
        _POOL = multiprocessing.get_context("spawn").Pool(1)
        atexit.register(_POOL.terminate)
    return _POOL


def _work(region: Region) -> int:
    """Guest instructions the region's blocks ran in tier 1 so far."""
    return sum(b.hits * b.ninsns for b in region.blocks.values())


def _successors(blk: Block) -> list[int]:
    """Static successors of a block: literal `_npc` targets, then the fall-through / return site."""
    last = blk.insns[-1]
    out = [int(x, 0) for line in blk.source.splitlines() if line.strip().startswith("_npc =")
           for x in _INT_LITERAL.findall(line)]
    return out + [last.pc + last.length]
