"""The serial console without a terminal: plain lines on stdin/stdout.

Used for pipes, scripts and tests (`printf 'echo hi\\nhalt\\n' | machr run
...`).  Input is line-disciplined by the console device (one line per read,
no echo), so the guest's output on stdout is exactly what it wrote.
"""

from __future__ import annotations

import sys
from typing import BinaryIO


class PlainConsole:
    """Console I/O over two byte streams."""

    def __init__(self, inp: BinaryIO | None = None, out: BinaryIO | None = None):
        self.inp = inp if inp is not None else sys.stdin.buffer
        self.out = out if out is not None else sys.stdout.buffer
        self.eof = False

    def write(self, data: bytes) -> None:
        self.out.write(data)

    def flush(self) -> None:
        self.out.flush()

    def read_line(self) -> bytes:
        """One input line including its newline; b'' at end of input. May block."""
        self.flush()
        if self.eof:
            return b""
        line = self.inp.readline()
        if not line:
            self.eof = True
        return line
