"""The runtime: spawns characters, routes events, and advances every character each update.

One update of ``dt`` seconds, from time ``t`` to ``t + dt``:

1. **Deliver.** Every character takes its queued events stamped up to ``t + dt`` (see
   :class:`~sdk.events.EventBus`). Events emitted while the update runs are stamped ``t + dt`` and wait
   for the next update, so no character sees an event before another one in the same update.
2. **React.** Each character, in spawn order, lets its emotion decay up to each event's effect time,
   appraises the event and shows it to its behavior; then decays to ``t + dt``, updates its behavior,
   copies the emotion into its expression and notifies emotion subscribers.

Because events take effect at their own timestamps and the emotion is integrated exactly, the same
events give the same emotions whether the game runs at 30 or 144 updates per second. Each character
draws from its own generator, seeded from the runtime seed and its id, so the same seed and the same
events give the same trace.
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from collections import deque
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

import numpy as np

from .character import Behavior, Character, CharacterDefinition
from .emotion import EMOTIONS, EmotionBank, EmotionChange
from .errors import EventError, InvalidArgumentError
from .events import Event, EventBus
from .behavior.scheduler import BehaviorScheduler
from .behavior.tree import TreeBehavior
from .reflex import ReflexBehavior


class TraceRecord(NamedTuple):
    """One line of the runtime's trace: at ``time``, ``character`` did ``what`` (``detail``)."""

    time: float
    character: str
    what: str  # "spawn", "despawn", "event", "activity" or "dominant"
    detail: str


def _default_behavior(character: Character) -> Behavior:
    tree = character.definition.tree
    if tree is not None:
        return TreeBehavior(tree)
    return ReflexBehavior(character.definition.reflexes)


class Runtime:
    """Owns characters and the event bus and advances them in time.

    Args:
        seed: seeds every character's RNG (with the character's id), so runs replay exactly.
        fixed_step: if given, :meth:`update` advances in steps of exactly this many seconds, carrying
            the remainder over to the next call.
        max_substeps: with ``fixed_step``, at most this many steps run per :meth:`update`; a longer
            backlog (after a stall) is dropped and counted in ``dropped_steps`` instead of snowballing.
        queue_capacity: events each character's queue holds before the oldest is dropped.
        trace_limit: trace records kept (the oldest go first); 0 turns tracing off.
        scheduler: decides when behavior trees tick (default: :class:`BehaviorScheduler`, on change).
        behavior_factory: makes the behavior of each spawned character (default: a
            :class:`~sdk.behavior.tree.TreeBehavior` if the definition names a tree, else :class:`ReflexBehavior`).
    """

    def __init__(self, seed: int = 0, *, fixed_step: float | None = None, max_substeps: int = 8,
                 queue_capacity: int = 64, trace_limit: int = 100_000,
                 behavior_factory: Callable[[Character], Behavior] = _default_behavior,
                 scheduler: BehaviorScheduler | None = None):
        if fixed_step is not None and not (math.isfinite(fixed_step) and fixed_step > 0):
            raise InvalidArgumentError(f"fixed_step: expected a positive number of seconds or None, got {fixed_step!r}")
        if not (isinstance(max_substeps, int) and max_substeps > 0):
            raise InvalidArgumentError(f"max_substeps: expected a positive integer, got {max_substeps!r}")
        self.seed = int(seed)
        self.fixed_step = fixed_step
        self.max_substeps = max_substeps
        self.behavior_factory = behavior_factory
        self.bus = EventBus(queue_capacity)
        self.time = 0.0
        self.steps = 0
        self.dropped_steps = 0
        self.characters: dict[str, Character] = {}
        #: Every character's emotion layers as rows of one set of matrices, advanced together.
        self.emotions = EmotionBank()
        self._by_row: dict[int, Character] = {}
        self._last_dominant: np.ndarray | None = None  # dominant emotion per bank row after the last step
        self.trace: deque[TraceRecord] = deque(maxlen=trace_limit)
        self._trace_on = trace_limit > 0
        self._accumulator = 0.0
        self._next_event_id = 1
        self._subscribers: list[tuple[Callable[[Character, EmotionChange], None], float]] = []
        #: Decides which behavior trees tick in each update (see :mod:`sdk.behavior.scheduler`).
        self.scheduler = scheduler if scheduler is not None else BehaviorScheduler()

    # --- characters --------------------------------------------------------------------------------
    def spawn(self, definition: CharacterDefinition | str | Path, character_id: str | None = None) -> Character:
        """Create a character from a definition (or the path of a YAML definition file).

        The id defaults to the definition's id, with ``_2``, ``_3``... appended for further copies.
        """
        if not isinstance(definition, CharacterDefinition):
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
        for callback, threshold in self._subscribers:
            self._subscribe(character, callback, threshold)
        self._record(character_id, "spawn", definition.id)
        return character

    def despawn(self, character_id: str) -> Character:
        """Remove a character; its pending events are discarded. Returns the removed character."""
        try:
            character = self.characters.pop(character_id)
        except KeyError:
            raise InvalidArgumentError(f"character_id: no spawned character {character_id!r}") from None
        self.bus.unregister(character_id)
        self.emotions.release(character.emotion.row)
        del self._by_row[character.emotion.row]
        self._last_dominant = None
        self.scheduler.reset()
        self._record(character_id, "despawn", "")
        return character

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

    @staticmethod
    def _subscribe(character: Character, callback, threshold: float) -> None:
        character.on_emotion_changed(lambda change: callback(character, change), threshold)

    # --- events ------------------------------------------------------------------------------------
    def emit(self, event: Event, ttl: float | None = None) -> Event:
        """Queue an event for delivery at the start of the next update; returns it stamped.

        A missing id is assigned, a missing timestamp becomes the current runtime time, and ``ttl``
        (seconds) sets the expiry relative to the timestamp.
        """
        if not isinstance(event, Event):
            raise EventError(f"event: expected an sdk.Event, got {type(event).__name__}")
        if not (isinstance(event.content, str) and event.content):
            raise EventError(f"event content: expected a non-empty string naming the event kind, got {event.content!r}")
        timestamp = self.time if event.timestamp is None else float(event.timestamp)
        if not math.isfinite(timestamp):
            raise EventError(f"event timestamp: expected a finite time in seconds, got {event.timestamp!r}")
        expiry = event.expiry
        if ttl is not None:
            if not (ttl >= 0):
                raise EventError(f"ttl: expected a number of seconds >= 0, got {ttl!r}")
            expiry = timestamp + ttl
        if math.isnan(expiry):
            raise EventError("event expiry: expected a time in seconds or inf, got nan")
        event_id = event.id
        if event_id is None:
            event_id, self._next_event_id = self._next_event_id, self._next_event_id + 1
        stamped = dataclasses.replace(event, id=event_id, timestamp=timestamp, expiry=expiry)
        self.bus.send(stamped)
        return stamped

    # --- time --------------------------------------------------------------------------------------
    def update(self, dt: float) -> None:
        """Advance the world by ``dt`` seconds of game time (variable, or in fixed steps if configured)."""
        if not (isinstance(dt, (int, float)) and math.isfinite(dt) and dt >= 0):
            raise InvalidArgumentError(f"dt: expected a finite number of seconds >= 0, got {dt!r}")
        if self.fixed_step is None:
            self._step(float(dt))
            return
        self._accumulator += dt
        # A hair of tolerance so that 0.05 + 0.05 counts as one step of 0.1 despite rounding.
        ready = self.fixed_step * (1 - 1e-9)
        substeps = 0
        while self._accumulator >= ready and substeps < self.max_substeps:
            self._step(self.fixed_step)
            self._accumulator -= self.fixed_step
            substeps += 1
        if self._accumulator >= ready:
            dropped = int(self._accumulator // self.fixed_step)
            self.dropped_steps += dropped
            self._accumulator -= dropped * self.fixed_step

    def _step(self, dt: float) -> None:
        start, end = self.time, self.time + dt
        deliveries = [(self.characters[receiver], due) for receiver, due in self.bus.deliver_all(start, end)]
        self.time = end
        self.steps += 1
        if self._last_dominant is None:
            self._last_dominant = self.emotions.dominant_indices()
        characters = list(self.characters.values())
        activities = [character.behavior.activity for character in characters]
        self._react(deliveries)
        self.emotions.advance_to(end)
        self.scheduler.step(characters, self.emotions, end, dt, (c.id for c, _ in deliveries))
        for character, before in zip(characters, activities):
            if character.behavior.activity != before:
                self._record(character.id, "activity", character.behavior.activity)
            character.emotion.notify()
        bank = self.emotions
        np.copyto(bank.expression[: bank.size], bank.vector[: bank.size])
        dominant = bank.dominant_indices()
        for row in np.flatnonzero(dominant != self._last_dominant):
            if (character := self._by_row.get(int(row))) is not None:
                self._record(character.id, "dominant", EMOTIONS[dominant[row]])
        self._last_dominant = dominant

    def _react(self, deliveries: list[tuple[Character, list[tuple[float, Event]]]]) -> None:
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
            for character, (_, event) in batch:
                character.behavior.on_event(character, event)
                self._record(character.id, "event", f"{event.content} from {event.sender}")

    # --- save and restore --------------------------------------------------------------------------
    def snapshot(self) -> dict:
        """The whole world as plain data: clock, queued events and every character's state."""
        return {
            "time": self.time, "steps": self.steps, "dropped_steps": self.dropped_steps,
            "accumulator": self._accumulator, "next_event_id": self._next_event_id,
            "queues": self.bus.snapshot(),
            "characters": {cid: character.snapshot() for cid, character in self.characters.items()},
        }

    def restore(self, data: dict) -> None:
        """Continue exactly from a :meth:`snapshot` taken with the same characters spawned."""
        if set(data["characters"]) != set(self.characters):
            raise InvalidArgumentError(
                f"snapshot: holds characters {sorted(data['characters'])}, but {sorted(self.characters)} are spawned")
        self.time, self.steps, self.dropped_steps = data["time"], data["steps"], data["dropped_steps"]
        self._accumulator, self._next_event_id = data["accumulator"], data["next_event_id"]
        self.bus.restore(data["queues"])
        self._last_dominant = None  # dominant emotions are re-read, not compared with the pre-restore world
        self.scheduler.reset()
        for character_id, state in data["characters"].items():
            self.characters[character_id].restore(state)

    def _record(self, character_id: str, what: str, detail: str) -> None:
        if self._trace_on:
            self.trace.append(TraceRecord(self.time, character_id, what, detail))
