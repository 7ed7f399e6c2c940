"""A small text progress bar on stderr for long jobs (no dependency), so that stdout stays clean."""

from __future__ import annotations

import sys
import time
from typing import Iterable, Iterator, TextIO, TypeVar

T = TypeVar("T")

_WIDTH = 30


def progress(iterable: Iterable[T], total: int | None = None, desc: str = "", stream: TextIO | None = None,
             min_interval: float = 0.2) -> Iterator[T]:
    """Yield the items of ``iterable`` while drawing ``desc: |#####     | 12/40 30% 3.1 it/s eta 8s`` on stderr.

    On a terminal the bar redraws in place; elsewhere (CI logs, pipes) it prints a line at each further
    tenth of the work, so logs stay short.

    Args:
        iterable: the work items.
        total: how many items there are (default ``len(iterable)`` when it has one); without it only the
            count and rate are shown.
        desc: label in front of the bar.
        stream: where to draw (default ``sys.stderr``).
        min_interval: seconds between redraws on a terminal, so fast loops do not spend their time drawing.
    """
    stream = sys.stderr if stream is None else stream
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    bar = _Bar(stream, desc, total, min_interval)
    done = 0
    bar.draw(done)
    for item in iterable:
        yield item
        done += 1
        bar.draw(done)
    bar.draw(done, final=True)


class _Bar:
    """Draws the bar: in place on a terminal, as occasional lines elsewhere."""

    def __init__(self, stream: TextIO, desc: str, total: int | None, min_interval: float):
        self.stream, self.total, self.min_interval = stream, total, min_interval
        self.prefix = f"{desc}: " if desc else ""
        self.interactive = bool(getattr(stream, "isatty", lambda: False)())
        self.start = self.last = time.monotonic()
        self.previous_length = 0
        self.last_tenth = -1

    def draw(self, done: int, final: bool = False) -> None:
        now = time.monotonic()
        if not final and not self._due(done, now):
            return
        self.last = now
        elapsed = now - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        total = self.total
        if total:
            filled = int(_WIDTH * done / total)
            eta = f" eta {(total - done) / rate:.0f}s" if rate > 0 and done < total else ""
            line = (f"{self.prefix}|{'#' * filled}{' ' * (_WIDTH - filled)}| {done}/{total} "
                    f"{100 * done / total:3.0f}% {rate:.1f} it/s{eta}")
        else:
            line = f"{self.prefix}{done} {rate:.1f} it/s"
        if self.interactive:
            self.stream.write("\r" + line.ljust(self.previous_length) + ("\n" if final else ""))
            self.previous_length = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def _due(self, done: int, now: float) -> bool:
        if self.interactive:
            return done == 0 or now - self.last >= self.min_interval
        tenth = int(10 * done / self.total) if self.total else -1
        if tenth == self.last_tenth:
            return False
        self.last_tenth = tenth
        return True
