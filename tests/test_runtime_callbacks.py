"""What the SDK tells game code without Panda3D: behaviors started and ended, every event's fate (delivered,
unappraised, dropped), event kinds nobody appraises, and misspelled ids answered with the nearest ones."""

import logging

import pytest
from anisync import Event, EventError, InvalidArgumentError, Runtime
from anisync.headless import spawn_samples


def village(**options) -> Runtime:
    runtime = Runtime(seed=1, **options)
    spawn_samples(runtime, 3)  # bram, mira, yuki
    return runtime


def test_behavior_callbacks_follow_every_change_of_activity_and_stop_when_unsubscribed():
    runtime = village()
    started, ended = [], []
    stop_started = runtime.on_behavior_started(lambda c, activity, previous: started.append((c.id, previous, activity)))
    runtime.on_behavior_ended(lambda c, activity, following: ended.append((c.id, activity, following)))
    runtime.emit(Event("thunder", receiver="*"))
    for _ in range(100):
        runtime.update(0.1)
    changes = [(r.character, r.detail) for r in runtime.trace if r.what == "activity"]
    assert len(changes) >= 3 and [(who, now) for who, _, now in started] == changes
    assert started == ended  # each change ends one activity and starts the next, in the same call order
    stop_started()
    stop_started()  # a second call does nothing
    before = len(started)
    runtime.emit(Event("thunder", receiver="*"))
    for _ in range(100):
        runtime.update(0.1)
    assert len(started) == before and len(ended) > before


def test_on_event_reports_delivered_unappraised_and_dropped(caplog):
    runtime = village(queue_capacity=1)
    seen = []
    runtime.on_event(lambda c, event, status: event.internal or seen.append((c.id, event.content, status)))
    runtime.emit(Event("taunt", receiver="bram", sender="player"))
    with caplog.at_level(logging.WARNING, logger="anisync.runtime"):
        runtime.emit(Event("gfit", receiver="mira", sender="player"))
        runtime.emit(Event("gfit", receiver="mira", sender="player"))  # pushes the first out of the full queue
    runtime.update(0.1)
    assert seen == [("mira", "gfit", "dropped"), ("bram", "taunt", "delivered"), ("mira", "gfit", "unappraised")]
    assert runtime.unappraised_kinds == {"gfit": 2}
    assert caplog.text.count("'gfit'") == 1 and "did you mean 'gift'?" in caplog.text  # logged once per kind
    seen.clear()
    runtime.emit(Event("greet", receiver="yuki", timestamp=0.0), ttl=0.05)  # stamped in the past: expired
    runtime.update(0.1)
    assert seen == [("yuki", "greet", "dropped")] and runtime.bus.stats.dropped_expired == 1


def test_a_raising_event_callback_is_counted_and_the_update_completes():
    runtime = village()
    runtime.on_event(lambda c, event, status: 1 / 0)
    runtime.emit(Event("thunder", receiver="*"))
    runtime.update(0.1)
    assert runtime.callback_errors == 3 and runtime.time == pytest.approx(0.1)
    with pytest.raises(InvalidArgumentError, match="callback: expected a callable"):
        runtime.on_event("print")


def test_misspelled_ids_get_the_nearest_suggested():
    runtime = village()
    with pytest.raises(EventError, match=r"'Mira'.*did you mean 'mira'\? \(known: bram, mira, yuki\)"):
        runtime.emit(Event("greet", receiver="Mira"))
    with pytest.raises(InvalidArgumentError, match=r"did you mean 'yuki'\?"):
        runtime.despawn("yki")
    with pytest.raises(InvalidArgumentError, match=r"'zed'; \(known: bram, mira, yuki\)"):
        runtime.say("zed", "Hello.")
