"""Interpreter and tier-1 JIT in lockstep: identical state at every canonical block boundary."""

import io

import pytest

from machr.console.plain import PlainConsole
from machr.kernel.kern.startup import Kernel, load_elf_file
from tests.conftest import ARCHES, firmware

PROGRAMS = [("init", b"help\necho a b c\nuname\nhalt\n", None), ("ipcping", b"", None), ("hello", b"", None),
            ("spin", b"", 400_000), ("undef", b"", None), ("fault", b"", None), ("codeload", b"", None)]


def boundary_states(arch, program, stdin, tier, max_insns):
    image = load_elf_file(str(firmware(arch, program)), 1 << 47, 16 << 20)
    out = io.BytesIO()
    kernel = Kernel(arch, 16 << 20, tier, PlainConsole(io.BytesIO(stdin), out), max_insns=max_insns,
                    log=lambda line: None)
    states = []
    kernel.engine.trace = lambda R, clock: states.append((clock, tuple(R)))
    kernel.boot(image)
    status = kernel.run()
    return states, status, out.getvalue()


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("program,stdin,max_insns", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_interp_and_jit_in_lockstep(arch, program, stdin, max_insns):
    interp = boundary_states(arch, program, stdin, "interp", max_insns)
    jit = boundary_states(arch, program, stdin, "jit", max_insns)
    assert interp[1:] == jit[1:]                       # same status, same output
    a, b = interp[0], jit[0]
    assert len(a) > 100
    for k, (sa, sb) in enumerate(zip(a, b, strict=False)):
        if sa != sb:
            diff = [i for i, (x, y) in enumerate(zip(sa[1], sb[1], strict=False)) if x != y]
            pytest.fail(f"boundary {k}: clock {sa[0]} vs {sb[0]}, register slots differ: {diff[:10]}")
    assert len(a) == len(b)
