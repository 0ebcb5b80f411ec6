"""The MMU: a software TLB in front of a walker of the architecture's real page tables.

The TLB is direct-mapped over virtual page numbers.  Each slot has one tag
per access kind (read / write / execute) and the host offset of the frame;
a tag holds the VPN only while that access is allowed *without a walk*:

* the write tag is set only once the leaf is dirty, so the first write
  goes through the walker, which sets D (x86) or clears AP[2] (DBM, arm);
* the write tag is never set for a frame holding translated code, so a
  store to code takes the slow path, which tells the JIT to drop its
  translations of that frame (self-modifying and freshly loaded code).

The tag arrays are `array('q')` (fast scalar access from Python) with numpy
views over the same memory (`*_np`) for bulk invalidation and for numba.

The kernel changes `root` through `activate` and invalidates exactly where
hardware would need TLB maintenance (`invalidate_page`, `flush`).
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Callable

import numpy as np

from machr.machine.exits import ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, MemFault
from machr.machine.memory import PAGE_MASK, PAGE_SHIFT, PAGE_SIZE, PhysicalMemory

TLB_BITS = 12
TLB_SIZE = 1 << TLB_BITS
TLB_MASK = TLB_SIZE - 1

_ACCESS_PERM = {ACCESS_READ: 0, ACCESS_WRITE: 1, ACCESS_EXEC: 2}   # → PERM_W / PERM_X bits


class Mmu:
    """Address translation for the one simulated processor."""

    def __init__(self, mem: PhysicalMemory, paging):
        self.mem = mem
        self.paging = paging
        self.root = -1                      # physical address of the top-level table; -1 = none
        self.rtag = array("q", [-1]) * TLB_SIZE
        self.wtag = array("q", [-1]) * TLB_SIZE
        self.xtag = array("q", [-1]) * TLB_SIZE
        self.base = array("q", [0]) * TLB_SIZE
        self.rtag_np, self.wtag_np, self.xtag_np, self.base_np = (
            np.frombuffer(a, dtype=np.int64) for a in (self.rtag, self.wtag, self.xtag, self.base))
        self.code_frames = bytearray(mem.nframes)      # 1 = the JIT holds translations of this frame
        # Spans of pages Python regions found (machr.jit.pyregion._span_finder), per access width: page → span.
        # A span says how pages were mapped; it holds until TLB maintenance (a mapping may have changed since)
        # and, for writes, until one of its frames holds code.
        self.read_spans: dict[int, dict[int, tuple[int, int, int]]] = {bits: {} for bits in ACCESS_WIDTHS}
        self.write_spans: dict[int, dict[int, tuple[int, int, int]]] = {bits: {} for bits in ACCESS_WIDTHS}
        self.on_code_write: Callable[[int], None] = lambda frame: None
        self.walks = 0
        self.accessors = self._make_accessors()

    # --- context -----------------------------------------------------------
    def activate(self, root: int) -> None:
        """Switch address space (CR3 / TTBR0 write without ASIDs): flush the TLB."""
        if root != self.root:
            self.root = root
            self.flush()

    def flush(self) -> None:
        self.rtag_np.fill(-1)
        self.wtag_np.fill(-1)
        self.xtag_np.fill(-1)
        self._forget_spans(self.read_spans, self.write_spans)

    def invalidate_page(self, va: int) -> None:
        """INVLPG / TLBI VAE1 for one page of the current address space."""
        vpn = va >> PAGE_SHIFT
        i = vpn & TLB_MASK
        if self.rtag[i] == vpn or self.wtag[i] == vpn or self.xtag[i] == vpn:
            self.rtag[i] = self.wtag[i] = self.xtag[i] = -1
        self._forget_spans(self.read_spans, self.write_spans)     # (a span may hold the page, in the TLB or not)

    def mark_code_frame(self, frame: int) -> None:
        """The JIT translated code from `frame`: make stores to it take the slow path."""
        if not self.code_frames[frame]:
            self.code_frames[frame] = 1
            hit = self.base_np == (frame << PAGE_SHIFT)
            self.wtag_np[hit] = -1
            self._forget_spans(self.write_spans)

    @staticmethod
    def _forget_spans(*kinds: dict[int, dict]) -> None:
        for memos in kinds:
            for memo in memos.values():
                memo.clear()

    # --- the walk ----------------------------------------------------------
    def walk(self, root: int, va: int, access: int) -> int:
        """Translate `va` through the tables at `root`; return the physical address.

        Sets Accessed/Dirty (AF/DBM) in the leaf like hardware does.  Raises
        MemFault for a non-user or unmapped address or a permission miss.
        """
        pg = self.paging
        if root < 0 or not pg.user_va_ok(va):
            raise MemFault(va, access)
        m64 = self.mem.m64
        need = _ACCESS_PERM[access]
        table = root
        allowed = pg.PERM_W | pg.PERM_X | pg.PERM_U
        for level in range(pg.LEVELS):
            ea = table + pg.index(va, level) * 8
            e = m64[ea >> 3]
            if not pg.is_valid(e, level):
                raise MemFault(va, access)
            if pg.is_table(e, level):
                allowed &= pg.table_perms(e)
                table = pg.entry_pa(e)
                continue
            allowed &= pg.perms(e)
            if not allowed & pg.PERM_U or (need == 1 and not allowed & pg.PERM_W) or (
                    need == 2 and not allowed & pg.PERM_X):
                raise MemFault(va, access)
            ne = pg.mark(e, access == ACCESS_WRITE)
            if ne != e:
                m64[ea >> 3] = ne
            size = pg.leaf_size(level)
            pa = pg.entry_pa(e) + (va & (size - 1))
            if pa >= self.mem.size:
                raise MemFault(va, access)
            return pa
        raise MemFault(va, access)      # pragma: no cover - LEVELS exhausted means a malformed table

    def translate(self, va: int, access: int) -> int:
        """Physical address of `va` for `access` in the current space, filling the TLB."""
        self.walks += 1
        pa = self.walk(self.root, va, access)
        vpn = va >> PAGE_SHIFT
        i = vpn & TLB_MASK
        frame_base = pa & ~PAGE_MASK
        if self.base[i] != frame_base:
            self.rtag[i] = self.wtag[i] = self.xtag[i] = -1
            self.base[i] = frame_base
        if access == ACCESS_EXEC:
            self.xtag[i] = vpn
        else:
            self.rtag[i] = vpn
            if access == ACCESS_WRITE and not self.code_frames[pa >> PAGE_SHIFT]:
                self.wtag[i] = vpn
        return pa

    # --- slow paths (page crossing, TLB miss, code pages) ------------------
    def load(self, va: int, n: int, access: int = ACCESS_READ) -> bytes:
        va &= 0xFFFFFFFFFFFFFFFF
        first = PAGE_SIZE - (va & PAGE_MASK)
        if n <= first:
            pa = self.translate(va, access)
            return bytes(self.mem.buf[pa:pa + n])
        pa1 = self.translate(va, access)
        pa2 = self.translate(va + first, access)
        buf = self.mem.buf
        return bytes(buf[pa1:pa1 + first]) + bytes(buf[pa2:pa2 + n - first])

    def store(self, va: int, data: bytes) -> None:
        """Store with both pages checked before any byte changes (precise faults)."""
        va &= 0xFFFFFFFFFFFFFFFF
        n = len(data)
        first = PAGE_SIZE - (va & PAGE_MASK)
        pieces = [(self.translate(va, ACCESS_WRITE), data[:first])]
        if n > first:
            pieces.append((self.translate(va + first, ACCESS_WRITE), data[first:]))
        for pa, chunk in pieces:
            frame = pa >> PAGE_SHIFT
            if self.code_frames[frame]:
                self.code_frames[frame] = 0
                self.on_code_write(frame)
            self.mem.buf[pa:pa + len(chunk)] = chunk

    def fetch(self, va: int, n: int) -> bytes:
        """Instruction bytes at `va` (execute permission), never past the page of `va`."""
        return self.fetch_frame(va, n)[0]

    def fetch_frame(self, va: int, n: int) -> tuple[bytes, int]:
        """`fetch`, and the frame the bytes are in (one translation, through the TLB's execute tags)."""
        n = min(n, PAGE_SIZE - (va & PAGE_MASK))
        vpn = va >> PAGE_SHIFT
        i = vpn & TLB_MASK
        pa = (self.base[i] | (va & PAGE_MASK)) if self.xtag[i] == vpn else self.translate(va, ACCESS_EXEC)
        return bytes(self.mem.buf[pa:pa + n]), pa >> PAGE_SHIFT

    def frame_of(self, va: int, access: int = ACCESS_EXEC) -> int:
        return self.translate(va, access) >> PAGE_SHIFT

    # --- accessors for translated code --------------------------------------
    def _make_accessors(self) -> dict[str, Callable]:
        """ld8..ld128 / st8..st128 closures: TLB hit inline, everything else via the slow path.

        One template (`inline_load` / `inline_store`) instantiated per width,
        so there is a single definition of the hit test; the host access
        expressions (`READ_HOST` / `WRITE_HOST`) are machr.jit.pyregion's
        too, whose inlined accesses test a span of pages instead.  Globals over
        local names keep the hit path to a few bytecodes; this is the hottest
        code in the Python tiers.
        """
        env = dict(self.inline_env, load=self.load, store=self.store)
        src = []
        for bits in ACCESS_WIDTHS:
            n = bits // 8
            src += [f"def ld{bits}(a):", *("    " + ln for ln in inline_load(
                        bits, "a", "return ", f'return int.from_bytes(load(a, {n}), "little")')),
                    f"def st{bits}(a, x):", *("    " + ln for ln in inline_store(
                        bits, "a", "x", f'store(a, x.to_bytes({n}, "little"))'))]
        exec(compile("\n".join(src) + "\n", "<mmu accessors>", "exec"), env)
        return {f"{op}{bits}": env[f"{op}{bits}"] for bits in ACCESS_WIDTHS for op in ("ld", "st")}

    @property
    def inline_env(self) -> dict[str, object]:
        """The globals `inline_load` / `inline_store` code refers to."""
        env: dict[str, object] = {"_rtag": self.rtag, "_wtag": self.wtag, "_base": self.base, "_buf": self.mem.buf}
        for bits in ACCESS_WIDTHS:
            env[f"_rspans{bits}"], env[f"_wspans{bits}"] = self.read_spans[bits], self.write_spans[bits]
        for fmt in ("H", "I", "Q", "d"):
            env["_u" + fmt.upper()] = struct.Struct("<" + fmt).unpack_from
            env["_p" + fmt.upper()] = struct.Struct("<" + fmt).pack_into
        return env


ACCESS_WIDTHS = (8, 16, 32, 64, 128)
# Hit-path read expression and write statement per width ({p} = host offset, {x} = value: names or sums).
READ_HOST = {8: "_buf[{p}]", 16: "_uH(_buf, {p})[0]", 32: "_uI(_buf, {p})[0]", 64: "_uQ(_buf, {p})[0]",
         128: "_uQ(_buf, {p})[0] | (_uQ(_buf, ({p}) + 8)[0] << 64)"}
WRITE_HOST = {8: "_buf[{p}] = {x}", 16: "_pH(_buf, {p}, {x})", 32: "_pI(_buf, {p}, {x})", 64: "_pQ(_buf, {p}, {x})",
          128: "_pQ(_buf, {p}, {x} & 0xFFFFFFFFFFFFFFFF); _pQ(_buf, ({p}) + 8, {x} >> 64)"}
# The same for a binary64 value held as a float (machr.jit.pyfloat's float-resident registers).
READ_FLOAT = "_uD(_buf, {p})[0]"
WRITE_FLOAT = "_pD(_buf, {p}, {x})"


def _access(tag: str, bits: int, a: str, use: str, slow: str) -> list[str]:
    """Lines for one access of `bits` at `a` (a name): `use` (with {p}, the host offset) on a hit, else `slow`.

    The hit test: the TLB slot's tag for this kind of access holds the page,
    and the access does not cross the page.
    """
    last = PAGE_SIZE - bits // 8
    off = f"({a} & {PAGE_MASK:#x})"
    fits = "" if bits == 8 else f" and {off} <= {last:#x}"
    return [f"_mv = {a} >> {PAGE_SHIFT}", f"_mi = _mv & {TLB_MASK:#x}", f"if {tag}[_mi] == _mv{fits}:",
            "    " + use.format(p=f"_base[_mi] | {off}"), "else:", "    " + slow]


def inline_load(bits: int, a: str, assign: str, slow: str) -> list[str]:
    """Lines loading `bits` at address `a` (a name): `assign` + the value on a TLB hit, else the line `slow`.

    `assign` is the start of the line that receives the value (`"t = "`, `"return "`); see `_access`.
    """
    return _access("_rtag", bits, a, assign + READ_HOST[bits], slow)


def inline_store(bits: int, a: str, x: str, slow: str) -> list[str]:
    """Lines storing `x` (a name or constant) of `bits` at `a` (a name) on a TLB hit, else the line `slow`."""
    return _access("_wtag", bits, a, WRITE_HOST[bits].replace("{x}", x), slow)
