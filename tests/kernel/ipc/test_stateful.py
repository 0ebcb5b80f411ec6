"""Random port operations and messages between two tasks keep the right counts exact."""

import struct

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from machr.kernel.ipc import ipc_mqueue, mach_msg
from machr.kernel.ipc.ipc_port import IpcPort
from machr.kernel.ipc.ipc_right import ipc_right_copyin
from machr.kernel.ipc.ipc_space import ipc_space_destroy
from machr.kernel.ipc.mach_msg import mach_msg_trap, mach_reply_port
from machr.kernel.ipc.mach_port import mach_port_deallocate, mach_port_destroy, mach_port_request_notification
from machr.kernel.mach.message import (
    MACH_MSG_TYPE_MAKE_SEND_ONCE,
    MACH_RCV_MSG,
    MACH_RCV_TIMEOUT,
    MACH_SEND_MSG,
    MACH_SEND_TIMEOUT,
)
from machr.kernel.mach.notify import MACH_NOTIFY_NO_SENDERS

from .conftest import FakeSched, FakeTask, FakeThread, header, port_desc
from .invariants import ipc_check_rights


class TwoTasks(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.sched = FakeSched()
        self._saved = (ipc_mqueue.sched, mach_msg.sched)
        ipc_mqueue.sched = mach_msg.sched = lambda: self.sched
        self.tasks = [FakeTask(1), FakeTask(2)]
        self.threads = [FakeThread(t) for t in self.tasks]
        self.ports: list[IpcPort] = []

    def _names(self, i):
        return sorted(self.tasks[i].space.entries)

    @rule(i=st.integers(0, 1))
    def allocate(self, i):
        name = mach_reply_port(self.threads[i])
        self.ports.append(self.tasks[i].space.entries[name].object)

    @rule(i=st.integers(0, 1), k=st.integers(0, 50), disp=st.sampled_from([17, 18, 19, 20, 21]),
          dest_disp=st.sampled_from([19, 20]), pick=st.integers(0, 50))
    def send(self, i, k, disp, dest_disp, pick):
        """Send from task i to one of its names a message carrying another of its names."""
        names = self._names(i)
        if not names:
            return
        dest, carried = names[k % len(names)], names[pick % len(names)]
        msg = header(0x80000000 | dest_disp, 0, dest, 0, 1) + struct.pack("<I", 1) + port_desc(carried, disp)
        self.tasks[i].copyout(0x1000, msg)
        mach_msg_trap(self.threads[i], 0x1000, MACH_SEND_MSG | MACH_SEND_TIMEOUT, len(msg), 0, 0, 0)

    @rule(i=st.integers(0, 1), k=st.integers(0, 50))
    def receive(self, i, k):
        names = self._names(i)
        if names:
            mach_msg_trap(self.threads[i], 0x2000, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, 400, names[k % len(names)], 0)

    @rule(i=st.integers(0, 1), k=st.integers(0, 50))
    def give_send_right(self, i, k):
        """Move a MAKE_SEND right from task i into task 1-i with a message to a port of task 1-i."""
        names = self._names(i)
        if names:
            name = names[k % len(names)]
            kr, port, rtype = ipc_right_copyin(self.tasks[i].space, name, 20)
            if kr == 0:
                from machr.kernel.ipc.ipc_right import ipc_right_copyout_or_release

                ipc_right_copyout_or_release(self.tasks[1 - i].space, port, rtype)

    @rule(i=st.integers(0, 1), k=st.integers(0, 50), destroy=st.booleans())
    def drop(self, i, k, destroy):
        names = self._names(i)
        if names:
            name = names[k % len(names)]
            (mach_port_destroy if destroy else mach_port_deallocate)(self.tasks[i], name)

    @rule(i=st.integers(0, 1), k=st.integers(0, 50), j=st.integers(0, 50))
    def request_no_senders(self, i, k, j):
        names = self._names(i)
        if names:
            name, notify = names[k % len(names)], names[j % len(names)]
            kr, so, _ = ipc_right_copyin(self.tasks[i].space, notify, MACH_MSG_TYPE_MAKE_SEND_ONCE)
            if kr == 0:
                result = mach_port_request_notification(self.tasks[i], name, MACH_NOTIFY_NO_SENDERS, 0, so)
                if isinstance(result, int):
                    from machr.kernel.ipc.ipc_right import ipc_object_destroy

                    ipc_object_destroy(so, 18)
                else:
                    ipc_object_destroy_prev(result[0])

    @invariant()
    def rights_counted_once(self):
        ipc_check_rights([task.space for task in self.tasks], self.ports)

    def teardown(self):
        for task in self.tasks:
            ipc_space_destroy(task.space)
        for port in self.ports:
            assert not port.active or port.receiver is None
            if port.active:  # a receive right still in transit inside a dead port's queue
                assert port.srights == 0
        ipc_mqueue.sched, mach_msg.sched = self._saved


def ipc_object_destroy_prev(previous):
    from machr.kernel.ipc.ipc_right import ipc_object_destroy

    ipc_object_destroy(previous, 18)


TwoTasks.TestCase.settings = settings(max_examples=60, stateful_step_count=30, derandomize=True, deadline=None)
test_two_tasks = TwoTasks.TestCase
