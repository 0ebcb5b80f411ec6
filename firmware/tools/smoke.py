"""Runs every firmware program on both architectures under fakemach and checks what it prints.

    python3 firmware/tools/smoke.py        (or: make -C firmware smoke)

Exit status 0 when every program behaves as its source says; each failure is printed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fakemach import FakeMach

BUILD = Path(__file__).resolve().parent.parent / "build"
INIT_SCRIPT = b"help\necho  a   b \n\nuname\nfrobnicate now\nhalt\n"


def expectations(arch: str) -> dict[str, tuple[bytes, str, str]]:
    """program -> (console input, expected console output, expected status prefix)."""
    version = "machr fakemach 0.1 (firmware smoke test)\n"
    init_output = (
        f"machr init ({arch}) — Mach 3 personality\n{version}"
        "machr#   help   list the commands\n  echo   print the arguments\n"
        "  uname  print the kernel version\n  halt   halt the machine\n"
        f"machr# a b\nmachr# machr# {version}machr# unknown command: frobnicate\nmachr# halting\n"
    )
    return {
        "hello": (b"", f"hello from {arch}\n", "terminated"),
        "ipcping": (b"", "ipcping ok\n", "terminated"),
        "undef": (b"", "undef: executing an undefined instruction\n", "exception"),
        "fault": (b"", "fault: writing to 0xdead0000\n", "exception"),
        "spin": (b"", "spin checksum 0x3747927b\n", "terminated"),
        "init": (INIT_SCRIPT, init_output, "halted (host_reboot options 0x8, target host_priv)"),
    }


def main() -> int:
    failures = 0
    for arch in ("x86_64", "aarch64"):
        for program, (script, output, status) in expectations(arch).items():
            machine = FakeMach(str(BUILD / arch / f"{program}.elf"), script.splitlines(keepends=True), False)
            got_status = machine.run()
            got_output = machine.output.decode(errors="replace")
            ok = got_output == output and got_status.startswith(status)
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {arch:8} {program:8} {got_status}")
            if not ok:
                print(f"    output {got_output!r}\n    wanted {output!r}, status {status!r}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
