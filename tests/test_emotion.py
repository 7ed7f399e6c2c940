import dataclasses
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from anisync import EMOTIONS, DefinitionError, Event, EmotionState, InvalidArgumentError, Runtime
from anisync import EmotionBank
from anisync.emotion import EPSILON, MAX_AIM_RATE, MAX_TIME_CONSTANT, ORIENTATIONS, shown_orientations, shows_orientation

floats_any = st.floats(allow_nan=True, allow_infinity=True)
extreme = st.sampled_from([0.0, -0.0, 1e-300, 1e-12, 1.0, 1e12, 1e300, 1e308, -1e308, math.inf, -math.inf, math.nan])
rates_any = st.one_of(floats_any, extreme)
vector_any = st.lists(rates_any, min_size=7, max_size=7)
# One operation on a state: an impulse, a source's aim, or letting time pass by dt or up to a time.
operations = st.one_of(
    st.tuples(st.just("impulse"), vector_any),
    st.tuples(st.just("aim"), st.one_of(vector_any, st.dictionaries(st.sampled_from(EMOTIONS), rates_any)),
              st.sampled_from(["behavior", "object:campfire"])),
    st.tuples(st.just("remove aim"), st.sampled_from(["behavior", "object:campfire"])),
    st.tuples(st.just("advance"), st.one_of(st.floats(min_value=0, max_value=1e6), rates_any)),
    st.tuples(st.just("advance_to"), st.one_of(st.floats(min_value=0, max_value=1e6), rates_any)),
)


def _assert_inside(state):
    for vector in (state.vector, state.mood):
        assert np.all(np.isfinite(vector))
        assert np.all(vector > 0) and np.all(vector < 1)


@settings(max_examples=300, deadline=None)
# The case that used to fail: the clock at 1e308, then advance_to(1e308), which is a finite time.
@example(steps=[("advance_to", 1e308), ("advance_to", 1e308)], half_life=1.0, mood_tc=1.0, baseline={}, sensitivity={})
@given(
    steps=st.lists(operations, max_size=30),
    half_life=st.one_of(st.floats(min_value=1e-3, max_value=1e4), rates_any),
    mood_tc=st.one_of(st.floats(min_value=1e-3, max_value=1e5), rates_any),
    baseline=st.dictionaries(st.sampled_from(EMOTIONS), rates_any, max_size=3),
    sensitivity=st.dictionaries(st.sampled_from(EMOTIONS), rates_any, max_size=3),
)
def test_components_stay_inside_open_unit_interval(steps, half_life, mood_tc, baseline, sensitivity):
    """Whatever the input, a state is either refused with a named error or stays finite inside (0,1)."""
    try:
        state = EmotionState(baseline, sensitivity, half_life=half_life, mood_time_constant=mood_tc)
    except DefinitionError as error:  # a non-finite or out-of-range parameter, named
        assert error.key in ("half_life", "mood_time_constant") or error.key.split(".")[0] in ("baseline", "sensitivity")
        assert not all(math.isfinite(v) for v in [half_life, mood_tc, *baseline.values(), *sensitivity.values()]) \
            or not (0 < half_life <= MAX_TIME_CONSTANT and 0 < mood_tc <= MAX_TIME_CONSTANT) \
            or not math.isfinite(math.log(2) / half_life) or not math.isfinite(1 / mood_tc)
        return
    _assert_inside(state)
    for operation, *arguments in steps:
        if operation == "impulse":
            state.apply_impulse(np.array(arguments[0]))
        elif operation == "aim":
            rates, source = arguments
            state.set_aim(np.array(rates) if isinstance(rates, list) else rates, source)
            assert np.all(np.abs(state.aim) <= MAX_AIM_RATE)
        elif operation == "remove aim":
            state.set_aim(None, arguments[0])
        else:
            value = arguments[0]
            before = state.time
            target = before + value if operation == "advance" else value
            # advance(dt) refuses a dt that takes the clock past the largest float; advance_to(time) only a
            # non-finite time (it may go back: the clock then stays where it is).
            allowed = math.isfinite(value) and (operation == "advance_to" or math.isfinite(before + max(value, 0.0)))
            if allowed:
                getattr(state, operation)(value)
                assert state.time == max(before, target)
            else:
                with pytest.raises(InvalidArgumentError, match="dt" if operation == "advance" else "time"):
                    getattr(state, operation)(value)
                assert state.time == before  # a refused call changes nothing
        _assert_inside(state)
        assert math.isfinite(state.time)


def test_non_finite_input_is_refused_by_name():
    with pytest.raises(DefinitionError, match="baseline.joy"):
        EmotionState(baseline={"joy": math.nan})
    with pytest.raises(DefinitionError, match="sensitivity.fear"):
        EmotionState(sensitivity={"fear": math.inf})
    with pytest.raises(DefinitionError, match="half_life"):
        EmotionState(half_life=1e-320)  # its decay rate would overflow
    with pytest.raises(DefinitionError, match="mood_time_constant"):
        EmotionState(mood_time_constant=10 * MAX_TIME_CONSTANT)
    with pytest.raises(InvalidArgumentError, match="time"):
        EmotionState().advance_to(math.nan)
    with pytest.raises(InvalidArgumentError, match="dt"):
        EmotionState().advance(math.inf)
    with pytest.raises(InvalidArgumentError, match="end_time"):
        EmotionBank().advance_to(math.nan)
    with pytest.raises(InvalidArgumentError, match="vector"):
        EmotionState().vector = [math.nan] * 7
    state = EmotionState()
    state.restore({**state.snapshot(), "mood": [2.0] * 7})  # out of range: clipped into (0,1)
    assert np.all(state.mood < 1)


def test_a_definition_with_a_non_finite_baseline_is_refused_naming_its_file(sample_definitions):
    definition = sample_definitions[0]
    broken = dataclasses.replace(definition, personality={"baseline": {"joy": math.nan}, "sensitivity": {}})
    with pytest.raises(DefinitionError, match="baseline.joy") as caught:
        Runtime().spawn(broken)
    assert caught.value.source == definition.source


def test_huge_aims_are_clipped_not_overflowed():
    state = EmotionState(half_life=MAX_TIME_CONSTANT, mood_time_constant=1e-3)
    state.set_aim({"joy": 1e308, "anger": -1e308})
    state.set_aim({"joy": 1e308}, "object:campfire")
    assert state.aim[EMOTIONS.index("joy")] == MAX_AIM_RATE and state.aim[EMOTIONS.index("anger")] == -MAX_AIM_RATE
    state.advance(1.0)
    assert state.vector[EMOTIONS.index("joy")] == pytest.approx(1 - EPSILON)
    assert state.vector[EMOTIONS.index("anger")] == pytest.approx(EPSILON)
    _assert_inside(state)


def test_decay_halves_distance_to_baseline_each_half_life():
    state = EmotionState(half_life=2.0)
    state.apply_impulse({"joy": 0.8})
    joy = EMOTIONS.index("joy")
    start = state.vector[joy] - state.baseline[joy]
    state.advance(2.0)
    assert state.vector[joy] - state.baseline[joy] == pytest.approx(start / 2, rel=1e-9)


def test_advance_is_exact_whatever_the_slicing():
    one, many = EmotionState(half_life=1.5, mood_time_constant=10), EmotionState(half_life=1.5, mood_time_constant=10)
    for state in (one, many):
        state.apply_impulse({"anger": 0.9, "neutral": -0.5})
    one.advance(3.0)
    for _ in range(300):
        many.advance(0.01)
    np.testing.assert_allclose(one.vector, many.vector, atol=1e-12)
    np.testing.assert_allclose(one.mood, many.mood, atol=1e-12)


def test_mood_follows_emotion_slowly():
    state = EmotionState(half_life=100.0, mood_time_constant=60.0)
    state.apply_impulse({"sadness": 0.9})
    sadness = EMOTIONS.index("sadness")
    state.advance(1.0)
    assert state.baseline[sadness] < state.mood[sadness] < state.baseline[sadness] + 0.05
    # Against a fine Euler integration of de/dt = -lambda (e - b), dm/dt = (e - m) / tau.
    e, m, b = state.vector[sadness], state.mood[sadness], state.baseline[sadness]
    dt, rate = 1e-3, np.log(2) / 100.0
    for _ in range(120_000):
        e, m = e - rate * (e - b) * dt, m + (e - m) / 60.0 * dt
    state.advance(120.0)
    assert state.mood[sadness] == pytest.approx(m, abs=1e-4) and state.vector[sadness] == pytest.approx(e, abs=1e-4)


def _run_at_rate(rate: int, definition) -> np.ndarray:
    # The emotion layer alone: a behavior tree's aims and trigger checks act once per update, so with a
    # tree the result depends on the rate by up to an update's worth (see test_behavior_tree.py).
    runtime = Runtime(seed=3)
    runtime.spawn(dataclasses.replace(definition, tree=None))
    schedule = [(0.37, "greet"), (1.11, "taunt"), (2.5, "gift"), (2.51, "greet"), (4.0, "taunt")]
    dt = 1.0 / rate
    for step in range(6 * rate):
        end = (step + 1) * dt
        while schedule and schedule[0][0] <= end:
            at, kind = schedule.pop(0)
            runtime.emit(Event(kind, receiver=definition.id, sender="player", timestamp=at))
        runtime.update(dt)
    character = runtime.characters[definition.id]
    return np.concatenate([character.emotion.vector, character.emotion.mood])


def test_same_emotion_at_30_and_144_updates_per_second(sample_definitions):
    for definition in sample_definitions:
        at_30 = _run_at_rate(30, definition)
        at_144 = _run_at_rate(144, definition)
        assert np.max(np.abs(at_30 - at_144)) < 1e-3
        assert not np.allclose(at_30[:7], definition.new_emotion_state().vector)  # the events did something


def test_dominant_and_pad():
    state = EmotionState()
    assert state.dominant()[0] == "neutral"
    state.apply_impulse({"fear": 0.95, "neutral": -0.9})
    label, intensity = state.dominant()
    assert label == "fear" and intensity == pytest.approx(state.vector[EMOTIONS.index("fear")])
    pleasure, arousal, dominance = state.pad()
    assert pleasure < 0 and arousal > 0 and dominance < 0


def test_subscription_threshold_and_unsubscribe():
    state = EmotionState()
    changes = []
    unsubscribe = state.on_emotion_changed(changes.append, threshold=0.2)
    state.apply_impulse({"joy": 0.1})
    state.notify()
    assert changes == []
    state.apply_impulse({"joy": 0.5})
    state.notify()
    assert len(changes) == 1 and changes[0].current[EMOTIONS.index("joy")] > 0.5
    unsubscribe()
    state.apply_impulse({"anger": 0.9})
    state.notify()
    assert len(changes) == 1


def test_bad_arguments_are_named():
    with pytest.raises(InvalidArgumentError, match="threshold"):
        EmotionState().on_emotion_changed(print, threshold=float("nan"))
    with pytest.raises(Exception, match="half_life"):
        EmotionState(half_life=0)
    with pytest.raises(Exception, match="mood_time_constant"):
        EmotionState(mood_time_constant=math.inf)
    assert EPSILON > 0


def test_aim_pushes_toward_a_shifted_baseline_exactly():
    state = EmotionState(half_life=4.0, mood_time_constant=30.0)
    state.apply_impulse({"sadness": 0.8})
    state.set_aim({"sadness": -0.05})
    sadness = EMOTIONS.index("sadness")
    e, m, b = state.vector[sadness], state.mood[sadness], state.baseline[sadness]
    rate, dt = np.log(2) / 4.0, 1e-3
    for _ in range(3000):  # Euler on de/dt = -lambda (e - b) + r, dm/dt = (e - m) / tau
        e, m = e + (-rate * (e - b) - 0.05) * dt, m + (e - m) / 30.0 * dt
    state.advance(3.0)
    assert state.vector[sadness] == pytest.approx(e, abs=1e-4) and state.mood[sadness] == pytest.approx(m, abs=1e-4)
    state.set_aim(None)
    assert not state.aim.any()


def test_bank_batch_equals_row_by_row():
    bank_a, bank_b = EmotionBank(), EmotionBank()
    rng = np.random.default_rng(0)
    for bank in (bank_a, bank_b):
        for i in range(5):
            bank.add(np.full(7, 0.1 + 0.1 * i), np.ones(7), half_life=1.0 + i, mood_time_constant=10.0 + i, time=0.0)
    impulses = rng.uniform(-1, 1, size=(5, 7))
    times = rng.uniform(0, 2, size=5)
    bank_a.advance_to(times, np.arange(5))
    bank_a.apply_impulses(np.arange(5), impulses)
    for row in range(5):
        bank_b.advance_to(times[row], slice(row, row + 1))
        bank_b.apply_impulses(slice(row, row + 1), impulses[row:row + 1])
    bank_a.advance_to(3.0)
    bank_b.advance_to(3.0)
    np.testing.assert_allclose(bank_a.vector[:5], bank_b.vector[:5], atol=1e-12)
    np.testing.assert_allclose(bank_a.mood[:5], bank_b.mood[:5], atol=1e-12)


def test_despawned_rows_are_recycled(sample_definitions):
    runtime = Runtime()
    for _ in range(20):
        runtime.spawn(sample_definitions[0])
    runtime.despawn("bram_7")
    newcomer = runtime.spawn(sample_definitions[2])
    assert runtime.emotions.size == 20 and newcomer.emotion.dominant()[0] == "neutral"
    np.testing.assert_allclose(newcomer.emotion.baseline, sample_definitions[2].new_emotion_state().baseline)
    runtime.emit(Event("thunder", receiver="*"))
    runtime.update(0.1)
    assert newcomer.dominant()[0] == "fear" and runtime.characters["bram"].dominant()[0] != "fear"


def test_shown_orientations_one_by_one_and_vectorised_agree():
    rng = np.random.default_rng(5)
    emotions = rng.random((7, 400))
    emotions[EMOTIONS.index("surprise"), :150] += 0.6  # a surprised face shows neutral and its second emotion's side
    for orientation in ORIENTATIONS:
        many = shows_orientation(emotions, orientation)
        for j in range(emotions.shape[1]):
            first, second = np.argsort(-emotions[:, j], kind="stable")[:2]
            expected = orientation in shown_orientations(EMOTIONS[first], EMOTIONS[second])
            assert many[j] == expected and bool(shows_orientation(emotions[:, j], orientation)) == expected
    assert shown_orientations("surprise", "fear") == {"neutral", "negative"}
    assert shown_orientations("joy") == {"positive"}
