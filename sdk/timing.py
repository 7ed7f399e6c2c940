"""Wall-clock timing of repeated calls, for the latency figures of ``eval`` and ``bench`` commands."""

from __future__ import annotations

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
