"""The serial console on a terminal: prompt_toolkit line editing and history.

The guest prints its own prompt (`machr# `) and then reads a line.  To let
prompt_toolkit edit that line without drawing the prompt twice, output is
written through up to the last newline and the unfinished last line is held
back; when the guest reads, the held-back text becomes prompt_toolkit's
prompt.  Held-back text is also written out whenever the guest goes on
computing (`flush`), so nothing stays invisible for long.
"""

from __future__ import annotations

import sys


class TtyConsole:
    """Console I/O for an interactive terminal."""

    def __init__(self):
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import InMemoryHistory

        self.session = PromptSession(history=InMemoryHistory())
        self.out = sys.stdout.buffer
        self.partial = b""
        self.eof = False

    def write(self, data: bytes) -> None:
        data = self.partial + data
        cut = data.rfind(b"\n") + 1
        self.partial = data[cut:]
        if cut:
            self.out.write(data[:cut])
            self.out.flush()

    def flush(self) -> None:
        if self.partial:
            self.out.write(self.partial)
            self.out.flush()
            self.partial = b""

    def read_line(self) -> bytes:
        """One edited line with its newline; b'' on end of input (Ctrl-D)."""
        if self.eof:
            return b""
        prompt, self.partial = self.partial.decode("utf-8", "replace"), b""
        try:
            line = self.session.prompt(prompt)
        except EOFError:
            self.eof = True
            return b""
        except KeyboardInterrupt:
            return b"\n"
        return line.encode() + b"\n"
