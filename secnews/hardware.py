"""What this CPU can do: native bf16 (AMX or AVX512-BF16), read without importing torch."""

from __future__ import annotations

import functools
import platform
from pathlib import Path

BF16_FLAGS = ("amx_bf16", "avx512_bf16")


@functools.lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The CPU feature flags Linux reports in /proc/cpuinfo (empty elsewhere)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def native_bf16() -> bool:
    """True when the CPU computes bf16 natively (x86 AMX-BF16 or AVX512-BF16)."""
    return platform.machine().lower() in ("x86_64", "amd64") and any(f in cpu_flags() for f in BF16_FLAGS)


def describe() -> str:
    """One line for reports: the processor and whether bf16 is native."""
    flags = [f for f in BF16_FLAGS if f in cpu_flags()]
    return f"{platform.machine()}, bf16 native: {'yes (' + ', '.join(flags) + ')' if flags else 'no'}"
