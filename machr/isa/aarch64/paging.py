"""AArch64 VMSAv8-64 translation tables, 4 KiB granule, 48-bit VA, TTBR0 (Arm ARM D8.3).

Levels 0–3; level 3 descriptors are pages (bits[1:0] = 0b11), levels 1–2 may
hold blocks (0b01).  Access permissions AP[2:1] (bits 7:6): AP[1] = EL0
access, AP[2] = read-only.  Dirty state uses the hardware DBM scheme (bit 51):
a writable page starts read-only-clean (AP[2] = 1, DBM = 1) and the walker
clears AP[2] on the first write, so the pageout daemon sees dirtiness as
AP[2] = 0.  AF (bit 10) is set by the walker (hardware AF management).

One definition of the format serves the MMU's walker and the kernel's pmap.
"""

from machr.isa.pagetable import LEVELS, PERM_U, PERM_W, PERM_X, index, leaf_size  # noqa: F401

VALID, TABLE_OR_PAGE = 1 << 0, 1 << 1
AP_EL0, AP_RO = 1 << 6, 1 << 7
SH_INNER = 3 << 8
AF, NG = 1 << 10, 1 << 11
DBM = 1 << 51
PXN, UXN = 1 << 53, 1 << 54
ADDR_MASK = 0x0000FFFFFFFFF000
VA_LIMIT = 1 << 48


def is_valid(e: int, level: int) -> bool:
    """Level 0 has no blocks; level 3 needs the page type."""
    if not e & VALID:
        return False
    return bool(e & TABLE_OR_PAGE) if level in (0, 3) else True


def is_table(e: int, level: int) -> bool:
    return level < 3 and bool(e & TABLE_OR_PAGE)


def entry_pa(e: int) -> int:
    return e & ADDR_MASK


def table_perms(e: int) -> int:
    """PERM_* a table descriptor lets through: UXNTable (bit 60), APTable (bits 62:61)."""
    return ((0 if e & (1 << 62) else PERM_W) | (0 if e & (1 << 60) else PERM_X)
            | (0 if e & (1 << 61) else PERM_U))


def perms(e: int) -> int:
    """PERM_* a page or block descriptor grants.

    Writable = not read-only, or read-only-clean with DBM (writable, not yet dirty).
    """
    w = (not e & AP_RO) or bool(e & DBM)
    return (PERM_W if w else 0) | (0 if e & UXN else PERM_X) | (PERM_U if e & AP_EL0 else 0)


def make_table(pa: int) -> int:
    return pa | VALID | TABLE_OR_PAGE


def make_page(pa: int, write: bool, execute: bool) -> int:
    e = pa | VALID | TABLE_OR_PAGE | AP_EL0 | AP_RO | SH_INNER | NG | PXN
    if write:
        e |= DBM
    if not execute:
        e |= UXN
    return e


def mark(e: int, write: bool) -> int:
    """The entry after an access: AF always; a write to a DBM page clears AP[2]."""
    e |= AF
    if write and e & DBM:
        e &= ~AP_RO
    return e


def is_dirty(e: int) -> bool:
    return not e & AP_RO


def is_referenced(e: int) -> bool:
    return bool(e & AF)


def clear_referenced(e: int) -> int:
    return e & ~AF


def user_va_ok(va: int) -> bool:
    return 0 <= va < VA_LIMIT
