"""Formatters (validity + capstone text) for the FP and Advanced SIMD forms."""

from __future__ import annotations

SIMD_FORMATTERS: dict = {}
