"""machr: a Mach microkernel in Python that runs real x86_64 and aarch64 machine code."""
