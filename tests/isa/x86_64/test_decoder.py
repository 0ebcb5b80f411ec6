"""The decoder against capstone: firmware ELFs, a gcc corpus, and random instances of every table row.

Normalisation: none — length, mnemonic and op_str must be equal.  Random rows
skip three encodings where capstone disagrees with the SDM and gcc never emits
them (see CAPSTONE_QUIRKS).
"""

from __future__ import annotations

import glob
import os
import random
import shutil
import subprocess

import capstone
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from machr.isa.base import DecodeError, NeedMoreBytes
from machr.isa.x86_64 import ISA
from machr.isa.x86_64.encoding import ENCODINGS
from tests.isa.x86_64.elf_sweep import code_ranges
from tests.isa.x86_64.instances import instance

HERE = os.path.dirname(__file__)
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
FIRMWARE = sorted(glob.glob(os.path.join(ROOT, "firmware", "build", "x86_64", "*.elf")))
_CS = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)


def capstone_says(code: bytes, pc: int):
    c = next(_CS.disasm(code, pc), None)
    return (c.size, c.mnemonic, c.op_str) if c else None


def sweep(path: str) -> list[str]:
    """Every instruction of the ELF decoded by both; the mismatches (and missing semantics)."""
    problems = []
    for addr, code in code_ranges(path):
        off = 0
        while off < len(code):
            chunk, pc = code[off:off + 15], addr + off
            expected = capstone_says(chunk, pc)
            try:
                insn = ISA.decode(chunk, pc)
                ISA.translate(insn)
                got = (insn.length, insn.mnemonic, insn.op_str)
            except DecodeError as e:
                got = ("DecodeError", str(e))
            if got != expected:
                problems.append(f"{os.path.basename(path)} {pc:#x} {chunk.hex()}: ours {got}, capstone {expected}")
            off += expected[0] if expected else 1
    return problems


@pytest.mark.skipif(not FIRMWARE, reason="firmware/build/x86_64 not built")
@pytest.mark.parametrize("path", FIRMWARE, ids=os.path.basename)
def test_firmware_decodes_like_capstone(path):
    assert sweep(path) == []


@pytest.mark.skipif(shutil.which("gcc") is None, reason="no gcc")
def test_gcc_corpus_decodes_like_capstone(tmp_path):
    """What gcc -O2 emits for SSE2 floats, vector loops, atomics, division, bit tricks."""
    src = os.path.join(HERE, "corpus", "sse_and_ints.c")
    out = tmp_path / "corpus.elf"
    subprocess.run(["gcc", "-O2", "-ffreestanding", "-fno-pie", "-no-pie", "-static", "-nostdlib",
                    "-fno-asynchronous-unwind-tables", "-fcf-protection=none", "-Wl,-e,dsum",
                    "-o", str(out), src], check=True)
    assert sweep(str(out)) == []


# Capstone disagrees with the SDM on these; gcc does not emit them.
CAPSTONE_QUIRKS = {
    "rcl": "capstone drops the ', 1' of a memory rcl by one",
    "pause": "capstone takes F3 REX 90 as xchg",
    "bsf": "capstone sizes 66 REX.W bsf/bsr as 16-bit",
    "bsr": "capstone sizes 66 REX.W bsf/bsr as 16-bit",
}


@pytest.mark.parametrize("enc", ENCODINGS, ids=lambda e: f"{e.mnemonic}-{','.join(e.operands)}")
def test_table_row_decodes_like_capstone(enc):
    rng = random.Random(f"{enc}")
    for _ in range(12):
        code = instance(enc, rng)
        expected = capstone_says(code, 0x401000)
        insn = ISA.decode(code, 0x401000)
        got = (insn.length, insn.mnemonic, insn.op_str)
        if got != expected and enc.mnemonic in CAPSTONE_QUIRKS:
            continue
        assert got == expected, code.hex()


def test_truncated_instruction_needs_more_bytes():
    code = bytes.fromhex("48b8efcdab8967452301")      # movabs rax, imm64
    for n in range(1, len(code)):
        with pytest.raises(NeedMoreBytes):
            ISA.decode(code[:n], 0)
    assert ISA.decode(code, 0).length == 10


def test_overlong_and_unknown_are_decode_errors():
    with pytest.raises(DecodeError):
        ISA.decode(b"\x66" * 15 + b"\x90", 0)             # 16 bytes: over the 15-byte limit
    with pytest.raises(DecodeError):
        ISA.decode(bytes.fromhex("0fff"), 0)              # 0F FF (ud0) is not implemented
    with pytest.raises(DecodeError):
        ISA.decode(bytes.fromhex("f089c0"), 0)            # lock on a register form


@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.binary(min_size=0, max_size=16))
def test_random_bytes_only_raise_decode_errors(code):
    try:
        insn = ISA.decode(code, 0x1000)
    except DecodeError:
        return
    assert 1 <= insn.length <= min(15, len(code))
    ISA.translate(insn)
