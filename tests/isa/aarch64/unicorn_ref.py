"""Run one A64 instruction in Unicorn and in our semantics from the same state.

`Reference` keeps one Unicorn instance (creating one costs more than running
an instruction) with a code page and a data window; `compare` runs a word in
both and returns the differences as text (empty = identical).
"""

from __future__ import annotations

import random
import struct

from unicorn import UC_ARCH_ARM64, UC_ERR_FETCH_UNMAPPED, UC_HOOK_INTR, UC_MODE_ARM, Uc, UcError
from unicorn import arm64_const as A

from machr.isa.aarch64 import ISA
from machr.machine.exits import EXIT_ALIGN, EXIT_BREAKPOINT, EXIT_PAGE_FAULT, EXIT_TRAP, GuestExit, MemFault
from tests.isa.harness import PAGE, FlatMemory, run_insn

CODE = 0x10000
DATA = 0x200000
DATA_SIZE = 0x4000
UNMAPPED = 0x900000

X_REGS = [getattr(A, f"UC_ARM64_REG_X{i}") for i in range(29)] + [A.UC_ARM64_REG_X29, A.UC_ARM64_REG_X30]
UC_VARS = {f"x{i}": r for i, r in enumerate(X_REGS)}
UC_VARS.update({f"q{i}": getattr(A, f"UC_ARM64_REG_Q{i}") for i in range(32)})
UC_VARS.update(sp=A.UC_ARM64_REG_SP, fpcr=A.UC_ARM64_REG_FPCR, fpsr=A.UC_ARM64_REG_FPSR,
               tpidr=A.UC_ARM64_REG_TPIDR_EL0)
FLAGS = ("nf", "zf", "cf", "vf")

INTERESTING = (0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
               0x100000000, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFE)
def random_value(rnd: random.Random, bits: int = 64) -> int:
    r = rnd.random()
    if r < 0.25:
        return rnd.choice(INTERESTING) & ((1 << bits) - 1)
    if r < 0.35:
        return rnd.getrandbits(8)
    if r < 0.45:
        return rnd.getrandbits(32)
    return rnd.getrandbits(bits)


def fp_special(rnd: random.Random, esize: int) -> int:
    """One `esize`-bit FP lane: zeros, denormals, normals at the extremes, infinities, quiet and
    signalling NaNs, values next to 1.0, and short mantissas (sums and products of those are
    often exact or exactly halfway, so rounding ties and the inexact flag both get exercised)."""
    ebits, fbits = {16: (5, 10), 32: (8, 23), 64: (11, 52)}[esize]
    top = (1 << ebits) - 1
    bias = top >> 1
    sign = rnd.getrandbits(1) << (esize - 1)
    choice = rnd.randrange(10)
    if choice == 0:
        body = rnd.choice((0, 1, (1 << fbits) - 1, 1 << fbits, (top - 1) << fbits | ((1 << fbits) - 1)))
    elif choice == 1:
        body = top << fbits | rnd.choice((0, 1 << (fbits - 1), (1 << (fbits - 1)) | 1, 1, 1 << (fbits - 2)))
    elif choice == 2:
        body = rnd.getrandbits(fbits)                               # denormal
    elif choice == 3:
        body = (bias << fbits) + rnd.choice((0, 1, -1, 2, (1 << fbits) - 1))
    elif choice in (4, 5, 6):                                       # short mantissa near 1
        body = (bias + rnd.randrange(-6, 7)) << fbits | rnd.getrandbits(3) << (fbits - 3) | rnd.getrandbits(1)
    elif choice == 7:                                               # integral values and halves
        n = rnd.randrange(1, 1 << min(fbits, 20)) * 2 + 1
        return sign | fp_bits(n / 2, esize)
    elif choice == 8:                                               # near overflow / underflow
        body = rnd.choice((rnd.randrange(1, 4), top - rnd.randrange(1, 4))) << fbits | rnd.getrandbits(fbits)
    else:
        body = rnd.getrandbits(esize - 1)
    return sign | body


def fp_bits(value: float, esize: int) -> int:
    fmt = {16: "<e", 32: "<f", 64: "<d"}[esize]
    return int.from_bytes(struct.pack(fmt, value), "little")


def random_vector(rnd: random.Random) -> int:
    r = rnd.random()
    if r < 0.3:
        return rnd.getrandbits(128)
    esize = rnd.choice((16, 32, 32, 64, 64))
    return sum(fp_special(rnd, esize) << (i * esize) for i in range(128 // esize))


def random_fpcr(rnd: random.Random) -> int:
    """Half the time the default; else a random RMode with FZ, DN, FZ16 sometimes set."""
    if rnd.random() < 0.5:
        return 0
    return rnd.getrandbits(2) << 22 | rnd.choice((0, 1 << 24)) | rnd.choice((0, 1 << 25)) | rnd.choice((0, 1 << 19))


def random_state(rnd: random.Random, insn, fault: bool = False) -> dict[str, int]:
    """Random registers; base/index registers of memory forms point into (or, if `fault`, away from) DATA."""
    st = {f"x{i}": random_value(rnd) for i in range(31)}
    st.update({f"q{i}": random_vector(rnd) for i in range(32)})
    st.update({f: rnd.getrandbits(1) for f in FLAGS})
    st.update(sp=DATA + DATA_SIZE // 2 + 16 * rnd.randrange(-32, 32), fpcr=random_fpcr(rnd),
              fpsr=rnd.choice((0, 0, rnd.getrandbits(5))),
              tpidr=random_value(rnd), excl_addr=0, excl_val=0, excl_size=0)
    f = insn.fields
    if "rn" in f and insn.form.startswith(("ld", "st", "cas", "atomic")):
        base = UNMAPPED if fault else DATA + DATA_SIZE // 2 + rnd.randrange(-0x400, 0x400)
        if insn.form in ("atomic", "cas", "ldst_excl") and rnd.random() < 0.8:
            base &= ~7                    # mostly aligned; the rest must raise alignment faults
        if f["rn"] < 31:
            st[f"x{f['rn']}"] = base
        if "rm" in f and f["rm"] < 31 and f["rm"] != f["rn"]:
            index = rnd.randrange(0, 0x40)
            st[f"x{f['rm']}"] = index if rnd.random() < 0.7 else -index & (2**64 - 1)
            if f.get("option") in (2, 6):
                st[f"x{f['rm']}"] |= rnd.getrandbits(32) << 32
    return st


class Reference:
    def __init__(self, seed: int = 0):
        self.uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
        self.uc.ctl_set_cpu_model(A.UC_CPU_ARM64_MAX)      # LSE atomics and friends
        self.uc.mem_map(CODE, 0x1000)
        self.uc.mem_map(DATA, DATA_SIZE)
        self.uc.hook_add(UC_HOOK_INTR, self._intr)
        self.rnd = random.Random(seed)
        self.data = bytes(self.rnd.getrandbits(8) for _ in range(DATA_SIZE))
        self.intr = None

    def _intr(self, uc, intno, user):
        self.intr = intno
        uc.emu_stop()

    def run_unicorn(self, word: bytes, st: dict[str, int], prepared: bool = False):
        uc = self.uc
        uc.mem_write(CODE, word)
        if not prepared:
            uc.mem_write(DATA, self.data)
        for name, r in UC_VARS.items():
            uc.reg_write(r, st[name])
        uc.reg_write(A.UC_ARM64_REG_NZCV, sum(st[f] << (31 - i) for i, f in enumerate(FLAGS)))
        self.intr = None
        err = None
        try:
            uc.emu_start(CODE, CODE + 4, count=1)
        except UcError as e:
            if e.errno != UC_ERR_FETCH_UNMAPPED:      # a branch away from the code page is fine
                err = e
        out = {name: uc.reg_read(r) for name, r in UC_VARS.items()}
        nzcv = uc.reg_read(A.UC_ARM64_REG_NZCV)
        out.update({f: (nzcv >> (31 - i)) & 1 for i, f in enumerate(FLAGS)})
        return out, uc.reg_read(A.UC_ARM64_REG_PC), err, self.intr, bytes(uc.mem_read(DATA, DATA_SIZE))

    def flat_memory(self) -> FlatMemory:
        mem = FlatMemory()
        for off in range(0, DATA_SIZE, PAGE):      # whole pages at once: map() goes byte by byte
            mem.pages[(DATA + off) // PAGE] = bytearray(self.data[off:off + PAGE])
        return mem

    def compare(self, word: bytes, st: dict[str, int], ignore: frozenset[str] = frozenset()) -> list[str]:
        """Differences between Unicorn and our semantics for one instruction from state `st`."""
        insn = ISA.decode(word, CODE)
        ref, ref_pc, err, intr, ref_mem = self.run_unicorn(word, st)
        mem = self.flat_memory()
        ours, npc, exit_ = run_insn(ISA, insn, st, mem)
        our_mem = b"".join(mem.pages[(DATA + off) // PAGE] for off in range(0, DATA_SIZE, PAGE))
        diffs = []
        if err is not None or intr == 4:   # unmapped / misaligned: MemFault, nothing changed
            want = EXIT_PAGE_FAULT if err is not None else EXIT_ALIGN
            if not (isinstance(exit_, MemFault) and exit_.reason == want):
                diffs.append(f"unicorn {err or 'alignment fault'}, ours {exit_!r}")
            ref, ref_mem = dict(st), self.data
        elif intr is not None:       # svc (2) / brk (7)
            want = EXIT_TRAP if intr == 2 else EXIT_BREAKPOINT
            if not (isinstance(exit_, GuestExit) and exit_.reason == want):
                diffs.append(f"interrupt {intr}, ours {exit_!r}")
        else:
            if exit_ is not None:
                diffs.append(f"ours exited {exit_!r}")
            if npc != ref_pc:
                diffs.append(f"pc {npc:#x} != {ref_pc:#x}")
        for name in UC_VARS.keys() | set(FLAGS):
            if name in ignore:
                continue
            if ours[name] != ref[name]:
                diffs.append(f"{name}: ours {ours[name]:#x} unicorn {ref[name]:#x} (was {st[name]:#x})")
        if our_mem != ref_mem:
            at = next(i for i in range(DATA_SIZE) if our_mem[i] != ref_mem[i])
            diffs.append(f"memory differs at {DATA + at:#x}")
        return diffs
