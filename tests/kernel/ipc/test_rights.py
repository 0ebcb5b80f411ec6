"""Names, urefs, copyin/copyout per disposition, dead names and notifications (spec §1, §3, §6)."""

import struct

from machr.kernel.ipc.ipc_port import IP_DEAD, ipc_port_make_send
from machr.kernel.ipc.ipc_right import ipc_right_copyin, ipc_right_copyout, ipc_right_dealloc, ipc_right_delta
from machr.kernel.ipc.ipc_space import ipc_space_destroy, ipc_space_insert_send
from machr.kernel.ipc.mach_msg import mach_reply_port
from machr.kernel.ipc.mach_port import mach_port_allocate, mach_port_request_notification
from machr.kernel.mach.kern_return import (
    KERN_INVALID_NAME,
    KERN_INVALID_RIGHT,
    KERN_INVALID_VALUE,
    KERN_UREFS_OVERFLOW,
)
from machr.kernel.mach.message import MACH_MSG_TYPE_MAKE_SEND_ONCE
from machr.kernel.mach.notify import MACH_NOTIFY_DEAD_NAME, MACH_NOTIFY_NO_SENDERS, MACH_NOTIFY_SEND_ONCE
from machr.kernel.mach.port import (
    MACH_PORT_RIGHT_RECEIVE,
    MACH_PORT_RIGHT_SEND,
    MACH_PORT_TYPE_DEAD_NAME,
    MACH_PORT_TYPE_RECEIVE,
    MACH_PORT_TYPE_SEND,
    MACH_PORT_UREFS_MAX,
)

from .conftest import FakeThread


def test_names_are_index_and_generation(task_a):
    space = task_a.space
    n1, n2 = mach_port_allocate(task_a, 1)[0], mach_port_allocate(task_a, 1)[0]
    assert (n1, n2) == (0x100, 0x200)
    space.lookup(n1)
    ipc_right_delta(space, space.entries[n1], MACH_PORT_RIGHT_RECEIVE, -1)
    assert mach_port_allocate(task_a, 1)[0] == 0x101  # slot 1 reused, generation +1
    assert space.lookup(n1) is None


def test_copyin_dispositions_and_urefs(task_a, task_b):
    rcv = mach_reply_port(FakeThread(task_b))
    port = task_b.space.entries[rcv].object
    name = ipc_space_insert_send(task_a.space, ipc_port_make_send(port))
    ipc_space_insert_send(task_a.space, ipc_port_make_send(port))
    entry = task_a.space.entries[name]
    assert (entry.urefs, port.srights, port.mscount) == (2, 1, 2)
    assert ipc_right_copyin(task_a.space, name, 19) == (0, port, 17)  # COPY_SEND
    assert (entry.urefs, port.srights) == (2, 2)
    assert ipc_right_copyin(task_a.space, name, 17) == (0, port, 17)  # MOVE_SEND
    assert (entry.urefs, port.srights) == (1, 3)
    assert ipc_right_copyin(task_a.space, name, 17) == (0, port, 17)
    assert name not in task_a.space.entries and port.srights == 3
    assert ipc_right_copyin(task_a.space, name, 17) == (KERN_INVALID_NAME, None, 0)
    assert ipc_right_copyin(task_b.space, rcv, 19) == (KERN_INVALID_RIGHT, None, 0)
    assert ipc_right_copyin(task_b.space, rcv, 21) == (0, port, 18)
    assert port.sorights == 1


def test_copyout_reuses_name_and_pegs_urefs(task_a, task_b):
    rcv = mach_reply_port(FakeThread(task_b))
    port = task_b.space.entries[rcv].object
    assert ipc_right_copyout(task_b.space, ipc_port_make_send(port), 17) == (0, rcv)
    entry = task_b.space.entries[rcv]
    assert entry.type == MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE and entry.urefs == 1
    entry.urefs = MACH_PORT_UREFS_MAX
    assert ipc_right_copyout(task_b.space, ipc_port_make_send(port), 17) == (0, rcv)
    assert entry.urefs == MACH_PORT_UREFS_MAX and port.srights == 1
    assert ipc_right_delta(task_b.space, entry, MACH_PORT_RIGHT_SEND, 1) == KERN_UREFS_OVERFLOW
    assert ipc_right_delta(task_b.space, entry, MACH_PORT_RIGHT_SEND, -0x10000) == KERN_INVALID_VALUE
    assert ipc_right_delta(task_b.space, entry, MACH_PORT_RIGHT_RECEIVE, 1) == KERN_INVALID_VALUE


def _receive_raw(port):
    kmsg = port.messages.popleft()
    return kmsg.msgid, bytes(kmsg.data[24:])


def test_dead_name_notification_and_dead_name_urefs(task_a, task_b, sched):
    rcv = mach_reply_port(FakeThread(task_b))
    port = task_b.space.entries[rcv].object
    notify_name = mach_reply_port(FakeThread(task_a))
    notify_port = task_a.space.entries[notify_name].object
    name = ipc_space_insert_send(task_a.space, ipc_port_make_send(port))
    _, so, _ = ipc_right_copyin(task_a.space, notify_name, MACH_MSG_TYPE_MAKE_SEND_ONCE)
    assert mach_port_request_notification(task_a, name, MACH_NOTIFY_DEAD_NAME, 0, so) == (None,)
    assert task_a.space.entries[name].port_type() == 0x80010000
    ipc_right_delta(task_b.space, task_b.space.entries[rcv], MACH_PORT_RIGHT_RECEIVE, -1)
    assert _receive_raw(notify_port) == (MACH_NOTIFY_DEAD_NAME, bytes([0, 0, 0, 0, 1, 0, 0, 0])
                                         + struct.pack("<I", name))
    entry = task_a.space.lookup(name)
    assert (entry.type, entry.urefs) == (MACH_PORT_TYPE_DEAD_NAME, 2)
    assert ipc_right_copyin(task_a.space, name, 19) == (0, IP_DEAD, 17)


def test_no_senders_fires_when_last_send_right_dies(task_a, task_b):
    rcv = mach_reply_port(FakeThread(task_b))
    port = task_b.space.entries[rcv].object
    name = ipc_space_insert_send(task_a.space, ipc_port_make_send(port))
    _, so, _ = ipc_right_copyin(task_b.space, rcv, MACH_MSG_TYPE_MAKE_SEND_ONCE)
    assert mach_port_request_notification(task_b, rcv, MACH_NOTIFY_NO_SENDERS, 0, so) == (None,)
    assert ipc_right_dealloc(task_a.space, task_a.space.entries[name]) == 0
    assert _receive_raw(port) == (MACH_NOTIFY_NO_SENDERS, bytes([0, 0, 0, 0, 1, 0, 0, 0]) + struct.pack("<I", 1))
    assert port.nsrequest is None and port.sorights == 1  # held by the queued notification


def test_space_destroy_releases_everything(task_a, task_b):
    rcv = mach_reply_port(FakeThread(task_b))
    port = task_b.space.entries[rcv].object
    ipc_space_insert_send(task_a.space, ipc_port_make_send(port))
    _, so, rt = ipc_right_copyin(task_b.space, rcv, MACH_MSG_TYPE_MAKE_SEND_ONCE)
    ipc_right_copyout(task_a.space, so, rt)
    mine = mach_reply_port(FakeThread(task_a))
    mine_port = task_a.space.entries[mine].object
    ipc_space_destroy(task_a.space)
    assert task_a.space.entries == {} and not mine_port.active
    assert (port.srights, port.sorights) == (0, 1)  # the send-once notification holds it
    assert _receive_raw(port)[0] == MACH_NOTIFY_SEND_ONCE
    assert task_a.space.entry_alloc() is None


def test_receive_entry_type(task_b):
    rcv = mach_reply_port(FakeThread(task_b))
    assert task_b.space.entries[rcv].port_type() == MACH_PORT_TYPE_RECEIVE
