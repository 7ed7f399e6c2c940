"""Wall-clock timing of repeated calls, for the latency figures of ``eval`` and ``bench`` commands."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable


def call_seconds(call: Callable[[], object], repeats: int) -> list[float]:
    """Seconds each of ``repeats`` calls of ``call`` took, after one untimed warm-up call."""
    call()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def cpu_name() -> str:
    """The processor's model name where the system says it (Linux's /proc/cpuinfo), else its architecture:
    timings and int8 arithmetic depend on it, so reports record it."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
