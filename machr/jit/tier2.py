"""Tier 2: hot blocks grouped into regions and compiled to machine code.

The engine counts block dispatches in tier 1.  When a block reaches `HOT`
dispatches, `Tier2.request` forms a region around it: the hot, supported,
not yet claimed blocks reachable from it through their static successors
(jump targets, fall-through and return sites) that ran at least 1/8 as
often, at most `MAX_BLOCKS` of
them, because compile time grows faster than linearly with function size
(that limit was sized for numba's; machr.jit.emit's grows far slower).

Regions stay small and cheap to compile because leaving one is cheap: a
region's exit to the start of another region's block is followed natively
by the trampoline (machr.jit.region.TRAMPOLINE_SOURCE), which probes a
table of the address space's region blocks and calls the next region's
function by address.  Python
sees only exits that need it (a pc no region has, the budget, a SLOW
instruction).

Compilation happens off the guest's critical path.  A region's source is
written to the on-disk cache as a module `r_<key>.py`; the key is a hash of
the source (a function of the code bytes, the ISA and
`TRANSLATOR_VERSION`), of the compilers' own source (`COMPILERS`) and of
the host (machr.jit.loader.HOST).  The compile worker (machr.jit.worker, a
process on the machine's other core) compiles the module's `_region` with
machr.jit.emit (or, for what emit declines, imports the module, which
compiles it as a cfunc with numba) and stores the object code as
`r_<key>.o` while tier 1 keeps running; the engine polls,
loads the object code through llvmlite (machr.jit.loader) and swaps the
region in.  Regions still waiting when the engine exits are left to the
worker, which compiles them after the engine is gone.  The engine's
process never imports numba (unless it compiles a region emit declines
in-process, `background=False`): numba's import and set-up take longer
than a warm run's regions.

A second run of the same program compiles nothing, and does not even wait
for its blocks to become hot: each region is recorded under its first
block's identity (`x_<digest>`: pc and code bytes), and installed as soon
as its blocks are translated (`translated`).
"""

from __future__ import annotations

import atexit
import ctypes
import functools
import hashlib
import importlib.util
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from machr.isa.base import Isa
from machr.jit import loader
from machr.jit.region import (
    HELPERS,
    TRANSLATOR_VERSION,
    X_CALLS,
    X_DONE,
    X_SIZE,
    block_supported,
    region_source,
)
from machr.jit.translator import _INT_LITERAL, Block
from machr.jit.worker import spawn
from machr.machine.mmu import Mmu

HOT = 1000                    # dispatches that make a block a region seed
MAX_BLOCKS = 6
MAX_INSNS = 64
TRAMPOLINE = "machr_trampoline"
T2_UNKNOWN, T2_UNSUPPORTED, T2_SUPPORTED, T2_CLAIMED = 0, 1, 2, 3     # Block.t2


def cache_dir() -> Path:
    """Where compiled regions live: $MACHR_CACHE, else $XDG_CACHE_HOME/machr/regions (~/.cache/...)."""
    env = os.environ.get("MACHR_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "machr" / "regions"


def numba_available() -> bool:
    return importlib.util.find_spec("numba") is not None


@dataclass(eq=False)
class Region:
    """A compiled region: its function and the tier-1 blocks it replaces."""

    key: str
    blocks: dict[int, Block]
    cache: dict[int, Block]                   # the translation cache (address space) it was formed from
    address: int = 0                          # of its compiled function, loaded; goes into the region table


@dataclass
class Tier2Stats:
    regions: int = 0
    compiled: int = 0             # compiled in this run (not loaded from the disk cache)
    compile_seconds: float = 0.0  # worker or in-process numba compile time
    load_seconds: float = 0.0     # loading regions' object code in the engine's process
    entries: int = 0              # calls of the trampoline from Python
    calls: int = 0                # region calls (the trampoline makes several per entry)
    insns: int = 0
    run_seconds: float = 0.0      # wall time inside region functions (steady-state MIPS = insns / this)
    rejected_blocks: int = 0


def _load_module(path: Path):
    """Import a region module under its own name (which is in its cfunc's symbol)."""
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


def _source_digest(*modules: str) -> str:
    digest = hashlib.sha256()
    for name in modules:
        digest.update(Path(importlib.util.find_spec(name).origin).read_bytes())
    return digest.hexdigest()[:16]


# The compilers' source: part of every object's cache key, so that a change to a compiler compiles afresh.
COMPILERS = _source_digest("machr.jit.emit", "machr.jit.native", "machr.jit.pipeline", "machr.jit.region")


@functools.cache
def _trampoline_path(directory: Path) -> Path:
    """Where the trampoline's object is cached: keyed by the compilers' source and the host."""
    digest = hashlib.sha256(f"{COMPILERS}\0{TRANSLATOR_VERSION}\0{loader.HOST}".encode()).hexdigest()[:24]
    return directory / f"t_{digest}.o"


def ensure_trampoline(path: Path) -> None:
    """Compile the trampoline to `path` unless it is there."""
    from machr.jit import emit           # the compiler's side only: it imports both ISAs' helpers

    if not path.exists():
        loader.write_object(path, emit.object_code(emit.trampoline_ir(TRAMPOLINE), TRAMPOLINE))


def compile_region_file(path: str, trampoline: str, numba: bool = True) -> float | None:
    """Compile one region module and store its object code next to it; returns the seconds it took.

    The worker's (or, in-process, the engine's) side.  machr.jit.emit
    compiles the region unless it declines it; then numba does (imported
    then, on first need), or, with `numba` false, nothing does and the
    answer is None.  The trampoline is
    compiled first if its object is missing, so that it is there before the
    engine's first region is.
    """
    from machr.jit import emit

    t0 = time.perf_counter()
    ensure_trampoline(Path(trampoline))
    src = Path(path)
    symbol = f"machr_{src.stem}"
    try:
        obj = emit.object_code(emit.region_ir(src.read_text(), symbol), symbol)
    except emit.Unsupported:
        if not numba:
            return None
        from machr.jit import native

        obj = native.object_code(_load_module(src)._region)
    loader.write_object(src.with_suffix(".o"), obj)
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
        self.jobs: dict[str, tuple[Region, _Worker]] = {}    # regions sent to compile (by module path), unanswered
        mem = mmu.mem.np
        self.X = np.zeros(X_SIZE, dtype=np.int64)
        # The trampoline's pointer arguments (the arrays stay alive as long as the MMU and this object).
        self.mem_args = tuple(a.ctypes.data for a in (mem, mmu.rtag_np, mmu.wtag_np, mmu.base_np, self.X))
        self._trampoline = None
        # Per translation cache (address space, by id): block pc -> region address, and the probe table of it.
        self.entries: dict[int, dict[int, int]] = {}
        self.tables: dict[int, tuple[np.ndarray, np.ndarray, int, int, int]] = {}   # keys, fns, their addresses, mask
        self._R = None
        self._Rp = 0
        # Regions recorded in the disk cache whose blocks are not all translated yet: (cache, block pc) -> records.
        self.preinstall = True
        self._pending: dict[tuple[int, int], list[_Record]] = {}
        if background:
            _worker(self.dir)                 # it starts up while the guest boots
        self._salt = hashlib.sha256(f"{isa.name}\0{TRANSLATOR_VERSION}\0{COMPILERS}\0{loader.HOST}\0{self._prelude()}"
                                    .encode())

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
        key = hashlib.sha256(f"{self.isa.name}\0{TRANSLATOR_VERSION}\0{COMPILERS}\0{loader.HOST}\0{src}".encode())
        key = key.hexdigest()[:24]
        region = Region(key, {b.pc: b for b in chosen}, cache)
        path = self._write(key, src)
        self._record(region)
        if path.with_suffix(".o").exists():
            self._install(path, region)
            return
        if not self.background:
            try:
                seconds = compile_region_file(str(path), str(_trampoline_path(self.dir)))
            except Exception as e:             # noqa: BLE001 - a region numba rejects stays in tier 1
                self._reject(region, e)
                return
            self.stats.compiled += 1
            self.stats.compile_seconds += seconds
            self._install(path, region)
            return
        worker = _worker(self.dir)
        self.jobs[str(path)] = (region, worker)
        worker.send(path, _trampoline_path(self.dir))

    @property
    def busy(self) -> bool:
        """Is a region compiling or waiting to?"""
        return bool(self.jobs)

    def module_source(self, blocks: list[Block]) -> str:
        return f"{self._prelude()}\n{region_source(self.isa, [b.insns for b in blocks])}"

    def _prelude(self) -> str:
        """What every region module of the ISA starts with: HELPERS and the ISA's constant tables."""
        consts = "".join(f"{k} = np.array({v.tolist()!r}, dtype=np.{v.dtype})\n"
                         for k, v in self.isa.numba_globals.items())
        return f"{HELPERS}\n{consts}"

    # --- early installation from the disk cache ----------------------------------
    def _digest(self, blk: Block) -> str:
        """A block's identity across runs: its pc and code bytes, under this ISA, translator and host."""
        h = self._salt.copy()
        h.update(b"%d\0%s" % (blk.pc, b"".join(i.raw for i in blk.insns)))
        return h.hexdigest()[:24]

    def _record(self, region: Region) -> None:
        """Note in the disk cache which blocks make `region`, under its hottest block's identity.

        A record from another formation around the same block (another
        program, other inputs) is replaced: the latest one is the likelier.
        """
        first = next(iter(region.blocks.values()))
        path = self.dir / f"x_{self._digest(first)}"
        members = "".join(f"{b.pc} {self._digest(b)}\n" for b in region.blocks.values())
        text = f"{region.key}\n{members}".encode()
        if not path.exists() or path.read_bytes() != text:
            loader.write_atomically(path, text)

    def translated(self, cache: dict[int, Block], blk: Block) -> None:
        """`blk` was just translated: install at once a region the disk cache records for it.

        A second run of a program need not wait for its blocks to become
        hot (the thousand tier-1 dispatches per block that formation waits
        for, a few tenths of a second for a whole workload): a region
        compiled in an earlier run is recorded under its first block's
        identity (pc and code bytes), with its blocks' identities, and is
        installed as soon as all of them are translated, unchanged, and in
        no other region.  Regions installed this way are the ones an earlier
        run formed, so later formations see the blocks claimed as they were
        then (a block's own hit count does not depend on its neighbours'
        tier).
        """
        if not self.preinstall:
            return
        key = (id(cache), blk.pc)
        waiting = self._pending.pop(key, [])
        path = self.dir / f"x_{self._digest(blk)}"
        if path.exists():
            try:
                waiting.append(_Record.read(path, cache))
            except (OSError, ValueError):
                pass                            # an unreadable record only means no early installation
        for rec in waiting:
            self._try_record(rec)

    def _try_record(self, rec: _Record) -> None:
        cache = rec.cache
        blocks = []
        for pc, digest in rec.members:
            blk = cache.get(pc)
            if blk is None:
                self._pending.setdefault((id(cache), pc), []).append(rec)
                return
            if not blk.valid or self._digest(blk) != digest or not self.available(blk):
                return
            blocks.append(blk)
        path = self.dir / f"r_{rec.key}.py"
        if not path.with_suffix(".o").exists():
            return
        for b in blocks:
            b.t2 = T2_CLAIMED
        self._install(path, Region(rec.key, {b.pc: b for b in blocks}, cache))

    def _write(self, key: str, src: str) -> Path:
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / f"r_{key}.py"
        if not path.exists():
            loader.write_atomically(path, src.encode())
        return path

    # --- installation ----------------------------------------------------------
    def poll(self) -> None:
        """Swap in the regions whose compilation finished."""
        for path, (region, worker) in list(self.jobs.items()):
            answer = worker.result(path)
            if answer is None:
                continue
            del self.jobs[path]
            status, detail = answer
            if status == "ok":
                self.stats.compiled += 1
                self.stats.compile_seconds += float(detail)
                self._install(Path(path), region)
            else:                              # a region no compiler takes stays in tier 1
                self._reject(region, detail)

    def _install(self, path: Path, region: Region) -> None:
        """Load the region's object code (and the trampoline's, with the first region) and swap the region in."""
        t0 = time.perf_counter()
        try:
            ld = loader.loader()
            region.address = ld.load(path.with_suffix(".o"))
            if self._trampoline is None:
                self._trampoline = loader.TRAMPOLINE(ld.load(_trampoline_path(self.dir)))
        except Exception as e:                 # noqa: BLE001
            if isinstance(e, loader.DamagedObject):
                e.path.unlink(missing_ok=True)          # compiled again next time
            self._reject(region, e)
            return
        self.stats.load_seconds += time.perf_counter() - t0
        if not all(b.valid for b in region.blocks.values()):
            return                             # invalidated while compiling: dropped
        self.stats.regions += 1
        for b in region.blocks.values():
            b.region = region
        self.entries.setdefault(id(region.cache), {}).update(dict.fromkeys(region.blocks, region.address))
        self._retable(region.cache)

    def _retable(self, cache: dict[int, Block]) -> None:
        entries = self.entries.get(id(cache))
        if entries:
            keys, fns = loader.region_table(entries)
            self.tables[id(cache)] = (keys, fns, keys.ctypes.data, fns.ctypes.data, len(keys) - 1)
        else:                                  # the last region of the space went: forget it (ids are reused)
            self.entries.pop(id(cache), None)
            self.tables.pop(id(cache), None)

    def _reject(self, region: Region, err: Exception | str) -> None:
        why = err if isinstance(err, str) else f"{type(err).__name__}: {err}"
        print(f"machr: tier 2 region {region.key} left to tier 1: {why[:200]}", file=sys.stderr)
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
            self._R, self._Rp = R, ctypes.addressof(ctypes.c_char.from_buffer(R))
        _, _, keys, fns, mask = self.tables[id(cache)]
        t0 = time.perf_counter()
        kind = self._trampoline(keys, fns, mask, self._Rp, *self.mem_args, self.isa.pc_slot, budget, clock)
        st = self.stats
        st.run_seconds += time.perf_counter() - t0
        n = int(self.X[X_DONE])
        st.entries += 1
        st.calls += int(self.X[X_CALLS])
        st.insns += n
        return kind, n


@dataclass
class _Record:
    """A region an earlier run compiled: its key and its blocks' (pc, identity), for one translation cache."""

    key: str
    members: list[tuple[int, str]]
    cache: dict[int, Block]

    @classmethod
    def read(cls, path: Path, cache: dict[int, Block]) -> _Record:
        key, *lines = path.read_text().splitlines()
        return cls(key, [(int(pc), digest) for pc, digest in (ln.split() for ln in lines)], cache)


class _Worker:
    """The compile worker process (machr.jit.worker) and the engine's ends of its pipes."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        with open(directory / "worker.log", "ab") as log:       # numba's warnings, a crash's traceback
            self.proc = spawn(directory, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                              start_new_session=True)    # a ^C to machr leaves it to finish
        os.set_blocking(self.proc.stdout.fileno(), False)
        self.buf = b""
        self.replies: dict[str, tuple[str, str]] = {}
        self.alive = True
        self.exit_message = ""

    def send(self, job: Path, trampoline: Path) -> None:
        try:
            self.proc.stdin.write(f"{job}\t{trampoline}\n".encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            self.alive = False

    def result(self, path: str) -> tuple[str, str] | None:
        """("ok", seconds) or ("error", message) for the job `path`, once the worker has answered it."""
        while self.alive and path not in self.replies:
            try:
                data = os.read(self.proc.stdout.fileno(), 4096)
            except BlockingIOError:
                break
            if not data:
                self.alive = False
                self.exit_message = f"the compile worker exited (status {self.proc.wait()}; see worker.log)"
                break
            self.buf += data
            *lines, self.buf = self.buf.split(b"\n")
            for line in lines:
                job, status, detail = line.decode().split("\t", 2)
                self.replies[job] = (status, detail)
        if path in self.replies:
            return self.replies.pop(path)
        return None if self.alive else ("error", self.exit_message)


_WORKER: _Worker | None = None


def _worker(directory: Path) -> _Worker:
    """The one compile worker of this process (every engine shares it), started on first use."""
    global _WORKER
    if _WORKER is None or not _WORKER.alive:
        _WORKER = _Worker(directory)
    return _WORKER


@atexit.register
def _hand_over() -> None:
    """At exit, leave the worker to compile the regions it still has, and to exit after them.

    The engine does not wait: the next run of the program finds them in
    the disk cache, however soon this one ended.
    """
    if _WORKER is None or not _WORKER.alive or _WORKER.proc.poll() is not None:
        return
    try:
        _WORKER.proc.stdin.close()
    except BrokenPipeError:                   # it died meanwhile: nothing is left to hand over
        pass


def _successors(blk: Block) -> list[int]:
    """Static successors of a block: literal `_npc` targets, then the fall-through / return site."""
    last = blk.insns[-1]
    out = [int(x, 0) for line in blk.source.splitlines() if line.strip().startswith("_npc =")
           for x in _INT_LITERAL.findall(line)]
    return out + [last.pc + last.length]
