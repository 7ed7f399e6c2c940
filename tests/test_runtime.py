import numpy as np
import pytest

from anisync import EMOTIONS, Event, InvalidArgumentError, Runtime
from anisync.headless import WorldScript, spawn_samples

from helpers import scripted_world


def _scripted_run(seed: int) -> tuple[list, Runtime]:
    runtime = scripted_world(seed=seed, seconds=8, characters=6, events_per_second=3)
    return list(runtime.trace), runtime


def test_same_seed_same_trace_other_seed_other_trace():
    first, runtime_a = _scripted_run(seed=11)
    second, runtime_b = _scripted_run(seed=11)
    third, _ = _scripted_run(seed=12)
    assert first == second
    assert any(record.what == "event" for record in first) and any(record.what == "activity" for record in first)
    for a, b in zip(runtime_a, runtime_b):
        assert np.array_equal(a.emotion.vector, b.emotion.vector)
    assert first != third


def test_spawn_ids_groups_and_despawn(sample_definitions):
    runtime = Runtime()
    bram, bram_2 = runtime.spawn(sample_definitions[0]), runtime.spawn(sample_definitions[0])
    assert (bram.id, bram_2.id) == ("bram", "bram_2")
    with pytest.raises(InvalidArgumentError, match="already spawned"):
        runtime.spawn(sample_definitions[0], character_id="bram")
    assert runtime.emit(Event("taunt", receiver="group:guards", sender="player")).id == 1
    assert runtime.bus.pending("bram") == runtime.bus.pending("bram_2") == 1
    runtime.despawn("bram")
    assert list(runtime.characters) == ["bram_2"] and runtime.bus.receivers("group:guards") == ["bram_2"]
    with pytest.raises(InvalidArgumentError, match="no spawned character 'bram'"):
        runtime.despawn("bram")


def test_spawned_characters_have_independent_seeded_rngs(sample_definitions):
    a, b = Runtime(seed=5), Runtime(seed=5)
    a.spawn(sample_definitions[1])
    a.spawn(sample_definitions[0])
    b.spawn(sample_definitions[0])  # other spawn order: each stream depends only on seed and id
    assert a.characters["bram"].rng.random() == b.characters["bram"].rng.random()
    assert a.characters["bram"].rng.random() != a.characters["mira"].rng.random()


def test_fixed_step_carries_remainder_and_caps_backlog(sample_definitions):
    runtime = Runtime(fixed_step=0.1, max_substeps=3)
    runtime.spawn(sample_definitions[0])
    runtime.update(0.25)
    assert runtime.steps == 2 and runtime.time == pytest.approx(0.2)
    runtime.update(0.05)
    assert runtime.steps == 3
    runtime.update(10.0)  # a stall: only 3 steps run, the rest is dropped
    assert runtime.steps == 6 and runtime.dropped_steps > 90


@pytest.mark.parametrize("dt", [-0.1, float("nan"), float("inf"), "0.1"])
def test_bad_dt(dt):
    with pytest.raises(InvalidArgumentError, match="dt"):
        Runtime().update(dt)


@pytest.mark.parametrize("kwargs, name", [({"fixed_step": 0}, "fixed_step"), ({"max_substeps": 0}, "max_substeps")])
def test_bad_runtime_arguments(kwargs, name):
    with pytest.raises(InvalidArgumentError, match=name):
        Runtime(**kwargs)


def test_appraisal_moves_the_emotion_the_definition_says(sample_definitions):
    runtime = Runtime(max_dt=None)  # the minute-long update below fast-forwards
    bram = runtime.spawn(sample_definitions[0])
    runtime.emit(Event("taunt", receiver="bram", sender="player"))
    runtime.update(0.01)
    assert bram.dominant()[0] == "anger"
    assert np.array_equal(bram.expression, bram.emotion.vector)
    runtime.update(60.0)
    assert bram.dominant()[0] == "neutral"


def test_runtime_subscription_covers_later_spawns(sample_definitions):
    runtime = Runtime()
    changes = []
    runtime.on_emotion_changed(lambda character, change: changes.append((character.id, change.dominant[0])), 0.1)
    runtime.spawn(sample_definitions[2])
    runtime.emit(Event("thunder", receiver="*"))
    runtime.update(0.1)
    assert changes == [("yuki", "fear")]


def test_snapshot_restore_continues_exactly(sample_definitions):
    def run(runtime, seconds):
        start = len(runtime.trace)
        for _ in range(seconds * 20):
            runtime.update(0.05)
        return list(runtime.trace)[start:]

    runtime = Runtime(seed=2)
    spawn_samples(runtime, 3)
    script = WorldScript(runtime, seed=2, events_per_second=3)
    for second in range(3):
        script.schedule_second(float(second))
    run(runtime, 2)  # leaves a scheduled event queued across the snapshot
    saved = runtime.snapshot()
    assert any(saved["queues"].values())
    first = run(runtime, 4)
    state_after = [c.emotion.vector.copy() for c in runtime]
    runtime.restore(saved)
    second = run(runtime, 4)
    assert first == second and any(record.what == "event" for record in first)
    for character, vector in zip(runtime, state_after):
        assert np.array_equal(character.emotion.vector, vector)
    assert len(saved["characters"]["mira"]["emotion"]["vector"]) == len(EMOTIONS)
    runtime.despawn("mira")
    with pytest.raises(InvalidArgumentError, match="snapshot"):
        runtime.restore(saved)
