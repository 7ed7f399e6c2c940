"""The runtime: spawns characters, routes events, and advances every character each update.

One update of ``dt`` seconds, from time ``t`` to ``t + dt``:

1. **Deliver.** Every character takes its queued events stamped up to ``t + dt`` (see
   :class:`~anisync.events.EventBus`). Events emitted while the update runs are stamped ``t + dt`` and wait
   for the next update, so no character sees an event before another one in the same update.
2. **React.** Each character, in spawn order, lets its emotion decay up to each event's effect time,
   appraises the event and shows it to its behavior; then decays to ``t + dt``, updates its behavior,
   copies the emotion into its expression and notifies emotion subscribers.

Because events take effect at their own timestamps and the emotion is integrated exactly, the same
events give the same emotions whether the game runs at 30 or 144 updates per second. Each character
draws from its own generator, seeded from the runtime seed and its id, so the same seed and the same
events give the same trace.

Guarantees a game can build on (docs/robustness.md lists them with the tests that hold them):

* a refused :meth:`Runtime.emit`, :meth:`Runtime.update` or :meth:`Runtime.restore` changes nothing;
* one update of at most ``max_dt`` seconds: a longer one (a stall, a breakpoint) is clamped, counted in
  ``clamped_updates`` and logged, so the world does not jump ahead;
* an exception in a subscriber (emotion, behavior or event callbacks) is logged and counted in
  ``callback_errors``, and the update completes for every character (``raise_callback_errors=True``
  raises it after the update, for debugging);
* the trace keeps at most ``trace_limit`` records and about ``trace_bytes`` bytes.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import zlib
from collections import Counter, deque
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, NamedTuple, Sequence

import numpy as np

from .character import SAY, Behavior, Character, CharacterDefinition, SpokenLine
from .emotion import EMOTIONS, EmotionBank, EmotionChange
from .errors import CallbackError, EventError, InvalidArgumentError, SnapshotError, excerpt, nearest
from .events import MAX_TIME, Event, EventBus
from .behavior.scheduler import BehaviorScheduler
from .behavior.tree import TreeBehavior
from . import loading
from .reflex import ReflexBehavior
from .schema import finite_number
from .snapshot import check_snapshot

if TYPE_CHECKING:
    from .scenes import Scene, ScenePlayer

log = logging.getLogger("anisync.runtime")

#: Default longest update, in seconds: a longer frame is a stall, not time the world should live through.
DEFAULT_MAX_DT = 1.0
#: Callback errors logged with their traceback per runtime; later ones are only counted.
LOGGED_CALLBACK_ERRORS = 10
#: Lines of dialogue the runtime remembers as the classifier's context.
DIALOGUE_MEMORY = 8


class TraceRecord(NamedTuple):
    """One line of the runtime's trace: at ``time``, ``character`` did ``what`` (``detail``)."""

    time: float
    character: str
    what: str  # "spawn", "despawn", "event", "activity" or "dominant"
    detail: str

    @property
    def size(self) -> int:
        """Bytes the record holds, roughly: its text, plus 120 for the tuple, the float and the strings' headers."""
        return 120 + len(self.character) + len(self.what) + len(self.detail)


def _default_behavior(character: Character) -> Behavior:
    tree = character.definition.tree
    if tree is not None:
        return TreeBehavior(tree)
    return ReflexBehavior(character.definition.reflexes)


def _subscribed(callbacks: list[Callable], callback: Callable) -> Callable[[], None]:
    """Add ``callback`` to ``callbacks``; returns the function that removes it (once; later calls do nothing)."""
    if not callable(callback):
        raise InvalidArgumentError(f"callback: expected a callable, got {excerpt(callback)}")
    callbacks.append(callback)
    return lambda: callback in callbacks and callbacks.remove(callback)


class Runtime:
    """Owns characters and the event bus and advances them in time.

    Args:
        seed: seeds every character's RNG (with the character's id), so runs replay exactly.
        fixed_step: if given, :meth:`update` advances in steps of exactly this many seconds, carrying
            the remainder over to the next call.
        max_substeps: with ``fixed_step``, at most this many steps run per :meth:`update`; a longer
            backlog (after a stall) is dropped and counted in ``dropped_steps`` instead of snowballing.
        max_dt: without ``fixed_step``, the longest update in seconds; a longer ``dt`` is clamped to it,
            counted in ``clamped_updates`` and logged. ``None``: no limit (fast-forwarding a simulation).
        queue_capacity: events each character's queue holds before the oldest is dropped.
        trace_limit: trace records kept (the oldest go first); 0 turns tracing off.
        trace_bytes: roughly the most bytes the trace holds (see :attr:`TraceRecord.size`); the oldest
            records go first.
        raise_callback_errors: raise :class:`~anisync.errors.CallbackError` at the end of an update in which a
            subscriber raised (the update itself still completes); for debugging.
        asset_roots: folders whose files the definitions :meth:`spawn` loads may reference, beyond each
            file's own folder and the shipped assets (see :func:`anisync.loading.asset_roots`).
        scheduler: decides when behavior trees tick (default: :class:`BehaviorScheduler`, on change).
        behavior_factory: makes the behavior of each spawned character (default: a
            :class:`~anisync.behavior.tree.TreeBehavior` if the definition names a tree, else :class:`ReflexBehavior`).
        dialogue: what reads the emotion of words said (:meth:`say`) and heard (:meth:`hear`): ``"shipped"``
            (the shipped :class:`~anisync.dialogue.EmotionClassifier`, loaded when the first line is said), a
            classifier of your own, or ``None`` (lines move the mouth, not the emotions).
    """

    def __init__(self, seed: int = 0, *, fixed_step: float | None = None, max_substeps: int = 8,
                 max_dt: float | None = DEFAULT_MAX_DT, queue_capacity: int = 64, trace_limit: int = 100_000,
                 trace_bytes: int = 16 << 20, raise_callback_errors: bool = False,
                 asset_roots: Iterable[str | Path] = (),
                 behavior_factory: Callable[[Character], Behavior] = _default_behavior,
                 scheduler: BehaviorScheduler | None = None, dialogue: object = "shipped"):
        if fixed_step is not None and not (finite_number(fixed_step) and fixed_step > 0):
            raise InvalidArgumentError(f"fixed_step: expected a positive number of seconds or None, got {fixed_step!r}")
        if max_dt is not None and not (finite_number(max_dt) and max_dt > 0):
            raise InvalidArgumentError(f"max_dt: expected a positive number of seconds or None, got {max_dt!r}")
        for name, value in (("max_substeps", max_substeps), ("trace_bytes", trace_bytes)):
            if not (isinstance(value, int) and not isinstance(value, bool) and value > 0):
                raise InvalidArgumentError(f"{name}: expected a positive integer, got {value!r}")
        if not (isinstance(trace_limit, int) and not isinstance(trace_limit, bool) and trace_limit >= 0):
            raise InvalidArgumentError(f"trace_limit: expected an integer >= 0, got {trace_limit!r}")
        with loading.asset_roots(*asset_roots) as roots:  # refuses a folder that does not exist
            self.asset_roots = roots
        self.seed = int(seed)
        self.fixed_step = fixed_step
        self.max_substeps = max_substeps
        self.max_dt = max_dt
        #: Updates whose dt was longer than max_dt and was clamped to it.
        self.clamped_updates = 0
        #: Exceptions raised by subscribers (each logged; the update went on).
        self.callback_errors = 0
        self.raise_callback_errors = raise_callback_errors
        self.behavior_factory = behavior_factory
        self.bus = EventBus(queue_capacity, on_drop=lambda receiver, event: self._drops.append((receiver, event)))
        self._drops: list[tuple[str, Event]] = []  # dropped since the last step, for on_event subscribers
        #: Event kinds emitted that no spawned character appraises (a typo, or words for behaviors only),
        #: with how often; each kind is logged once.
        self.unappraised_kinds: Counter[str] = Counter()
        self._appraised_kinds: set[str] = {SAY}
        self.time = 0.0
        self.steps = 0
        self.dropped_steps = 0
        self.characters: dict[str, Character] = {}
        #: Every character's emotion layers as rows of one set of matrices, advanced together.
        self.emotions = EmotionBank()
        self._by_row: dict[int, Character] = {}
        self._last_dominant: np.ndarray | None = None  # dominant emotion per bank row after the last step
        self.trace: deque[TraceRecord] = deque()
        self.trace_limit, self.trace_bytes = trace_limit, trace_bytes
        self._trace_size = 0  # bytes the trace holds, as TraceRecord.size counts them
        self._accumulator = 0.0
        self._next_event_id = 1
        self._subscribers: list[tuple[Callable[[Character, EmotionChange], None], float]] = []
        self._behavior_started: list[Callable[[Character, str, str], None]] = []
        self._behavior_ended: list[Callable[[Character, str, str], None]] = []
        self._event_subscribers: list[Callable[[Character, Event, str], None]] = []
        #: Decides which behavior trees tick in each update (see :mod:`anisync.behavior.scheduler`).
        self.scheduler = scheduler if scheduler is not None else BehaviorScheduler()
        if not (dialogue is None or dialogue == "shipped" or hasattr(dialogue, "classify")):
            raise InvalidArgumentError(f"dialogue: expected 'shipped', an EmotionClassifier or None, got {excerpt(dialogue)}")
        self._dialogue = dialogue
        #: The last lines said or heard, ``(speaker, text)``, oldest first: what the classifier reads as context.
        self.dialogue_lines: deque[tuple[str, str]] = deque(maxlen=DIALOGUE_MEMORY)
        #: Scenes playing (:meth:`play`), advanced after every step; each leaves the list when it ends.
        self.scenes: list = []

    # --- characters --------------------------------------------------------------------------------
    def spawn(self, definition: CharacterDefinition | str | Path, character_id: str | None = None) -> Character:
        """Create a character from a definition (or the path of a YAML definition file).

        The id defaults to the definition's id, with ``_2``, ``_3``... appended for further copies.
        """
        if not isinstance(definition, CharacterDefinition):
            with loading.asset_roots(*self.asset_roots):
                definition = CharacterDefinition.load(definition)
        if character_id is None:
            character_id, n = definition.id, 1
            while character_id in self.characters:
                n += 1
                character_id = f"{definition.id}_{n}"
        elif character_id in self.characters:
            raise InvalidArgumentError(f"character_id: {character_id!r} is already spawned")
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, zlib.crc32(character_id.encode())]))
        emotion = definition.new_emotion_state(self.emotions, self.time)
        character = Character(character_id, definition, rng, self.emit, emotion)
        self._by_row[emotion.row] = character
        self._last_dominant = None
        self.scheduler.reset()
        character.behavior = self.behavior_factory(character)
        self.characters[character_id] = character
        self.bus.register(character_id, definition.groups)
        self._appraised_kinds.update(definition.impulses)
        for callback, threshold in self._subscribers:
            self._subscribe(character, callback, threshold)
        self._record(character_id, "spawn", definition.id)
        return character

    def despawn(self, character_id: str) -> Character:
        """Remove a character; its pending events are discarded. Returns the removed character."""
        try:
            character = self.characters.pop(character_id)
        except KeyError:
            raise InvalidArgumentError(f"character_id: no spawned character {character_id!r}; "
                                       f"{nearest(character_id, self.characters)}") from None
        self.bus.unregister(character_id)
        self._appraised_kinds = {SAY}.union(*(c.definition.impulses for c in self.characters.values()))
        self.emotions.release(character.emotion.row)
        del self._by_row[character.emotion.row]
        self._last_dominant = None
        self.scheduler.reset()
        self._record(character_id, "despawn", "")
        return character

    def say(self, character_id: str, text: str, rate: float = 1.0, seconds: float | None = None,
            audio: str | Path | None = None, *, to: str | None = None, heard_by: str | Sequence[str] | None = "*",
            at: float | None = None, emotions: Sequence[float] | None = None) -> SpokenLine:
        """Have a character speak ``text`` from now at ``rate`` (1: the duration table's pace), or
        stretched over a voice clip of ``seconds``, or in the timing of its voice recording ``audio`` (a
        mono 16-bit WAV; the phoneme reader hears each phoneme, the text aligned to it, a few milliseconds'
        work per line: :func:`anisync.speech.wav_visemes`);
        it replaces any line still playing. While the line plays, :meth:`Character.face` shows its visemes
        (:mod:`anisync.speech`). Returns the line, whose ``track`` says which viseme shows when.

        The words also carry emotion (unless the runtime's ``dialogue`` is None): the classifier reads them
        with the last lines said as context, and a ``say`` event takes what they express to the speaker
        and to ``heard_by`` (a character id, ``group:NAME``, ``"*"``: everyone, a list of ids, or None: nobody),
        each of whom appraises it by its ``dialogue`` section, ``to`` (a character id) being the one they are
        aimed at (:mod:`anisync.dialogue.appraisal`). The emotions move at the next update, as for any event.
        ``emotions`` (seven probabilities) stands in for the classifier's reading when the emotion is known
        (a scene's tag); ``at`` starts the line at that runtime time rather than now (a scene's cue time).
        """
        try:
            character = self.characters[character_id]
        except KeyError:
            raise InvalidArgumentError(f"character_id: no spawned character {character_id!r}; "
                                       f"{nearest(character_id, self.characters)}") from None
        line = SpokenLine.start(text, rate, self.time if at is None else float(at), seconds, audio)
        self._words(character_id, text, to, heard_by, to_speaker=True, emotions=emotions)
        character.line = line
        self._record(character_id, "say", excerpt(text))
        return character.line

    def hear(self, text: str, speaker: str = "player", *, to: str | None = None,
             heard_by: str | Sequence[str] | None = "*", emotions: Sequence[float] | None = None) -> np.ndarray | None:
        """Words said by someone who is not a character (the player, a narrator): the characters
        ``heard_by`` appraise what they express as in :meth:`say`, ``to`` being the one they are aimed at.
        Returns the seven probabilities the words carried (None when the runtime's ``dialogue`` is None)."""
        probabilities = self._words(speaker, text, to, heard_by, to_speaker=False, emotions=emotions)
        self._record(speaker, "say", excerpt(text))
        return probabilities

    def play(self, scene: "Scene", cast: dict[str, str] | None = None) -> "ScenePlayer":
        """Start performing ``scene`` (:func:`anisync.scenes.load_scene`) now: its cues fire as updates reach
        their times, and its cast follows the script until it ends. ``cast`` maps a part of the script to
        the spawned character who plays it (``{"mira": "villager_004"}``; by default each part is played by
        the character of that id). Returns the :class:`~anisync.scenes.ScenePlayer`, for callbacks, choices,
        pausing and skipping."""
        from .scenes import ScenePlayer

        player = ScenePlayer(self, scene, cast)
        self.scenes.append(player)
        return player

    @property
    def dialogue(self):
        """The classifier that reads words' emotion (loading the shipped one on first use), or None."""
        if self._dialogue == "shipped":
            from .dialogue import shipped_classifier

            self._dialogue = shipped_classifier()
        return self._dialogue

    def _words(self, speaker: str, text: str, to: str | None, heard_by: str | Sequence[str] | None,
               to_speaker: bool, emotions: Sequence[float] | None = None) -> np.ndarray | None:
        """Classify ``text`` (unless ``emotions`` are given) and queue its ``say`` events; raises, changing
        nothing, for a bad argument."""
        if to is not None and to not in self.characters:
            raise InvalidArgumentError(f"to: no spawned character {to!r}")
        addresses = [] if heard_by is None else [heard_by] if isinstance(heard_by, str) else list(heard_by)
        for address in addresses:
            self.bus.receivers(address, speaker)  # EventError for an address nobody answers to, before any work
        if emotions is not None:
            probabilities = np.asarray(emotions, dtype=np.float64)
            if probabilities.shape != (len(EMOTIONS),) or not np.all(np.isfinite(probabilities)):
                raise InvalidArgumentError(f"emotions: expected {len(EMOTIONS)} finite probabilities, got {excerpt(emotions)}")
        elif self.dialogue is None:
            return None
        else:
            probabilities = self.dialogue.classify(text, list(self.dialogue_lines), speaker)
        payload = {"text": text, "emotions": [float(p) for p in probabilities], "to": to}
        for address in addresses:
            if address != speaker:
                self.emit(Event(SAY, receiver=address, sender=speaker, payload=payload))
        if to_speaker:
            self.emit(Event(SAY, receiver=speaker, sender=speaker, payload=payload))
        self.dialogue_lines.append((speaker, text))
        return probabilities

    def __iter__(self) -> Iterator[Character]:
        return iter(self.characters.values())

    def __len__(self) -> int:
        return len(self.characters)

    def on_emotion_changed(self, callback: Callable[[Character, EmotionChange], None], threshold: float = 0.05) -> None:
        """Call ``callback(character, change)`` when any character's emotion moves past ``threshold``,
        for characters spawned now and later."""
        self._subscribers.append((callback, threshold))
        for character in self.characters.values():
            self._subscribe(character, callback, threshold)

    def on_behavior_started(self, callback: Callable[[Character, str, str], None]) -> Callable[[], None]:
        """Call ``callback(character, activity, previous)`` in the update in which a character's activity
        (the behavior it performs) changes, for characters spawned now and later; returns an unsubscribe
        function."""
        return _subscribed(self._behavior_started, callback)

    def on_behavior_ended(self, callback: Callable[[Character, str, str], None]) -> Callable[[], None]:
        """Call ``callback(character, activity, next)`` in the update in which a character stops an
        activity (``next`` is the one it starts); returns an unsubscribe function."""
        return _subscribed(self._behavior_ended, callback)

    def on_event(self, callback: Callable[[Character, Event, str], None]) -> Callable[[], None]:
        """Call ``callback(character, event, status)`` for every event that reaches a character, in the
        update that takes it: ``status`` is ``"delivered"`` (appraised), ``"unappraised"`` (delivered, but
        the character's appraisal has no entry for its kind, so its emotion did not move) or ``"dropped"``
        (it expired before taking effect, or a full queue pushed it out; ``runtime.bus.stats`` counts which).
        Returns an unsubscribe function."""
        return _subscribed(self._event_subscribers, callback)

    @staticmethod
    def _notify(callbacks: list[Callable], arguments: tuple, errors: list[Exception]) -> None:
        for callback in callbacks:
            try:
                callback(*arguments)
            except Exception as error:  # a game's callback must not stop the world: logged after the update
                errors.append(error)

    @staticmethod
    def _subscribe(character: Character, callback, threshold: float) -> None:
        character.on_emotion_changed(lambda change: callback(character, change), threshold)

    def _callbacks_failed(self, errors: list[Exception]) -> None:
        """Log and count the exceptions subscribers raised in an update that has completed."""
        for error in errors:
            self.callback_errors += 1
            if self.callback_errors <= LOGGED_CALLBACK_ERRORS:
                log.error("a subscriber raised at t=%.3f; the update went on (error %d%s)", self.time,
                          self.callback_errors, ", the last logged: later ones are only counted in "
                          "runtime.callback_errors" if self.callback_errors == LOGGED_CALLBACK_ERRORS else "",
                          exc_info=error)
        if errors and self.raise_callback_errors:
            raise CallbackError(f"{len(errors)} subscriber call(s) raised during the update to "
                                f"t={self.time:g}; the first is the cause") from errors[0]

    # --- events ------------------------------------------------------------------------------------
    def emit(self, event: Event, ttl: float | None = None) -> Event:
        """Queue an event for delivery at the start of the next update; returns it stamped.

        A missing id is assigned, a missing timestamp becomes the current runtime time, and ``ttl``
        (seconds) sets the expiry relative to the timestamp. An event's fields are checked when it is made
        (:class:`~anisync.events.Event`); here ``ttl`` and the receiver are, and a refused event (EventError)
        neither queues nor uses up an id.
        """
        if not isinstance(event, Event):
            raise EventError(f"event: expected an anisync.Event, got {type(event).__name__}")
        timestamp = self.time if event.timestamp is None else float(event.timestamp)
        expiry = event.expiry
        if ttl is not None:
            if not ((finite_number(ttl) or ttl == math.inf) and ttl >= 0):
                raise EventError(f"ttl: expected a number of seconds >= 0 (or inf) or None, got {excerpt(ttl)}")
            expiry = timestamp + ttl
        event_id = self._next_event_id if event.id is None else event.id
        stamped = dataclasses.replace(event, id=event_id, timestamp=timestamp, expiry=expiry)
        self.bus.send(stamped)  # raises EventError for a receiver nobody answers to, before queueing anything
        if event.id is None:
            self._next_event_id += 1
        if not stamped.internal and stamped.content not in self._appraised_kinds:
            self._unappraised(stamped.content)
        return stamped

    def _unappraised(self, kind: str) -> None:
        self.unappraised_kinds[kind] += 1
        if self.unappraised_kinds[kind] == 1:
            log.warning("event kind %r: no spawned character appraises it, so it moves no emotion (behaviors may "
                        "still react to it); %s. Counted in runtime.unappraised_kinds, logged once", kind,
                        nearest(kind, self._appraised_kinds - {SAY}))

    # --- time --------------------------------------------------------------------------------------
    def update(self, dt: float) -> None:
        """Advance the world by ``dt`` seconds of game time (variable, or in fixed steps if configured).

        Without a fixed step, a ``dt`` over ``max_dt`` is clamped to it (counted in ``clamped_updates``,
        logged). Raises InvalidArgumentError, changing nothing, for a ``dt`` that is not a finite number of
        seconds >= 0 or that would take the clock past :data:`~anisync.events.MAX_TIME`; and CallbackError after
        the update when ``raise_callback_errors`` is set and a subscriber raised.
        """
        if not (finite_number(dt) and dt >= 0):
            raise InvalidArgumentError(f"dt: expected a finite number of seconds >= 0, got {excerpt(dt)}")
        stall = self.fixed_step is None and self.max_dt is not None and dt > self.max_dt
        if self.time + (self.max_dt if stall else dt) > MAX_TIME:
            raise InvalidArgumentError(f"dt: {excerpt(dt)} s would take the clock past {MAX_TIME:g} s (now {self.time:g})")
        if stall:
            self.clamped_updates += 1
            log.warning("update(dt=%g) clamped to max_dt=%g s (%d clamped so far)", dt, self.max_dt,
                        self.clamped_updates)
            dt = self.max_dt
        errors: list[Exception] = []
        if self.fixed_step is None:
            self._step(float(dt), errors)
        else:
            self._fixed_steps(float(dt), errors)
        self._callbacks_failed(errors)

    def _fixed_steps(self, dt: float, errors: list[Exception]) -> None:
        self._accumulator += dt
        # A hair of tolerance so that 0.05 + 0.05 counts as one step of 0.1 despite rounding.
        ready = self.fixed_step * (1 - 1e-9)
        substeps = 0
        while self._accumulator >= ready and substeps < self.max_substeps:
            self._step(self.fixed_step, errors)
            self._accumulator -= self.fixed_step
            substeps += 1
        if self._accumulator >= ready:
            dropped = int(self._accumulator // self.fixed_step)
            self.dropped_steps += dropped
            self._accumulator -= dropped * self.fixed_step

    def _step(self, dt: float, errors: list[Exception]) -> None:
        """One step of ``dt`` (the module docstring's deliver and react); subscribers' exceptions go to ``errors``."""
        start, end = self.time, self.time + dt
        deliveries = [(self.characters[receiver], due) for receiver, due in self.bus.deliver_all(start, end)]
        drops, self._drops = self._drops, []
        self.time = end
        if self._event_subscribers:
            for receiver, event in drops:
                if (character := self.characters.get(receiver)) is not None:
                    self._notify(self._event_subscribers, (character, event, "dropped"), errors)
        self.steps += 1
        if self._last_dominant is None:
            self._last_dominant = self.emotions.dominant_indices()
        characters = list(self.characters.values())
        activities = [character.behavior.activity for character in characters]
        self._react(deliveries, errors)
        self.emotions.advance_to(end)
        self.scheduler.step(characters, self.emotions, end, dt, (c.id for c, _ in deliveries))
        for character, before in zip(characters, activities):
            if (activity := character.behavior.activity) != before:
                self._record(character.id, "activity", activity)
                self._notify(self._behavior_ended, (character, before, activity), errors)
                self._notify(self._behavior_started, (character, activity, before), errors)
            character.emotion.notify(errors)
        bank = self.emotions
        np.copyto(bank.expression[: bank.size], bank.vector[: bank.size])
        dominant = bank.dominant_indices()
        for row in np.flatnonzero(dominant != self._last_dominant):
            if (character := self._by_row.get(int(row))) is not None:
                self._record(character.id, "dominant", EMOTIONS[dominant[row]])
        self._last_dominant = dominant
        if self.scenes:
            for scene in self.scenes:
                scene.advance(end)
            self.scenes = [scene for scene in self.scenes if not scene.finished]

    def _react(self, deliveries: list[tuple[Character, list[tuple[float, Event]]]], errors: list[Exception]) -> None:
        """Appraise delivered events in rounds: round r takes every character's r-th event at once.

        Within a round each row advances to its own event's effect time and takes its impulse in one
        vectorised call, so a broadcast to 500 characters costs one numpy step, not 500. Per character
        the order is exactly: decay to the event, appraise it, show it to the behavior.
        """
        bank = self.emotions
        zero = np.zeros(len(EMOTIONS))
        for round_index in range(max((len(events) for _, events in deliveries), default=0)):
            batch = [(c, events[round_index]) for c, events in deliveries if round_index < len(events)]
            rows = np.fromiter((c.emotion.row for c, _ in batch), dtype=np.intp, count=len(batch))
            bank.advance_to(np.fromiter((t for _, (t, _) in batch), dtype=np.float64, count=len(batch)), rows)
            impulses = [c.impulse_for(event) for c, (_, event) in batch]
            if any(impulse is not None for impulse in impulses):
                bank.apply_impulses(rows, np.stack([zero if i is None else i for i in impulses]))
            for (character, (_, event)), impulse in zip(batch, impulses):
                character.behavior.on_event(character, event)
                self._record(character.id, "event", f"{event.content} from {event.sender}")
                if self._event_subscribers:
                    self._notify(self._event_subscribers,
                                 (character, event, "unappraised" if impulse is None else "delivered"), errors)

    # --- save and restore --------------------------------------------------------------------------
    def snapshot(self) -> dict:
        """The whole world as plain data, strict JSON: clock, queued events, every character's state and the
        scenes in progress."""
        return {
            "time": self.time, "steps": self.steps, "dropped_steps": self.dropped_steps,
            "accumulator": self._accumulator, "next_event_id": self._next_event_id,
            "queues": self.bus.snapshot(),
            "characters": {cid: character.snapshot() for cid, character in self.characters.items()},
            "dialogue": [list(line) for line in self.dialogue_lines],
            "scenes": [player.snapshot() for player in self.scenes if not player.finished],
            "scheduler": self.scheduler.snapshot(),
        }

    def restore(self, data: dict, scenes: Iterable["Scene"] = ()) -> None:
        """Continue exactly from a :meth:`snapshot` taken with the same characters spawned.

        A scene in progress in the snapshot continues where it was: one still playing keeps its
        :class:`~anisync.scenes.ScenePlayer` and callbacks; for any other, pass its
        :class:`~anisync.scenes.Scene` (:func:`~anisync.scenes.load_scene`) in ``scenes``, and register
        callbacks on its new player in :attr:`scenes`. Scenes playing now that the snapshot does not hold
        end, silently, their cast taking the behaviors the snapshot holds.

        All or nothing: the whole snapshot is checked first (:func:`anisync.snapshot.check_snapshot`), and a
        part that still refuses its data (a custom behavior that checks nothing beforehand) has the runtime
        put back as it was. Raises SnapshotError naming the path inside the snapshot.
        """
        checked = check_snapshot(self, data, scenes)
        playing = list(self.scenes)
        before = check_snapshot(self, self.snapshot())
        try:
            self._restore(checked, playing)
        except Exception as error:  # whatever a part raised, the world must not stay half restored
            self._restore(before, playing)
            raise SnapshotError("", f"a part refused its data ({error!r}); nothing was restored") from error

    def _restore(self, data: dict, playing: list) -> None:
        """Take a checked snapshot; ``playing``: the scene players to reuse for the scenes it holds."""
        from .scenes.player import ScenePlayer

        for player in self.scenes:
            player._release_cast()
        self.time, self.steps, self.dropped_steps = data["time"], data["steps"], data["dropped_steps"]
        self._accumulator, self._next_event_id = data["accumulator"], data["next_event_id"]
        self.bus.restore(data["queues"])
        self.dialogue_lines = deque(map(tuple, data["dialogue"]), maxlen=DIALOGUE_MEMORY)
        self._last_dominant = None  # dominant emotions are re-read, not compared with the pre-restore world
        self._drops = []  # drops from before the restore are not the restored world's
        spare, self.scenes = list(playing), []
        for entry in data["scenes"]:
            reuse = next((p for p in spare if p.scene is entry["scene"] and p.cast == entry["cast"]), None)
            if reuse is not None:
                spare.remove(reuse)
            self.scenes.append(ScenePlayer.restored(self, entry["scene"], entry, reuse))
        self.scheduler.restore(data["scheduler"])
        for character_id, state in data["characters"].items():
            self.characters[character_id].restore(state)

    def _record(self, character_id: str, what: str, detail: str) -> None:
        if not self.trace_limit:
            return
        record = TraceRecord(self.time, character_id, what, detail)
        self.trace.append(record)
        self._trace_size += record.size
        while len(self.trace) > self.trace_limit or self._trace_size > self.trace_bytes:
            self._trace_size -= self.trace.popleft().size

