"""A small text progress bar for long commands, written to stderr so that stdout stays clean."""

from __future__ import annotations

import sys
import time
from typing import Iterable, Iterator, TextIO, TypeVar

T = TypeVar("T")


def progress(items: Iterable[T], total: int | None = None, desc: str = "", stream: TextIO | None = None,
             width: int = 30) -> Iterator[T]:
    """Yield ``items`` while drawing ``desc [#####.....] i/total elapsed`` on ``stream`` (stderr).

    On a terminal the bar redraws in place; elsewhere (CI logs, pipes) it prints a line at about every
    10% so that logs stay short.
    """
    stream = stream or sys.stderr
    if total is None:
        total = len(items) if hasattr(items, "__len__") else 0
    interactive = stream.isatty()
    start = time.perf_counter()
    last_decile = -1

    def draw(done: int) -> None:
        nonlocal last_decile
        fraction = done / total if total else 0.0
        decile = int(fraction * 10)
        if not interactive and decile == last_decile and done != total:
            return
        last_decile = decile
        filled = int(width * fraction)
        bar = "#" * filled + "." * (width - filled)
        line = f"{desc} [{bar}] {done}/{total or '?'} {time.perf_counter() - start:.1f}s"
        stream.write(("\r" + line) if interactive else (line + "\n"))
        stream.flush()

    done = 0
    draw(done)
    for item in items:
        yield item
        done += 1
        draw(done)
    if interactive:
        stream.write("\n")
        stream.flush()
