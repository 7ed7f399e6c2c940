"""The face worker: draws requested faces off the main thread, newest request per character only.

The main thread calls :meth:`FaceWorker.request` when a character's quantised expression changes and
:meth:`FaceWorker.poll` once per frame; neither waits for a face (they only take a lock that worker
threads hold for a dictionary operation). Each character has at most one request waiting: a newer one
replaces it (counted in ``coalesced``), so a burst of expression changes costs one or two renders, and
what gets drawn is always the newest expression. ``workers`` threads take waiting requests as soon as
they are free, urgent ones first (the face must change its dominant emotion), then the longest waiting,
never two requests at once for one character, up to ``batch`` at a time for a face source that draws
several faces in one call (``render_many``, as the neural source's one onnxruntime run). When no request
waits, the threads draw **spare** faces (:meth:`FaceWorker.prefetch`): faces nobody asked for yet that a
character is likely to need, so that a burst of expression changes (an event heard by the whole village)
finds them in the cache instead of queueing behind one another; a spare batch is small, and a request
waits for at most one. Each thread draws either itself or in a worker process:

* ``"thread"`` suits face sources that release the GIL while they work (ONNX Runtime, sleeps);
* ``"process"`` suits pure-Python renderers such as the procedural one, whose GIL hold would otherwise
  delay the main thread by up to the interpreter's switch interval: each thread then owns a worker
  interpreter (``python -c``, the same import path, no Panda3D), sends it requests over a pipe and waits
  for the answer with the GIL released. A fresh interpreter rather than ``multiprocessing``, because
  spawning would re-run the game's main script, which Panda3D scripts rarely guard with
  ``if __name__ == "__main__"``.
"""

from __future__ import annotations

import atexit
import heapq
import itertools
import os
import pickle
import subprocess
import sys
import threading
import time
import warnings
import weakref
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import numpy as np
from anisync.errors import InvalidArgumentError, ModelLoadError

from .faces import FaceSource, panda_layout

WORKER_KINDS = ("thread", "process")
#: Seconds :meth:`FaceWorker.close` waits for each thread to finish the faces it is drawing.
JOIN_SECONDS = 10.0
#: Most spare faces (:meth:`FaceWorker.prefetch`) drawn in one call: a request arriving meanwhile waits
#: for this batch only.
SPARE_BATCH = 2
#: Workers not yet closed, closed at interpreter exit: a native library (onnxruntime) still running in a
#: worker thread while Python shuts down aborts the process.
_OPEN_WORKERS: weakref.WeakSet = weakref.WeakSet()


@dataclass
class FaceRequest:
    """A face wanted for ``character_id``: its quantised emotion ``levels`` and, while it speaks, the
    ``viseme`` its mouth shows (together the cache key), and the ``expression`` to draw; ``seq`` orders
    requests, so an older face never replaces a newer one; ``urgent`` ones (a change of the dominant
    emotion on screen) go before the rest; a ``spare`` one (:meth:`FaceWorker.prefetch`) goes after all."""

    character_id: str
    appearance: Mapping[str, Any]
    levels: np.ndarray
    expression: np.ndarray
    seq: int = 0
    urgent: bool = False
    requested_at: float = field(default_factory=time.perf_counter)
    viseme: str | None = None
    spare: bool = False

    @property
    def key(self) -> bytes:
        return face_key(self.levels, self.viseme)


def face_key(levels: np.ndarray, viseme: str | None) -> bytes:
    """The cache key of a face: its emotion levels, and the viseme of a speaking mouth."""
    return levels.tobytes() if viseme is None else levels.tobytes() + b"/" + viseme.encode()


@dataclass
class FinishedFace:
    """A drawn face in Panda's layout (``data``), with the request it answers."""

    request: FaceRequest
    data: bytes


def _draw(source: FaceSource, requests: list[FaceRequest]) -> list[bytes]:
    """The faces of ``requests`` in Panda's layout: in one call where the source has ``render_many``."""
    render_many = getattr(source, "render_many", None)
    if render_many is not None and len(requests) > 1:
        faces = render_many([(request.appearance, request.expression) for request in requests])
    else:
        faces = [source.render(r.character_id, r.appearance, r.expression) for r in requests]
    return [panda_layout(face, source.size) for face in faces]


class _FaceProcess:
    """A worker interpreter drawing faces for one worker thread: it gets the face source once, then
    answers each pickled request with ``("ok", data)`` or ``("error", message)`` (see :func:`serve`)."""

    def __init__(self, source: FaceSource):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.process = subprocess.Popen([sys.executable, "-c", "from anisync.panda.worker import serve; serve()"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self._send(source)

    def _send(self, message: Any) -> None:
        pickle.dump(message, self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self.process.stdin.flush()

    def draw(self, requests: list[FaceRequest]) -> list[bytes]:
        try:
            self._send(requests)
            status, payload = pickle.load(self.process.stdout)
        except (EOFError, OSError, pickle.UnpicklingError):
            raise ModelLoadError(f"face worker process exited with status {self.process.poll()}") from None
        if status != "ok":
            raise RuntimeError(payload)
        return payload

    def close(self) -> None:
        try:
            self.process.stdin.close()  # the worker's loop ends at end of input
        except OSError:
            pass
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()


def serve() -> None:
    """The worker interpreter's loop: read the face source, then draw each batch of requests until end of input."""
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints of a face source must not corrupt the answers
    source = pickle.load(requests)
    while True:
        try:
            batch = pickle.load(requests)
        except EOFError:
            return
        try:
            answer = ("ok", _draw(source, batch))
        except Exception as error:  # reported to the game as a failed face, not a dead worker
            answer = ("error", f"{type(error).__name__}: {error}")
        pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


class FaceWorker:
    """Coalescing face requests onto worker threads or processes (see the module docstring)."""

    def __init__(self, source: FaceSource, kind: str = "thread", workers: int = 1, batch: int = 8):
        if kind not in WORKER_KINDS:
            raise InvalidArgumentError(f"worker: expected one of {', '.join(WORKER_KINDS)}, got {kind!r}")
        for name, value in (("workers", workers), ("batch", batch)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidArgumentError(f"{name}: expected a positive integer, got {value!r}")
        self.source = source
        self.kind = kind
        self.workers = workers
        self.batch = batch
        self.batches = 0
        self.submitted = self.coalesced = self.completed = self.failed = 0
        self._lock = threading.Condition()
        self._waiting: dict[str, FaceRequest] = {}
        self._in_flight: dict[str, FaceRequest] = {}
        self._finished: deque[tuple[FaceRequest, bytes | None, Exception | None]] = deque()
        self._spare: list[tuple[int, int, FaceRequest]] = []  # heap of (rank, arrival, request)
        self._arrivals = itertools.count()
        self.prefetched = 0
        self._spares_drawing = 0
        self._closed = False
        self._processes = [_FaceProcess(source) for _ in range(workers)] if kind == "process" else []
        self._threads = [threading.Thread(target=self._loop, args=(i,), name=f"anisync-face-{i}", daemon=True)
                         for i in range(workers)]
        for thread in self._threads:
            thread.start()
        _OPEN_WORKERS.add(self)

    def request(self, request: FaceRequest) -> None:
        """Ask for a face; replaces this character's waiting request, if any. Never waits for a face."""
        with self._lock:
            if self._waiting.pop(request.character_id, None) is not None:
                self.coalesced += 1
            self._waiting[request.character_id] = request
            self._lock.notify()

    def prefetch(self, requests: list[tuple[int, FaceRequest]]) -> None:
        """Draw these ``(rank, request)`` faces when no request waits, lowest rank first (then in the order
        given, whichever character they are for), at most :data:`SPARE_BATCH` at a time; they come back
        from :meth:`poll` like the others, marked ``spare``. Never waits for a face."""
        with self._lock:
            for rank, request in requests:
                heapq.heappush(self._spare, (rank, next(self._arrivals), replace(request, spare=True)))
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

    def _next(self) -> list[FaceRequest]:
        """Under the lock: up to ``batch`` requests to draw next (urgent first, then the longest waiting)."""
        # Dicts keep insertion order: sorting on urgency alone keeps the longest waiting first.
        ready = (r for r in sorted(self._waiting.values(), key=lambda r: not r.urgent)
                 if r.character_id not in self._in_flight)
        requests = [request for request, _ in zip(ready, range(self.batch))]
        if not requests and not self._waiting:  # spare faces only while nobody waits, a few at a time
            requests = [heapq.heappop(self._spare)[2] for _ in range(min(SPARE_BATCH, len(self._spare)))]
        return requests

    def _loop(self, index: int) -> None:
        draw = self._processes[index].draw if self._processes else lambda requests: _draw(self.source, requests)
        while True:
            with self._lock:
                while not self._closed and not (requests := self._next()):
                    self._lock.wait()
                if self._closed:
                    return
                if requests[0].spare:  # a batch is all spare or all asked for
                    self._spares_drawing += len(requests)
                else:
                    for request in requests:
                        del self._waiting[request.character_id]
                        self._in_flight[request.character_id] = request
                    self.submitted += len(requests)
                    self.batches += 1
            faces, error = [None] * len(requests), None
            try:
                faces = draw(requests)
            except Exception as failure:  # reported on the main thread by poll()
                error = failure
            with self._lock:
                for request, data in zip(requests, faces):
                    if request.spare:
                        self._spares_drawing -= 1
                        if error is None:  # a failing source is reported by the requests it fails
                            self._finished.append((request, data, None))
                            self.prefetched += 1
                    elif self._in_flight.get(request.character_id) is request:  # not forgotten meanwhile
                        del self._in_flight[request.character_id]
                        self._finished.append((request, data, error))
                        if error is None:
                            self.completed += 1
                        else:
                            self.failed += 1
                self._lock.notify_all()

    def forget(self, character_id: str, spares: bool = False) -> None:
        """Drop a character's waiting request and ignore its face in flight (when its face came from the
        cache); with ``spares`` (when it is detached), also its spare faces not yet drawn and every face of
        it finished but not yet polled, so that a character attached again under its id never gets them."""
        with self._lock:
            self._waiting.pop(character_id, None)
            self._in_flight.pop(character_id, None)
            if spares:
                self._spare = [entry for entry in self._spare if entry[2].character_id != character_id]
                heapq.heapify(self._spare)
                self._finished = deque(entry for entry in self._finished if entry[0].character_id != character_id)

    def drop_spares(self) -> None:
        """Drop every spare face not yet drawn (when the cache has no more room for them)."""
        with self._lock:
            self._spare.clear()

    @property
    def busy(self) -> bool:
        """Whether any request is waiting, in flight, or finished but not yet polled; spare faces do not
        count (:attr:`prefetching` tells about them)."""
        with self._lock:
            return bool(self._waiting or self._in_flight or any(not request.spare for request, _, _ in self._finished))

    @property
    def prefetching(self) -> bool:
        """Whether spare faces are waiting or being drawn."""
        with self._lock:
            return bool(self._spare or self._spares_drawing)

    def stats(self) -> dict:
        """Counters as plain data."""
        with self._lock:
            return {"kind": self.kind, "workers": self.workers, "batch": self.batch, "batches": self.batches,
                    "submitted": self.submitted,
                    "coalesced": self.coalesced, "completed": self.completed, "failed": self.failed,
                    "waiting": len(self._waiting), "in_flight": len(self._in_flight),
                    "prefetched": self.prefetched, "spare_waiting": len(self._spare)}

    def close(self) -> None:
        """Stop the workers: waiting requests are dropped, faces being drawn are finished and dropped (each
        thread is given :data:`JOIN_SECONDS`). Called at interpreter exit for workers still open."""
        with self._lock:
            self._closed = True
            self._waiting.clear()
            self._in_flight.clear()
            self._spare.clear()
            self._lock.notify_all()
        for process in self._processes:
            process.close()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(JOIN_SECONDS)
        _OPEN_WORKERS.discard(self)


@atexit.register
def _close_open_workers() -> None:
    for worker in list(_OPEN_WORKERS):
        worker.close()
