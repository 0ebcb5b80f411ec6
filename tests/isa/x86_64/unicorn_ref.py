"""Run one x86-64 instruction in Unicorn and in our semantics from the same random state.

`compare_one` builds a state (registers, flags, xmm, a data region, an optional
memory operand placed inside it or deliberately outside), runs both, and
returns the list of differences (empty when they agree).
"""

from __future__ import annotations

import random
import struct

import unicorn
import unicorn.x86_const as X

from machr.isa.x86_64 import ISA
from machr.isa.x86_64.encoding import Encoding
from machr.isa.x86_64.operands import RIP, RIZ
from machr.isa.x86_64.state import FLAG_BITS, FLAGS, GPRS
from tests.isa.harness import FlatMemory, run_insn
from tests.isa.x86_64.instances import instance

CODE = 0x100000
DATA = 0x200000
DATA_SIZE = 0x4000
M64 = (1 << 64) - 1

# Flags the SDM leaves undefined, per form: not compared.  "of1" = OF only defined for a count of 1.
UNDEFINED_FLAGS = {
    **{f: {"sf", "zf", "af", "pf"} for f in ("mul", "imul1", "imul2", "imul3")},
    "div": set(FLAGS) - {"df"}, "idiv": set(FLAGS) - {"df"},
    **{f: {"af", "of1"} for f in ("rol", "ror", "rcl", "rcr", "shl", "shr", "sar", "shld", "shrd")},
    **{f: {"of", "sf", "af", "pf"} for f in ("bt", "bts", "btr", "btc", "tzcnt", "lzcnt")},
    "bsf": {"cf", "of", "sf", "af", "pf"}, "bsr": {"cf", "of", "sf", "af", "pf"},
    **{f: {"af"} for f in ("and", "or", "xor", "test")},
}

_UC_GPR = [getattr(X, f"UC_X86_REG_{r.upper()}") for r in GPRS]
_UC_XMM = [getattr(X, f"UC_X86_REG_XMM{i}") for i in range(16)]


def random_u64(rng: random.Random) -> int:
    return rng.choice((0, 1, M64, 1 << 63, (1 << 63) - 1, 0x80, 0x7F, 0xFF, 0xFFFFFFFF, 0x80000000,
                       rng.getrandbits(8), rng.getrandbits(16), rng.getrandbits(32))) if rng.random() < 0.3 \
        else rng.getrandbits(64)


def random_state(rng: random.Random) -> dict[str, int]:
    s = {r: random_u64(rng) for r in GPRS}
    s.update({f: rng.getrandbits(1) for f in FLAGS})
    s["df"] = 0 if rng.random() < 0.7 else 1
    s["rsp"] = DATA + 0x1000 + 8 * rng.randrange(0x100)
    s["rcx"] = s["rcx"] if rng.random() < 0.5 else rng.randrange(6)
    s["rsi"] = DATA + 0x800 + rng.randrange(0x400)
    s["rdi"] = DATA + 0x2000 + rng.randrange(0x400)
    s["fs_base"] = rng.randrange(0x1000)
    s["gs_base"] = rng.randrange(0x1000)
    s["mxcsr"] = 0x1F80
    s["fcw"] = 0x37F
    for i in range(16):
        s[f"xmm{i}"] = _random_xmm(rng)
    return s


def _random_xmm(rng: random.Random) -> int:
    """Mostly meaningful floats in the low lanes, so scalar FP forms see numbers, not NaNs."""
    if rng.random() < 0.5:
        return rng.getrandbits(128)
    lo = struct.unpack("<Q", struct.pack("<d", rng.choice((0.0, -0.0, 1.5, -2.25, 1e300, 3.0, 1e-310,
                                                            rng.uniform(-1e6, 1e6)))))[0]
    f = struct.unpack("<I", struct.pack("<f", rng.choice((0.0, 1.5, -7.0, rng.uniform(-1e4, 1e4)))))[0]
    return rng.getrandbits(64) << 64 | (lo if rng.random() < 0.5 else (rng.getrandbits(32) << 32 | f))


def place_memory_operand(insn, state: dict[str, int], rng: random.Random, inside: bool) -> bool:
    """Point the memory operand's base register at the data region (or far outside it).

    False when the operand's shape does not allow it (no base, rip-relative, base used as index,
    base also written by the instruction's other register operands in a way we cannot solve).
    """
    mems = [o for o in insn.fields["ops"] if o[0] == "m"]
    if not mems or insn.form in ("movs", "stos", "lods", "scas", "cmps"):
        return True
    _, _, base, index, scale, disp, seg = mems[0]
    ops = insn.fields["ops"]
    if insn.form in ("bt", "bts", "btr", "btc") and ops[1][0] == "r":
        if ops[1][1] == base or ops[1][1] == index:
            return False
        state[GPRS[ops[1][1]]] = rng.randrange(-512, 512) & M64     # bit offset stays near the operand
    if base < 0 and index < 0:
        return True                                  # absolute: moffs was patched; disp32 faults on both
    if base < 0 or base == RIP or base == index or base == 4:
        return False
    target = DATA + 0x1000 + rng.randrange(0x1000) if inside else 0x7000_0000_0000 + rng.randrange(0x1000)
    rest = disp + (state[GPRS[index]] * scale if index >= 0 and index != RIZ else 0)
    rest += state[f"{seg}_base"] if seg in ("fs", "gs") else 0
    state[GPRS[base]] = (target - rest) & M64
    return True


class Unicorn:
    """One Unicorn x86-64 CPU with the code page and data region mapped once."""

    def __init__(self):
        self._fresh()

    def _fresh(self) -> None:
        """A new CPU: after an exception Unicorn keeps it pending (the next one reads as #DF)."""
        self.uc = unicorn.Uc(unicorn.UC_ARCH_X86, unicorn.UC_MODE_64)
        self.uc.mem_map(CODE, 0x1000)
        self.uc.mem_map(DATA, DATA_SIZE)
        self.interrupt: int | None = None
        self.uc.hook_add(unicorn.UC_HOOK_INTR, self._on_interrupt)

    def _on_interrupt(self, uc, intno, _user):
        self.interrupt = intno
        uc.emu_stop()

    def run(self, code: bytes, state: dict[str, int], data: bytes, repeat: bool = False):
        """Execute `code` once (`repeat`: a rep string op, run until it falls through — Unicorn
        counts each rep iteration as an instruction)."""
        uc = self.uc
        uc.ctl_remove_cache(CODE, CODE + 0x1000)      # the code page is rewritten every run
        uc.mem_write(CODE, code)
        uc.mem_write(DATA, data)
        for r, v in zip(_UC_GPR, GPRS, strict=True):
            uc.reg_write(r, state[v])
        uc.reg_write(X.UC_X86_REG_EFLAGS, 0x202 | sum(state[f] << b for f, b in FLAG_BITS.items()))
        uc.reg_write(X.UC_X86_REG_FS_BASE, state["fs_base"])
        uc.reg_write(X.UC_X86_REG_GS_BASE, state["gs_base"])
        uc.reg_write(X.UC_X86_REG_MXCSR, state["mxcsr"])
        for r, i in zip(_UC_XMM, range(16), strict=True):
            uc.reg_write(r, state[f"xmm{i}"])
        fault = self.interrupt = None
        try:
            uc.emu_start(CODE, CODE + len(code), count=0 if repeat else 1)
        except unicorn.UcError as e:
            if e.errno != unicorn.UC_ERR_FETCH_UNMAPPED:     # a branch executed, then its target was fetched
                fault = e
        out = {v: uc.reg_read(r) for r, v in zip(_UC_GPR, GPRS, strict=True)}
        fl = uc.reg_read(X.UC_X86_REG_EFLAGS)
        out.update({f: fl >> b & 1 for f, b in FLAG_BITS.items()})
        out["fs_base"] = uc.reg_read(X.UC_X86_REG_FS_BASE)
        out["gs_base"] = uc.reg_read(X.UC_X86_REG_GS_BASE)
        for r, i in zip(_UC_XMM, range(16), strict=True):
            out[f"xmm{i}"] = uc.reg_read(r)
        if self.interrupt is not None:
            fault = f"interrupt {self.interrupt}"
        result = out, uc.reg_read(X.UC_X86_REG_RIP), bytes(uc.mem_read(DATA, DATA_SIZE)), fault
        if fault is not None:
            self._fresh()
        return result


def compare_one(uc: Unicorn, enc: Encoding, rng: random.Random, memory: bool | None = None,
                inside: bool = True) -> list[str] | None:
    """Differences between Unicorn and our semantics for one random instance (None: instance unusable)."""
    code = instance(enc, rng, memory)
    insn = ISA.decode(code, CODE)
    code = code[:insn.length]
    if any(o[0] == "O" for o in enc.operands):       # moffs: the address is the last 8 bytes
        target = DATA + 0x1000 + rng.randrange(0x1000) if inside else 0x7000_0000_0000
        code = code[:-8] + target.to_bytes(8, "little")
        insn = ISA.decode(code, CODE)
    state = random_state(rng)
    if not place_memory_operand(insn, state, rng, inside):
        return None
    if insn.form in ("shld", "shrd") and insn.fields["osz"] == 16:
        return None                                  # counts > 16 are undefined for 16-bit shld/shrd
    if insn.form in ("lahf", "sahf") and 0x40 <= code[0] <= 0x4F:
        return None                                  # QEMU takes AH as SPL under a REX prefix
    if insn.form == "ret" and insn.fields["ops"] and insn.fields["ops"][0][1] >= 0x8000:
        return None                                  # QEMU sign-extends ret's imm16 (the SDM zero-extends)
    data = rng.randbytes(DATA_SIZE)
    ref, ref_pc, ref_data, fault = uc.run(code, state, data)
    mem = FlatMemory()
    mem.map(DATA, data)
    ours, pc, exit_ = run_insn(ISA, insn, state, mem)
    if fault == "interrupt 6" or isinstance(fault, unicorn.UcError) and fault.errno == unicorn.UC_ERR_INSN_INVALID:
        return None                                  # QEMU rejects some encodings hardware takes (REX.R on /digit)
    if fault is not None:
        if exit_ is None:
            return [f"{insn}: Unicorn faulted ({fault}), we did not"]
        ref, ref_pc, ref_data = state, CODE, data
        pc = CODE
    elif exit_ is not None:
        return [f"{insn}: we exited ({exit_!r}), Unicorn did not"]
    masked = UNDEFINED_FLAGS.get(insn.form, set())
    if "of1" in masked and _count(insn, state) != 1:
        masked = masked | {"of"}
    diffs = [f"{insn} [{code.hex()}]: {k} = {ours[k]:#x}, Unicorn {ref[k]:#x} (from {state[k]:#x})"
             for k in ref if k not in masked and ours[k] != ref[k]]
    if pc != ref_pc:
        diffs.append(f"{insn}: next pc {pc:#x}, Unicorn {ref_pc:#x}")
    ours_data = mem.read_bytes(DATA, DATA_SIZE)
    if ours_data != ref_data:
        first = next(i for i in range(DATA_SIZE) if ours_data[i] != ref_data[i])
        diffs.append(f"{insn} [{code.hex()}]: memory differs at {DATA + first:#x}")
    return diffs


def _count(insn, state) -> int:
    """The masked shift count of a shift form (OF is defined for a count of 1 only)."""
    dst, cnt = insn.fields["ops"][0], insn.fields["ops"][-1]
    bits = dst[1] if dst[0] == "m" else dst[2]
    if cnt[0] == "i":
        return cnt[1] & (0x3F if bits == 64 else 0x1F)
    return state["rcx"] & (0x3F if bits == 64 else 0x1F)
