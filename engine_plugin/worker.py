"""The face worker: draws requested faces off the main thread, newest request per character only.

The main thread calls :meth:`FaceWorker.request` when a character's quantised expression changes and
:meth:`FaceWorker.poll` once per frame; neither waits for a face (they only take a lock that worker
threads hold for a dictionary operation). Each character has at most one request waiting: a newer one
replaces it (counted in ``coalesced``), so a burst of expression changes costs one or two renders, and
what gets drawn is always the newest expression. ``workers`` threads take waiting requests as soon as
they are free, urgent ones first (the face must change its dominant emotion), then the longest waiting,
never two at once for one character. Each thread draws either itself or in a worker process:

* ``"thread"`` suits face sources that release the GIL while they work (ONNX Runtime, sleeps);
* ``"process"`` (spawned, without Panda3D) suits pure-Python renderers such as the procedural one, whose
  GIL hold would otherwise delay the main thread by up to the interpreter's switch interval; the thread
  then only waits for the process's answer.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
import warnings
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from sdk.errors import InvalidArgumentError

from .faces import FaceSource, panda_layout

WORKER_KINDS = ("thread", "process")


@dataclass
class FaceRequest:
    """A face wanted for ``character_id``: its quantised ``levels`` (the cache key) and ``expression``;
    ``seq`` orders requests, so an older face never replaces a newer one; ``urgent`` ones (a change of the
    dominant emotion on screen) go before the rest."""

    character_id: str
    appearance: Mapping[str, Any]
    levels: np.ndarray
    expression: np.ndarray
    seq: int = 0
    urgent: bool = False
    requested_at: float = field(default_factory=time.perf_counter)

    @property
    def key(self) -> bytes:
        return self.levels.tobytes()


@dataclass
class FinishedFace:
    """A drawn face in Panda's layout (``data``), with the request it answers."""

    request: FaceRequest
    data: bytes


def _draw(source: FaceSource, request: FaceRequest) -> bytes:
    rgba = source.render(request.character_id, request.appearance, request.expression)
    return panda_layout(rgba, source.size)


_process_source: FaceSource | None = None


def _install_source(source: FaceSource) -> None:
    global _process_source
    _process_source = source


def _draw_in_process(request: FaceRequest) -> bytes:
    return _draw(_process_source, request)


class FaceWorker:
    """Coalescing face requests onto worker threads or processes (see the module docstring)."""

    def __init__(self, source: FaceSource, kind: str = "thread", workers: int = 1):
        if kind not in WORKER_KINDS:
            raise InvalidArgumentError(f"worker: expected one of {', '.join(WORKER_KINDS)}, got {kind!r}")
        if not (isinstance(workers, int) and workers >= 1):
            raise InvalidArgumentError(f"workers: expected a positive integer, got {workers!r}")
        self.source = source
        self.kind = kind
        self.workers = workers
        self.submitted = self.coalesced = self.completed = self.failed = 0
        self._lock = threading.Condition()
        self._waiting: dict[str, FaceRequest] = {}
        self._in_flight: dict[str, FaceRequest] = {}
        self._finished: deque[tuple[FaceRequest, bytes | None, BaseException | None]] = deque()
        self._closed = False
        self._pool = None
        if kind == "process":
            self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_install_source, initargs=(source,))
        self._threads = [threading.Thread(target=self._loop, name=f"anisync-face-{i}", daemon=True)
                         for i in range(workers)]
        for thread in self._threads:
            thread.start()

    def request(self, request: FaceRequest) -> None:
        """Ask for a face; replaces this character's waiting request, if any. Never waits for a face."""
        with self._lock:
            if self._waiting.pop(request.character_id, None) is not None:
                self.coalesced += 1
            self._waiting[request.character_id] = request
            self._lock.notify()

    def poll(self) -> list[FinishedFace]:
        """Faces finished since the last poll; never waits for one.

        A failing face source is reported as a warning; the character keeps its face.
        """
        with self._lock:
            done = list(self._finished)
            self._finished.clear()
        finished = []
        for request, data, error in done:
            if error is None:
                finished.append(FinishedFace(request, data))
            else:  # a broken model must not take the game loop down
                warnings.warn(f"anisync: face source failed for {request.character_id!r}: {error}", stacklevel=2)
        return finished

    def _next(self) -> FaceRequest | None:
        """Under the lock: the request to draw next (urgent first, then the longest waiting), or None."""
        # Dicts keep insertion order: sorting on urgency alone keeps the longest waiting first.
        for request in sorted(self._waiting.values(), key=lambda r: not r.urgent):
            if request.character_id not in self._in_flight:
                return request
        return None

    def _loop(self) -> None:
        while True:
            with self._lock:
                while not self._closed and (request := self._next()) is None:
                    self._lock.wait()
                if self._closed:
                    return
                del self._waiting[request.character_id]
                self._in_flight[request.character_id] = request
                self.submitted += 1
            data, error = None, None
            try:
                if self._pool is None:
                    data = _draw(self.source, request)
                else:
                    data = self._pool.submit(_draw_in_process, request).result()
            except BaseException as failure:  # reported on the main thread by poll()
                error = failure
            with self._lock:
                if self._in_flight.get(request.character_id) is request:  # not forgotten meanwhile
                    del self._in_flight[request.character_id]
                    self._finished.append((request, data, error))
                    if error is None:
                        self.completed += 1
                    else:
                        self.failed += 1
                self._lock.notify_all()

    def forget(self, character_id: str) -> None:
        """Drop a character's waiting request and ignore its face in flight (when it is detached or its
        face came from the cache)."""
        with self._lock:
            self._waiting.pop(character_id, None)
            self._in_flight.pop(character_id, None)

    @property
    def busy(self) -> bool:
        """Whether any request is waiting, in flight, or finished but not yet polled."""
        with self._lock:
            return bool(self._waiting or self._in_flight or self._finished)

    def stats(self) -> dict:
        """Counters as plain data."""
        with self._lock:
            return {"kind": self.kind, "workers": self.workers, "submitted": self.submitted,
                    "coalesced": self.coalesced, "completed": self.completed, "failed": self.failed,
                    "waiting": len(self._waiting), "in_flight": len(self._in_flight)}

    def close(self) -> None:
        """Stop the workers without waiting for faces in flight."""
        with self._lock:
            self._closed = True
            self._waiting.clear()
            self._in_flight.clear()
            self._lock.notify_all()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
