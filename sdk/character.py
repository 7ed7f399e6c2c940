"""Character definitions (YAML, checked against a schema) and the runtime's per-character state."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol

import numpy as np

from .appearance.attributes import ATTRIBUTES, MAX_SEED
from .behavior.expr import MAX_MAGNITUDE
from .behavior.tree import character_tree
from .dialogue.appraisal import DIALOGUE_SCHEMA, DialogueAppraisal
from .emotion import EMOTIONS, EmotionBank, EmotionChange, EmotionState, emotion_vector
from .errors import InvalidArgumentError
from .events import Event
from .loading import load_yaml
from .portrait import check_portrait
from .procedural.expression import ExpressionParams
from .speech import VisemeTrack, speaking_expression, text_visemes, wav_visemes
from .schema import KEY_PATTERN, NAME_PATTERN, AnyOf, Field, Flag, ListOf, MapOf, Number, Record, Text, check

_EMOTION_KEY = Text(choices=EMOTIONS)
#: The event kind of words said (:meth:`anisync.Runtime.say`, :meth:`anisync.Runtime.hear`).
SAY = "say"
_UNIT_OPEN = Number(0.0, 1.0, open_min=True, open_max=True)

#: A character's look, in the one vocabulary the procedural renderer and the appearance generator share
#: (:data:`anisync.appearance.ATTRIBUTES`). Attributes left out are drawn from the seed
#: (:func:`anisync.appearance.attributes.character_attributes`), so a definition always names one face.
APPEARANCE_SCHEMA = Record({
    **{name: Field(Text(choices=values), default=None, doc=f"one of {', '.join(values)} (default: drawn from the seed)")
       for name, values in ATTRIBUTES.items()},
    "seed": Field(Number(0, MAX_SEED, integer=True), default=None,
                  doc="face seed, an integer >= 0 (default: a hash of the attributes, so copies look alike)"),
    "portrait": Field(Text(), default=None,
                      doc="the character's own face, an image file relative to this file, animated by the "
                          "expression editor (see anisync.portrait); the procedural renderer draws the attributes"),
})

#: The schema of a character definition file. See ``assets/characters/*.yaml`` for annotated examples.
CHARACTER_SCHEMA = Record({
    "id": Field(Text(pattern=NAME_PATTERN), doc="unique name; spawned copies get a numeric suffix"),
    "name": Field(Text(), default=None, doc="display name (default: the id, capitalised)"),
    "groups": Field(ListOf(Text(pattern=NAME_PATTERN)), default=list, doc="event groups, addressed as group:NAME"),
    "appearance": Field(APPEARANCE_SCHEMA, default=dict,
                        doc="the face's attributes and seed, for the procedural renderer and the appearance model"),
    "personality": Field(Record({
        "baseline": Field(MapOf(_UNIT_OPEN, key=_EMOTION_KEY), default=dict,
                          doc="resting emotion per label, in (0,1)"),
        "sensitivity": Field(MapOf(Number(0.0, 5.0), key=_EMOTION_KEY), default=dict,
                             doc="impulse multiplier per label, in [0,5]"),
    }), default=lambda: {"baseline": {}, "sensitivity": {}}),
    "emotion": Field(Record({
        "half_life": Field(Number(0.0, 3600.0, open_min=True), default=4.0, doc="seconds"),
        "mood_time_constant": Field(Number(0.0, 36000.0, open_min=True), default=120.0, doc="seconds"),
    }), default=lambda: {"half_life": 4.0, "mood_time_constant": 120.0}),
    "appraisal": Field(
        MapOf(MapOf(Number(-1.0, 1.0), key=_EMOTION_KEY), key=Text(pattern=NAME_PATTERN)), default=dict,
        doc="event kind -> emotion impulse per label, in [-1,1]",
    ),
    "dialogue": Field(DIALOGUE_SCHEMA, default=None,
                      doc="what words said and heard do to its emotion (anisync.dialogue.appraisal; default: its defaults)"),
    "reflexes": Field(
        MapOf(ListOf(Text(pattern=NAME_PATTERN), min_items=1), key=_EMOTION_KEY), default=dict,
        doc="dominant emotion -> activities the default behavior picks from",
    ),
    "behavior": Field(Record({
        "tree": Field(Text(), doc="a shipped tree's name (assets/behaviors/trees/NAME.yaml) or a path relative to this file"),
        "behaviors": Field(ListOf(Text(pattern=NAME_PATTERN), min_items=1), default=None,
                           doc="the autonomous behaviors of the tree's library it may use"),
        "library": Field(ListOf(Text(pattern=NAME_PATTERN), min_items=1), default=None,
                         doc="old name of behaviors (deprecated: a library is a file of behaviors)"),
        "blackboard": Field(MapOf(AnyOf((Flag(), Number(-MAX_MAGNITUDE, MAX_MAGNITUDE))), key=Text(pattern=KEY_PATTERN)),
                            default=dict, doc="starting values of the library's keys, and keys of its own"),
    }), default=None, doc="behavior tree; without one the character shows its dominant emotion (reflexes)"),
})


@dataclass(frozen=True)
class CharacterDefinition:
    """A validated character definition. Build one with :meth:`load` or :meth:`from_dict`."""

    id: str
    name: str
    groups: tuple[str, ...]
    appearance: Mapping[str, Any]
    personality: Mapping[str, Mapping[str, float]]
    emotion: Mapping[str, float]
    appraisal: Mapping[str, Mapping[str, float]]
    reflexes: Mapping[str, tuple[str, ...]]
    source: str | None = None
    #: The appraisal table as vectors in EMOTIONS order, for applying many impulses at once.
    impulses: Mapping[str, np.ndarray] = dataclasses.field(default_factory=dict, repr=False, compare=False)
    tree: Any = None  # a anisync.behavior.tree.TreeDefinition, or None for the reflex behavior
    #: What words said and heard do to its emotion (the ``dialogue`` section).
    dialogue: DialogueAppraisal = dataclasses.field(default_factory=DialogueAppraisal, compare=False)

    @classmethod
    def from_dict(cls, data: Any, source: object = None) -> "CharacterDefinition":
        """Check ``data`` against :data:`CHARACTER_SCHEMA`; raises DefinitionError naming source and key."""
        checked = check(CHARACTER_SCHEMA, data, source)
        appearance = {key: value for key, value in checked["appearance"].items() if value is not None}
        if "portrait" in appearance:
            appearance["portrait"] = check_portrait(source, appearance["portrait"])
        tree = None if checked["behavior"] is None else character_tree(checked["behavior"], source)
        return cls(
            id=checked["id"],
            name=checked["name"] or checked["id"].capitalize(),
            groups=tuple(checked["groups"]),
            appearance=appearance,
            personality=checked["personality"],
            emotion=checked["emotion"],
            appraisal=checked["appraisal"],
            reflexes={label: tuple(items) for label, items in checked["reflexes"].items()},
            source=None if source is None else str(source),
            impulses={kind: emotion_vector(table) for kind, table in checked["appraisal"].items()},
            tree=tree,
            dialogue=DialogueAppraisal() if checked["dialogue"] is None else DialogueAppraisal.from_checked(checked["dialogue"]),
        )

    @classmethod
    def load(cls, path: str | Path) -> "CharacterDefinition":
        """Load and check a YAML character definition file."""
        return cls.from_dict(load_yaml(path), source=path)

    def new_emotion_state(self, bank: EmotionBank | None = None, time: float = 0.0) -> EmotionState:
        """A fresh :class:`EmotionState` with this character's personality, in ``bank`` if given."""
        return EmotionState(
            baseline=self.personality["baseline"],
            sensitivity=self.personality["sensitivity"],
            half_life=self.emotion["half_life"],
            mood_time_constant=self.emotion["mood_time_constant"],
            bank=bank,
            time=time,
            source=self.source or f"character {self.id}",
        )


class Behavior(Protocol):
    """What fills a character's behavior slot. The runtime calls ``on_event`` for each delivered event
    (at the event's effect time) and ``update`` once per step; ``activity`` names what the character is
    doing now. A behavior may also say the emotional ``orientation`` (positive, negative or neutral) of
    what it does; :attr:`Character.orientation` reads it, and takes ``"neutral"`` from one that does not."""

    activity: str

    def on_event(self, character: "Character", event: Event) -> None: ...

    def update(self, character: "Character", dt: float) -> None: ...

    def snapshot(self) -> dict: ...

    def restore(self, data: Mapping) -> None: ...


@dataclass(frozen=True)
class SpokenLine:
    """A line a character speaks: its text, speaking rate, clip length (or None), voice recording (or
    None), start on the runtime's clock, and the viseme track that plays it."""

    text: str
    rate: float
    seconds: float | None
    audio: str | None
    track: VisemeTrack

    @classmethod
    def start(cls, text: str, rate: float, start: float, seconds: float | None = None,
              audio: str | Path | None = None) -> "SpokenLine":
        """The line playing from ``start``: its visemes heard in the ``audio`` recording (a mono 16-bit
        WAV, :func:`anisync.speech.wav_visemes`), else read from the text (:func:`anisync.speech.text_visemes`)."""
        if audio is None:
            return cls(text, rate, seconds, None, VisemeTrack(text_visemes(text, rate, seconds=seconds), start))
        if not isinstance(text, str):
            raise InvalidArgumentError(f"text: expected a string, got {type(text).__name__}")
        if not isinstance(audio, (str, Path)) or not Path(audio).is_file():
            raise InvalidArgumentError(f"audio: expected the path of a WAV file, got {audio!r}")
        return cls(text, rate, None, str(audio), VisemeTrack(wav_visemes(audio, text), start))

    def snapshot(self) -> dict:
        """What :meth:`start` remakes the line from (timing is a function of them)."""
        return {"text": self.text, "rate": self.rate, "start": self.track.start, "seconds": self.seconds,
                "audio": self.audio}


class Character:
    """A spawned character: definition, emotion, behavior slot, face expression and its own seeded RNG.

    Create characters with :meth:`anisync.runtime.Runtime.spawn`, not directly.
    """

    def __init__(self, character_id: str, definition: CharacterDefinition, rng: np.random.Generator,
                 emit: Callable[[Event], Event], emotion: EmotionState):
        self.id = character_id
        self.definition = definition
        self.appearance = dict(definition.appearance)
        self.emotion = emotion
        self.rng = rng
        self.behavior: Behavior | None = None
        #: The line being spoken (:meth:`anisync.Runtime.say`), or None.
        self.line: SpokenLine | None = None
        self._emit = emit

    @property
    def expression(self) -> np.ndarray:
        """The seven-emotion vector the face shows; the runtime copies the emotion into it each update."""
        return self.emotion.bank.expression[self.emotion.row]

    @expression.setter
    def expression(self, value) -> None:
        self.emotion.bank.expression[self.emotion.row] = value

    def face(self, now: float) -> ExpressionParams:
        """The expression parameters the face shows at ``now`` (the runtime's clock): the emotion's, with
        the mouth of the line being spoken while it plays (:func:`anisync.speech.speaking_expression`)."""
        face = ExpressionParams.from_emotions(self.expression)
        if self.line is None or not self.line.track.speaking(now):
            return face
        return speaking_expression(face, self.line.track.mouth_at(now))

    def speaking(self, now: float) -> bool:
        """Whether a line is playing at ``now``."""
        return self.line is not None and self.line.track.speaking(now)

    @property
    def activity(self) -> str:
        """What the character is doing now (``"idle"`` without a behavior)."""
        return self.behavior.activity if self.behavior is not None else "idle"

    @property
    def orientation(self) -> str:
        """The emotional orientation of what the character does now (its behavior's, else neutral)."""
        return getattr(self.behavior, "orientation", "neutral")

    def dominant(self) -> tuple[str, float]:
        """The dominant emotion as ``(label, intensity)``."""
        return self.emotion.dominant()

    def on_emotion_changed(self, callback: Callable[[EmotionChange], None], threshold: float = 0.05) -> Callable[[], None]:
        """Subscribe to emotion changes past ``threshold``; returns an unsubscribe function."""
        return self.emotion.on_emotion_changed(callback, threshold)

    def emit(self, content: str, receiver: str | None = None, **fields: Any) -> Event:
        """Send an event from this character; with no receiver it is an internal event to itself."""
        return self._emit(Event(content=content, receiver=receiver or self.id, sender=self.id, **fields))

    def impulse_for(self, event: Event) -> np.ndarray | None:
        """The emotion impulse the event gives: for words (a ``say`` event carrying the classifier's
        ``emotions``), the ``dialogue`` section's (said by this character, or heard); for any other kind,
        the appraisal table's, if it has the kind."""
        if event.content == SAY and "emotions" in event.payload:
            probabilities = np.asarray(event.payload["emotions"], dtype=np.float64)
            if event.sender == self.id:
                return self.definition.dialogue.speaking(probabilities)
            return self.definition.dialogue.hearing(probabilities, event.sender, event.payload.get("to") == self.id)
        return self.definition.impulses.get(event.content)

    def snapshot(self) -> dict:
        """Plain data (lists, dicts, numbers, strings) from which :meth:`restore` continues the run exactly."""
        return {
            "emotion": self.emotion.snapshot(),
            "behavior": self.behavior.snapshot() if self.behavior is not None else None,
            "rng": self.rng.bit_generator.state,
            "expression": self.expression.tolist(),
            "line": None if self.line is None else self.line.snapshot(),
        }

    def restore(self, data: Mapping) -> None:
        """Put the character back in the state a :meth:`snapshot` recorded."""
        self.emotion.restore(data["emotion"])
        if self.behavior is not None and data["behavior"] is not None:
            self.behavior.restore(data["behavior"])
        self.rng.bit_generator.state = data["rng"]
        self.expression = data["expression"]
        line = data.get("line")
        self.line = None if line is None else SpokenLine.start(line["text"], line["rate"], line["start"], line["seconds"],
                                                                line["audio"])

    def __repr__(self) -> str:
        label, intensity = self.dominant()
        return f"<Character {self.id} {label}={intensity:.2f} doing {self.activity}>"
