"""Playing a scene on the runtime's clock: :meth:`anisync.Runtime.play` makes a :class:`ScenePlayer`, which
the runtime advances at the end of every update step.

A passage (the story's lines up to its next choice or its end) is scheduled when it begins: each line
starts after the previous one's end, a :data:`LINE_GAP` and its own ``pause``, and lasts as long as its
visemes (:func:`anisync.speech.text_visemes`). Cues fire in the step whose end reaches their time, so at most
one step late, and the line's visemes are timed from the cue's own time, not the step's:

* ``line_started``: the speaker's emotion takes the line's (the tag's, or the classifier's reading of
  the words) so that the face shows it, its mouth speaks the line (:meth:`anisync.Runtime.say`: the cast
  hears it and appraises it, the ``look`` target as aimed at it), and its gesture starts;
* ``line_ended``;
* ``choice_needed``: the scene waits for :meth:`ScenePlayer.choose`;
* ``scene_ended``: every cast member's own behavior comes back.

While the scene plays, its characters' behavior slots hold a :class:`ScriptedBehavior` (talking,
listening or gesturing, as the script says), so their trees neither tick nor fight the script; the trees
resume, where they were, when the scene ends. Callbacks (:meth:`ScenePlayer.on`) receive a
:class:`SceneCue`.

A scene in progress is part of :meth:`anisync.Runtime.snapshot`: the story's state (Ink's own save
format), the cues still to come, the waiting choice, and the cast's own behaviors, held while the scene
plays. The cues fired before the snapshot and the callbacks are not: :meth:`anisync.Runtime.restore` keeps
the player (and its callbacks) of a scene still playing, and makes a new one for any other.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from ..emotion import EMOTION_ORIENTATION, EMOTIONS
from ..errors import InvalidArgumentError, SnapshotError
from ..extras import import_extra
from ..schema import AnyOf, Anything, Field, ListOf, MapOf, Nothing, Record, Text
from ..snapshot import SECONDS, check_part, part
from ..speech import text_visemes
from .script import Scene, ScriptLine

log = logging.getLogger("anisync.scenes")

LINE_STARTED, LINE_ENDED, CHOICE_NEEDED, SCENE_ENDED = "line_started", "line_ended", "choice_needed", "scene_ended"
CUE_KINDS = (LINE_STARTED, LINE_ENDED, CHOICE_NEEDED, SCENE_ENDED)
#: Silence between one line's end and the next line's start, in seconds.
LINE_GAP = 0.35
#: At a line's start every other emotion of the speaker is held to this share of the line's intensity.
TAG_LEAD = 0.4
#: The least intensity a line whose emotion the classifier read gives the speaker's face.
READ_INTENSITY = 0.5


_CUE_SNAPSHOT = Record({
    "kind": Field(Text(choices=CUE_KINDS)), "time": Field(SECONDS),
    "line": Field(AnyOf((Nothing(), ListOf(Text(), 2, 2))), doc="the line's speaker and text"),
    "emotion": Field(AnyOf((Nothing(), Text(choices=EMOTIONS)))),
    "source": Field(AnyOf((Nothing(), Text(choices=("tag", "words"))))), "choices": Field(ListOf(Text())),
})
_SCRIPTED_SNAPSHOT = Record({"activity": Field(Text(pattern=r".+")), "orientation": Field(Text(pattern=r".+"))})
#: A scene in progress, as :meth:`ScenePlayer.snapshot` writes it.
SCENE_SNAPSHOT = Record({
    "source": Field(Text()), "sha256": Field(Text(pattern=r"[0-9a-f]{64}"), doc="the compiled story's digest"),
    "cast": Field(MapOf(Text(pattern=r".+")), doc="part -> the character playing it"),
    "story": Field(Text(), doc="the Ink story's state, in Ink's own save format"),
    "cues": Field(ListOf(_CUE_SNAPSHOT), doc="the cues still to come, in order"),
    "choices": Field(ListOf(Text())), "paused_at": Field(AnyOf((Nothing(), SECONDS))),
    "gesture_ends": Field(MapOf(SECONDS)), "speaking": Field(MapOf(SECONDS)),
    "behaviors": Field(MapOf(Anything()), doc="the cast's own behaviors, held while the scene plays"),
})


@dataclass(frozen=True)
class SceneCue:
    """One scheduled moment of a scene: ``kind`` (one of :data:`CUE_KINDS`) at runtime time ``time``; for
    lines, the line and the emotion it carries (``emotion``: the dominant one, ``source``: "tag" or
    "words"); for a choice, its options."""

    kind: str
    time: float
    line: ScriptLine | None = None
    emotion: str | None = None
    source: str | None = None
    choices: tuple[str, ...] = ()


class ScriptedBehavior:
    """What fills a cast member's behavior slot during a scene: ``talk`` while speaking, the gesture while
    it lasts, ``listen`` otherwise. The player sets the activity; talking and listening take the
    orientation of whatever the face shows (one listens fearfully or gladly), a gesture keeps its own."""

    def __init__(self):
        self.activity = "listen"
        self.orientation = "neutral"

    def on_event(self, character, event) -> None:
        """The script, not events, decides what a cast member does."""

    def update(self, character, dt: float) -> None:
        if self.activity in ("talk", "listen"):
            dominant = character.dominant()[0]
            self.orientation = "neutral" if dominant == "surprise" else EMOTION_ORIENTATION[dominant]

    def snapshot(self) -> dict:
        return {"activity": self.activity, "orientation": self.orientation}

    def restore(self, data) -> None:
        self.activity, self.orientation = data["activity"], data["orientation"]

    @staticmethod
    def check_snapshot(data) -> None:
        """Refuse (SnapshotError) anything :meth:`restore` cannot take."""
        check_part(_SCRIPTED_SNAPSHOT, data, "")


class ScenePlayer:
    """A scene playing in a runtime (make one with :meth:`anisync.Runtime.play`).

    Attributes:
        fired: every cue fired so far, as ``(cue, runtime time it fired at)``.
        choices: the options waiting for :meth:`choose` (empty when none is).
        finished: whether the scene has ended.
    """

    def __init__(self, runtime, scene: Scene, cast: Mapping[str, str] | None = None):
        cast = dict(cast or {})
        unknown = sorted(set(cast) - set(scene.cast))
        if unknown:
            raise InvalidArgumentError(f"cast: {', '.join(unknown)} play no part in {scene.source} "
                                       f"(its parts: {', '.join(scene.cast)})")
        #: Which spawned character plays each part of the scene (a part nobody is cast for plays itself).
        self.cast = {part: cast.get(part, part) for part in scene.cast}
        missing = [actor for actor in self.cast.values() if actor not in runtime.characters]
        if missing:
            raise InvalidArgumentError(f"scene: cast member(s) {', '.join(missing)} of {scene.source} are not spawned")
        self._setup(runtime, scene)
        self._take_cast({})
        runtime.scheduler.reset()
        self._schedule_passage(runtime.time)

    def _setup(self, runtime, scene: Scene) -> None:
        """The state of a player that has fired nothing yet (its cast is set)."""
        Story = import_extra("bink.story", "scenes", "scene scripts").Story

        self.runtime, self.scene = runtime, scene
        self.story = Story(scene.story_json)
        self.fired: list[tuple[SceneCue, float]] = []
        self.choices: tuple[str, ...] = ()
        self.finished = False
        self.paused_at: float | None = None
        self._callbacks: dict[str, list[Callable[[SceneCue], None]]] = {kind: [] for kind in CUE_KINDS}
        self._cues: list[SceneCue] = []
        self._gesture_ends: dict[str, float] = {}
        self._speaking: dict[str, float] = {}  # speaker -> end of its line
        self._saved: dict = {}

    def _take_cast(self, behaviors: Mapping[str, object]) -> None:
        """Hold each cast member's own behavior (restored from ``behaviors`` where given) and give it a
        :class:`ScriptedBehavior`."""
        for cid in dict.fromkeys(self.cast.values()):  # a character may play two parts
            character = self.runtime.characters[cid]
            own = character.behavior
            if own is not None and behaviors.get(cid) is not None:
                own.restore(behaviors[cid])
            self._saved[cid] = own
            character.behavior = ScriptedBehavior()

    def _release_cast(self) -> None:
        """Give the cast their own behaviors back."""
        for cid, behavior in self._saved.items():
            if cid in self.runtime.characters:
                self.runtime.characters[cid].behavior = behavior
        self._saved = {}

    def own_behavior(self, character_id: str):
        """The behavior of cast member ``character_id`` held while the scene plays (KeyError if not cast)."""
        return self._saved[character_id]

    # --- save and restore --------------------------------------------------------------------------
    def snapshot(self) -> dict:
        """Plain data (:data:`SCENE_SNAPSHOT`) from which :meth:`anisync.Runtime.restore` continues the scene."""
        return {
            "source": self.scene.source, "sha256": self.scene.sha256, "cast": dict(self.cast),
            "story": self.story.save_state(),
            "cues": [{"kind": c.kind, "time": c.time, "line": None if c.line is None else list(c.line.key),
                      "emotion": c.emotion, "source": c.source, "choices": list(c.choices)} for c in self._cues],
            "choices": list(self.choices), "paused_at": self.paused_at,
            "gesture_ends": dict(self._gesture_ends), "speaking": dict(self._speaking),
            "behaviors": {cid: None if b is None else b.snapshot() for cid, b in self._saved.items()},
        }

    @staticmethod
    def check_snapshot(runtime, scene: Scene, data: dict, own_behavior: Callable[[str], object]) -> None:
        """Refuse (SnapshotError, with a path inside ``data``) a :data:`SCENE_SNAPSHOT`, already checked
        against that spec, that does not fit ``scene`` and the characters spawned in ``runtime``;
        ``own_behavior(id)`` is the behavior a cast member's held one is restored into."""
        if set(data["cast"]) != set(scene.cast):
            raise SnapshotError("cast", f"expected the parts {', '.join(scene.cast)} of {scene.source}, "
                                        f"got {', '.join(sorted(data['cast']))}")
        for role, cid in data["cast"].items():
            if cid not in runtime.characters:
                raise SnapshotError(f"cast.{role}", f"expected a spawned character, got {cid!r}")
        for j, cue in enumerate(data["cues"]):
            if cue["kind"] in (LINE_STARTED, LINE_ENDED) and (cue["line"] is None or tuple(cue["line"]) not in scene.lines):
                raise SnapshotError(f"cues[{j}].line", f"expected the speaker and text of a line of {scene.source}, "
                                                       f"got {cue['line']!r}")
        for key in ("gesture_ends", "speaking"):
            for role in data[key]:
                if role not in scene.cast:
                    raise SnapshotError(f"{key}.{role}", f"expected a part of {scene.source}")
        if set(data["behaviors"]) != set(data["cast"].values()):
            raise SnapshotError("behaviors", "expected the behavior of each cast member")
        for cid, behavior_data in data["behaviors"].items():
            check = getattr(own_behavior(cid), "check_snapshot", None)
            if check is not None and behavior_data is not None:
                with part(f"behaviors.{cid}"):
                    check(behavior_data)
        story = import_extra("bink.story", "scenes", "scene scripts").Story(scene.story_json)
        try:
            story.load_state(data["story"])
        except RuntimeError as error:  # bink's error for a state that is not its save format
            raise SnapshotError("story", f"expected the saved state of {scene.source}'s Ink story ({error})") from None

    def _restore(self, data: dict) -> None:
        """Take the state of a checked :meth:`snapshot` (the cast already set)."""
        self.story.load_state(data["story"])
        self._cues = [SceneCue(c["kind"], c["time"], None if c["line"] is None else self.scene.lines[tuple(c["line"])],
                               c["emotion"], c["source"], tuple(c["choices"])) for c in data["cues"]]
        self.choices, self.paused_at = tuple(data["choices"]), data["paused_at"]
        self._gesture_ends, self._speaking = dict(data["gesture_ends"]), dict(data["speaking"])
        self.fired, self.finished = [], False
        self._take_cast(data["behaviors"])

    @classmethod
    def restored(cls, runtime, scene: Scene, data: dict, reuse: "ScenePlayer | None" = None) -> "ScenePlayer":
        """A player continuing the checked snapshot ``data`` of ``scene``: ``reuse`` (a player of the same
        scene, whose callbacks stay) or a new one."""
        player = reuse if reuse is not None else cls.__new__(cls)
        if reuse is None:
            player._setup(runtime, scene)
        player.cast = dict(data["cast"])
        player._restore(data)
        return player

    def actor(self, part: str | None) -> str | None:
        """The character id playing ``part`` (a voice such as ``player`` plays itself)."""
        return None if part is None else self.cast.get(part, part)

    def on(self, kind: str, callback: Callable[[SceneCue], None]) -> None:
        """Call ``callback(cue)`` when a cue of ``kind`` (one of :data:`CUE_KINDS`) fires."""
        if kind not in CUE_KINDS:
            raise InvalidArgumentError(f"kind: expected one of {', '.join(CUE_KINDS)}, got {kind!r}")
        self._callbacks[kind].append(callback)

    # --- control -----------------------------------------------------------------------------------
    def choose(self, index: int) -> None:
        """Take option ``index`` of the waiting choice; the next passage starts now."""
        if not self.choices:
            raise InvalidArgumentError("index: no choice is waiting in the scene")
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < len(self.choices):
            raise InvalidArgumentError(f"index: expected 0 to {len(self.choices) - 1} (the options: "
                                       f"{', '.join(self.choices)}), got {index!r}")
        self.story.choose_choice_index(int(index))
        self.choices = ()
        self._schedule_passage(self.runtime.time)

    def pause(self) -> None:
        """Hold the scene: no cue fires until :meth:`resume` (whose time the rest of the scene moves by)."""
        if self.paused_at is None:
            self.paused_at = self.runtime.time

    def resume(self) -> None:
        """Continue a paused scene; every cue still to come moves later by the time it was paused."""
        if self.paused_at is not None:
            self._shift(self.runtime.time - self.paused_at)
            self.paused_at = None

    def skip_line(self) -> None:
        """End the line being spoken now (its speaker falls silent); the rest of the scene moves earlier.
        Does nothing between lines."""
        ending = next((cue for cue in self._cues if cue.kind == LINE_ENDED), None)
        if ending is None or ending.line.speaker not in self._speaking:
            return
        if (character := self.runtime.characters.get(self.actor(ending.line.speaker))) is not None:
            character.line = None
        self._shift(self.runtime.time - ending.time)

    # --- playing -----------------------------------------------------------------------------------
    def advance(self, now: float) -> None:
        """Fire every cue due by ``now`` (called by the runtime after each step)."""
        if self.paused_at is not None or self.finished:
            return
        for speaker, end in list(self._gesture_ends.items()):
            if end <= now:
                self._set(speaker, "talk" if speaker in self._speaking else "listen")
                del self._gesture_ends[speaker]
        while self._cues and self._cues[0].time <= now:
            cue = self._cues.pop(0)
            self._fire(cue)
            self.fired.append((cue, now))
            for callback in self._callbacks[cue.kind]:
                callback(cue)

    def _fire(self, cue: SceneCue) -> None:
        if cue.kind == LINE_STARTED:
            self._start_line(cue)
        elif cue.kind == LINE_ENDED:
            self._speaking.pop(cue.line.speaker, None)
            if cue.line.speaker not in self._gesture_ends:
                self._set(cue.line.speaker, "listen")
        elif cue.kind == CHOICE_NEEDED:
            self.choices = cue.choices
        elif cue.kind == SCENE_ENDED:
            self._end()

    def _start_line(self, cue: SceneCue) -> None:
        line, runtime = cue.line, self.runtime
        probabilities = self.scene.probabilities[line.key]
        speaker, to = self.actor(line.speaker), self.actor(line.look)
        hearers = [cid for cid in self.cast.values() if cid != speaker]
        if line.speaker in self.cast:
            character = runtime.characters[speaker]
            # The line's emotion (tagged, or the words' reading at their probability, at least
            # READ_INTENSITY) at its intensity and every other below it: the face shows what the line says.
            name, intensity = line.emotion or (cue.emotion, max(READ_INTENSITY, float(probabilities.max())))
            vector = np.minimum(character.emotion.vector, TAG_LEAD * intensity)
            vector[EMOTIONS.index(name)] = intensity
            character.emotion.vector = vector
            runtime.say(speaker, line.text, to=to, heard_by=hearers, at=cue.time, emotions=probabilities)
            self._speaking[line.speaker] = cue.time
            self._set(line.speaker, "talk")
            if line.gesture is not None:
                seconds, orientation = self.scene.gestures[line.gesture]
                self._set(line.speaker, line.gesture, orientation)
                self._gesture_ends[line.speaker] = cue.time + seconds
        else:
            runtime.hear(line.text, speaker, to=to, heard_by=hearers, emotions=probabilities)

    def _set(self, part: str, activity: str, orientation: str | None = None) -> None:
        character = self.runtime.characters.get(self.actor(part))  # voices (the player) have no behavior
        behavior = None if character is None else character.behavior
        if isinstance(behavior, ScriptedBehavior):
            behavior.activity = activity
            if orientation is not None:
                behavior.orientation = orientation

    def _end(self) -> None:
        self._release_cast()
        self.runtime.scheduler.reset()
        self.finished = True

    def _shift(self, seconds: float) -> None:
        self._cues = [SceneCue(c.kind, c.time + seconds, c.line, c.emotion, c.source, c.choices) for c in self._cues]
        self._gesture_ends = {k: v + seconds for k, v in self._gesture_ends.items()}

    def _schedule_passage(self, start: float) -> None:
        """Read the story up to its next choice or end and queue the cues of those lines from ``start``."""
        time = start
        while self.story.can_continue():
            raw = self.story.cont()
            if not raw.strip():
                continue
            line = self.scene.line(raw)
            time += line.pause
            probabilities = self.scene.probabilities[line.key]
            emotion = EMOTIONS[int(np.argmax(probabilities))]
            source = "tag" if line.emotion is not None else "words"
            visemes = text_visemes(line.text)
            end = time + (visemes[-1].end if visemes else 0.0)
            self._cues += [SceneCue(LINE_STARTED, time, line, emotion, source),
                           SceneCue(LINE_ENDED, end, line, emotion, source)]
            time = end + LINE_GAP
        options = self.story.get_current_choices()
        if len(options):
            self._cues.append(SceneCue(CHOICE_NEEDED, time, choices=tuple(options)))
        else:
            self._cues.append(SceneCue(SCENE_ENDED, time))
