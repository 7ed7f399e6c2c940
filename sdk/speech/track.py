"""A line's visemes playing on a game clock, and how a speaking mouth blends with the face's emotion.

:class:`VisemeTrack` answers, for any time on the clock it was started on, which viseme shows and what the
mouth draws. A mouth does not jump between shapes: for the first :data:`BLEND_SECONDS` of each viseme it
moves linearly from the previous viseme's shape (coarticulation, as Rhubarb's tweening does), so a game
sampling at 30 or 60 frames per second sees a smooth ``mouth_open`` curve.

While a character speaks, the visemes own the mouth's opening and width and the emotion keeps the rest:
eyes, brows, blush, tears, sweat, gloom, and the mouth's corners (``mouth_form``), so an angry line is
spoken by a frowning mouth (:func:`speaking_expression`).
"""

from __future__ import annotations

import bisect
from dataclasses import replace
from typing import Mapping, Sequence

import numpy as np

from ..errors import InvalidArgumentError
from ..procedural.expression import ExpressionParams
from .visemes import VISEMES, TimedViseme, check_viseme_set, in_set, mouth_of

#: Seconds over which the mouth moves from one viseme's shape to the next.
BLEND_SECONDS = 0.05
_REST = mouth_of("sil")


class VisemeTrack:
    """``visemes`` (in order, not overlapping, times from the line's start) playing from ``start``
    seconds on a clock."""

    def __init__(self, visemes: Sequence[TimedViseme], start: float = 0.0, blend: float = BLEND_SECONDS):
        visemes = [TimedViseme(*v) for v in visemes]
        for k, v in enumerate(visemes):
            if v.viseme not in VISEMES:
                raise InvalidArgumentError(f"visemes[{k}]: expected an OVR viseme ({', '.join(VISEMES)}), got {v.viseme!r}")
            if not (0 <= v.start <= v.end) or (k and v.start < visemes[k - 1].end - 1e-9):
                raise InvalidArgumentError(f"visemes[{k}]: expected times in order, not overlapping, got "
                                           f"{v.start:g}-{v.end:g} s after {visemes[k - 1].end if k else 0:g} s")
        if not (isinstance(blend, (int, float)) and 0 <= blend <= 1):
            raise InvalidArgumentError(f"blend: expected seconds from 0 to 1, got {blend!r}")
        self.visemes, self.start, self.blend = visemes, float(start), float(blend)
        self._starts = [v.start for v in visemes]

    @property
    def end(self) -> float:
        """When the last viseme ends, on the clock."""
        return self.start + (self.visemes[-1].end if self.visemes else 0.0)

    def speaking(self, now: float) -> bool:
        """Whether the line is playing at ``now``."""
        return self.start <= now < self.end

    def _index(self, now: float) -> int | None:
        """The viseme showing at ``now`` (line time), or None outside every viseme."""
        k = bisect.bisect_right(self._starts, now - self.start) - 1
        return k if k >= 0 and now - self.start < self.visemes[k].end else None

    def viseme_at(self, now: float, viseme_set: str = "ovr") -> str:
        """The viseme showing at ``now``, named in ``viseme_set``; the rest viseme outside the line."""
        k = self._index(now)
        return in_set("sil" if k is None else self.visemes[k].viseme, viseme_set)

    def mouth_at(self, now: float) -> dict[str, float]:
        """``mouth_open`` and ``mouth_width`` at ``now``, blended from the previous viseme (module docstring)."""
        k = self._index(now)
        return dict(_REST) if k is None else self._mouth(k, now - self.start - self.visemes[k].start)

    def _mouth(self, k: int, into: float) -> dict[str, float]:
        """The mouth ``into`` seconds into viseme ``k``: moving from where the mouth was when it began
        (the previous viseme's end, itself perhaps still moving) to its own shape."""
        current = mouth_of(self.visemes[k].viseme)
        if self.blend == 0 or into >= self.blend:
            return current
        touching = k > 0 and self.visemes[k - 1].end >= self.visemes[k].start - 1e-9
        previous = self._mouth(k - 1, self.visemes[k - 1].end - self.visemes[k - 1].start) if touching else _REST
        w = into / self.blend
        return {name: (1 - w) * previous[name] + w * current[name] for name in current}

    def frames(self, fps: float, viseme_set: str = "ovr") -> list[str]:
        """The viseme of each frame at ``fps`` from the track's start to its end (frame k at k / fps)."""
        check_viseme_set(viseme_set)
        times = self.start + np.arange(int(np.ceil((self.end - self.start) * fps))) / fps
        return [self.viseme_at(float(t), viseme_set) for t in times]


def speaking_expression(expression: ExpressionParams, mouth: Mapping[str, float]) -> ExpressionParams:
    """``expression`` with the speaking ``mouth``'s opening and width; the emotion keeps the rest,
    the mouth's corners included (module docstring)."""
    return replace(expression, mouth_open=mouth["mouth_open"], mouth_width=mouth["mouth_width"])
