"""Body actions: what each activity does to a humanoid's joints, and how expression intensity scales it.

Every activity the behavior engine names is an :data:`ACTIONS` entry: a set of :class:`Track`\\ s, each
moving one channel of one joint of the canonical skeleton (:data:`JOINTS`) between a ``start`` and an
``end`` value along a waveform. Channels are Panda3D's ``h`` (about the joint's up axis Z), ``p`` (about
its right axis X) and ``r`` (about its forward axis Y), in degrees, plus ``z``, a lift of the hips in
metres of a 1.5 m character. The canonical character stands on Z up and faces +Y (so ``lookAt`` turns it
toward a target); its left side is -X. Angles are relative to the rest pose: arms hang down, legs are
straight. Mirrored tracks come in pairs (``_l`` / ``_r``) with ``h`` and ``r`` negated on the right side,
so a positive ``r`` raises either arm sideways and a positive ``p`` swings either limb forward.

**Expression intensity drives the motion.** Peng (section 3.3.1, table 2) lets the start and end
angles of a behavior's joint rotation grow with the expression angle, roughly in step: 0-π/18 at a
frontal 0° face, π/6-2π/9 at 30°, 7π/18-4π/9 at 70°. Here the expression angle is ``θ = 80° · k``, where
``k`` is the dominant component of the character's expression vector mapped linearly from ``[0.3, 0.9]``
onto ``[0, 1]``, and:

* both the start and the end angle of a scaled track are multiplied by the gain ``g = 0.4 + 0.6 · θ/80°``,
  so both grow linearly with ``θ`` as in the table, from 40 % of the authored range (not 0, so that a calm
  character still visibly does what it does) to 100 %: a mildly pleased wave lifts the arm to 58°, an
  ecstatic one to 145°;
* the tempo (every track's frequency) is multiplied by ``0.8 + 0.4 · θ/80°``: stronger feelings move faster.

Posture tracks (sitting, hiding) are not scaled: half a sit would float in the air.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np

#: The canonical skeleton's joints. A user rig binds by mapping (some of) these names to its own joints.
JOINTS: tuple[str, ...] = (
    "hips", "spine", "chest", "neck", "head",
    "upper_arm_l", "forearm_l", "hand_l", "upper_arm_r", "forearm_r", "hand_r",
    "thigh_l", "shin_l", "foot_l", "thigh_r", "shin_r", "foot_r",
)
JOINT_INDEX = {name: i for i, name in enumerate(JOINTS)}
CHANNELS: tuple[str, ...] = ("h", "p", "r", "z")
CHANNEL_INDEX = {name: i for i, name in enumerate(CHANNELS)}

#: Waveforms: the fraction ``w`` of the way from ``start`` to ``end`` at time ``t`` for frequency ``f``.
#: hold: at ``end`` (the crossfade eases into it); swing: ``0.5 - 0.5 cos(2π(ft + phase))``;
#: bounce: ``|sin(π(ft + phase))|``, one hop per ``1/f`` s; ease: smoothstep to ``end`` over ``1/f`` s.
WAVES: tuple[str, ...] = ("hold", "swing", "bounce", "ease")

#: Seconds over which the body crossfades from its pose at a change of activity to the new action.
BLEND_SECONDS = 0.3

GAIN_AT_REST, TEMPO_AT_REST, TEMPO_SPAN = 0.4, 0.8, 0.4
INTENSITY_LOW, INTENSITY_HIGH = 0.3, 0.9


@dataclass(frozen=True)
class Track:
    """One joint channel moving from ``start`` to ``end`` along ``wave`` at ``freq`` Hz (see module doc)."""

    joint: str
    channel: str
    start: float
    end: float
    wave: str = "hold"
    freq: float = 0.0
    phase: float = 0.0
    scaled: bool = True


def _pair(joint: str, channel: str, start: float, end: float, wave: str = "hold", freq: float = 0.0,
          phase: float = 0.0, alternate: bool = False, scaled: bool = True) -> tuple[Track, Track]:
    """Left and right tracks of a limb; the right is mirrored and, if ``alternate``, half a cycle later."""
    sign = -1.0 if channel in ("h", "r") else 1.0
    return (Track(f"{joint}_l", channel, start, end, wave, freq, phase, scaled),
            Track(f"{joint}_r", channel, sign * start, sign * end, wave, freq, phase + 0.5 * alternate, scaled))


def _walk(freq: float) -> tuple[Track, ...]:
    return (*_pair("thigh", "p", -22, 22, "swing", freq, alternate=True),
            *_pair("shin", "p", -35, 0, "swing", freq, 0.25, alternate=True),
            *_pair("upper_arm", "p", 20, -20, "swing", freq, alternate=True),
            *_pair("upper_arm", "r", 8, 8),
            *_pair("forearm", "p", 15, 30, "swing", freq, alternate=True),
            Track("hips", "z", 0.0, 0.03, "bounce", 2 * freq),
            Track("chest", "h", -5, 5, "swing", freq),
            Track("head", "p", -3, -3))


def _hands_to_face(reach: float, inward: float, bend: float, freq: float) -> tuple[Track, ...]:
    return (*_pair("upper_arm", "p", 0, reach, "ease", freq), *_pair("upper_arm", "r", 0, -inward, "ease", freq),
            *_pair("forearm", "p", 0, bend, "ease", freq))


#: Activity name -> tracks. Hand-authored key poses; every activity the behavior engine and the sample
#: behaviors use has one, anything else falls back to ``idle`` (see :func:`resolve_action`).
ACTIONS: dict[str, tuple[Track, ...]] = {
    "idle": (Track("chest", "p", 0, 2, "swing", 0.25), Track("head", "h", -4, 4, "swing", 0.08),
             Track("head", "p", -2, 1, "swing", 0.2), *_pair("upper_arm", "r", 6, 9, "swing", 0.25),
             *_pair("forearm", "p", 8, 12, "swing", 0.25), Track("hips", "z", 0.0, 0.004, "swing", 0.25)),
    "walk": _walk(1.0),
    "patrol": (*_walk(0.8)[:-1], Track("head", "h", -30, 30, "swing", 0.2)),
    "flee": (*_pair("thigh", "p", -40, 50, "swing", 1.9, alternate=True),
             *_pair("shin", "p", -90, -10, "swing", 1.9, 0.25, alternate=True),
             *_pair("upper_arm", "p", 45, -45, "swing", 1.9, alternate=True), *_pair("forearm", "p", 80, 80),
             Track("spine", "p", -15, -15), Track("hips", "z", 0.0, 0.05, "bounce", 3.8),
             Track("head", "h", 0, 40, "swing", 0.4)),
    "wave": (Track("upper_arm_r", "r", 0, -145, "ease", 3.0), Track("forearm_r", "r", -25, 25, "swing", 1.6),
             Track("upper_arm_l", "r", 6, 6), Track("head", "r", 0, 6, "swing", 0.8), Track("head", "h", -8, -8),
             Track("chest", "r", -3, -3)),
    # A scene's speaker and listeners (anisync.scenes): small nods and a hand that moves with the words; a
    # listener's head tilted toward the talk.
    "talk": (Track("head", "p", -3, 5, "swing", 1.6), Track("upper_arm_r", "p", 10, 30, "swing", 0.7),
             Track("forearm_r", "p", 20, 45, "swing", 0.7), Track("chest", "h", -3, 3, "swing", 0.35)),
    "listen": (Track("head", "r", 0, 7, "ease", 1.0), Track("head", "p", 0, -4, "ease", 1.0),
               Track("chest", "p", 0, 2, "swing", 0.25)),
    "nod": (Track("head", "p", 0, -18, "swing", 1.4), Track("neck", "p", 0, -6, "swing", 1.4),
            Track("chest", "p", 0, -2, "swing", 1.4)),
    "bow": (Track("spine", "p", 0, -40, "ease", 1.2), Track("chest", "p", 0, -8, "ease", 1.2),
            Track("head", "p", 0, -15, "ease", 1.2), *_pair("upper_arm", "p", 0, 12, "ease", 1.2),
            *_pair("upper_arm", "r", 0, -4, "ease", 1.2)),
    "jump": (Track("hips", "z", 0.0, 0.22, "bounce", 1.1), *_pair("thigh", "p", 0, 35, "bounce", 1.1),
             *_pair("shin", "p", 0, -55, "bounce", 1.1), *_pair("upper_arm", "r", 20, 150, "bounce", 1.1),
             Track("head", "p", 0, 10, "bounce", 1.1)),
    "cower": (Track("hips", "z", 0.0, -0.14, "ease", 3.0), *_pair("thigh", "p", 0, 40, "ease", 3.0),
              *_pair("shin", "p", 0, -70, "ease", 3.0), Track("spine", "p", 0, -25, "ease", 3.0),
              Track("chest", "p", 0, -10, "ease", 3.0), Track("head", "p", 0, -20, "ease", 3.0),
              *_hands_to_face(75, 20, 100, 3.0), Track("chest", "r", -2, 2, "swing", 7.0)),
    "stomp": (Track("thigh_r", "p", 0, 50, "bounce", 1.2), Track("shin_r", "p", 0, -50, "bounce", 1.2),
              Track("hips", "z", 0.0, 0.02, "bounce", 1.2, 0.5), *_pair("upper_arm", "r", 15, 15),
              *_pair("forearm", "p", 30, 30), Track("chest", "p", -6, -6), Track("head", "p", -10, -10)),
    "cry": (Track("head", "p", 0, -25, "ease", 2.0), Track("neck", "p", 0, -8, "ease", 2.0),
            Track("spine", "p", 0, -8, "ease", 2.0), *_hands_to_face(40, 22, 125, 2.0),
            Track("chest", "p", 0, -5, "swing", 2.5)),
    "laugh": (Track("chest", "p", 0, -7, "swing", 3.0), Track("spine", "p", 4, -4, "swing", 1.5),
              Track("head", "p", 12, 2, "swing", 3.0), Track("upper_arm_l", "p", 0, 20, "ease", 3.0),
              Track("upper_arm_l", "r", 0, -15, "ease", 3.0), Track("forearm_l", "p", 0, 95, "ease", 3.0),
              Track("upper_arm_r", "p", 0, 50, "ease", 3.0), Track("forearm_r", "p", 0, 120, "ease", 3.0)),
    "sit": (Track("hips", "z", 0.0, -0.33, "ease", 1.5, scaled=False),
            *_pair("thigh", "p", 0, 88, "ease", 1.5, scaled=False), *_pair("shin", "p", 0, -88, "ease", 1.5, scaled=False),
            *_pair("upper_arm", "p", 0, 25, "ease", 1.5, scaled=False), *_pair("forearm", "p", 0, 40, "ease", 1.5, scaled=False),
            Track("spine", "p", -4, -4), Track("head", "p", -5, 3, "swing", 0.15)),
    "hide": (Track("hips", "z", 0.0, -0.40, "ease", 3.0, scaled=False),
             *_pair("thigh", "p", 0, 85, "ease", 3.0, scaled=False), *_pair("shin", "p", 0, -130, "ease", 3.0, scaled=False),
             Track("spine", "p", 0, -25, "ease", 3.0), Track("head", "p", 0, -6, "ease", 3.0),
             *_pair("upper_arm", "p", 0, 150, "ease", 3.0), *_pair("upper_arm", "r", 0, 25, "ease", 3.0),
             *_pair("forearm", "p", 0, 70, "ease", 3.0),
             Track("chest", "r", -2, 2, "swing", 6.0)),
    "glare": (Track("head", "p", 0, -10, "ease", 3.0), Track("chest", "p", 0, 3, "ease", 3.0),
              *_pair("upper_arm", "r", 0, 40, "ease", 3.0), *_pair("upper_arm", "p", 0, -10, "ease", 3.0),
              *_pair("forearm", "r", 0, -100, "ease", 3.0), Track("head", "h", 0, 6, "swing", 0.2)),
    "look_around": (Track("head", "h", -45, 45, "swing", 0.25), Track("neck", "h", -10, 10, "swing", 0.25),
                    Track("chest", "h", -8, 8, "swing", 0.25), Track("head", "p", -5, 5, "swing", 0.5)),
    "stretch": (*_pair("upper_arm", "r", 20, 165, "swing", 0.3), Track("spine", "p", 0, 8, "swing", 0.3),
                Track("head", "p", 0, 12, "swing", 0.3), Track("chest", "p", 0, 4, "swing", 0.3)),
    "sigh": (Track("chest", "p", -2, -10, "swing", 0.35), Track("head", "p", -8, -22, "swing", 0.35),
             Track("neck", "p", -4, -4), *_pair("upper_arm", "r", 2, 2), *_pair("forearm", "p", 5, 5),
             Track("hips", "z", 0.0, -0.015, "swing", 0.35)),
    "gasp": (Track("head", "p", 0, 14, "ease", 5.0), Track("chest", "p", 0, 8, "ease", 5.0),
             *_hands_to_face(40, 15, 115, 5.0), Track("hips", "z", 0.0, -0.02, "ease", 5.0)),
    "hum": (Track("head", "r", -9, 9, "swing", 0.6), Track("chest", "r", -3, 3, "swing", 0.6),
            Track("head", "h", -5, 5, "swing", 0.3), *_pair("upper_arm", "p", -20, -20),
            *_pair("upper_arm", "r", -5, -5), *_pair("forearm", "p", 35, 35)),
    "tidy_shelves": (Track("upper_arm_l", "p", 70, 110, "swing", 0.5), Track("upper_arm_r", "p", 110, 70, "swing", 0.5),
                     *_pair("forearm", "p", 20, 45, "swing", 0.5), Track("chest", "h", -12, 12, "swing", 0.25),
                     Track("head", "p", 8, 8), Track("head", "h", -10, 10, "swing", 0.25)),
    "recoil": (Track("spine", "p", 0, 10, "ease", 4.0), Track("chest", "p", 0, 6, "ease", 4.0),
               Track("head", "p", 0, 8, "ease", 4.0), Track("head", "h", 0, 25, "ease", 4.0),
               *_pair("upper_arm", "p", 0, 45, "ease", 4.0), *_pair("forearm", "p", 0, 70, "ease", 4.0),
               Track("hips", "z", 0.0, -0.03, "ease", 4.0)),
    "wander": (*_walk(0.7)[:-1], Track("head", "h", -15, 15, "swing", 0.15), Track("head", "p", -6, 2, "swing", 0.3)),
    "stand_guard": (*_pair("upper_arm", "p", -18, -18), *_pair("upper_arm", "r", -4, -4), *_pair("forearm", "p", 30, 30),
                    Track("chest", "p", 3, 3), Track("head", "h", -20, 20, "swing", 0.12), Track("chest", "p", 0, 1.5, "swing", 0.25)),
    "count_coins": (Track("head", "p", -25, -25), Track("spine", "p", -6, -6), *_pair("upper_arm", "p", 35, 35),
                    *_pair("upper_arm", "r", -10, -10), *_pair("forearm", "p", 55, 55),
                    Track("forearm_r", "h", -12, 12, "swing", 1.5), Track("head", "r", -3, 3, "swing", 0.5)),
    "warm_hands": (*_pair("upper_arm", "p", 0, 55, "ease", 2.0), *_pair("upper_arm", "r", 0, -14, "ease", 2.0),
                   *_pair("forearm", "p", 25, 45, "swing", 1.2, alternate=True), Track("spine", "p", 0, -10, "ease", 2.0),
                   Track("head", "p", 0, -12, "ease", 2.0), Track("chest", "r", -2, 2, "swing", 0.5)),
    "dance": (*_pair("upper_arm", "r", 40, 150, "swing", 1.0, alternate=True), *_pair("forearm", "r", 0, -40, "swing", 1.0),
              Track("hips", "z", 0.0, 0.06, "bounce", 2.0), Track("chest", "h", -15, 15, "swing", 0.5),
              Track("head", "r", -10, 10, "swing", 0.5), *_pair("thigh", "p", 0, 25, "bounce", 1.0, alternate=True),
              *_pair("shin", "p", 0, -35, "bounce", 1.0, alternate=True)),
    "peek": (Track("hips", "z", 0.0, -0.08, "ease", 2.0), *_pair("thigh", "p", 0, 25, "ease", 2.0),
             *_pair("shin", "p", 0, -45, "ease", 2.0), Track("spine", "r", 0, 14, "ease", 2.0),
             Track("spine", "p", 0, -12, "ease", 2.0), Track("head", "h", -10, 25, "swing", 0.3),
             *_hands_to_face(55, 10, 80, 2.0)),
    "shout": (Track("spine", "p", 0, -12, "ease", 4.0), Track("head", "p", 8, 18, "swing", 1.5),
              *_pair("upper_arm", "r", 0, 20, "ease", 4.0), *_pair("upper_arm", "p", 0, -15, "ease", 4.0),
              *_pair("forearm", "p", 0, 35, "ease", 4.0), Track("chest", "p", -3, 3, "swing", 3.0)),
    "blush": (Track("head", "p", 0, -14, "ease", 2.0), Track("head", "r", -6, 6, "swing", 0.4),
              *_pair("upper_arm", "p", 0, 20, "ease", 2.0), *_pair("upper_arm", "r", 0, -16, "ease", 2.0),
              *_pair("forearm", "p", 0, 60, "ease", 2.0), *_pair("forearm", "h", 0, -25, "ease", 2.0),
              Track("chest", "h", -6, 6, "swing", 0.4)),
    # the moods' resting poses: a light, happy sway with hands behind the back; shoulders dropped, head down
    "sway": (Track("hips", "z", 0.0, 0.012, "bounce", 0.9), Track("chest", "r", -4, 4, "swing", 0.45),
             Track("head", "r", -8, 8, "swing", 0.45), Track("head", "p", 4, 4), Track("chest", "p", 3, 3),
             *_pair("upper_arm", "p", -22, -22), *_pair("upper_arm", "r", 4, 4), *_pair("forearm", "p", 25, 25)),
    "slump": (Track("head", "p", 0, -20, "ease", 1.5), Track("neck", "p", 0, -6, "ease", 1.5),
              Track("chest", "p", 0, -9, "ease", 1.5), Track("spine", "p", 0, -5, "ease", 1.5),
              *_pair("upper_arm", "r", 0, 3, "ease", 1.5), Track("head", "h", -5, 5, "swing", 0.1),
              Track("hips", "z", 0.0, -0.01, "ease", 1.5)),
    "turn_away": (Track("chest", "h", 0, 35, "ease", 2.0), Track("head", "h", 0, 30, "ease", 2.0),
                  Track("head", "p", 0, 6, "ease", 2.0), *_pair("upper_arm", "p", 0, 30, "ease", 2.0),
                  *_pair("upper_arm", "r", 0, -18, "ease", 2.0), *_pair("forearm", "p", 0, 95, "ease", 2.0)),
}

FALLBACK_ACTION = "idle"
_warned: set[str] = set()


def resolve_action(activity: str) -> str:
    """The :data:`ACTIONS` entry that plays ``activity``: itself, or ``idle`` with a one-time warning."""
    if activity in ACTIONS:
        return activity
    if activity not in _warned:
        _warned.add(activity)
        warnings.warn(f"anisync: no body action for activity {activity!r}; playing {FALLBACK_ACTION!r}", stacklevel=2)
    return FALLBACK_ACTION


def intensity_gain(dominant: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """``(gain, tempo)`` for dominant expression components in (0,1), as in the module docstring."""
    k = np.clip((np.asarray(dominant, dtype=np.float64) - INTENSITY_LOW) / (INTENSITY_HIGH - INTENSITY_LOW), 0.0, 1.0)
    return GAIN_AT_REST + (1.0 - GAIN_AT_REST) * k, TEMPO_AT_REST + TEMPO_SPAN * k


class ActionTable:
    """Every action's tracks as flat arrays, so the poses of many bodies come out of one numpy pass."""

    def __init__(self, actions: Mapping[str, Iterable[Track]] = ACTIONS):
        self.names = tuple(actions)
        self.index = {name: i for i, name in enumerate(self.names)}
        tracks = [(i, track) for i, name in enumerate(self.names) for track in actions[name]]
        for _, track in tracks:
            if track.joint not in JOINT_INDEX or track.channel not in CHANNEL_INDEX or track.wave not in WAVES:
                raise ValueError(f"actions: bad track {track}")
        owner = np.array([i for i, _ in tracks], dtype=np.intp)
        self._rows = [np.flatnonzero(owner == i) for i in range(len(self.names))]
        self._slot = np.array([JOINT_INDEX[t.joint] * len(CHANNELS) + CHANNEL_INDEX[t.channel] for _, t in tracks])
        self._start = np.array([t.start for _, t in tracks])
        self._end = np.array([t.end for _, t in tracks])
        self._wave = np.array([WAVES.index(t.wave) for _, t in tracks])
        self._freq = np.array([t.freq for _, t in tracks])
        self._phase = np.array([t.phase for _, t in tracks])
        self._scaled = np.array([t.scaled for _, t in tracks])
        #: Joints any action moves: the only ones a body needs to control.
        self.driven_joints = tuple(name for name in JOINTS if any(t.joint == name for _, t in tracks))

    def poses(self, actions: np.ndarray, clocks: np.ndarray, gains: np.ndarray) -> np.ndarray:
        """Poses ``(n, len(JOINTS), len(CHANNELS))`` of ``n`` bodies doing ``actions`` (indices) at phase
        clocks ``clocks`` (seconds of action time, already tempo-scaled) with intensity gains ``gains``."""
        n = len(actions)
        rows = [self._rows[a] for a in actions]
        body = np.repeat(np.arange(n), [len(r) for r in rows])
        rows = np.concatenate(rows) if rows else np.empty(0, dtype=np.intp)
        cycles = self._freq[rows] * clocks[body] + self._phase[rows]
        wave = self._wave[rows]
        w = np.ones(len(rows))
        w = np.where(wave == 1, 0.5 - 0.5 * np.cos(2 * np.pi * cycles), w)
        w = np.where(wave == 2, np.abs(np.sin(np.pi * cycles)), w)
        ramp = np.clip(cycles, 0.0, 1.0)
        w = np.where(wave == 3, ramp * ramp * (3 - 2 * ramp), w)
        scale = np.where(self._scaled[rows], gains[body], 1.0)
        values = scale * (self._start[rows] + (self._end[rows] - self._start[rows]) * w)
        slots = len(JOINTS) * len(CHANNELS)
        flat = np.bincount(body * slots + self._slot[rows], weights=values, minlength=n * slots)
        return flat.reshape(n, len(JOINTS), len(CHANNELS))
