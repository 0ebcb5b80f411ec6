"""x86_64 4-level paging (Intel SDM Vol. 3A §4.5): PML4 → PDPT → PD → PT.

One definition of the entry format serves both the MMU's walker
(`machr.machine.mmu`) and the kernel's pmap, which writes these entries.
"""

from machr.isa.pagetable import LEVELS, PERM_U, PERM_W, PERM_X, index, leaf_size  # noqa: F401

P, RW, US, PWT, PCD, A, D, PS, G = (1 << b for b in (0, 1, 2, 3, 4, 5, 6, 7, 8))
NX = 1 << 63
ADDR_MASK = 0x000FFFFFFFFFF000
VA_LIMIT = 1 << 47            # user half of the canonical address space


def is_valid(e: int, level: int) -> bool:
    return bool(e & P)


def is_table(e: int, level: int) -> bool:
    """A non-leaf entry: PML4 entries always, PDPT/PD entries without PS."""
    return level == 0 or (level < 3 and not e & PS)


def entry_pa(e: int) -> int:
    return e & ADDR_MASK


def perms(e: int) -> int:
    """PERM_* bits this entry grants (tables and leaves alike: RW, US, NX)."""
    return (PERM_W if e & RW else 0) | (0 if e & NX else PERM_X) | (PERM_U if e & US else 0)


table_perms = perms


def make_table(pa: int) -> int:
    """Tables grant everything; permissions are decided by the leaf."""
    return pa | P | RW | US


def make_page(pa: int, write: bool, execute: bool) -> int:
    return pa | P | US | (RW if write else 0) | (0 if execute else NX)


def mark(e: int, write: bool) -> int:
    """The entry after an access: Accessed always, Dirty on a write."""
    return e | A | (D if write else 0)


def is_dirty(e: int) -> bool:
    """Writes through this leaf are already recorded (no walk needed to set D)."""
    return bool(e & D)


def is_referenced(e: int) -> bool:
    return bool(e & A)


def clear_referenced(e: int) -> int:
    return e & ~A


def user_va_ok(va: int) -> bool:
    return 0 <= va < VA_LIMIT
