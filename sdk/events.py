"""Events (Peng, section 2.3.2) and the bus that delivers them.

An event is the 6-tuple ``<id, sender, receiver, content, timestamp, expiry>``. Internal events come from
the character itself (``sender == receiver``, e.g. the end of a behavior); external ones from the world,
other characters or the player.

Addressing: ``receiver`` is a character id, ``"group:NAME"`` for every member of a group, or ``"*"``
for everyone. Group and broadcast sends skip the sender itself.

Delivery: :meth:`EventBus.send` queues an event per receiver; :meth:`EventBus.deliver`, called by the
runtime at the start of each update, hands over every queued event whose timestamp lies before the end of
that update, oldest timestamp first. An event whose expiry has passed when it takes effect is dropped and
counted, never delivered. Each receiver's queue holds at most ``capacity`` events; on overflow the oldest
queued event is dropped and counted (game code should not be able to grow memory without bound by
spamming one NPC).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from .errors import EventError, InvalidArgumentError, excerpt, nearest
from .schema import finite_number

BROADCAST = "*"
GROUP_PREFIX = "group:"
#: Latest time, in seconds (about 31,700 years), a runtime's clock or an event's timestamp may hold: far
#: enough that no game reaches it, near enough that a step of a millisecond still moves the clock.
MAX_TIME = 1e12
#: Longest event kind, sender or receiver name, in characters (traces and queues stay small).
MAX_NAME_LENGTH = 256


@dataclass(frozen=True)
class Event:
    """One event. ``content`` is the event kind that appraisal tables and behaviors match on
    (``"greet"``, ``"taunt"``, ``"behavior_ended"``); ``payload`` carries optional details.

    ``id`` and ``timestamp`` are filled in by :meth:`anisync.runtime.Runtime.emit` when left as ``None``;
    ``expiry`` is an absolute time in runtime seconds (``inf``: never expires).
    """

    content: str
    receiver: str
    sender: str = "world"
    id: int | None = None
    timestamp: float | None = None
    expiry: float = math.inf
    payload: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        """Refuse a field of the wrong type or range here, so that a bad event never reaches a queue."""
        for name in ("content", "receiver", "sender"):
            value = getattr(self, name)
            if not (isinstance(value, str) and 0 < len(value) <= MAX_NAME_LENGTH):
                raise EventError(f"event {name}: expected a non-empty string of at most {MAX_NAME_LENGTH} "
                                 f"characters, got {excerpt(value)}")
        if self.id is not None and not (isinstance(self.id, numbers.Integral) and not isinstance(self.id, bool)
                                        and self.id >= 0):
            raise EventError(f"event id: expected an integer >= 0 or None, got {excerpt(self.id)}")
        if self.timestamp is not None and not (finite_number(self.timestamp) and abs(self.timestamp) <= MAX_TIME):
            raise EventError(f"event timestamp: expected seconds within {MAX_TIME:g} of zero or None, "
                             f"got {excerpt(self.timestamp)}")
        if not (finite_number(self.expiry) or self.expiry in (math.inf, -math.inf)):
            raise EventError(f"event expiry: expected a time in seconds or inf, got {excerpt(self.expiry)}")
        if not isinstance(self.payload, Mapping):
            raise EventError(f"event payload: expected a mapping, got {type(self.payload).__name__}")

    @property
    def kind(self) -> str:
        """Alias of ``content``: what happened."""
        return self.content

    @property
    def internal(self) -> bool:
        """True for an event a character sent to itself."""
        return self.sender == self.receiver

    def as_tuple(self) -> tuple:
        """The seed's 6-tuple ``(id, sender, receiver, content, timestamp, expiry)``."""
        return (self.id, self.sender, self.receiver, self.content, self.timestamp, self.expiry)


@dataclass
class BusStats:
    """Counters of an :class:`EventBus`."""

    sent: int = 0
    delivered: int = 0
    dropped_expired: int = 0
    dropped_overflow: int = 0


class EventBus:
    """Bounded per-receiver event queues with group and broadcast addressing."""

    def __init__(self, capacity: int = 64, on_drop: Callable[[str, Event], None] | None = None):
        if not (isinstance(capacity, int) and capacity > 0):
            raise InvalidArgumentError(f"capacity: expected a positive integer, got {capacity!r}")
        self.capacity = capacity
        #: Called with ``(receiver, event)`` for every event dropped (expired or pushed out of a full queue).
        self.on_drop = on_drop
        self.stats = BusStats()
        self._queues: dict[str, deque[Event]] = {}
        #: A time no event in the queue is stamped before (its earliest timestamp, or below it once an
        #: overflow pushed that event out): :meth:`deliver_all` skips a queue whose events are all later.
        self._earliest: dict[str, float] = {}
        self._groups: dict[str, set[str]] = {}

    # --- membership --------------------------------------------------------------------------------
    def register(self, receiver: str, groups: Iterable[str] = ()) -> None:
        """Open a queue for ``receiver`` and add it to ``groups``."""
        self._queues.setdefault(receiver, deque())
        for group in groups:
            self._groups.setdefault(group, set()).add(receiver)

    def unregister(self, receiver: str) -> None:
        """Close ``receiver``'s queue (pending events are discarded) and remove it from every group."""
        self._queues.pop(receiver, None)
        self._earliest.pop(receiver, None)
        for members in self._groups.values():
            members.discard(receiver)

    def receivers(self, address: str, sender: str | None = None) -> list[str]:
        """The character ids an address resolves to now, in registration order."""
        if address == BROADCAST:
            return [r for r in self._queues if r != sender]
        if address.startswith(GROUP_PREFIX):
            members = self._groups.get(address[len(GROUP_PREFIX):], set())
            return [r for r in self._queues if r in members and r != sender]
        if address in self._queues:
            return [address]
        raise EventError(f"event receiver {address!r}: expected a spawned character id, 'group:NAME' or '*'; "
                         f"{nearest(address, self._queues)}")

    # --- traffic -----------------------------------------------------------------------------------
    def send(self, event: Event) -> int:
        """Queue ``event`` for every receiver its address resolves to; returns how many queues took it."""
        targets = self.receivers(event.receiver, sender=event.sender)
        for target in targets:
            queue = self._queues[target]
            if len(queue) >= self.capacity:
                self._dropped(target, queue.popleft())
                self.stats.dropped_overflow += 1
            queue.append(event)
            self._earliest[target] = min(self._earliest.get(target, math.inf), event.timestamp)
        self.stats.sent += 1
        return len(targets)

    def _dropped(self, receiver: str, event: Event) -> None:
        if self.on_drop is not None:
            self.on_drop(receiver, event)

    def deliver(self, receiver: str, start: float, end: float) -> list[tuple[float, Event]]:
        """Take ``receiver``'s events due by ``end`` as ``(effect_time, event)``, oldest first.

        An event takes effect at its timestamp, or at ``start`` if it was stamped earlier; events stamped
        after ``end`` stay queued for a later update.
        """
        queue = self._queues.get(receiver)
        if not queue:
            return []
        due: list[tuple[float, Event]] = []
        later: list[Event] = []
        for event in queue:
            if event.timestamp > end:
                later.append(event)
                continue
            effect_time = max(event.timestamp, start)
            if effect_time > event.expiry:
                self._dropped(receiver, event)
                self.stats.dropped_expired += 1
            else:
                due.append((effect_time, event))
        queue.clear()
        queue.extend(later)
        self._earliest[receiver] = min((event.timestamp for event in later), default=math.inf)
        due.sort(key=lambda item: (item[0], item[1].id))
        self.stats.delivered += len(due)
        return due

    def snapshot(self) -> dict[str, list[dict]]:
        """Queued events per receiver as plain data (strict JSON: an expiry of inf is written null)."""
        return {receiver: [{**dataclasses.asdict(event), "expiry": None if math.isinf(event.expiry) else event.expiry}
                           for event in queue] for receiver, queue in self._queues.items()}

    def restore(self, queues: Mapping[str, list[dict]]) -> None:
        """Refill the queues from a :meth:`snapshot` (receivers must be registered; those it leaves out get
        an empty queue); the events are all built before any queue changes."""
        for receiver in queues:
            if receiver not in self._queues:
                raise EventError(f"snapshot queue {receiver!r}: no such receiver is registered")
        restored = {receiver: deque(Event(**{**event, "expiry": math.inf if event["expiry"] is None else event["expiry"]})
                                    for event in events) for receiver, events in queues.items()}
        for receiver in self._queues:
            self._queues[receiver] = restored.get(receiver, deque())
            self._earliest[receiver] = min((event.timestamp for event in self._queues[receiver]), default=math.inf)

    def deliver_all(self, start: float, end: float) -> list[tuple[str, list[tuple[float, Event]]]]:
        """:meth:`deliver` for every receiver with queued events; returns ``(receiver, due)`` pairs, in
        registration order, for those that got any."""
        delivered = []
        earliest = self._earliest
        for receiver, queue in self._queues.items():
            if queue and earliest[receiver] <= end and (due := self.deliver(receiver, start, end)):
                delivered.append((receiver, due))
        return delivered

    def pending(self, receiver: str) -> int:
        """How many events wait in ``receiver``'s queue."""
        return len(self._queues.get(receiver, ()))
