import dataclasses
import math

import pytest
from anisync import BROADCAST, Event, EventBus, EventError, InvalidArgumentError, Runtime


def _event(kind="greet", receiver="a", sender="world", t=0.0, expiry=math.inf, event_id=1):
    return Event(kind, receiver=receiver, sender=sender, id=event_id, timestamp=t, expiry=expiry)


def test_event_is_the_seed_six_tuple():
    event = _event(sender="b", t=1.5, expiry=3.0)
    assert event.as_tuple() == (1, "b", "a", "greet", 1.5, 3.0)
    assert not event.internal and Event("done", receiver="a", sender="a").internal


def test_expired_events_are_dropped_and_counted():
    bus = EventBus()
    bus.register("a")
    bus.send(_event(t=0.0, expiry=0.5, event_id=1))
    bus.send(_event(t=0.0, expiry=5.0, event_id=2))
    delivered = bus.deliver("a", start=1.0, end=1.1)
    assert [e.id for _, e in delivered] == [2]
    assert bus.stats.dropped_expired == 1 and bus.stats.delivered == 1


def test_overflow_drops_the_oldest_and_counts():
    bus = EventBus(capacity=3)
    bus.register("a")
    for i in range(5):
        bus.send(_event(event_id=i, t=0.1 * i))
    assert bus.stats.dropped_overflow == 2
    assert [e.id for _, e in bus.deliver("a", 0.0, 1.0)] == [2, 3, 4]


def test_group_and_broadcast_skip_the_sender():
    bus = EventBus()
    bus.register("a", ["guards"])
    bus.register("b", ["guards", "villagers"])
    bus.register("c", ["villagers"])
    assert bus.receivers("group:guards", sender="a") == ["b"]
    assert bus.receivers(BROADCAST, sender="c") == ["a", "b"]
    assert bus.send(_event(receiver="group:villagers", sender="player")) == 2
    assert bus.receivers("group:nobody") == []
    with pytest.raises(EventError, match="'ghost'"):
        bus.send(_event(receiver="ghost"))


def test_future_events_wait_and_take_effect_in_time_order():
    bus = EventBus()
    bus.register("a")
    bus.send(_event(t=0.8, event_id=1))
    bus.send(_event(t=0.2, event_id=2))
    bus.send(_event(t=2.0, event_id=3))
    due = bus.deliver("a", 0.0, 1.0)
    assert [(t, e.id) for t, e in due] == [(0.2, 2), (0.8, 1)]
    assert bus.pending("a") == 1


def test_bad_capacity():
    with pytest.raises(InvalidArgumentError, match="capacity"):
        EventBus(capacity=0)


def test_runtime_delivers_at_the_start_of_the_next_update(sample_definitions):
    runtime = Runtime()
    mira = runtime.spawn(dataclasses.replace(sample_definitions[1], tree=None))  # the reflex behavior's events
    seen = []
    mira.behavior.on_event = lambda character, event: seen.append((runtime.steps, event.content))
    runtime.emit(Event("greet", receiver="mira", sender="player"))
    assert seen == []
    runtime.update(0.1)
    assert ("greet" in [kind for _, kind in seen]) and seen[0][0] == 1
    # The reflex behavior's internal event from update 1 arrives in update 2, not in update 1.
    runtime.update(0.1)
    assert (2, "behavior_ended") in seen and (1, "behavior_ended") not in seen


def test_runtime_emit_stamps_and_rejects_bad_events(sample_definitions):
    runtime = Runtime()
    runtime.spawn(sample_definitions[0])
    runtime.update(0.5)
    stamped = runtime.emit(Event("greet", receiver="bram"), ttl=1.0)
    assert stamped.id is not None and stamped.timestamp == 0.5 and stamped.expiry == 1.5
    with pytest.raises(EventError, match="content"):
        runtime.emit(Event("", receiver="bram"))
    with pytest.raises(EventError, match="ttl"):
        runtime.emit(Event("greet", receiver="bram"), ttl=-1)
    with pytest.raises(EventError, match="timestamp"):
        runtime.emit(Event("greet", receiver="bram", timestamp=math.nan))
    with pytest.raises(EventError, match="receiver 'nobody'"):
        runtime.emit(Event("greet", receiver="nobody"))


def test_runtime_drops_expired_events_before_they_reach_a_character(sample_definitions):
    runtime = Runtime()
    bram = runtime.spawn(sample_definitions[0])
    runtime.update(0.4)
    before = bram.emotion.vector.copy()
    runtime.emit(Event("taunt", receiver="bram", timestamp=0.0, expiry=0.1))  # stale by the time it is due
    runtime.update(0.1)
    assert runtime.bus.stats.dropped_expired == 1
    assert not any(record.detail.startswith("taunt") for record in runtime.trace)
    assert bram.emotion.vector[0] <= before[0]  # no anger impulse arrived
