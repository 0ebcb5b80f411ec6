"""The committed firmware, end to end, on both ISAs in both tiers."""

import subprocess
import sys

from tests.conftest import ROOT, boot, firmware

SESSION = b"help\necho hi   there\nuname\n\nbogus\nhalt\n"


def expected_session(arch: str, version: str) -> bytes:
    return (f"machr init ({arch}) \u2014 Mach 3 personality\n{version}\n"
            "machr#   help   list the commands\n  echo   print the arguments\n"
            "  uname  print the kernel version\n  test   run the guest test suites (test ipc [suite])\n"
            "  halt   halt the machine\n"
            f"machr# hi there\nmachr# {version}\nmachr# machr# unknown command: bogus\nmachr# halting\n"
            ).encode()


def test_init_shell_session(arch, tier):
    kernel, status, out, _log = boot(arch, "init", tier, SESSION)
    assert out == expected_session(arch, kernel.version)
    assert status == 0
    assert kernel.halt_reason == "halted by host_reboot"


def test_init_ends_at_end_of_input(arch, tier):
    kernel, status, out, _log = boot(arch, "init", tier, b"echo bye\n")
    assert out.endswith(b"machr# bye\nmachr# ")
    assert status == 0
    assert kernel.halt_reason == "init ended (terminated)"


def test_hello_and_ipcping(arch, tier):
    assert boot(arch, "hello", tier)[1:3] == (0, f"hello from {arch}\n".encode())
    assert boot(arch, "ipcping", tier)[1:3] == (0, b"ipcping ok\n")


def test_undefined_instruction_kills_the_task_not_the_kernel(arch, tier):
    _kernel, status, out, log = boot(arch, "undef", tier)
    assert out == b"undef: executing an undefined instruction\n"
    assert status == 1
    assert len(log) == 1 and "unhandled EXC_BAD_INSTRUCTION code=0x1" in log[0] and "task 1 (init)" in log[0]


def test_wild_store_is_bad_access(arch, tier):
    _kernel, status, _out, log = boot(arch, "fault", tier)
    assert status == 1
    assert "unhandled EXC_BAD_ACCESS code=0x1 subcode=0xdead0000" in log[0]


def test_interp_and_jit_agree_on_spin(arch):
    results = [boot(arch, "spin", tier, max_insns=3_000_000) for tier in ("interp", "jit")]
    (k0, s0, o0, _), (k1, s1, o1, _) = results
    assert (s0, o0) == (s1, o1) == (3, b"")
    assert k0.engine.clock == k1.engine.clock
    r0 = k0.init_task.threads[0].R
    r1 = k1.init_task.threads[0].R
    assert list(r0) == list(r1)


def test_max_insns_stops_the_machine(arch):
    kernel, status, _out, _log = boot(arch, "spin", "jit", max_insns=100_000)
    assert status == 3 and kernel.engine.clock >= 100_000


def test_cli_pipes_and_status():
    r = subprocess.run([sys.executable, "-m", "machr.cli", "run", "--jit", str(ROOT / "firmware" / "init.elf")],
                       input=b"echo hi\nhalt\n", capture_output=True, timeout=120)
    assert r.returncode == 0
    assert b"machr# hi\nmachr# halting\n" in r.stdout
    r = subprocess.run([sys.executable, "-m", "machr.cli", "run", str(firmware("aarch64", "undef"))],
                       capture_output=True, timeout=120)
    assert r.returncode == 1 and r.stderr.count(b"\n") == 2 and b"Traceback" not in r.stderr
