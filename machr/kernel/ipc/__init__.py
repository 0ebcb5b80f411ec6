"""Mach IPC: spaces, ports, port sets, rights, kmsgs, message queues and mach_msg (spec §1–§7).

Laid out as CMU Mach's `ipc/`: one module per object (`ipc_port`, `ipc_space`,
`ipc_entry`, `ipc_pset`, `ipc_right`, `ipc_kmsg`, `ipc_mqueue`, `ipc_notify`,
`ipc_kobject`) plus the user entry points (`mach_msg`, `mach_port`) and the
MIG server machinery for kernel-held ports (`mig`).
"""
