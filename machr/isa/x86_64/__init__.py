"""The x86-64 ISA package: decoder, semantics, register layout and Mach ABI."""

from __future__ import annotations

from machr.isa.base import Isa
from machr.isa.dual import python_globals
from machr.isa.x86_64 import abi, decoder, helpers, paging, semantics, state


ISA = Isa(
    name="x86_64",
    elf_machine="EM_X86_64",
    nregs=state.NREGS,
    pc_slot=state.PC_SLOT,
    state_vars=state.STATE_VARS,
    flag_vars=state.FLAG_VARS,
    max_insn_len=decoder.MAX_INSN_LEN,
    decode=decoder.decode,
    translate=semantics.translate,
    globals=python_globals(helpers.GLOBALS, {}),
    numba_globals=helpers.NUMBA_GLOBALS,
    numba_functions=helpers.NUMBA_FUNCTIONS,
    paging=paging,
    abi=abi,
    python_float_ops=helpers.PYTHON_FLOAT_OPS,
)
