"""Task and thread RPCs on their kernel ports (spec §7 mach 2000 subsystem)."""

from __future__ import annotations

from machr.kernel.ipc.mig import mig_routine
from machr.kernel.kern.sched_prim import TH_RUN, TH_STOPPED, processor
from machr.kernel.mach.kern_return import KERN_FAILURE, KERN_SUCCESS


@mig_routine(2008, "task_terminate", target="task")
def task_terminate(task):
    task.kernel.task_terminate(task)
    return KERN_SUCCESS


@mig_routine(2056, "task_suspend", target="task")
def task_suspend(task):
    task.suspend_count += 1
    for t in task.threads:
        _thread_hold(t)
    return KERN_SUCCESS


@mig_routine(2057, "task_resume", target="task")
def task_resume(task):
    if task.suspend_count == 0:
        return KERN_FAILURE
    task.suspend_count -= 1
    for t in task.threads:
        _thread_release(t)
    return KERN_SUCCESS


@mig_routine(2016, "thread_terminate", target="thread")
def thread_terminate(thread):
    thread.kernel.thread_terminate(thread)
    return KERN_SUCCESS


@mig_routine(2062, "thread_suspend", target="thread")
def thread_suspend(thread):
    _thread_hold(thread)
    return KERN_SUCCESS


@mig_routine(2063, "thread_resume", target="thread")
def thread_resume(thread):
    if thread.suspend_count == 0:
        return KERN_FAILURE
    _thread_release(thread)
    return KERN_SUCCESS


def _thread_hold(thread) -> None:
    thread.suspend_count += 1


def _thread_release(thread) -> None:
    thread.suspend_count -= 1
    if thread.suspend_count == 0 and thread.state in (TH_RUN, TH_STOPPED) and thread.continuation is None:
        thread.state = TH_RUN
        processor().setrun(thread)
