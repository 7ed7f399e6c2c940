"""A small text progress bar on stderr for long jobs (no dependency)."""

from __future__ import annotations

import sys
import time
from typing import Iterable, Iterator, TextIO, TypeVar

T = TypeVar("T")

_WIDTH = 30


def progress(iterable: Iterable[T], total: int | None = None, desc: str = "", stream: TextIO | None = None,
             min_interval: float = 0.2) -> Iterator[T]:
    """Yield the items of ``iterable`` while drawing ``desc |#####     | 12/40 30% 3.1 it/s eta 8s`` on stderr.

    Args:
        iterable: the work items.
        total: how many items there are (default ``len(iterable)`` when it has one); without it only the
            count and rate are shown.
        desc: label in front of the bar.
        stream: where to draw (default ``sys.stderr``).
        min_interval: seconds between redraws, so fast loops do not spend their time drawing.
    """
    stream = sys.stderr if stream is None else stream
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    start = last = time.monotonic()
    done = 0
    width = _draw(stream, desc, done, total, 0.0, 0)
    for item in iterable:
        yield item
        done += 1
        now = time.monotonic()
        if now - last >= min_interval:
            last = now
            width = _draw(stream, desc, done, total, now - start, width)
    _draw(stream, desc, done, total, time.monotonic() - start, width)
    stream.write("\n")
    stream.flush()


def _draw(stream: TextIO, desc: str, done: int, total: int | None, elapsed: float, previous: int) -> int:
    """Redraw the bar over the previous one (padding out its longer tail); return the new length."""
    rate = done / elapsed if elapsed > 0 else 0.0
    prefix = f"{desc}: " if desc else ""
    if total:
        filled = int(_WIDTH * done / total)
        eta = f" eta {(total - done) / rate:.0f}s" if rate > 0 and done < total else ""
        line = f"{prefix}|{'#' * filled}{' ' * (_WIDTH - filled)}| {done}/{total} {100 * done / total:3.0f}% {rate:.1f} it/s{eta}"
    else:
        line = f"{prefix}{done} {rate:.1f} it/s"
    stream.write("\r" + line.ljust(previous))
    stream.flush()
    return len(line)
