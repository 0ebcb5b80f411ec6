"""The system registers user code may touch (mrs/msr), by (op0, op1, CRn, CRm, op2).

Everything else is UNDEFINED at EL0 here.  Fixed values the guest reads:
CNTFRQ_EL0 says the counter ticks at 1 GHz (one tick per retired instruction
of virtual time, ARCHITECTURE.md §1 "Time"); CTR_EL0 describes 64-byte cache
lines with IDC/DIC set (no cache maintenance needed for coherence);
DCZID_EL0 has DZP set, so `dc zva` is prohibited and software does not use it.
"""

NAMES = {
    (3, 3, 13, 0, 2): "tpidr_el0",
    (3, 3, 4, 2, 0): "nzcv",
    (3, 3, 4, 4, 0): "fpcr",
    (3, 3, 4, 4, 1): "fpsr",
    (3, 3, 14, 0, 2): "cntvct_el0",
    (3, 3, 14, 0, 0): "cntfrq_el0",
    (3, 3, 0, 0, 1): "ctr_el0",
    (3, 3, 0, 0, 7): "dczid_el0",
}
READ_ONLY = frozenset({"cntvct_el0", "cntfrq_el0", "ctr_el0", "dczid_el0"})

CNTFRQ = 1_000_000_000
CTR = (1 << 31) | (1 << 29) | (1 << 28) | (4 << 24) | (4 << 20) | (4 << 16) | 4
DCZID = 1 << 4
FPCR_MASK = 0x07FF9F00          # AHP DN FZ RMode Stride Len IDE IXE UFE OFE DZE IOE (writable bits)
FPSR_MASK = 0xF800009F          # N Z C V QC IDC IXC UFC OFC DZC IOC
