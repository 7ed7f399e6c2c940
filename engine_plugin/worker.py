"""The face worker: draws requested faces off the main thread, newest request per character only.

The main thread calls :meth:`FaceWorker.request` when a character's quantised expression changes and
:meth:`FaceWorker.poll` once per frame; neither waits for a face (they only take a lock that worker
threads hold for a dictionary operation). Each character has at most one request waiting: a newer one
replaces it (counted in ``coalesced``), so a burst of expression changes costs one or two renders, and
what gets drawn is always the newest expression. ``workers`` threads take waiting requests as soon as
they are free, urgent ones first (the face must change its dominant emotion), then the longest waiting,
never two at once for one character. Each thread draws either itself or in a worker process:

* ``"thread"`` suits face sources that release the GIL while they work (ONNX Runtime, sleeps);
* ``"process"`` suits pure-Python renderers such as the procedural one, whose GIL hold would otherwise
  delay the main thread by up to the interpreter's switch interval: each thread then owns a worker
  interpreter (``python -c``, the same import path, no Panda3D), sends it requests over a pipe and waits
  for the answer with the GIL released. A fresh interpreter rather than ``multiprocessing``, because
  spawning would re-run the game's main script, which Panda3D scripts rarely guard with
  ``if __name__ == "__main__"``.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import time
import warnings
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from sdk.errors import InvalidArgumentError, ModelLoadError

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


class _FaceProcess:
    """A worker interpreter drawing faces for one worker thread: it gets the face source once, then
    answers each pickled request with ``("ok", data)`` or ``("error", message)`` (see :func:`serve`)."""

    def __init__(self, source: FaceSource):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.process = subprocess.Popen([sys.executable, "-c", "from engine_plugin.worker import serve; serve()"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self._send(source)

    def _send(self, message: Any) -> None:
        pickle.dump(message, self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self.process.stdin.flush()

    def draw(self, request: FaceRequest) -> bytes:
        try:
            self._send(request)
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
    """The worker interpreter's loop: read the face source, then draw each request until end of input."""
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints of a face source must not corrupt the answers
    source = pickle.load(requests)
    while True:
        try:
            request = pickle.load(requests)
        except EOFError:
            return
        try:
            answer = ("ok", _draw(source, request))
        except Exception as error:  # reported to the game as a failed face, not a dead worker
            answer = ("error", f"{type(error).__name__}: {error}")
        pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


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
        self._finished: deque[tuple[FaceRequest, bytes | None, Exception | None]] = deque()
        self._closed = False
        self._processes = [_FaceProcess(source) for _ in range(workers)] if kind == "process" else []
        self._threads = [threading.Thread(target=self._loop, args=(i,), name=f"anisync-face-{i}", daemon=True)
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

    def _loop(self, index: int) -> None:
        draw = self._processes[index].draw if self._processes else lambda request: _draw(self.source, request)
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
                data = draw(request)
            except Exception as failure:  # reported on the main thread by poll()
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
        for process in self._processes:
            process.close()
