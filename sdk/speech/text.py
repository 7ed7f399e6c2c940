"""Text to timed visemes, offline: words to phonemes to visemes with durations, streamed word by word.

* **Words to phonemes**: the CMU Pronouncing Dictionary that the ``pocketsphinx`` wheel ships (134,000
  words, ARPAbet, BSD licence; its first pronunciation of a word), and for a word it lacks, the letter
  rules of :data:`LETTER_RULES` (longest spelling first, a final silent ``e`` dropped). Digits are
  spoken one by one.
* **Phonemes to time**: a :class:`~anisync.speech.durations.DurationTable` (by default the shipped one,
  ``assets/models/durations.json``, fitted to recorded speech) gives each phoneme's seconds in its
  context (last in its word, in the last word before a punctuation mark, in a function word) and each
  punctuation mark's pause, divided by the speaking ``rate``. A diphthong is two visemes, each half its
  time (:data:`anisync.speech.visemes.DIPHTHONGS`).
* **Streaming**: :func:`stream_visemes` yields each word's visemes as soon as the token after it is read
  (a punctuation mark there lengthens the word), so a game can start the mouth before a long line is
  processed.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Iterator

from ..errors import InvalidArgumentError
from ..extras import import_extra
from ..resources import asset_path
from .durations import CLAUSE_BREAK, CLAUSE_WORDS, FUNCTION_WORDS, PAUSE_MARKS, VOWELS, DurationTable
from .visemes import TimedViseme, phoneme_visemes

#: The speaking rates accepted: a half to three times the table's pace.
RATES = (0.5, 3.0)

#: Letter rules for words the dictionary lacks: spellings (longest first) and their phonemes.
LETTER_RULES: dict[str, tuple[str, ...]] = {
    "tch": ("CH",), "igh": ("AY",), "ough": ("AO",), "tion": ("SH", "AH", "N"),
    "ch": ("CH",), "sh": ("SH",), "th": ("TH",), "ph": ("F",), "ng": ("NG",), "ck": ("K",), "qu": ("K", "W"),
    "wh": ("W",), "gh": (), "kn": ("N",), "wr": ("R",), "ee": ("IY",), "ea": ("IY",), "oo": ("UW",),
    "ai": ("EY",), "ay": ("EY",), "oa": ("OW",), "ow": ("OW",), "ou": ("AW",), "oi": ("OY",), "oy": ("OY",),
    "au": ("AO",), "aw": ("AO",), "ie": ("IY",), "ei": ("EY",), "ue": ("UW",), "ew": ("UW",), "er": ("ER",),
    "ir": ("ER",), "ur": ("ER",), "ar": ("AA", "R"), "or": ("AO", "R"),
    "a": ("AE",), "b": ("B",), "c": ("K",), "d": ("D",), "e": ("EH",), "f": ("F",), "g": ("G",), "h": ("HH",),
    "i": ("IH",), "j": ("JH",), "k": ("K",), "l": ("L",), "m": ("M",), "n": ("N",), "o": ("AA",), "p": ("P",),
    "q": ("K",), "r": ("R",), "s": ("S",), "t": ("T",), "u": ("AH",), "v": ("V",), "w": ("W",), "x": ("K", "S"),
    "y": ("IY",), "z": ("Z",),
}
_LONGEST_RULE = max(map(len, LETTER_RULES))
_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TOKENS = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*|[0-9]|[,;:.!?]")


@functools.cache
def pronouncing_dictionary() -> dict[str, tuple[str, ...]]:
    """The CMU Pronouncing Dictionary that pocketsphinx ships: word (lower case) to its first
    pronunciation's ARPAbet phonemes; read once."""
    pocketsphinx = import_extra("pocketsphinx", "speech", "lip sync from text")

    path = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    words: dict[str, tuple[str, ...]] = {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            word, *phonemes = line.split()
            words.setdefault(word, tuple(phonemes))  # "word(2)" variants are other entries; keep the first
    return words


def spell(word: str) -> tuple[str, ...]:
    """Phonemes of an unknown ``word`` by :data:`LETTER_RULES`."""
    letters = word.lower().replace("'", "")
    if len(letters) > 2 and letters.endswith("e") and letters[-2] not in "aeiouy":
        letters = letters[:-1]  # a final silent e
    phonemes: list[str] = []
    at = 0
    while at < len(letters):
        for size in range(min(_LONGEST_RULE, len(letters) - at), 0, -1):
            rule = LETTER_RULES.get(letters[at:at + size])
            if rule is not None:
                phonemes += rule
                at += size
                break
        else:
            at += 1  # a letter outside a-z: silent
    return tuple(phonemes)


def spoken_words(text: str) -> list[str]:
    """The words of ``text`` as they are spoken, lower case (a digit as its name), marks left out."""
    return [_DIGITS[int(token)] if token.isdigit() else token.lower()
            for token in (match.group() for match in _TOKENS.finditer(text)) if token not in ",;:.!?"]


def pronounce(word: str) -> tuple[str, ...]:
    """The ARPAbet phonemes of one ``word``: the dictionary's, else :func:`spell`'s."""
    return pronouncing_dictionary().get(word.lower()) or spell(word)


@functools.cache
def shipped_durations() -> DurationTable:
    """The shipped duration table (``assets/models/durations.json``)."""
    return DurationTable.load(asset_path("models", "durations.json"))


def _check_rate(rate: object) -> float:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not RATES[0] <= rate <= RATES[1]:
        raise InvalidArgumentError(f"rate: expected a number from {RATES[0]} to {RATES[1]}, got {rate!r}")
    return float(rate)


def phoneme_contexts(text: str) -> Iterator[tuple]:
    """``text`` as ``(phoneme, *context)`` in order, the context as :meth:`DurationTable.seconds` takes it
    (:data:`~anisync.speech.durations.FACTORS`), and a pause mark (a punctuation mark, or
    :data:`~anisync.speech.durations.CLAUSE_BREAK` before a clause a conjunction opens) as ``(mark,)``;
    each word as soon as the token after it is read."""
    if not isinstance(text, str):
        raise InvalidArgumentError(f"text: expected a string, got {type(text).__name__}")
    tokens = (match.group() for match in _TOKENS.finditer(text))
    token, previous = next(tokens, None), None
    while token is not None:
        following = next(tokens, None)
        if token in PAUSE_MARKS:
            yield (token,)
        else:
            if token.lower() in CLAUSE_WORDS and previous is not None and previous not in PAUSE_MARKS:
                yield (CLAUSE_BREAK,)
            phonemes = pronounce(_DIGITS[int(token)] if token.isdigit() else token)
            function = token.lower() in FUNCTION_WORDS
            vowels = [k for k, phoneme in enumerate(phonemes) if phoneme in VOWELS]
            stressed = None if function or not vowels else vowels[0]
            for k, phoneme in enumerate(phonemes):
                yield (phoneme, k == len(phonemes) - 1, following in PAUSE_MARKS, function, k == stressed,
                       max(len(vowels) - 1, 0))
        token, previous = following, token


def stream_visemes(text: str, rate: float = 1.0, durations: DurationTable | None = None) -> Iterator[TimedViseme]:
    """The timed visemes of ``text`` spoken at ``rate`` with ``durations`` (the shipped table by
    default), yielded word by word (module docstring)."""
    rate = _check_rate(rate)
    table = shipped_durations() if durations is None else durations
    clock = 0.0
    for phoneme, *context in phoneme_contexts(text):
        if phoneme in PAUSE_MARKS:
            pause = table.pauses[PAUSE_MARKS[phoneme]] / rate
            yield TimedViseme(clock, clock + pause, "sil", "")
            clock += pause
            continue
        seconds = table.seconds(phoneme, *context) / rate
        yield from phoneme_visemes(phoneme, clock, clock + seconds)
        clock += seconds


def text_visemes(text: str, rate: float = 1.0, durations: DurationTable | None = None,
                 seconds: float | None = None) -> list[TimedViseme]:
    """All the timed visemes of ``text`` at ``rate`` (:func:`stream_visemes`, collected). With
    ``seconds`` (a voice clip's length, when the game has one but no alignment), the timings are
    stretched so that the last sound ends there (a closing pause is cut)."""
    visemes = list(stream_visemes(text, rate, durations))
    if seconds is None:
        return visemes
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds < 3600:
        raise InvalidArgumentError(f"seconds: expected a clip length from 0 to 3600 s, got {seconds!r}")
    while visemes and visemes[-1].viseme == "sil":
        visemes.pop()
    scale = seconds / visemes[-1].end if visemes else 1.0
    return [TimedViseme(v.start * scale, v.end * scale, v.viseme, v.phoneme) for v in visemes]
