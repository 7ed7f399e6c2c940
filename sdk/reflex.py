"""The default behavior: a character does something that shows its dominant emotion.

It fills the behavior slot until a behavior tree is assigned. Each dominant emotion has a list of
activities (the definition's ``reflexes``, else :data:`DEFAULT_REFLEXES`); the character keeps one for a
random 2-5 s, then draws again from the list of whatever emotion dominates then, using its own seeded RNG.
When an activity ends it raises the internal event ``behavior_ended``.
"""

from __future__ import annotations

from typing import Any, Mapping

from .character import Character
from .emotion import EMOTION_ORIENTATION, EMOTIONS
from .schema import Field, Record, Text
from .snapshot import SECONDS, check_part

DEFAULT_REFLEXES: dict[str, tuple[str, ...]] = {
    "anger": ("glare", "stomp"),
    "disgust": ("recoil", "turn_away"),
    "fear": ("cower", "flee"),
    "joy": ("laugh", "wave", "hum"),
    "neutral": ("idle", "look_around", "stretch"),
    "sadness": ("sigh", "cry"),
    "surprise": ("gasp", "jump"),
}

MIN_DURATION, MAX_DURATION = 2.0, 5.0
_SNAPSHOT = Record({"activity": Field(Text(pattern=r".+")), "shown_emotion": Field(Text(choices=EMOTIONS)),
                    "remaining": Field(SECONDS)})


class ReflexBehavior:
    """Picks an activity that shows the dominant emotion; see the module docstring."""

    def __init__(self, reflexes: Mapping[str, tuple[str, ...]] | None = None):
        self.reflexes = {**DEFAULT_REFLEXES, **(reflexes or {})}
        self.activity = "idle"
        self._shown_emotion = "neutral"
        self._remaining = 0.0

    @property
    def orientation(self) -> str:
        """The orientation of the emotion the activity shows (surprise's is neutral)."""
        return EMOTION_ORIENTATION[self._shown_emotion]

    def on_event(self, character: Character, event) -> None:
        """Events act through the emotion; the next update notices a change of dominant emotion."""

    def update(self, character: Character, dt: float) -> None:
        self._remaining -= dt
        label, _ = character.dominant()
        if self._remaining > 0 and label == self._shown_emotion:
            return
        previous = self.activity
        choices = self.reflexes[label]
        self.activity = choices[int(character.rng.integers(len(choices)))]
        self._shown_emotion = label
        self._remaining = float(character.rng.uniform(MIN_DURATION, MAX_DURATION))
        character.emit("behavior_ended", payload={"behavior": previous, "next": self.activity})

    def snapshot(self) -> dict:
        return {"activity": self.activity, "shown_emotion": self._shown_emotion, "remaining": self._remaining}

    def check_snapshot(self, data: Any) -> dict:
        """``data`` checked as a :meth:`snapshot`; raises SnapshotError naming the key."""
        return check_part(_SNAPSHOT, data, "")

    def restore(self, data: Mapping) -> None:
        data = self.check_snapshot(data)
        self.activity = data["activity"]
        self._shown_emotion = data["shown_emotion"]
        self._remaining = data["remaining"]
