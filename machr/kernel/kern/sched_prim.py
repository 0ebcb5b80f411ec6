"""Scheduling primitives: run queue, thread_block with continuations, virtual time.

Mach's continuation design maps onto Python callables: a thread that must
wait (message receive, console read, ...) calls `thread_block(thread,
continuation)` and the trap handler returns; no Python stack is held.  When
another party calls `thread_go(thread)`, the thread goes back on the run
queue, and the dispatcher calls `continuation(thread)` just before it
returns to user mode — the continuation finishes the trap (copies out the
message, sets the result register).

Time is virtual: the processor's retired-instruction count, plus time
skipped while idle waiting for a timer.  `INSNS_PER_MS` sets the scale
(the guest sees a 10-MIPS machine), so timeouts are deterministic.

One processor (`Processor`) exists per booted kernel; the module functions
act on the most recently created one, like Mach's per-CPU globals.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable

INSNS_PER_MS = 10_000
QUANTUM_INSNS = 50_000

# Thread run states (spec §7 THREAD_BASIC_INFO run_state numbering).
TH_RUN = 1          # runnable or running
TH_STOPPED = 2      # suspended
TH_WAIT = 3         # blocked with a continuation
TH_HALTED = 5       # terminated

_current: Processor | None = None


class Processor:
    """The one simulated CPU's scheduling state."""

    def __init__(self, engine):
        global _current
        self.engine = engine
        self.runq: deque = deque()
        self.idle_insns = 0                    # virtual time skipped while idle
        self.timers: list = []                 # heap of (deadline_insns, seq, handle)
        self._seq = itertools.count()
        self.active_thread = None
        _current = self

    # --- time ---------------------------------------------------------------
    def now_insns(self) -> int:
        return self.engine.clock + self.idle_insns

    def now_ms(self) -> int:
        return self.now_insns() // INSNS_PER_MS

    def timer_enter(self, deadline_ms: int, fn: Callable[[], None]) -> list:
        handle = [deadline_ms * INSNS_PER_MS, next(self._seq), fn]
        heapq.heappush(self.timers, handle)
        return handle

    def timer_cancel(self, handle: list) -> None:
        handle[2] = None                       # lazily dropped when it reaches the top

    def fire_timers(self) -> None:
        now = self.now_insns()
        while self.timers and self.timers[0][0] <= now:
            _, _, fn = heapq.heappop(self.timers)
            if fn is not None:
                fn()

    def next_timer(self) -> int | None:
        while self.timers and self.timers[0][2] is None:
            heapq.heappop(self.timers)
        return self.timers[0][0] if self.timers else None

    def idle_until_timer(self) -> bool:
        """Nothing runnable: jump virtual time to the next timer.  False if there is none."""
        deadline = self.next_timer()
        if deadline is None:
            return False
        self.idle_insns += max(0, deadline - self.now_insns())
        self.fire_timers()
        return True

    # --- threads ------------------------------------------------------------
    def setrun(self, thread) -> None:
        if thread.state != TH_HALTED and thread.suspend_count == 0 and not thread.on_runq:
            thread.state = TH_RUN
            thread.on_runq = True
            self.runq.append(thread)

    def choose(self):
        """Next runnable thread (round robin), or None."""
        while self.runq:
            t = self.runq.popleft()
            t.on_runq = False
            if t.state == TH_RUN and t.suspend_count == 0:
                return t
        return None


def processor() -> Processor:
    assert _current is not None, "no processor: the kernel has not booted"
    return _current


def thread_block(thread, continuation: Callable) -> None:
    """Stop `thread` until `thread_go`; `continuation(thread)` then finishes its trap."""
    thread.state = TH_WAIT
    thread.continuation = continuation


def thread_go(thread) -> None:
    """Make a blocked thread runnable (its continuation runs before it returns to user mode)."""
    if thread.state == TH_WAIT:
        thread.state = TH_RUN
        thread.abort_hook = None
        processor().setrun(thread)


def thread_setrun(thread) -> None:
    processor().setrun(thread)


def clock_ms() -> int:
    return processor().now_ms()


def timer_enter(deadline_ms: int, fn: Callable[[], None]):
    return processor().timer_enter(deadline_ms, fn)


def timer_cancel(handle) -> None:
    processor().timer_cancel(handle)
