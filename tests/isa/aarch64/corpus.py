"""Instruction corpora for the decoder and semantics tests.

Two sources: the firmware ELFs (`firmware/build/aarch64/*.elf`) once they
exist, and C files under `corpus/` compiled here with the cross compiler in
the configurations the firmware may use (plain -O2, no outline atomics, LSE,
-O3 for vector loops): libc-style code, scalar FP and simple vector loops
(fp_simd.c), benchmark FP kernels (fp_kernels.c: nbody, matrix multiply,
dot products, conversions, rounding) and integer vector kernels
(vec_kernels.c: copies, CRC, sorting, widening maths, structure loads).
Code is found the way objdump finds it: executable sections, split by the
AArch64 mapping symbols `$x` (code) / `$d` (data).
"""

from __future__ import annotations

import functools
import io
import pathlib
import shutil
import subprocess
import tempfile

from elftools.elf.elffile import ELFFile

HERE = pathlib.Path(__file__).parent
ROOT = HERE.parents[2]
FIRMWARE = ROOT / "firmware" / "build" / "aarch64"
CC = "aarch64-linux-gnu-gcc"
CFLAGS = ("-ffreestanding", "-fno-pie", "-static", "-nostdlib", "-c")
VARIANTS = {
    "O2": ("-O2",),
    "O2-llsc": ("-O2", "-mno-outline-atomics"),
    "O2-lse": ("-O2", "-march=armv8.1-a"),
    "O3": ("-O3",),
}


def code_ranges(elf_bytes: bytes) -> list[tuple[str, int, bytes]]:
    """(label, address, code bytes) for every code region of an ELF image."""
    elf = ELFFile(io.BytesIO(elf_bytes))
    symtab = elf.get_section_by_name(".symtab")
    out = []
    for idx, sec in enumerate(elf.iter_sections()):
        if not sec["sh_flags"] & 0x4 or sec["sh_type"] != "SHT_PROGBITS":   # SHF_EXECINSTR
            continue
        data, base = sec.data(), sec["sh_addr"]
        marks = sorted(
            (s["st_value"] - base if elf["e_type"] == "ET_EXEC" else s["st_value"], s.name[:2])
            for s in (symtab.iter_symbols() if symtab else ())
            if s["st_shndx"] == idx and s.name[:2] in ("$x", "$d")
        ) or [(0, "$x")]
        marks.append((len(data), "$d"))
        for (start, kind), (end, _) in zip(marks, marks[1:], strict=False):
            if kind == "$x" and end > start:
                out.append((f"{sec.name}+{start:#x}", base + start, data[start:end & ~3]))
    return out


def firmware_elfs() -> list[pathlib.Path]:
    return sorted(FIRMWARE.glob("*.elf")) if FIRMWARE.is_dir() else []


@functools.cache
def compiled_corpus() -> list[tuple[str, int, bytes]]:
    """Code regions of every corpus C file in every compiler configuration."""
    if shutil.which(CC) is None:
        return []
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for src in sorted((HERE / "corpus").glob("*.c")):
            for variant, flags in VARIANTS.items():
                obj = pathlib.Path(tmp) / f"{src.stem}-{variant}.o"
                subprocess.run([CC, *flags, *CFLAGS, str(src), "-o", str(obj)], check=True)
                for label, addr, code in code_ranges(obj.read_bytes()):
                    out.append((f"{obj.name}:{label}", addr, code))
    return out


def all_code() -> list[tuple[str, int, bytes]]:
    """The compiled corpus plus every firmware ELF's code."""
    out = list(compiled_corpus())
    for path in firmware_elfs():
        out += [(f"{path.name}:{label}", addr, code) for label, addr, code in code_ranges(path.read_bytes())]
    return out


def words(regions) -> list[tuple[int, bytes]]:
    """Distinct (pc, 4-byte word) pairs; pc matters only for pc-relative forms."""
    seen, out = set(), []
    for _, addr, code in regions:
        for off in range(0, len(code) - 3, 4):
            w = code[off:off + 4]
            key = (w, (addr + off) & 0xFFF)
            if key not in seen:
                seen.add(key)
                out.append((addr + off, w))
    return out
