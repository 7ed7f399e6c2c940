"""In-game legibility: does a player read on each face the emotion its character feels?

:class:`LegibilitySampler` runs as a Panda3D task just after the plugin's. Every ``interval`` seconds of
runtime it keeps, for each attached character, the face on screen exactly as it was uploaded (the very
bytes written into the texture, so sampling copies nothing) and the character's dominant emotion, but
only once that emotion has held for ``settle`` seconds (a face may lag a change by its latency; that
time is left out). After the run :meth:`LegibilitySampler.report` has an emotion judge
(:class:`anisync.expression.judge.Judge`) read every sampled face and counts how often its dominant emotion
is the character's.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from anisync.emotion import EMOTIONS
from anisync.errors import InvalidArgumentError
from anisync.portrait import resize_face

from .faces import from_panda_layout

#: Sort of the sampler's task: right after the plugin's (anisync.panda.plugin.TASK_SORT = 40).
TASK_SORT = 41


class LegibilitySampler:
    """Samples the faces on screen of ``plugin``'s characters (module docstring).

    Args:
        plugin: the :class:`~anisync.panda.AnisyncPlugin` whose faces are read.
        interval: seconds of runtime between samples.
        settle: seconds a dominant emotion must have held before its face is sampled.
    """

    def __init__(self, plugin, interval: float = 0.5, settle: float = 0.5):
        for name, value in (("interval", interval), ("settle", settle)):
            if not (isinstance(value, (int, float)) and value >= 0 and np.isfinite(value)):
                raise InvalidArgumentError(f"{name}: expected a finite number >= 0, got {value!r}")
        self.plugin = plugin
        self.interval, self.settle = float(interval), float(settle)
        #: (character id, dominant emotion index, face bytes in Panda's layout) per sample.
        self.samples: list[tuple[str, int, bytes]] = []
        #: The character's expression vector (seven emotions) at each sample, in :attr:`samples`' order.
        self.felt: list[np.ndarray] = []
        self._since: dict[str, tuple[int, float]] = {}  # character id -> (dominant, time it became dominant)
        self._next = -np.inf
        self._task = plugin.base.taskMgr.add(self._frame, f"anisync-legibility-{id(self):x}", sort=TASK_SORT)

    def _frame(self, task):
        now = self.plugin.runtime.time
        due = now >= self._next
        if due:
            self._next = now + self.interval
        for character_id, view in self.plugin.views.items():
            dominant = int(np.argmax(view.character.expression))
            held = self._since.get(character_id)
            if held is None or held[0] != dominant:
                self._since[character_id] = held = (dominant, now)
            if due and view.shown_face is not None and now - held[1] >= self.settle:
                self.samples.append((character_id, dominant, view.shown_face))
                self.felt.append(np.array(view.character.expression, dtype=np.float32))
        return task.cont

    def stop(self) -> None:
        """Stop sampling (the samples stay)."""
        self.plugin.base.taskMgr.remove(self._task)

    def report(self, judge, size: int) -> dict:
        """The judge's reading of every sample of faces ``size`` pixels square: how often its dominant
        emotion is the character's, overall and per felt emotion (with the felt emotion's mean strength and
        what the judge read instead: ``misread_as``), and how many distinct uploaded faces it read."""
        if not self.samples:
            return {"samples": 0, "legibility": None, "per_emotion": {}}
        faces: dict[int, np.ndarray] = {}  # one judgement per distinct face
        for _, _, data in self.samples:
            if id(data) not in faces:
                faces[id(data)] = resize_face(from_panda_layout(data, size), judge.size)
        order = list(faces)
        read = dict(zip(order, judge.emotions(np.stack([faces[key] for key in order])).argmax(axis=1).tolist()))
        felt = Counter(EMOTIONS[dominant] for _, dominant, _ in self.samples)
        right = Counter(EMOTIONS[dominant] for _, dominant, data in self.samples if read[id(data)] == dominant)
        misread = {name: Counter() for name in EMOTIONS}
        strength = {name: [] for name in EMOTIONS}
        for (_, dominant, data), vector in zip(self.samples, self.felt):
            strength[EMOTIONS[dominant]].append(float(vector[dominant]))
            if read[id(data)] != dominant:
                misread[EMOTIONS[dominant]][EMOTIONS[read[id(data)]]] += 1
        return {"samples": len(self.samples), "faces_read": len(faces),
                "legibility": sum(right.values()) / len(self.samples),
                "per_emotion": {name: {"samples": felt[name], "legibility": right[name] / felt[name],
                                       "mean_strength": float(np.mean(strength[name])),
                                       "misread_as": dict(misread[name].most_common())}
                                for name in EMOTIONS if felt[name]},
                "interval_s": self.interval, "settle_s": self.settle}
