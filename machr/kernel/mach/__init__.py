"""Mach ABI numbers (spec/mach-abi.md), one module per Mach header.

Every number the guest and the kernel agree on is defined once here, with the
spec's name, as a plain module-level int: the kernel, the tests and the
firmware header generator all import these modules.
"""
