"""IEEE 754 helpers for the FP/SIMD semantics (they go into `ISA.globals`)."""

from __future__ import annotations
