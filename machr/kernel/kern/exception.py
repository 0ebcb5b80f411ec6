"""Exception delivery (spec §8).

A thread that raises an exception is stopped and the exception is raised
to the thread's exception port for its type, then the task's.  With no
handler at any level the task is terminated (CMU `exception_no_server`),
and the kernel prints one line saying which exception, codes, pc and task.
Delivery to user exception ports (exception_raise RPCs) builds on the IPC
subsystem's kernel-sent messages.
"""

from __future__ import annotations

from machr.kernel.mach import exception_types as et

EXC_NAMES = {v: k for k, v in vars(et).items() if k.startswith("EXC_") and not k.startswith(("EXC_MASK", "EXC_I386",
             "EXC_ARM", "EXC_TYPES")) and isinstance(v, int)}


def exception_describe(exc: int, code: int, subcode: int) -> str:
    return f"{EXC_NAMES.get(exc, f'exception {exc}')} code={code:#x} subcode={subcode:#x}"


def exception_triage(thread, exc: int, code: int, subcode: int) -> None:
    """Raise exception `exc` for `thread` (its pc is the reported pc, spec §8 table)."""
    task = thread.task
    kernel = thread.kernel
    kernel.log(f"task {task.task_id} ({task.name}): unhandled {exception_describe(exc, code, subcode)} "
               f"pc={thread.pc:#x}")
    kernel.task_terminate(task, f"exception {EXC_NAMES.get(exc, exc)}")
