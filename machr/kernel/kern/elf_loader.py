"""Loading static ELF executables into a task (pyelftools does the parsing).

`elf_inspect` validates everything before anything is mapped, so a bad file
gets one clear `ElfError` and no half-built task: ELF64 little-endian,
ET_EXEC, a machine we emulate, no interpreter, PT_LOAD segments inside the
file, filesz ≤ memsz, inside the user address range, not overlapping one
another, not larger than physical memory, and an entry point in an
executable segment.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from machr.kernel.kern.copy import kernel_write
from machr.kernel.mach.kern_return import KERN_SUCCESS
from machr.kernel.mach.vm_types import VM_PROT_EXECUTE, VM_PROT_READ, VM_PROT_WRITE
from machr.kernel.vm.vm_map import round_page, trunc_page

MACHINES = {"EM_X86_64": "x86_64", "EM_AARCH64": "aarch64"}
PF_X, PF_W, PF_R = 1, 2, 4


class ElfError(Exception):
    """The file is not a loadable executable; the message says why, in one line."""


@dataclass(frozen=True)
class Segment:
    vaddr: int
    memsz: int
    data: bytes
    prot: int


@dataclass(frozen=True)
class ElfImage:
    arch: str
    entry: int
    segments: tuple[Segment, ...]
    phdr_addr: int          # AT_PHDR: where the program headers are in memory (0 if not loaded)
    phent: int
    phnum: int
    symbols: dict[str, int]  # for DDB and tests


def elf_inspect(data: bytes, va_limit: int = 1 << 47, mem_limit: int = 1 << 40) -> ElfImage:
    """Validate `data` as a static executable and describe what to map."""
    if len(data) < 64 or data[:4] != b"\x7fELF":
        raise ElfError("not an ELF file")
    if data[4] != 2:
        raise ElfError("not a 64-bit ELF file")
    if data[5] != 1:
        raise ElfError("not a little-endian ELF file")
    try:
        elf = ELFFile(io.BytesIO(data))
        machine = elf["e_machine"]
        if machine not in MACHINES:
            raise ElfError(f"unsupported architecture {machine}")
        if elf["e_type"] != "ET_EXEC":
            raise ElfError(f"not a static executable (type {elf['e_type']})")
        phoff, phnum, phent = elf["e_phoff"], elf["e_phnum"], elf["e_phentsize"]
        if phnum == 0 or phoff + phnum * phent > len(data):
            raise ElfError("program headers lie outside the file")
        segments, loads = [], []
        for seg in elf.iter_segments():
            if seg["p_type"] == "PT_INTERP":
                raise ElfError("dynamically linked executables are not supported")
            if seg["p_type"] == "PT_LOAD":
                loads.append(seg)
        if not loads:
            raise ElfError("no loadable segments")
        spans = []
        total = 0
        phdr_addr = 0
        for seg in loads:
            off, fsz, msz, va = seg["p_offset"], seg["p_filesz"], seg["p_memsz"], seg["p_vaddr"]
            if fsz > msz:
                raise ElfError(f"segment at {va:#x}: file size {fsz:#x} exceeds memory size {msz:#x}")
            if off + fsz > len(data):
                raise ElfError(f"segment at {va:#x} is truncated (file ends at {len(data):#x})")
            if va < 0x1000 or va + msz > va_limit:
                raise ElfError(f"segment at {va:#x} (size {msz:#x}) is outside the user address range")
            total += round_page(va + msz) - trunc_page(va)
            if total > mem_limit:
                raise ElfError(f"segments need {total:#x} bytes, more than physical memory")
            spans.append((va, va + msz))
            prot = ((VM_PROT_READ if seg["p_flags"] & PF_R else 0)
                    | (VM_PROT_WRITE if seg["p_flags"] & PF_W else 0)
                    | (VM_PROT_EXECUTE if seg["p_flags"] & PF_X else 0))
            segments.append(Segment(va, msz, data[off:off + fsz], prot))
            if off <= phoff < off + fsz:
                phdr_addr = va + (phoff - off)
        spans.sort()
        for (a0, a1), (b0, _b1) in itertools.pairwise(spans):
            if b0 < a1:
                raise ElfError(f"segments at {a0:#x} and {b0:#x} overlap")
        entry = elf["e_entry"]
        if not any(s.vaddr <= entry < s.vaddr + s.memsz and s.prot & VM_PROT_EXECUTE for s in segments):
            raise ElfError(f"entry point {entry:#x} is not in an executable segment")
        symbols = {}
        symtab = elf.get_section_by_name(".symtab")
        if symtab is not None:
            for sym in symtab.iter_symbols():
                if sym.name and sym["st_value"]:
                    symbols[sym.name] = sym["st_value"]
    except ELFError as e:
        raise ElfError(f"malformed ELF: {e}") from None
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as e:  # pyelftools on garbage
        raise ElfError(f"malformed ELF: {e}") from None
    return ElfImage(MACHINES[machine], entry, tuple(segments), phdr_addr, phent, phnum, symbols)


def elf_load(task, image: ElfImage) -> int:
    """Map and fill `image`'s segments in `task`; returns KERN_SUCCESS or the failing code.

    Segments that share a page (allowed by the ELF rules when their bytes do
    not overlap) are mapped once with the union of their protections.
    """
    pages: dict[int, int] = {}
    for seg in image.segments:
        for va in range(trunc_page(seg.vaddr), round_page(seg.vaddr + seg.memsz), 4096):
            pages[va] = pages.get(va, 0) | seg.prot
    # Merge runs of pages with equal protection into map entries.
    run_start, run_prot, prev = None, 0, None
    for va in sorted(pages) + [None]:
        if va is not None and run_start is not None and va == prev + 4096 and pages[va] == run_prot:
            prev = va
            continue
        if run_start is not None:
            kr, _ = task.map.enter(run_start, prev + 4096 - run_start, anywhere=False, protection=run_prot,
                                   name="elf")
            if kr != KERN_SUCCESS:
                return kr
        if va is not None:
            run_start, run_prot, prev = va, pages[va], va
    for seg in image.segments:
        if seg.data:
            kernel_write(task, seg.vaddr, seg.data)
    return KERN_SUCCESS
