"""Scene scripts: Ink stories (inkle's narrative language, as game writers use it with per-line tags),
compiled to JSON by inkle's compiler (``inklecate``, or ``inkjs-compiler`` from npm) and run by ``bink``,
the Python binding of the Blade Ink runtime. Nothing here parses Ink by hand.

Each line a character speaks is ``Speaker: words``, with optional tags::

    Bram: Cold night. # emotion: sadness 0.4 # gesture: warm_hands
    Mira: Come closer to the fire! # emotion: joy # look: bram
    # pause: 0.8
    Yuki: I brought tea.                      // no emotion tag: the dialogue classifier reads one

* ``emotion: NAME [INTENSITY]``: the speaker feels NAME (one of EMOTIONS) at INTENSITY in (0, 1]
  (default 0.8) from the line's start; without the tag the dialogue classifier reads the words;
* ``gesture: NAME``: the speaker performs NAME, an autonomous behavior of its library, as the line starts;
  one whose orientation contradicts the line's emotion is refused (Peng's expression-behavior congruence);
* ``look: ID``: the words are aimed at ID (a cast member), who appraises them as aimed at it;
* ``pause: SECONDS``: silence before the line (a tag on its own line belongs to the next line, in Ink).

Choices (``* [Greet them]``) wait for the game's :meth:`~anisync.scenes.ScenePlayer.choose`.

:func:`load_scene` walks every branch of the story once (up to :data:`MAX_LINES` lines) and refuses a
script with an unknown speaker, emotion, gesture, look target or a broken tag, naming the file, the line
of the ``.ink`` source (when it lies beside the JSON) and what was expected.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

from ..behavior.library import BehaviorLibrary, shipped_library
from ..character import CharacterDefinition
from ..emotion import EMOTIONS, shown_orientations
from ..errors import DefinitionError
from ..extras import import_extra

#: Lines a script may hold over all its branches, and the largest compiled story read.
MAX_LINES = 5000
MAX_STORY_BYTES = 4 << 20
#: Intensity of an ``emotion`` tag that gives none.
DEFAULT_INTENSITY = 0.8
#: Longest ``pause``, in seconds.
MAX_PAUSE = 30.0
#: Earlier lines of its branch a line without an emotion tag is classified with.
CONTEXT_LINES = 8
#: Speakers that are not characters: their lines are heard, never drawn.
DEFAULT_VOICES = ("player", "narrator")
TAGS = ("emotion", "gesture", "look", "pause")
_SPEAKER = re.compile(r"^\s*([A-Za-z][\w-]*)\s*:\s*(\S.*?)\s*$", re.S)


@dataclass(frozen=True)
class ScriptLine:
    """One spoken line, checked: who says what, and its tags (``emotion`` None: the classifier reads it)."""

    speaker: str
    text: str
    emotion: tuple[str, float] | None
    gesture: str | None
    look: str | None
    pause: float
    where: str  # "line 12" of the .ink source, or the story path

    @property
    def key(self) -> tuple[str, str]:
        """What identifies a line when the story plays it again: its raw text and tags."""
        return self.speaker, self.text


@dataclass(frozen=True)
class Scene:
    """A checked scene: the compiled Ink JSON, the cast it was checked against, and every line it can
    play with its emotion (tagged, or read by the classifier: ``probabilities``) and its gesture's
    orientation."""

    source: str
    story_json: str
    cast: tuple[str, ...]
    voices: tuple[str, ...]
    lines: Mapping[tuple[str, str], ScriptLine]
    #: The seven probabilities each line's words carry (a tag's emotion, or the classifier's reading).
    probabilities: Mapping[tuple[str, str], np.ndarray]
    #: Each gesture's duration in seconds and orientation, by name.
    gestures: Mapping[str, tuple[float, str]]

    @functools.cached_property
    def sha256(self) -> str:
        """The compiled story's digest: what a snapshot of the scene in progress names it by."""
        return hashlib.sha256(self.story_json.encode()).hexdigest()

    def line(self, raw: str) -> ScriptLine:
        """The checked line of the text the story just produced."""
        speaker, text = _split(raw)
        return self.lines[(speaker.lower(), text)]


def load_scene(path: str | Path, cast: Iterable[CharacterDefinition], voices: Iterable[str] = DEFAULT_VOICES,
               classifier: object = "shipped") -> Scene:
    """Read and check the compiled Ink story at ``path`` against the characters of ``cast`` (and the
    speakers ``voices``, who are not characters). Lines without an emotion tag are read by ``classifier``
    (``"shipped"``: :func:`anisync.dialogue.shipped_classifier`; or any object with
    :meth:`~anisync.dialogue.EmotionClassifier.classify_many`), all at once, each with the lines before it on its
    branch as context. Raises DefinitionError naming the file, the source line and what was expected."""
    path = Path(path)
    if not path.is_file():
        raise DefinitionError(path, "", "a compiled Ink story (JSON)", missing=True)
    if path.stat().st_size > MAX_STORY_BYTES:
        raise DefinitionError(path, "", f"a story of at most {MAX_STORY_BYTES} bytes", path.stat().st_size)
    story_json = path.read_text(encoding="utf-8-sig")
    definitions = {definition.id: definition for definition in cast}
    voices = tuple(v.lower() for v in voices)
    source_lines = _ink_source(path)
    branches = _walk(path, story_json)
    lines: dict[tuple[str, str], ScriptLine] = {}
    contexts: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for branch in branches:
        said = [(speaker.lower(), text) for speaker, text in (_split(raw) for raw, _, _ in branch)]
        for position, (raw, tags, story_path) in enumerate(branch):
            line = _check_line(path, _where(raw, source_lines, story_path), raw, tags, definitions, voices)
            lines.setdefault(line.key, line)
            contexts.setdefault(line.key, said[max(0, position - CONTEXT_LINES):position])
    probabilities = _probabilities(lines, contexts, classifier)
    gestures = {}
    for line in lines.values():
        if line.gesture is not None:
            rule = _library(definitions.get(line.speaker)).autonomous[line.gesture]
            gestures[line.gesture] = (_duration(rule), rule.orientation)
            _check_congruence(path, line, rule.orientation, probabilities[line.key])
    return Scene(str(path), story_json, tuple(definitions), voices, lines, probabilities, gestures)


def _split(raw: str) -> tuple[str, str]:
    match = _SPEAKER.match(raw)
    return (match.group(1), match.group(2)) if match else ("", raw.strip())


def _ink_source(path: Path) -> list[str]:
    source = path.with_suffix(".ink")
    return source.read_text(encoding="utf-8").splitlines() if source.is_file() else []


def _where(raw: str, source_lines: list[str], story_path: str) -> str:
    text = raw.strip()
    for number, source_line in enumerate(source_lines, 1):
        if text and text in source_line:
            return f"line {number}"
    return f"story path {story_path or '?'}"


def _walk(path: Path, story_json: str) -> list[list[tuple[str, list[str], str]]]:
    """Every branch of the story from its start: the lines (text, tags, story path) up to its end, taking
    each choice in turn; a branch that comes back to a state already seen stops there."""
    Story = import_extra("bink.story", "scenes", "scene scripts").Story

    try:
        story = Story(story_json)
    except Exception as error:  # bink raises its own error types for a JSON that is not a compiled story
        raise DefinitionError(path, "", "a story compiled by inklecate or inkjs-compiler (Ink JSON)",
                              f"unreadable: {error}") from None
    branches, pending, seen, total = [], [(story.save_state(), None, [])], set(), 0
    while pending:
        state, choice, lines = pending.pop()
        story.load_state(state)
        if choice is not None:
            story.choose_choice_index(choice)
        lines = list(lines)
        while story.can_continue():
            raw = story.cont()
            if raw.strip():
                lines.append((raw, list(story.get_current_tags()), story.get_current_path()))
                total += 1
            if total > MAX_LINES:
                raise DefinitionError(path, "", f"a story of at most {MAX_LINES} lines over all its branches",
                                      f"more than {MAX_LINES}")
        branches.append(lines)
        after = story.save_state()
        choices = story.get_current_choices()
        for index in reversed(range(len(choices))):
            if (after, index) not in seen:
                seen.add((after, index))
                pending.append((after, index, lines))
    return branches


def _check_line(path: Path, where: str, raw: str, tags: list[str], definitions: Mapping[str, CharacterDefinition],
                voices: tuple[str, ...]) -> ScriptLine:
    speaker, text = _split(raw)
    if not speaker:
        raise DefinitionError(path, where, "a spoken line 'Speaker: words'", raw.strip())
    speaker = speaker.lower()
    if speaker not in definitions and speaker not in voices:
        raise DefinitionError(path, f"{where}: speaker", "a cast member (" + ", ".join([*definitions, *voices]) + ")",
                              speaker)
    values: dict[str, str] = {}
    for tag in tags:
        key, _, value = tag.partition(":")
        key, value = key.strip().lower(), value.strip()
        if key not in TAGS or not value:
            raise DefinitionError(path, f"{where}: tag", "'KEY: VALUE' with KEY one of " + ", ".join(TAGS), tag)
        if key in values:
            raise DefinitionError(path, f"{where}: tag {key}", "at most one per line", tag)
        values[key] = value
    emotion = _emotion(path, where, values.get("emotion"))
    gesture = values.get("gesture")
    if gesture is not None:
        if speaker not in definitions:
            raise DefinitionError(path, f"{where}: gesture", f"no gesture for {speaker}, who is not a character", gesture)
        library = _library(definitions[speaker])
        if gesture not in library.autonomous:
            raise DefinitionError(path, f"{where}: gesture", f"a behavior of {speaker}'s library ("
                                  + ", ".join(sorted(library.autonomous)) + ")", gesture)
    look = values.get("look")
    if look is not None and look.lower() not in definitions:
        raise DefinitionError(path, f"{where}: look", "a character of the cast (" + ", ".join(definitions) + ")", look)
    pause = _pause(path, where, values.get("pause"))
    return ScriptLine(speaker, text, emotion, gesture, None if look is None else look.lower(), pause, where)


def _emotion(path: Path, where: str, value: str | None) -> tuple[str, float] | None:
    if value is None:
        return None
    parts = value.split()
    expected = f"'NAME [INTENSITY]', NAME one of {', '.join(EMOTIONS)}, INTENSITY in (0, 1]"
    if parts[0] not in EMOTIONS or len(parts) > 2:
        raise DefinitionError(path, f"{where}: emotion", expected, value)
    try:
        intensity = float(parts[1]) if len(parts) == 2 else DEFAULT_INTENSITY
    except ValueError:
        raise DefinitionError(path, f"{where}: emotion", expected, value) from None
    if not 0 < intensity <= 1:
        raise DefinitionError(path, f"{where}: emotion", expected, value)
    return parts[0], intensity


def _pause(path: Path, where: str, value: str | None) -> float:
    if value is None:
        return 0.0
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= MAX_PAUSE:
        raise DefinitionError(path, f"{where}: pause", f"seconds in [0, {MAX_PAUSE:g}]", value)
    return seconds


def _library(definition: CharacterDefinition | None) -> BehaviorLibrary:
    tree = None if definition is None else definition.tree
    return shipped_library() if tree is None else tree.library


def _duration(rule) -> float:
    """How long a gesture shows: its action's duration (the middle of a range), else 1.5 s."""
    duration = getattr(rule.runner, "duration", None)
    return 1.5 if duration is None else float(sum(duration) / 2)


def tag_probabilities(emotion: tuple[str, float]) -> np.ndarray:
    """The probabilities a tagged emotion stands for: its intensity on it, the rest spread evenly."""
    name, intensity = emotion
    p = np.full(len(EMOTIONS), (1 - intensity) / (len(EMOTIONS) - 1))
    p[EMOTIONS.index(name)] = intensity
    return p


def _probabilities(lines, contexts, classifier) -> dict[tuple[str, str], np.ndarray]:
    out = {key: tag_probabilities(line.emotion) for key, line in lines.items() if line.emotion is not None}
    untagged = [key for key, line in lines.items() if line.emotion is None]
    if untagged:
        if classifier == "shipped":
            from ..dialogue import shipped_classifier

            classifier = shipped_classifier()
        read = classifier.classify_many([(key[1], contexts[key], key[0]) for key in untagged])
        out.update((key, np.asarray(p, np.float64)) for key, p in zip(untagged, read))
    return out


def _check_congruence(path: Path, line: ScriptLine, orientation: str, probabilities: np.ndarray) -> None:
    order = np.argsort(-probabilities)
    dominant, second = EMOTIONS[order[0]], EMOTIONS[order[1]]
    allowed = shown_orientations(dominant, second)
    if orientation not in allowed:
        source = "tagged" if line.emotion is not None else "read from the words"
        raise DefinitionError(path, f"{line.where}: gesture", f"a gesture that agrees with the line's emotion "
                              f"({dominant}, {source}; orientation {' or '.join(sorted(allowed))})",
                              f"{line.gesture} ({orientation})")
