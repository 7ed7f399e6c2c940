"""What words do to the characters who say and hear them: the ``dialogue`` section of a character
definition, turned into emotion impulses (each label in [-1, 1], scaled by the character's sensitivity
like any appraisal).

The words' emotion is the classifier's seven probabilities ``p`` (:class:`~anisync.dialogue.EmotionClassifier`);
``p - 1/7`` is what they express beyond an even spread (positive for the emotions they carry, negative
for the rest). Then:

* **the speaker** moves toward it: ``expresses * (p - 1/7)`` (saying something angry stokes the anger);
* **every hearer** catches some of it (emotional contagion): ``empathy * (p - 1/7)``, or
  ``friend_empathy * (p - 1/7)`` when the speaker is one of its ``friends`` (a friend's sadness saddens);
* **the one the words are aimed at** also answers each emotion by temperament: ``sum_k p_k * addressed[k]``
  (anger aimed at a timid character frightens it; at a hot-headed one, angers it).

Every key is optional; :data:`DEFAULT_DIALOGUE` holds the defaults, and an ``addressed`` row in a file
replaces the default row of that emotion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from ..emotion import EMOTIONS, emotion_vector
from ..schema import NAME_PATTERN, Field, ListOf, MapOf, Number, Record, Text

_EMOTION_KEY = Text(choices=EMOTIONS)
_SHARE = Number(0.0, 1.0)
EVEN = 1.0 / len(EMOTIONS)

#: How a character answers words aimed at it, by the emotion they express, unless its file says otherwise.
DEFAULT_ADDRESSED: dict[str, dict[str, float]] = {
    "anger": {"fear": 0.35, "sadness": 0.2, "neutral": -0.3},
    "disgust": {"sadness": 0.3, "anger": 0.1, "neutral": -0.2},
    "fear": {"fear": 0.2, "surprise": 0.1},
    "joy": {"joy": 0.35, "neutral": -0.1},
    "sadness": {"sadness": 0.25},
    "surprise": {"surprise": 0.3},
}
DEFAULT_DIALOGUE = {"expresses": 0.6, "empathy": 0.2, "friend_empathy": 0.6, "friends": [], "addressed": {}}

#: The ``dialogue`` section of a character definition (:data:`anisync.character.CHARACTER_SCHEMA`).
DIALOGUE_SCHEMA = Record({
    "expresses": Field(_SHARE, default=DEFAULT_DIALOGUE["expresses"],
                       doc="how far its own words move its emotion toward what they express, in [0,1]"),
    "empathy": Field(_SHARE, default=DEFAULT_DIALOGUE["empathy"],
                     doc="share of what anyone's words express that it catches, in [0,1]"),
    "friend_empathy": Field(_SHARE, default=DEFAULT_DIALOGUE["friend_empathy"],
                            doc="share of what a friend's words express that it catches, in [0,1]"),
    "friends": Field(ListOf(Text(pattern=NAME_PATTERN)), default=list,
                     doc="speakers (character ids, or 'player') whose words it catches as a friend's"),
    "addressed": Field(MapOf(MapOf(Number(-1.0, 1.0), key=_EMOTION_KEY), key=_EMOTION_KEY), default=dict,
                       doc="words aimed at it: expressed emotion -> impulse per label, in [-1,1] "
                           "(rows replace the defaults')"),
})


@dataclass(frozen=True)
class DialogueAppraisal:
    """A character's ``dialogue`` section, ready to turn the words' probabilities into impulses."""

    expresses: float = DEFAULT_DIALOGUE["expresses"]
    empathy: float = DEFAULT_DIALOGUE["empathy"]
    friend_empathy: float = DEFAULT_DIALOGUE["friend_empathy"]
    friends: frozenset[str] = frozenset()
    #: ``[7 expressed, 7 impulse]``: row k is the impulse that words expressing emotion k aim at it.
    addressed: np.ndarray = field(default_factory=lambda: _addressed_matrix({}), repr=False, compare=False)

    @classmethod
    def from_checked(cls, section: Mapping[str, Any]) -> "DialogueAppraisal":
        """From a ``dialogue`` section already checked against :data:`DIALOGUE_SCHEMA`."""
        return cls(section["expresses"], section["empathy"], section["friend_empathy"],
                   frozenset(section["friends"]), _addressed_matrix(section["addressed"]))

    def speaking(self, probabilities: np.ndarray) -> np.ndarray:
        """The impulse of saying words with these probabilities."""
        return self.expresses * (probabilities - EVEN)

    def hearing(self, probabilities: np.ndarray, speaker: str, aimed_at_me: bool) -> np.ndarray:
        """The impulse of hearing ``speaker`` say them, aimed at this character or not."""
        share = self.friend_empathy if speaker in self.friends else self.empathy
        impulse = share * (probabilities - EVEN)
        if aimed_at_me:
            impulse = impulse + probabilities @ self.addressed
        return np.clip(impulse, -1.0, 1.0)


def _addressed_matrix(rows: Mapping[str, Mapping[str, float]]) -> np.ndarray:
    table = {**DEFAULT_ADDRESSED, **rows}
    return np.stack([emotion_vector(table.get(label, {})) for label in EMOTIONS])
