"""The guest IPC test programs (firmware/programs/ipc_*.c, suites in firmware/ipctest/) on both ISAs.

Each prints one line per case and `N passed, M failed`; a failure makes the
machine halt with status 1 (libc exit → host_reboot, machr convention).
"""

import pytest

from tests.conftest import ARCHES, boot
from tests.kernel.ipc.invariants import ipc_check_kernel

# program → number of cases (the exact summary line is asserted)
PROGRAMS = {
    "ipc_names": 10, "ipc_rights": 12, "ipc_msg": 11, "ipc_complex": 6, "ipc_ports": 7,
    "ipc_sets": 5, "ipc_notify": 7, "ipc_block": 7, "ipc_m2": 1, "ipc_caps": 3,
}
# The interpreter runs the ones exercising threads and the scheduler (the JIT runs all).
INTERP = ("ipc_block", "ipc_m2", "ipc_msg")


def run(arch: str, program: str, tier: str) -> None:
    kernel, status, out, log = boot(arch, program, tier)
    lines = out.decode().splitlines()
    failed = [line for line in lines if not line.startswith("ok ")][:-1]
    assert failed == [] and log == []
    assert lines[-1] == f"{PROGRAMS[program]} passed, 0 failed"
    assert len(lines) == PROGRAMS[program] + 1
    assert status == 0 and kernel.halt_reason == "init ended (terminated)"


@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_ipc_program_jit(arch, program):
    run(arch, program, "jit")


@pytest.mark.parametrize("program", INTERP)
def test_ipc_program_interp(arch, program):
    run(arch, program, "interp")


@pytest.mark.parametrize("arch", ARCHES)
def test_failed_case_sets_the_exit_status(arch):
    kernel, status, out, _log = boot(arch, "check_self", "jit")
    assert out.decode().splitlines() == [
        "ok check_self.passes",
        "FAIL check_self.fails: line 11: 2 + 2 = 0x4, expected 0x5",
        "1 passed, 1 failed",
    ]
    assert status == 1 and kernel.halt_reason == "halted by host_reboot with status 1"


def test_init_runs_the_suites_in_process(arch):
    _kernel, status, out, _log = boot(arch, "init", "jit", b"test ipc\ntest ipc ipc_m2\ntest ipc nope\nhalt\n")
    text = out.decode()
    assert f"{sum(PROGRAMS.values())} passed, 0 failed\n" in text
    assert "machr# ok ipc_m2.port_and_ool_between_threads\n1 passed, 0 failed\n" in text
    assert "machr# no suite nope\n" in text and "FAIL" not in text
    assert status == 0


@pytest.mark.parametrize("arch", ARCHES)
def test_fuzz_sample(arch):
    """A seeded sample of ipc_fuzz: every answer a spec'd code, no kernel exception (boot asserts
    kernel.errors == []), and the right counts exact midway (the run stopped by an instruction limit)."""
    _kernel, status, out, log = boot(arch, "ipc_fuzz", "jit", root_name="fuzz=7,300")
    text = out.decode()
    assert status == 0 and log == []
    assert "ipc_fuzz seed 7: 300 messages" in text and ", 0 unexpected\n" in text
    assert "3 passed, 0 failed\n" in text
    kernel, status, _out, _log = boot(arch, "ipc_fuzz", "jit", root_name="fuzz=8,100000", max_insns=4_000_000)
    assert status == 3
    assert ipc_check_kernel(kernel) > 10
