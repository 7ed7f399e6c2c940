"""Emotion state of a character (seed 004, eq. 19): a vector in (0,1)^7 with mood and personality layers.

Three layers, each slower than the last:

* **emotion** ``e_t`` (seconds): jumps on appraised events, then decays exponentially toward the
  personality baseline with a half-life ``h``: ``e(t) = b + (e0 - b) * 2^(-t/h)``.
* **mood** ``m_t`` (minutes): a moving average of the emotion, ``dm/dt = (e - m) / tau``. Between events
  it is integrated in closed form together with the decaying emotion, so the result does not depend on
  how elapsed time is sliced into frames.
* **personality** ``b`` (fixed): the baseline the emotion returns to, plus a per-emotion sensitivity
  that scales every impulse.

An impulse ``d`` in [-1, 1] moves a component toward 1 when positive and toward 0 when negative, in
proportion to the room left: ``e + d*(1-e)`` or ``e + d*e``. Components are then clipped to
``[EPSILON, 1-EPSILON]``, so they stay inside (0,1) and are never NaN whatever the input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from .errors import DefinitionError, InvalidArgumentError

#: The seven emotion labels (MELD's), in the order every emotion vector in anisync uses.
EMOTIONS: tuple[str, ...] = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")
EMOTION_INDEX: dict[str, int] = {name: i for i, name in enumerate(EMOTIONS)}

#: How close to 0 and 1 a component may come: eq. 19 asks for the open interval (0,1).
EPSILON = 1e-6

#: Pleasure-arousal-dominance coordinates of each pure emotion, in [-1,1]. Anger, disgust, fear, joy and
#: sadness follow ALMA's OCC-to-PAD table (Gebhard 2005: anger, hate, fear, joy, distress); surprise is
#: our choice (pleasant-ish, very aroused, slightly submissive); neutral is the origin.
PAD_TABLE: dict[str, tuple[float, float, float]] = {
    "anger": (-0.51, 0.59, 0.25),
    "disgust": (-0.60, 0.35, 0.11),
    "fear": (-0.64, 0.60, -0.43),
    "joy": (0.40, 0.20, 0.10),
    "neutral": (0.00, 0.00, 0.00),
    "sadness": (-0.40, -0.20, -0.50),
    "surprise": (0.20, 0.65, -0.10),
}
_PAD_MATRIX = np.array([PAD_TABLE[name] for name in EMOTIONS], dtype=np.float64)

DEFAULT_BASELINE = {name: (0.5 if name == "neutral" else 0.05) for name in EMOTIONS}


def emotion_vector(values: Mapping[str, float], *, default: float = 0.0, source: object = None, key: str = "") -> np.ndarray:
    """Build a length-7 float64 vector from a ``{label: value}`` mapping; unknown labels raise DefinitionError."""
    vector = np.full(len(EMOTIONS), default, dtype=np.float64)
    for label, value in values.items():
        if label not in EMOTION_INDEX:
            raise DefinitionError(source, f"{key}.{label}" if key else label, f"one of {', '.join(EMOTIONS)}", label)
        vector[EMOTION_INDEX[label]] = value
    return vector


@dataclass(frozen=True)
class EmotionChange:
    """What a subscriber of :meth:`EmotionState.on_emotion_changed` receives."""

    previous: np.ndarray
    current: np.ndarray
    previous_dominant: tuple[str, float]
    dominant: tuple[str, float]
    time: float


@dataclass
class _Subscription:
    callback: Callable[[EmotionChange], None]
    threshold: float
    last_vector: np.ndarray
    last_dominant: tuple[str, float]


class EmotionState:
    """The emotion, mood and personality of one character.

    Args:
        baseline: personality baseline per label (missing labels: 0.5 for neutral, 0.05 otherwise).
        sensitivity: multiplier of impulses per label (missing labels: 1.0).
        half_life: seconds for the emotion's distance to the baseline to halve.
        mood_time_constant: seconds of the mood's moving average.
    """

    def __init__(
        self,
        baseline: Mapping[str, float] | None = None,
        sensitivity: Mapping[str, float] | None = None,
        half_life: float = 4.0,
        mood_time_constant: float = 120.0,
    ):
        if not (half_life > 0 and math.isfinite(half_life)):
            raise DefinitionError("emotion", "half_life", "a positive number of seconds", half_life)
        if not (mood_time_constant > 0 and math.isfinite(mood_time_constant)):
            raise DefinitionError("emotion", "mood_time_constant", "a positive number of seconds", mood_time_constant)
        self.baseline = np.clip(emotion_vector({**DEFAULT_BASELINE, **(baseline or {})}), EPSILON, 1 - EPSILON)
        self.sensitivity = emotion_vector(sensitivity or {}, default=1.0)
        self.half_life = float(half_life)
        self.mood_time_constant = float(mood_time_constant)
        self.vector = self.baseline.copy()
        self.mood = self.baseline.copy()
        self.time = 0.0
        self._subscriptions: list[_Subscription] = []

    # --- views -------------------------------------------------------------------------------------
    def dominant(self) -> tuple[str, float]:
        """The strongest emotion as ``(label, intensity)``; ties go to the earlier label in EMOTIONS."""
        index = int(np.argmax(self.vector))
        return EMOTIONS[index], float(self.vector[index])

    def as_dict(self) -> dict[str, float]:
        """The emotion vector as ``{label: intensity}``."""
        return {name: float(v) for name, v in zip(EMOTIONS, self.vector)}

    def pad(self) -> np.ndarray:
        """Pleasure, arousal, dominance: the intensity-weighted mean of :data:`PAD_TABLE` rows."""
        return (self.vector @ _PAD_MATRIX) / float(self.vector.sum())

    def mood_pad(self) -> np.ndarray:
        """The mood projected the same way as :meth:`pad`."""
        return (self.mood @ _PAD_MATRIX) / float(self.mood.sum())

    # --- dynamics ----------------------------------------------------------------------------------
    def advance(self, dt: float) -> None:
        """Let ``dt`` seconds pass: decay the emotion toward the baseline and move the mood after it.

        Both are integrated exactly, so ten steps of 0.1 s equal one step of 1 s.
        """
        if not dt > 0:
            return
        decay_rate = math.log(2.0) / self.half_life  # lambda
        mood_rate = 1.0 / self.mood_time_constant  # k
        offset = self.vector - self.baseline  # D
        emotion_factor = math.exp(-decay_rate * dt)
        mood_factor = math.exp(-mood_rate * dt)
        # u' = k (D e^{-lambda t} - u), with u = m - b: closed form of the mood's moving average.
        if abs(mood_rate - decay_rate) > 1e-12:
            coupling = mood_rate / (mood_rate - decay_rate) * (emotion_factor - mood_factor)
        else:
            coupling = mood_rate * dt * mood_factor
        self.mood = self.baseline + (self.mood - self.baseline) * mood_factor + offset * coupling
        self.vector = self.baseline + offset * emotion_factor
        self.time += dt
        self._clip()

    def apply_impulse(self, impulse: np.ndarray | Mapping[str, float]) -> None:
        """Add an impulse (per label, in [-1, 1]), scaled by the personality's sensitivity.

        Non-finite impulse components are ignored rather than allowed to poison the state.
        """
        delta = emotion_vector(impulse) if isinstance(impulse, Mapping) else np.asarray(impulse, dtype=np.float64)
        delta = np.clip(np.nan_to_num(delta * self.sensitivity, nan=0.0, posinf=1.0, neginf=-1.0), -1.0, 1.0)
        room = np.where(delta >= 0, 1.0 - self.vector, self.vector)
        self.vector = self.vector + delta * room
        self._clip()

    def _clip(self) -> None:
        np.clip(self.vector, EPSILON, 1 - EPSILON, out=self.vector)
        np.clip(self.mood, EPSILON, 1 - EPSILON, out=self.mood)

    # --- subscriptions -----------------------------------------------------------------------------
    def on_emotion_changed(self, callback: Callable[[EmotionChange], None], threshold: float = 0.05) -> Callable[[], None]:
        """Call ``callback(change)`` when any component moved more than ``threshold`` since the last call
        to this subscriber, or the dominant label changed. Returns a function that unsubscribes."""
        if not threshold >= 0:
            raise InvalidArgumentError(f"threshold: expected a number >= 0, got {threshold!r}")
        subscription = _Subscription(callback, float(threshold), self.vector.copy(), self.dominant())
        self._subscriptions.append(subscription)
        return lambda: self._subscriptions.remove(subscription) if subscription in self._subscriptions else None

    def notify(self) -> None:
        """Tell subscribers about changes past their threshold; the runtime calls this once per update."""
        if not self._subscriptions:
            return
        dominant = self.dominant()
        for sub in list(self._subscriptions):
            moved = float(np.max(np.abs(self.vector - sub.last_vector)))
            if moved > sub.threshold or dominant[0] != sub.last_dominant[0]:
                change = EmotionChange(sub.last_vector, self.vector.copy(), sub.last_dominant, dominant, self.time)
                sub.last_vector, sub.last_dominant = change.current, dominant
                sub.callback(change)

    # --- save and restore --------------------------------------------------------------------------
    def snapshot(self) -> dict:
        """Plain data that :meth:`restore` accepts."""
        return {"vector": self.vector.tolist(), "mood": self.mood.tolist(), "time": self.time}

    def restore(self, data: Mapping) -> None:
        """Continue from a :meth:`snapshot`."""
        self.vector = np.array(data["vector"], dtype=np.float64)
        self.mood = np.array(data["mood"], dtype=np.float64)
        self.time = float(data["time"])
