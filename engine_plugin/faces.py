"""Faces: the :class:`FaceSource` protocol, expression quantisation, Panda's texture layout and the face cache.

Nothing here imports Panda3D, so face sources run in worker threads or processes without it.

* A **face source** draws one character's face for an expression vector: the ONNX appearance generator
  and expression editor (:class:`~anisync.panda.neural.NeuralFaceSource`, the default) or the procedural
  renderer (:class:`~anisync.panda.procedural.ProceduralFaceSource`). A source may also offer
  ``render_many(pairs)``, the faces of several ``(appearance, expression)`` pairs in one call, and
  ``worker_kind``, the worker it suits (:mod:`anisync.panda.worker`).
* Expression vectors are **quantised** (:func:`quantise`) before a face is requested: the quantised vector
  (two strongest emotions, in coarse steps, the dominant one drawn clearly: at least ``min_intensity``
  and at least twice the second) is both what gets drawn and the cache key, so a cached face is exactly
  the face for its key, and a decaying emotion asks for a new face only when it crosses a step.
  :func:`likely_levels` lists the keys worth drawing before anyone asks (each emotion alone).
* Faces are converted to Panda's layout (:func:`panda_layout`: BGRA, bottom row first) where they are
  drawn, so the main thread only copies bytes into the texture.
* :class:`FaceCache` keeps converted faces per character and key under a byte budget, least recently
  used first out; faces drawn ahead of requests fill at most :data:`SPARE_SHARE` of it and evict nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Mapping, Protocol, runtime_checkable

import numpy as np
from anisync import EMOTIONS
from anisync.errors import InvalidArgumentError, ModelInputError
from anisync.procedural.expression import EXPRESSION_PARAMS, ExpressionParams
from anisync.speech import mouth_of, speaking_expression

RGB = tuple[int, int, int]

NEUTRAL = EMOTIONS.index("neutral")

#: Share of the face cache's capacity that spare faces (drawn ahead of requests) may fill.
SPARE_SHARE = 0.75


@dataclass(frozen=True)
class BodyPalette:
    """What a body needs to match its face: colours (0-255 RGB) and the shapes that show in 3D.

    ``outfit`` is ``"skirt"`` or ``"pants"``; ``hair_style`` picks 3D hair behind the head for long
    styles (``long``, ``hime``, ``twin_tails``, ``ponytail``, ``buns``; anything else has none).
    """

    skin: RGB = (255, 228, 212)
    hair: RGB = (120, 80, 60)
    cloth: RGB = (60, 70, 110)
    accent: RGB = (240, 140, 170)
    line: RGB = (40, 26, 38)
    outfit: str = "pants"
    hair_style: str = "short"


@runtime_checkable
class FaceSource(Protocol):
    """Draws faces for the plugin. Implementations must be safe to call from a worker thread (or be
    picklable, for a worker process) and must not touch Panda3D.

    Attributes:
        size: side in pixels of every face :meth:`render` returns.
    """

    size: int

    def render(self, character_id: str, appearance: Mapping[str, Any], expression: np.ndarray) -> np.ndarray:
        """The face of ``character_id`` (whose definition's appearance is ``appearance``) showing
        ``expression``: seven emotions (values in [0, 1], :data:`anisync.EMOTIONS` order) or, for a speaking
        face, the 13 expression parameters (:func:`expression_params` reads both), as a
        ``(size, size, 4)`` uint8 RGBA array, top row first, straight alpha. The image frames the head
        like :class:`~anisync.panda.body` expects: hair top at the top edge, chin about 78 % down."""
        ...

    def palette(self, character_id: str, appearance: Mapping[str, Any]) -> BodyPalette:
        """Body colours and shapes that match this character's face; called once per attach."""
        ...


def quantise(expressions: np.ndarray, quantum: float, min_intensity: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Reduce expression vectors (rows) to the face they ask for; returns ``(levels, vectors)``.

    A face shows its two strongest emotions: the dominant one rounded to a multiple of ``quantum`` (at
    least one step, and, unless it is neutral, at least ``min_intensity`` rounded up to a step: a faint
    emotion drawn faintly reads as neutral), the second to a multiple of ``2 * quantum`` and then cut to at
    most half the dominant (fear with surprise close behind reads as surprise); the rest are dropped.
    ``levels`` (uint8, in quantum steps) is the cache key and ``vectors = levels * quantum`` what gets
    drawn, so the face always shows the dominant emotion of the vector it was asked for, and a decaying
    emotion asks for a new face a handful of times rather than at every frame.
    """
    expressions = np.atleast_2d(np.asarray(expressions, dtype=np.float64))
    rows = np.arange(len(expressions))
    order = np.argsort(-expressions, axis=1, kind="stable")
    first, second = order[:, 0], order[:, 1]
    top = int(round(1.0 / quantum))
    least = np.where(first == NEUTRAL, 1, _least_step(min_intensity, quantum))
    first_level = np.clip(np.rint(expressions[rows, first] / quantum), least, top)
    second_level = 2 * np.rint(expressions[rows, second] / (2 * quantum))
    second_level = np.minimum(second_level, first_level // 2)
    levels = np.zeros(expressions.shape, dtype=np.uint8)
    levels[rows, first] = first_level
    levels[rows, second] = np.maximum(second_level, 0)
    return levels, levels * quantum


def _least_step(min_intensity: float, quantum: float) -> int:
    """The step a dominant emotion other than neutral is drawn at, at least: the fewest quantum steps that
    reach ``min_intensity`` (float rounding forgiven), and one."""
    return max(1, int(np.ceil(min_intensity / quantum - 1e-9)))


def expression_params(expression: np.ndarray) -> np.ndarray:
    """A face request's ``expression`` as the 13 expression parameters (float32): seven emotions through
    the documented mapping (:meth:`ExpressionParams.from_emotions`), 13 parameters as they are."""
    values = np.asarray(expression, dtype=np.float64)
    if values.shape == (len(EXPRESSION_PARAMS),):
        return values.astype(np.float32)
    return ExpressionParams.from_emotions(values).to_vector()


def speaking_params(emotions: np.ndarray, viseme: str) -> np.ndarray:
    """The 13 expression parameters of a face feeling ``emotions`` while its mouth shows ``viseme``."""
    return speaking_expression(ExpressionParams.from_emotions(np.asarray(emotions, np.float64)), mouth_of(viseme)).to_vector()


def check_min_intensity(min_intensity: float) -> float:
    """``min_intensity`` if it is a number in [0, 1]; else InvalidArgumentError naming it."""
    if isinstance(min_intensity, bool) or not isinstance(min_intensity, (int, float)) or not 0 <= min_intensity <= 1:
        raise InvalidArgumentError(f"min_intensity: expected a number in [0, 1], got {min_intensity!r}")
    return float(min_intensity)


def check_quantum(quantum: float) -> float:
    """``quantum`` if it divides [0, 1] into 2 to 64 steps; else InvalidArgumentError naming it."""
    steps = 1.0 / quantum if isinstance(quantum, (int, float)) and quantum > 0 else 0
    if not (2 <= steps <= 64 and abs(steps - round(steps)) < 1e-9):
        raise InvalidArgumentError(f"quantum: expected 1/n for an integer n in 2..64, got {quantum!r}")
    return float(quantum)


def panda_layout(rgba: np.ndarray, size: int) -> bytes:
    """Convert a ``(size, size, 4)`` uint8 RGBA image (top row first) to Panda3D's ram-image layout for
    ``F_rgba8``: BGRA, bottom row first. Done on the worker: one 32-bit swizzle pass, no fancy indexing."""
    if not (isinstance(rgba, np.ndarray) and rgba.dtype == np.uint8 and rgba.shape == (size, size, 4)):
        got = f"{rgba.dtype} {rgba.shape}" if isinstance(rgba, np.ndarray) else type(rgba).__name__
        raise ModelInputError(f"face source output: expected a ({size}, {size}, 4) uint8 RGBA array, got {got}")
    pixels = np.ascontiguousarray(rgba).view("<u4")[::-1, :, 0]  # little-endian: R in the low byte
    return _swap_red_blue(pixels).tobytes()


def from_panda_layout(data: bytes, size: int) -> np.ndarray:
    """The inverse of :func:`panda_layout`: a ``(size, size, 4)`` uint8 RGBA image, top row first."""
    pixels = np.frombuffer(data, "<u4").reshape(size, size)[::-1]
    return np.ascontiguousarray(_swap_red_blue(pixels)).view(np.uint8).reshape(size, size, 4)


def _swap_red_blue(pixels: np.ndarray) -> np.ndarray:
    """32-bit pixels with their low and third bytes swapped: RGBA to BGRA and back."""
    return (pixels & 0xFF00FF00) | ((pixels & 0xFF) << 16) | ((pixels >> 16) & 0xFF)


class FaceCache:
    """Converted faces per ``(character id, quantised expression)``, at most ``capacity_bytes`` in all;
    the least recently used face goes first. Main thread only.

    ``hits`` and ``misses`` count lookups (:meth:`get`); ``hit_rate`` is hits over lookups.
    """

    def __init__(self, capacity_bytes: int = 128 << 20):
        if not (isinstance(capacity_bytes, int) and capacity_bytes >= 0):
            raise InvalidArgumentError(f"capacity_bytes: expected an integer >= 0, got {capacity_bytes!r}")
        self.capacity_bytes = capacity_bytes
        self.bytes = 0
        self.hits = self.misses = self.evictions = 0
        self._faces: OrderedDict[tuple[str, bytes], bytes] = OrderedDict()

    def get(self, character_id: str, key: bytes, count: bool = True) -> bytes | None:
        """The face stored for this character and key, or None; counts a hit or a miss unless ``count`` is
        False (a lookup on the side, such as a stand-in's)."""
        face = self._faces.get((character_id, key))
        if face is None:
            self.misses += count
            return None
        self.hits += count
        self._faces.move_to_end((character_id, key))
        return face

    def put(self, character_id: str, key: bytes, face: bytes, spare: bool = False) -> bool:
        """Store a face, evicting least recently used ones to stay within the capacity; returns whether it
        was stored. A ``spare`` face (drawn ahead, not asked for) evicts nothing: it is stored only while
        the cache is under :data:`SPARE_SHARE` of its capacity, so guesses never push out faces in use."""
        if len(face) > self.capacity_bytes or (spare and ((character_id, key) in self._faces
                                                          or not self.has_spare_room(len(face)))):
            return False
        old = self._faces.pop((character_id, key), None)
        if old is not None:
            self.bytes -= len(old)
        self._faces[(character_id, key)] = face
        self.bytes += len(face)
        while self.bytes > self.capacity_bytes:
            _, evicted = self._faces.popitem(last=False)
            self.bytes -= len(evicted)
            self.evictions += 1
        return True

    def drop(self, character_id: str) -> None:
        """Forget every face of a character (when it is detached)."""
        for entry in [entry for entry in self._faces if entry[0] == character_id]:
            self.bytes -= len(self._faces.pop(entry))

    def has_spare_room(self, size: int) -> bool:
        """Whether a spare face of ``size`` bytes would still be stored (:meth:`put`)."""
        return self.bytes + size <= self.capacity_bytes * SPARE_SHARE

    @property
    def hit_rate(self) -> float:
        """Hits over lookups (0 before the first lookup)."""
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else 0.0

    def __len__(self) -> int:
        return len(self._faces)

    def stats(self) -> dict:
        """Counters as plain data."""
        return {"hits": self.hits, "misses": self.misses, "hit_rate": self.hit_rate, "evictions": self.evictions,
                "entries": len(self._faces), "bytes": self.bytes, "capacity_bytes": self.capacity_bytes}


def likely_levels(quantum: float, min_intensity: float = 0.0) -> list[tuple[int, np.ndarray]]:
    """The quantised faces (:func:`quantise` levels) worth drawing before anyone asks, as ``(rank, levels)``:
    each emotion alone at every step it can be drawn at, strongest first (rank 0 is every emotion at full
    intensity). A character's emotions mostly pass through these as they rise and decay; mixtures are
    drawn on request."""
    top = int(round(1.0 / quantum))
    least = _least_step(min_intensity, quantum)
    likely = []
    for rank, step in enumerate(range(top, 0, -1)):
        for index in range(len(EMOTIONS)):
            if step < least and index != NEUTRAL:
                continue
            levels = np.zeros(len(EMOTIONS), dtype=np.uint8)
            levels[index] = step
            likely.append((rank, levels))
    return likely


def shown_emotions(levels: np.ndarray) -> tuple[str, str | None]:
    """The dominant and second emotions a quantised face shows (see :func:`quantise`); the second is None
    when it rounded to zero."""
    first, second = np.argsort(-levels.astype(np.int16), kind="stable")[:2]
    return EMOTIONS[int(first)], EMOTIONS[int(second)] if levels[second] else None
