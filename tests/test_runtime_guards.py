"""What game code can get wrong at run time is refused or contained: raising subscribers, malformed events,
stalls and absurd time steps, and traces of large events."""

import logging
import math

import numpy as np
import pytest
from anisync import CallbackError, EmotionState, Event, EventError, InvalidArgumentError, Runtime
from anisync.events import MAX_NAME_LENGTH, MAX_TIME
from anisync.headless import spawn_samples
from hypothesis import given, settings
from hypothesis import strategies as st


# --- subscribers ----------------------------------------------------------------------------------------------
def frightened_village(**options):
    runtime = Runtime(seed=0, **options)
    spawn_samples(runtime, 3)
    seen = []

    def fragile(character, change):
        if character.id == "bram":
            raise ValueError("a bug in game code")
        seen.append(character.id)

    runtime.on_emotion_changed(fragile, threshold=0.01)
    runtime.emit(Event("thunder", receiver="*"))
    return runtime, seen


def test_a_raising_subscriber_is_logged_and_counted_and_everyone_else_updates(caplog):
    runtime, seen = frightened_village()
    with caplog.at_level(logging.ERROR, logger="anisync.runtime"):
        runtime.update(0.1)
    assert runtime.callback_errors == 1 and sorted(seen) == ["mira", "yuki"]
    assert "ValueError: a bug in game code" in caplog.text
    for character in runtime:  # the update completed: expressions were copied for every character
        assert np.array_equal(character.expression, character.emotion.vector)
    assert runtime.time == pytest.approx(0.1)


def test_raise_callback_errors_raises_after_the_update_completes():
    runtime, seen = frightened_village(raise_callback_errors=True)
    with pytest.raises(CallbackError) as caught:
        runtime.update(0.1)
    assert isinstance(caught.value.__cause__, ValueError) and sorted(seen) == ["mira", "yuki"]
    assert runtime.time == pytest.approx(0.1) and runtime.callback_errors == 1


def test_a_state_of_its_own_calls_every_subscriber_then_raises_the_first():
    state, calls = EmotionState(), []

    def boom(change):
        calls.append("boom")
        raise KeyError("first")

    state.on_emotion_changed(boom, 0.01)
    state.on_emotion_changed(lambda change: calls.append("ok"), 0.01)
    state.apply_impulse({"joy": 0.9})
    with pytest.raises(KeyError, match="first"):
        state.notify()
    assert calls == ["boom", "ok"]


def test_only_the_first_errors_are_logged_in_full(caplog):
    runtime, _ = frightened_village()
    runtime.on_emotion_changed(lambda character, change: 1 / 0, threshold=0.0)
    with caplog.at_level(logging.ERROR, logger="anisync.runtime"):
        for _ in range(30):
            runtime.update(0.1)
    assert runtime.callback_errors > 20 and caplog.text.count("ZeroDivisionError") <= 10


# --- events ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fields, named", [
    ({"content": 7}, "content"), ({"content": ""}, "content"), ({"content": "x" * (MAX_NAME_LENGTH + 1)}, "content"),
    ({"receiver": None}, "receiver"), ({"sender": b"player"}, "sender"),
    ({"id": "7"}, "id"), ({"id": 1.5}, "id"), ({"id": True}, "id"), ({"id": -1}, "id"),
    ({"timestamp": "now"}, "timestamp"), ({"timestamp": math.nan}, "timestamp"), ({"timestamp": 10 ** 400}, "timestamp"),
    ({"timestamp": MAX_TIME * 2}, "timestamp"), ({"expiry": math.nan}, "expiry"), ({"expiry": "never"}, "expiry"), ({"expiry": 10 ** 400}, "expiry"),
    ({"payload": [1, 2]}, "payload"),
])
def test_an_event_field_of_the_wrong_type_is_refused_by_name(fields, named):
    with pytest.raises(EventError, match=f"event {named}"):
        Event(**{"content": "greet", "receiver": "mira", **fields})


def test_a_refused_emit_changes_nothing():
    runtime = Runtime()
    spawn_samples(runtime, 1)
    with pytest.raises(EventError, match="receiver 'nobody'"):
        runtime.emit(Event("greet", receiver="nobody"))
    for ttl in ("long", -1, math.nan, 10 ** 400):
        with pytest.raises(EventError, match="ttl"):
            runtime.emit(Event("greet", receiver="*"), ttl=ttl)
    assert runtime.bus.stats.sent == 0 and runtime.emit(Event("greet", receiver="*")).id == 1


@settings(max_examples=200, deadline=None)
@given(st.fixed_dictionaries({}, optional={
    "content": st.one_of(st.text(max_size=300), st.integers(), st.none()),
    "receiver": st.sampled_from(["bram", "mira", "*", "group:villagers", "group:none", "ghost", 3, None]),
    "sender": st.one_of(st.text(max_size=3), st.floats()),
    "id": st.one_of(st.integers(-3, 10 ** 30), st.floats(), st.text(max_size=2)),
    "timestamp": st.one_of(st.floats(), st.integers(), st.none(), st.text(max_size=2)),
    "expiry": st.one_of(st.floats(), st.integers()),
    "payload": st.one_of(st.dictionaries(st.text(max_size=3), st.integers()), st.lists(st.integers())),
}), st.one_of(st.none(), st.floats(), st.integers(-5, 5), st.just(10 ** 400)))
def test_emit_either_queues_an_event_the_next_update_can_take_or_refuses_it(sample_definitions, fields, ttl):
    runtime = Runtime()
    for definition in sample_definitions[:2]:
        runtime.spawn(definition)
    try:
        runtime.emit(Event(**{"content": "greet", "receiver": "mira", **fields}), ttl=ttl)
    except EventError:
        assert runtime.bus.stats.sent == 0 and runtime._next_event_id == 1
    runtime.update(0.1)  # whatever was accepted, the update works for everyone
    runtime.update(0.1)


# --- time -----------------------------------------------------------------------------------------------------
def test_a_stall_is_clamped_to_max_dt_counted_and_logged(caplog):
    runtime = Runtime()
    spawn_samples(runtime, 1)
    with caplog.at_level(logging.WARNING, logger="anisync.runtime"):
        runtime.update(1e300)
    assert runtime.time == 1.0 and runtime.clamped_updates == 1 and "clamped to max_dt=1 s" in caplog.text
    runtime.update(0.5)
    assert runtime.time == 1.5 and runtime.clamped_updates == 1


@pytest.mark.parametrize("dt", [10 ** 400, 1e300, MAX_TIME + 1], ids=["10**400", "1e300", "past MAX_TIME"])
def test_without_max_dt_a_step_past_the_end_of_time_is_refused(dt):
    runtime = Runtime(max_dt=None)
    spawn_samples(runtime, 1)
    runtime.update(100.0)
    with pytest.raises(InvalidArgumentError, match="dt"):
        runtime.update(dt)
    assert runtime.time == 100.0


@pytest.mark.parametrize("options, name", [({"max_dt": 0}, "max_dt"), ({"max_dt": math.inf}, "max_dt"),
                                           ({"trace_bytes": 0}, "trace_bytes"), ({"trace_limit": -1}, "trace_limit")])
def test_bad_limits_are_refused_by_name(options, name):
    with pytest.raises(InvalidArgumentError, match=name):
        Runtime(**options)


def test_the_trace_is_bounded_in_bytes():
    runtime = Runtime(trace_bytes=50_000)
    spawn_samples(runtime, 3)
    for _ in range(400):
        runtime.emit(Event("k" * MAX_NAME_LENGTH, receiver="*", sender="s" * MAX_NAME_LENGTH))
        runtime.update(0.05)
    sizes = [record.size for record in runtime.trace]
    assert sum(sizes) <= 50_000 and len(sizes) > 50 and sizes[0] > MAX_NAME_LENGTH * 2
    assert runtime.trace[-1].time == pytest.approx(runtime.time)  # the newest are kept
