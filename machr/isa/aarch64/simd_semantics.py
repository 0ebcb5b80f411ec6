"""Semantics of the FP and Advanced SIMD forms (see semantics.py for conventions)."""

from __future__ import annotations

SIMD_SEMANTICS: dict = {}
