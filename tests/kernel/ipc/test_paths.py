"""Paths the guest programs reach only indirectly: port sets, port-destroyed, RCV_PORT_DIED,
circular messages, OOL ports, receive-side header/body errors, trailers 3–8, insert/extract_right,
attributes and the MIG field kinds (spec §2.4–§2.5, §3, §4, §6, §7)."""

import struct

from machr.kernel.ipc import mach_port as mp
from machr.kernel.ipc.ipc_port import ipc_port_alloc_kernel, ipc_port_make_send, ipc_port_make_sonce
from machr.kernel.ipc.ipc_space import ipc_space_insert_send
from machr.kernel.ipc.mach_msg import mach_msg_trap, mach_reply_port
from machr.kernel.mach import message as m
from machr.kernel.mach.kern_return import (
    KERN_INVALID_ARGUMENT,
    KERN_INVALID_CAPABILITY,
    KERN_INVALID_VALUE,
    KERN_NAME_EXISTS,
    KERN_RIGHT_EXISTS,
    KERN_SUCCESS,
)
from machr.kernel.mach.notify import MACH_NOTIFY_PORT_DESTROYED

from .conftest import FakeTask, FakeThread, header, ool_ports_desc, port_desc

SEND, RCV = m.MACH_SEND_MSG, m.MACH_RCV_MSG
NDR = bytes([0, 0, 0, 0, 1, 0, 0, 0])


def _send(task, thread, msg, option=SEND):
    task.copyout(0x1000, msg)
    return mach_msg_trap(thread, 0x1000, option, len(msg), 0, 0, 0)


def _receive(task, thread, name, option=0, size=400):
    return mach_msg_trap(thread, 0x2000, RCV | m.MACH_RCV_TIMEOUT | option, 0, size, name, 0)


def _new_port(task):
    (name,) = mp.mach_port_allocate(task, 1)
    return name, task.space.entries[name].object


def test_receive_from_a_set_oldest_first_and_in_set(task_a, task_b, sched):
    tb = FakeThread(task_b)
    (pset,) = mp.mach_port_allocate(task_b, 3)
    (a, pa), (b, pb) = _new_port(task_b), _new_port(task_b)
    assert mp.mach_port_move_member(task_b, a, pset) == mp.mach_port_move_member(task_b, b, pset) == KERN_SUCCESS
    ta = FakeThread(task_a)
    for port, msgid in ((pb, 1), (pa, 2)):
        dest = ipc_space_insert_send(task_a.space, ipc_port_make_send(port))
        assert _send(task_a, ta, header(0x13, 24, dest, 0, msgid)) == 0
    assert _receive(task_b, tb, a) == m.MACH_RCV_IN_SET
    assert _receive(task_b, tb, pset) == 0
    assert task_b.copyin(0x2000, 24) == header(0x1100, 24, 0, b, 1)
    assert _receive(task_b, tb, pset) == 0
    assert task_b.copyin(0x2000, 24) == header(0x1100, 24, 0, a, 2)
    assert mp.mach_port_get_set_status(task_b, pset) == (struct.pack("<2I", a, b),)


def test_waiting_receivers_get_port_died(task_b, sched):
    tb, tc = FakeThread(task_b), FakeThread(task_b)
    (pset,) = mp.mach_port_allocate(task_b, 3)
    a, _pa = _new_port(task_b)
    assert mach_msg_trap(tb, 0x2000, RCV, 0, 100, pset, 0) is None
    assert mach_msg_trap(tc, 0x2100, RCV, 0, 100, a, 0) is None
    assert mp.mach_port_destroy(task_b, pset) == KERN_SUCCESS
    assert mp.mach_port_destroy(task_b, a) == KERN_SUCCESS
    sched.run()
    assert tb.results == tc.results == [m.MACH_RCV_PORT_DIED]


def test_port_destroyed_moves_the_receive_right(task_a, task_b, sched):
    r, port = _new_port(task_a)
    port.seqno, port.mscount = 4, 2
    n, notify = _new_port(task_b)
    assert mp.mach_port_request_notification(task_a, r, MACH_NOTIFY_PORT_DESTROYED, 0,
                                             ipc_port_make_sonce(notify)) == (None,)
    assert mp.mach_port_destroy(task_a, r) == KERN_SUCCESS
    assert port.active and port.receiver is None and (port.seqno, port.mscount) == (0, 0)
    tb = FakeThread(task_b)
    assert _receive(task_b, tb, n) == 0
    got = task_b.copyin(0x2000, 40)
    assert got[:24] == header(0x80001200, 40, 0, n, MACH_NOTIFY_PORT_DESTROYED)
    (name,) = struct.unpack_from("<I", got, 28)
    assert got[24:28] == struct.pack("<I", 1) and got[36:40] == bytes([0, 0, 16, 0])
    assert task_b.space.entries[name].type == 0x20000 and port.receiver is task_b.space


def test_circular_message_is_destroyed(task_a, sched):
    ta = FakeThread(task_a)
    r, port = _new_port(task_a)
    msg = header(0x80000014, 0, r, 0, 1) + struct.pack("<I", 1) + port_desc(r, 16)
    assert _send(task_a, ta, msg) == 0             # the send succeeds ...
    assert not port.messages and not port.active   # ... and the message with its own receive right dies
    assert r not in task_a.space.entries


def test_ool_ports_round_trip(task_a, task_b, sched):
    ta, tb = FakeThread(task_a), FakeThread(task_b)
    rcv, port = _new_port(task_b)
    dest = ipc_space_insert_send(task_a.space, ipc_port_make_send(port))
    x, px = _new_port(task_a)
    task_a.copyout(0x3000, struct.pack("<3I", x, 0, 0xFFFFFFFF))
    msg = header(0x80000013, 0, dest, 0, 3) + struct.pack("<I", 1) + ool_ports_desc(0x3000, 3, 20, dealloc=1)
    assert _send(task_a, ta, msg) == 0
    assert task_a.deallocated == [(0x3000, 0x1000)] and px.mscount == 1
    assert _receive(task_b, tb, rcv) == 0
    addr, dealloc, copy, disp, dtype, count = struct.unpack_from("<QBBBBI", task_b.copyin(0x2000, 44), 28)
    assert (dealloc, copy, disp, dtype, count) == (0, 0, 17, 2, 3) and addr % 4096 == 0
    name, null, dead = struct.unpack("<3I", task_b.copyin(addr, 12))
    assert (null, dead) == (0, 0xFFFFFFFF)
    assert task_b.space.entries[name].object is px and px.srights == 1


def _small_receiver(sender, max_entries):
    """A task whose space holds `max_entries` names, its receive right, and `sender`'s send right to it."""
    small = FakeTask(3, max_entries=max_entries)
    thread = FakeThread(small)
    rcv = mach_reply_port(thread)
    port = small.space.entries[rcv].object
    return small, thread, rcv, port, ipc_space_insert_send(sender.space, ipc_port_make_send(port))


def test_receive_header_error_when_the_reply_cannot_be_named(task_a, sched):
    full, tf, rcv, port, dest = _small_receiver(task_a, 1)
    ta = FakeThread(task_a)
    reply, reply_port = _new_port(task_a)
    assert _send(task_a, ta, header(0x1513, 24, dest, reply, 8) + b"abcd") == 0
    assert _receive(full, tf, rcv) == m.MACH_RCV_HEADER_ERROR | m.MACH_MSG_IPC_SPACE
    assert full.copyin(0x2000, 24) == header(0x1100, 28, 0, rcv, 8)
    assert not port.messages
    assert [k.msgid for k in reply_port.messages] == [71]   # the reply right was destroyed


def test_receive_body_error_names_failed_items_zero(task_a, sched):
    cramped, tc, rcv, _port, dest = _small_receiver(task_a, 2)
    ta = FakeThread(task_a)
    x, _ = _new_port(task_a)
    y, py = _new_port(task_a)
    task_a.copyout(0x3000, b"payload")
    msg = (header(0x80000013, 0, dest, 0, 9) + struct.pack("<I", 3) + port_desc(x, 20) + port_desc(y, 21)
           + struct.pack("<QBBBBI", 0x3000, 0, 0, 0, 1, 7))
    assert _send(task_a, ta, msg) == 0
    cramped.vm_full = True
    mr = _receive(cramped, tc, rcv)
    assert mr == m.MACH_RCV_BODY_ERROR | m.MACH_MSG_IPC_SPACE | m.MACH_MSG_VM_SPACE
    got = cramped.copyin(0x2000, len(msg))
    assert struct.unpack_from("<I", got, 28)[0] != 0             # the first right found room
    assert got[40:52] == port_desc(0, 18)[:10] + bytes([18, 0])   # the second did not
    assert got[52:68] == struct.pack("<QBBBBI", 0, 0, 0, 0, 1, 0)
    assert [k.msgid for k in py.messages] == [71]


def test_trailers_three_to_eight(task_a, task_b, sched):
    ta, tb = FakeThread(task_a), FakeThread(task_b)
    rcv, port = _new_port(task_b)
    dest = ipc_space_insert_send(task_a.space, ipc_port_make_send(port))
    for seqno, (n, size) in enumerate(((3, 52), (4, 60), (5, 68), (8, 68))):
        assert _send(task_a, ta, header(0x13, 24, dest, 0, n)) == 0
        assert _receive(task_b, tb, rcv, m.MACH_RCV_TRAILER_ELEMENTS(n)) == 0
        trailer = task_b.copyin(0x2000 + 24, size)
        audit = [0] * 8
        audit[5] = task_a.task_id
        want = struct.pack("<III2I8IQiI", 0, size, seqno, 0, 0, *audit, 0, 0, 0)[:size]
        assert trailer == want


def test_insert_and_extract_right(task_a, task_b):
    r, port = _new_port(task_a)
    assert mp.mach_port_insert_right(task_b, 0x500, (ipc_port_make_send(port), 17)) == KERN_SUCCESS
    assert mp.mach_port_insert_right(task_b, 0x600, (ipc_port_make_send(port), 17)) == KERN_RIGHT_EXISTS
    o, _ = _new_port(task_b)
    assert mp.mach_port_insert_right(task_b, o, (ipc_port_make_sonce(port), 18)) == KERN_NAME_EXISTS
    assert mp.mach_port_insert_right(task_b, 0x700, (ipc_port_make_sonce(port), 18)) == KERN_SUCCESS
    assert mp.mach_port_insert_right(task_b, 0x800, (None, 17)) == KERN_INVALID_CAPABILITY
    entry = task_b.space.entries[0x500]
    # called directly, a refused handler keeps its right (the MIG server would destroy the request)
    assert (entry.type, entry.urefs, port.srights, port.sorights) == (0x10000, 1, 2, 2)
    (poly,) = mp.mach_port_extract_right(task_a, r, 16)
    assert poly == (port, 16) and r not in task_a.space.entries
    assert mp.mach_port_insert_right(task_b, 0x500, poly) == KERN_SUCCESS
    assert task_b.space.entries[0x500].type == 0x30000 and port.receiver_name == 0x500
    assert mp.mach_port_extract_right(task_b, 0x500, 15) == KERN_INVALID_VALUE


def test_attributes(task_a):
    r, port = _new_port(task_a)
    assert mp.mach_port_get_attributes(task_a, r, 1, 17) == ([5],)
    assert mp.mach_port_set_attributes(task_a, r, 1, (1024,)) == KERN_SUCCESS and port.qlimit == 1024
    assert mp.mach_port_set_attributes(task_a, r, 1, (1025,)) == KERN_INVALID_VALUE
    assert mp.mach_port_get_attributes(task_a, r, 2, 17) == ([0, 0, 0, 1024, 0, 0, 0, False, False, 0],)
    assert mp.mach_port_get_attributes(task_a, r, 3, 17) == ([0],)
    assert mp.mach_port_get_attributes(task_a, r, 7, 17) == KERN_INVALID_ARGUMENT


def _mig(task, thread, name, msgid, body, bits=0x1513):
    reply = mach_reply_port(thread)
    task.copyout(0x1000, header(bits, 0, name, reply, msgid) + body)
    assert mach_msg_trap(thread, 0x1000, SEND | RCV, 24 + len(body), 400, reply, 0) == 0
    (size,) = struct.unpack_from("<I", task.copyin(0x1004, 4))
    return task.copyin(0x1000, size), reply


def test_mig_field_kinds_on_the_wire(task_a, sched):
    ta = FakeThread(task_a)
    me = ipc_space_insert_send(task_a.space, ipc_port_make_send(ipc_port_alloc_kernel(task_a, "task")))
    r, _ = _new_port(task_a)
    # CAP in, VARWORDS out: NDR, RetCode, count, words trimmed to the count
    rep, reply = _mig(task_a, ta, me, 3219, NDR + struct.pack("<III", r, 1, 17))
    assert rep == header(0x1200, 44, 0, reply, 3319) + NDR + struct.pack("<iII", 0, 1, 5)
    # VARWORDS in: the count, then the words; a count past the maximum is MIG_BAD_ARGUMENTS
    rep, _ = _mig(task_a, ta, me, 3220, NDR + struct.pack("<IiII", r, 1, 1, 9))
    assert struct.unpack_from("<i", rep, 32)[0] == 0
    rep, _ = _mig(task_a, ta, me, 3220, NDR + struct.pack("<IiI", r, 1, 18) + bytes(72))
    assert struct.unpack_from("<i", rep, 32)[0] == -304
    # WORDS(10) out: fixed size
    rep, _ = _mig(task_a, ta, me, 3217, NDR + struct.pack("<I", r))
    assert len(rep) == 76 and struct.unpack_from("<10I", rep, 36)[3] == 9
    # OOLWORDS out: the Cnt counts u32 elements
    (pset,) = mp.mach_port_allocate(task_a, 3)
    mp.mach_port_move_member(task_a, r, pset)
    rep, _ = _mig(task_a, ta, me, 3212, NDR + struct.pack("<I", pset))
    assert len(rep) == 56 and rep[44:52] == NDR and struct.unpack_from("<I", rep, 52)[0] == 1
    assert struct.unpack_from("<I", rep, 40)[0] == 4
    # P21 in, P18 out (no previous request: NULL with type 18); PRES out carries the result type
    so_body = struct.pack("<I", 1) + port_desc(r, 21) + NDR + struct.pack("<IiI", r, 70, 5)
    rep, _ = _mig(task_a, ta, me, 3214, so_body, bits=0x80001513)
    assert rep[24:40] == struct.pack("<I", 1) + port_desc(0, 18)[:10] + bytes([18, 0])
    rep, _ = _mig(task_a, ta, me, 3216, NDR + struct.pack("<II", r, 21))
    assert rep[4:8] == struct.pack("<I", 40) and rep[38:40] == bytes([18, 0])
