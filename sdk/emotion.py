"""Emotion state of a character (Lu, eq. 19): a vector in (0,1)^7 with mood and personality layers.

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
``[EPSILON, 1-EPSILON]``, so they stay inside (0,1) and are never NaN whatever the input: a non-finite
baseline, sensitivity, half-life, mood time constant, time or assigned vector is rejected
(:class:`~anisync.errors.DefinitionError` or :class:`~anisync.errors.InvalidArgumentError`, naming the argument),
non-finite impulse components are ignored, and aim rates are clipped to ``[-MAX_AIM_RATE, MAX_AIM_RATE]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from .errors import DefinitionError, InvalidArgumentError, excerpt
from .schema import finite_number

#: The seven emotion labels (MELD's), in the order every emotion vector in anisync uses.
EMOTIONS: tuple[str, ...] = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")
EMOTION_INDEX: dict[str, int] = {name: i for i, name in enumerate(EMOTIONS)}

#: How close to 0 and 1 a component may come: eq. 19 asks for the open interval (0,1).
EPSILON = 1e-6

#: Largest aim rate (per second, per label) a state integrates; larger ones, and the sum of all of a
#: state's sources, are clipped to it (+inf to the maximum, -inf to its negative, NaN to 0). At this rate
#: a component crosses the whole interval (0,1) in a millisecond, so the clip changes nothing visible,
#: while it keeps the shifted baseline ``b + r/lambda`` finite.
MAX_AIM_RATE = 1e3

#: Longest half-life and mood time constant (seconds, about 32 years) a state accepts; with
#: :data:`MAX_AIM_RATE` it bounds the shifted baseline so the closed forms never overflow.
MAX_TIME_CONSTANT = 1e9

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

#: Emotional orientation (valence) of each emotion, as behaviors declare theirs. Surprise can go either
#: way (a startle or a delight), so it has none of its own: see :func:`shown_orientations`.
EMOTION_ORIENTATION: dict[str, str] = {
    "anger": "negative", "disgust": "negative", "fear": "negative", "sadness": "negative",
    "joy": "positive", "neutral": "neutral", "surprise": "neutral",
}
ORIENTATIONS: tuple[str, ...] = ("positive", "negative", "neutral")
_ORIENTATION_CODES = np.array([ORIENTATIONS.index(EMOTION_ORIENTATION[name]) for name in EMOTIONS])
_SURPRISE = EMOTIONS.index("surprise")
_NEUTRAL_CODE = ORIENTATIONS.index("neutral")
_IS_SURPRISE = np.arange(len(EMOTIONS)) == _SURPRISE


def shown_orientations(dominant: str, second: str | None = None) -> frozenset[str]:
    """The behavior orientations that agree with a face showing ``dominant`` (and ``second`` strongest).

    A face agrees with behaviors of its dominant emotion's orientation; a surprised face agrees with
    neutral behaviors and with those of its second emotion's orientation (surprise with fear: hiding
    agrees; surprise with joy: waving does).
    """
    if dominant == "surprise":
        return frozenset({"neutral", EMOTION_ORIENTATION[second] if second else "neutral"})
    return frozenset({EMOTION_ORIENTATION[dominant]})


def shows_orientation(emotion: np.ndarray, orientation: str) -> np.ndarray | bool:
    """Whether the emotion (a 7-vector, or 7xN for N characters) shows ``orientation`` in the sense of
    :func:`shown_orientations`; vectorised over characters."""
    emotion = np.asarray(emotion)
    wanted = ORIENTATIONS.index(orientation)
    dominant = np.argmax(emotion, axis=0)
    surprised = dominant == _SURPRISE
    shows = _ORIENTATION_CODES[dominant] == wanted
    if wanted == _NEUTRAL_CODE:
        return shows | surprised
    if np.any(surprised):  # only then is the second emotion needed
        is_surprise = _IS_SURPRISE.reshape((-1,) + (1,) * (emotion.ndim - 1))
        second = np.argmax(np.where(is_surprise, -np.inf, emotion), axis=0)
        shows = shows | (surprised & (_ORIENTATION_CODES[second] == wanted))
    return shows


DEFAULT_BASELINE = {name: (0.5 if name == "neutral" else 0.05) for name in EMOTIONS}


def emotion_vector(values: Mapping[str, float], *, default: float = 0.0, source: object = None, key: str = "") -> np.ndarray:
    """Build a length-7 float64 vector from a ``{label: value}`` mapping; unknown labels raise DefinitionError."""
    vector = np.full(len(EMOTIONS), default, dtype=np.float64)
    for label, value in values.items():
        if label not in EMOTION_INDEX:
            raise DefinitionError(source, f"{key}.{label}" if key else label, f"one of {', '.join(EMOTIONS)}", label)
        vector[EMOTION_INDEX[label]] = value
    return vector


def _finite_vector(values: Mapping[str, float], default: float, key: str, source: object = "emotion") -> np.ndarray:
    """:func:`emotion_vector` of a personality table whose values must be finite real numbers."""
    for label, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not math.isfinite(value):
            raise DefinitionError(source, f"{key}.{label}", "a finite number", value)
    return emotion_vector(values, default=default, source=source, key=key)


def _check_time_constant(value: float, key: str, source: object = "emotion") -> float:
    """A half-life or mood time constant: positive, finite, at most MAX_TIME_CONSTANT, with a finite rate."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
        and 0 < value <= MAX_TIME_CONSTANT and math.isfinite(math.log(2.0) / value)
    if not ok:
        raise DefinitionError(source, key, f"a positive number of seconds, at most {MAX_TIME_CONSTANT:g}", value)
    return float(value)


def _unit_vector(value, name: str) -> np.ndarray:
    """A 7-vector assigned to a state: finite (else InvalidArgumentError naming it), clipped into (0,1)."""
    vector = np.asarray(value, dtype=np.float64)
    if vector.shape != (len(EMOTIONS),) or not np.all(np.isfinite(vector)):
        raise InvalidArgumentError(f"{name}: expected {len(EMOTIONS)} finite numbers, got {value!r}")
    return np.clip(vector, EPSILON, 1 - EPSILON)


def _aim_rates(vector: np.ndarray) -> np.ndarray:
    """Aim rates clipped to +-MAX_AIM_RATE (infinities to the bounds, NaN to 0)."""
    return np.clip(np.nan_to_num(vector, nan=0.0, posinf=MAX_AIM_RATE, neginf=-MAX_AIM_RATE),
                   -MAX_AIM_RATE, MAX_AIM_RATE)


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


class EmotionBank:
    """The emotion layers of many characters as rows of matrices, advanced together.

    The runtime keeps one bank and advances every row in a single vectorised step per update, which is
    what lets hundreds of characters update within a frame budget. Rows of despawned characters are
    recycled. An :class:`EmotionState` is a view of one row.
    """

    def __init__(self, capacity: int = 16):
        self.size = 0  # rows in use or recycled; rows >= size are unused
        self._free: list[int] = []
        self._allocate(max(1, capacity))

    def _allocate(self, capacity: int) -> None:
        width = len(EMOTIONS)
        old = {name: getattr(self, name, None) for name in ("vector", "mood", "baseline", "sensitivity", "aim", "expression", "decay_rate", "mood_rate", "time")}
        self.vector = np.full((capacity, width), 0.5)
        self.mood = np.full((capacity, width), 0.5)
        self.baseline = np.full((capacity, width), 0.5)
        self.sensitivity = np.ones((capacity, width))
        self.aim = np.zeros((capacity, width))
        self.expression = np.full((capacity, width), 0.5)
        self.decay_rate = np.ones(capacity)
        self.mood_rate = np.ones(capacity)
        self.time = np.zeros(capacity)
        for name, array in old.items():
            if array is not None:
                getattr(self, name)[: len(array)] = array

    def add(self, baseline: np.ndarray, sensitivity: np.ndarray, half_life: float, mood_time_constant: float,
            time: float) -> int:
        """Take a row for a new character, at rest on its baseline; returns the row index.

        The baseline is clipped into (0,1); a non-finite baseline or sensitivity, or a time constant out
        of (0, MAX_TIME_CONSTANT], raises DefinitionError; a non-finite time, InvalidArgumentError.
        """
        baseline = np.asarray(baseline, dtype=np.float64)
        sensitivity = np.asarray(sensitivity, dtype=np.float64)
        for name, array in (("baseline", baseline), ("sensitivity", sensitivity)):
            if array.shape != (len(EMOTIONS),) or not np.all(np.isfinite(array)):
                raise DefinitionError("emotion", name, f"{len(EMOTIONS)} finite numbers", array.tolist())
        half_life = _check_time_constant(half_life, "half_life")
        mood_time_constant = _check_time_constant(mood_time_constant, "mood_time_constant")
        if not math.isfinite(time):
            raise InvalidArgumentError(f"time: expected a finite number of seconds, got {excerpt(time)}")
        baseline = np.clip(baseline, EPSILON, 1 - EPSILON)
        if self._free:
            row = self._free.pop()
        else:
            if self.size == len(self.time):
                self._allocate(2 * len(self.time))
            row, self.size = self.size, self.size + 1
        self.vector[row] = self.mood[row] = self.baseline[row] = self.expression[row] = baseline
        self.sensitivity[row] = sensitivity
        self.aim[row] = 0.0
        self.decay_rate[row] = math.log(2.0) / half_life
        self.mood_rate[row] = 1.0 / mood_time_constant
        self.time[row] = time
        return row

    def release(self, row: int) -> None:
        """Give a row back for reuse."""
        self._free.append(row)

    def advance_to(self, end_time: float | np.ndarray, rows: slice | np.ndarray | None = None) -> None:
        """Advance ``rows`` (all by default) from their own times to ``end_time`` (one time, or one per row).

        With an aim ``r`` (per second) the emotion obeys ``de/dt = -lambda (e - b) + r``, i.e. it decays
        toward the shifted baseline ``b + r/lambda``; the mood follows ``dm/dt = k (e - m)``. Both have
        closed forms, so the result does not depend on how time is sliced. A non-finite ``end_time``
        raises InvalidArgumentError.
        """
        if not (math.isfinite(end_time) if isinstance(end_time, (int, float)) else np.all(np.isfinite(end_time))):
            raise InvalidArgumentError(f"end_time: expected finite times in seconds, got {end_time!r}")
        if rows is None:
            rows = slice(0, self.size)
        with np.errstate(over="ignore"):  # rate * dt may overflow to inf, where the factors are 0 anyway
            dt = np.maximum(end_time - self.time[rows], 0.0)
            decay, mood_rate = self.decay_rate[rows], self.mood_rate[rows]
            target = self.baseline[rows] + self.aim[rows] / decay[:, None]
            offset = self.vector[rows] - target
            emotion_factor = np.exp(-decay * dt)
            mood_factor = np.exp(-mood_rate * dt)
            gap = mood_rate - decay
            distinct = np.abs(gap) > 1e-12
            # u' = k (D e^{-lambda t} - u) with u = m - target; the equal-rates limit is k t e^{-k t}.
            # (k t may be inf where e^{-k t} is already 0: the product is 0 there, not NaN.)
            mood_steps = mood_rate * dt
            coupling = np.where(distinct, mood_rate / np.where(distinct, gap, 1.0) * (emotion_factor - mood_factor),
                                np.where(mood_factor > 0, mood_steps, 0.0) * mood_factor)
            mood = target + (self.mood[rows] - target) * mood_factor[:, None] + offset * coupling[:, None]
            self.mood[rows] = np.clip(mood, EPSILON, 1 - EPSILON)
            self.vector[rows] = np.clip(target + offset * emotion_factor[:, None], EPSILON, 1 - EPSILON)
        self.time[rows] = np.maximum(self.time[rows], end_time)

    def apply_impulses(self, rows: slice | np.ndarray, impulses: np.ndarray) -> None:
        """Add one impulse per row (per label, in [-1, 1]), scaled by each row's sensitivity.

        A positive component moves toward 1 and a negative one toward 0, in proportion to the room left;
        non-finite components are ignored rather than allowed to poison the state.
        """
        with np.errstate(over="ignore", invalid="ignore"):  # huge or non-finite products become 0 or +-1
            delta = np.clip(np.nan_to_num(impulses * self.sensitivity[rows], nan=0.0, posinf=1.0, neginf=-1.0), -1.0, 1.0)
        vector = self.vector[rows]
        vector = vector + delta * np.where(delta >= 0, 1.0 - vector, vector)
        self.vector[rows] = np.clip(vector, EPSILON, 1 - EPSILON)

    def dominant_indices(self) -> np.ndarray:
        """Index into EMOTIONS of each row's strongest emotion."""
        return np.argmax(self.vector[: self.size], axis=1)


class EmotionState:
    """The emotion, mood and personality of one character: a row of an :class:`EmotionBank`.

    Args:
        baseline: personality baseline per label (missing labels: 0.5 for neutral, 0.05 otherwise).
        sensitivity: multiplier of impulses per label (missing labels: 1.0).
        half_life: seconds for the emotion's distance to the baseline to halve.
        mood_time_constant: seconds of the mood's moving average.
        bank: the bank to live in (the runtime's); a standalone state gets a bank of its own.
        time: the time the state starts at.
        source: where the parameters came from (a definition file), named by DefinitionError.

    Raises:
        DefinitionError: a non-finite baseline or sensitivity value, or a half-life or mood time constant
            that is not a positive number of seconds up to :data:`MAX_TIME_CONSTANT`.
    """

    def __init__(
        self,
        baseline: Mapping[str, float] | None = None,
        sensitivity: Mapping[str, float] | None = None,
        half_life: float = 4.0,
        mood_time_constant: float = 120.0,
        bank: EmotionBank | None = None,
        time: float = 0.0,
        source: object = "emotion",
    ):
        self.half_life = _check_time_constant(half_life, "half_life", source)
        self.mood_time_constant = _check_time_constant(mood_time_constant, "mood_time_constant", source)
        baseline_vector = _finite_vector({**DEFAULT_BASELINE, **(baseline or {})}, 0.0, "baseline", source)
        sensitivity_vector = _finite_vector(sensitivity or {}, 1.0, "sensitivity", source)
        self.bank = bank if bank is not None else EmotionBank(capacity=1)
        self.row = self.bank.add(baseline_vector, sensitivity_vector, self.half_life, self.mood_time_constant, time)
        self._subscriptions: list[_Subscription] = []
        self._aims: dict[str, np.ndarray] = {}

    # Row views: reading gives the live row (writes through), assigning copies into the bank.
    @property
    def vector(self) -> np.ndarray:
        """The emotion vector e_t, a live view of the bank's row."""
        return self.bank.vector[self.row]

    @vector.setter
    def vector(self, value) -> None:
        self.bank.vector[self.row] = _unit_vector(value, "vector")

    @property
    def mood(self) -> np.ndarray:
        """The mood vector, a live view of the bank's row."""
        return self.bank.mood[self.row]

    @mood.setter
    def mood(self, value) -> None:
        self.bank.mood[self.row] = _unit_vector(value, "mood")

    @property
    def baseline(self) -> np.ndarray:
        """The personality baseline."""
        return self.bank.baseline[self.row]

    @property
    def sensitivity(self) -> np.ndarray:
        """The personality's impulse multipliers."""
        return self.bank.sensitivity[self.row]

    @property
    def time(self) -> float:
        """The time this state has been advanced to."""
        return float(self.bank.time[self.row])

    @time.setter
    def time(self, value: float) -> None:
        if not finite_number(value):
            raise InvalidArgumentError(f"time: expected a finite number of seconds, got {excerpt(value)}")
        self.bank.time[self.row] = value

    @property
    def aim(self) -> np.ndarray:
        """Rate per second at which running behaviors and smart objects push each component, summed."""
        return self.bank.aim[self.row]

    @property
    def aims(self) -> dict[str, np.ndarray]:
        """The aim of each source (``"behavior"``, ``"object:ID"``...), as a copy."""
        return {source: rates.copy() for source, rates in self._aims.items()}

    def set_aim(self, rates: np.ndarray | Mapping[str, float] | None, source: str = "behavior") -> None:
        """Set one source's aim: a per-second push per label (Lu's aim of a running behavior, or
        a smart object's effect). Sources add up; ``None`` removes the source. Between updates the aim is
        integrated exactly with the decay (see :meth:`EmotionBank.advance_to`). Each source's rates, and
        their sum, are clipped to ``[-MAX_AIM_RATE, MAX_AIM_RATE]`` (NaN counts as 0)."""
        if rates is None:
            self._aims.pop(source, None)
        else:
            vector = emotion_vector(rates) if isinstance(rates, Mapping) else np.asarray(rates, dtype=np.float64)
            self._aims[source] = _aim_rates(vector)
        self.bank.aim[self.row] = _aim_rates(sum(self._aims.values())) if self._aims else 0.0

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
        """Let ``dt`` seconds pass; integrated exactly, so ten steps of 0.1 s equal one step of 1 s.

        ``dt <= 0`` does nothing; a non-finite ``dt``, or one that takes the time past the largest float,
        raises InvalidArgumentError."""
        if not finite_number(dt) or not math.isfinite(self.time + max(dt, 0.0)):
            raise InvalidArgumentError(f"dt: expected a finite number of seconds, got {excerpt(dt)}")
        if dt > 0:
            self.advance_to(self.time + dt)

    def advance_to(self, time: float) -> None:
        """Advance to the absolute ``time`` (no-op if already there); a non-finite time raises
        InvalidArgumentError."""
        if not finite_number(time):
            raise InvalidArgumentError(f"time: expected a finite number of seconds, got {excerpt(time)}")
        self.bank.advance_to(time, slice(self.row, self.row + 1))

    def apply_impulse(self, impulse: np.ndarray | Mapping[str, float]) -> None:
        """Add an impulse (per label, in [-1, 1]); see :meth:`EmotionBank.apply_impulses`."""
        delta = emotion_vector(impulse) if isinstance(impulse, Mapping) else np.asarray(impulse, dtype=np.float64)
        self.bank.apply_impulses(slice(self.row, self.row + 1), delta[None, :])

    # --- subscriptions -----------------------------------------------------------------------------
    def on_emotion_changed(self, callback: Callable[[EmotionChange], None], threshold: float = 0.05) -> Callable[[], None]:
        """Call ``callback(change)`` when any component moved more than ``threshold`` since the last call
        to this subscriber, or the dominant label changed. Returns a function that unsubscribes."""
        if not threshold >= 0:
            raise InvalidArgumentError(f"threshold: expected a number >= 0, got {threshold!r}")
        subscription = _Subscription(callback, float(threshold), self.vector.copy(), self.dominant())
        self._subscriptions.append(subscription)
        return lambda: self._subscriptions.remove(subscription) if subscription in self._subscriptions else None

    def notify(self, errors: list[Exception] | None = None) -> None:
        """Tell subscribers about changes past their threshold; the runtime calls this once per update.

        Every subscriber is called even if one raises: with ``errors`` the exceptions are appended to it
        (the runtime logs and counts them), without it the first is raised once all have been called.
        """
        if not self._subscriptions:
            return
        dominant = self.dominant()
        raised: list[Exception] = [] if errors is None else errors
        for sub in list(self._subscriptions):
            moved = float(np.max(np.abs(self.vector - sub.last_vector)))
            if moved > sub.threshold or dominant[0] != sub.last_dominant[0]:
                change = EmotionChange(sub.last_vector, self.vector.copy(), sub.last_dominant, dominant, self.time)
                sub.last_vector, sub.last_dominant = change.current, dominant
                try:
                    sub.callback(change)
                except Exception as error:  # game code: it must not stop the other subscribers
                    raised.append(error)
        if errors is None and raised:
            raise raised[0]

    # --- save and restore --------------------------------------------------------------------------
    def snapshot(self) -> dict:
        """Plain data that :meth:`restore` accepts."""
        return {"vector": self.vector.tolist(), "mood": self.mood.tolist(), "time": self.time,
                "aims": {source: rates.tolist() for source, rates in self._aims.items()}}

    def restore(self, data: Mapping) -> None:
        """Continue from a :meth:`snapshot`."""
        self.vector = data["vector"]
        self.mood = data["mood"]
        self.time = float(data["time"])
        self._aims.clear()
        for source, rates in data["aims"].items():
            self.set_aim(rates, source)
        if not self._aims:
            self.set_aim(None)
