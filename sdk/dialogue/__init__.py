"""Emotion from what is said (after Lu, whose characters react to recognised emotion): :class:`EmotionClassifier` reads the seven emotion probabilities
of an utterance in its dialogue, and :mod:`anisync.dialogue.appraisal` turns them into what the speaker and
its hearers feel (:meth:`anisync.Runtime.say`, :meth:`anisync.Runtime.hear`).

    from anisync.dialogue import shipped_classifier
    shipped_classifier().dominant("You'll pay for this!")   # ('anger', 0.6...)
"""

from functools import lru_cache

from .appraisal import DEFAULT_ADDRESSED, DIALOGUE_SCHEMA, DialogueAppraisal
from .classifier import EmotionClassifier
from .encoder import MAX_CHARACTERS, MAX_TOKENS


@lru_cache(maxsize=1)
def shipped_classifier() -> EmotionClassifier:
    """The shipped classifier, loaded once per process (about half a second) and shared: it is thread-safe."""
    return EmotionClassifier()


__all__ = ["DEFAULT_ADDRESSED", "DIALOGUE_SCHEMA", "DialogueAppraisal", "EmotionClassifier", "MAX_CHARACTERS",
           "MAX_TOKENS", "shipped_classifier"]
