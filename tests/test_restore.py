"""Runtime.restore is all or nothing: a snapshot is checked whole before anything changes, a bad one is a
SnapshotError naming the path inside it, and snapshots are strict JSON."""

import copy
import json
import math

import pytest
from anisync import AnisyncError, Event, InvalidArgumentError, Runtime, SnapshotError
from anisync.headless import WorldScript, spawn_samples
from hypothesis import given, settings
from hypothesis import strategies as st


def world(seconds: float = 2.0) -> Runtime:
    """Three shipped characters (trees with BPFA leaves) in the scripted world, events still queued."""
    runtime = Runtime(seed=3)
    spawn_samples(runtime, 3)
    script = WorldScript(runtime, seed=3, events_per_second=4)
    for second in range(4):
        script.schedule_second(float(second))
    for _ in range(int(seconds * 20)):
        runtime.update(0.05)
    return runtime


@pytest.fixture(scope="module")
def saved() -> dict:
    return world().snapshot()


def test_snapshots_are_strict_json_and_restore_exactly_from_it():
    runtime = world()
    runtime.emit(Event("greet", receiver="mira", sender="player", timestamp=runtime.time + 1))  # never expires
    saved = runtime.snapshot()
    text = json.dumps(saved, allow_nan=False)  # no NaN or Infinity: the event's expiry is written null
    assert [event["expiry"] for event in saved["queues"]["mira"]][-1] is None
    original, restored = world(), world()
    restored.restore(json.loads(text))
    original.restore(saved)
    for runtime in (original, restored):
        for _ in range(60):
            runtime.update(0.05)
    assert list(original.trace)[-200:] == list(restored.trace)[-200:]


def paths(data, prefix=()):
    """Every (path, value) in a snapshot, containers included."""
    yield prefix, data
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        yield from paths(value, prefix + (key,))


def replaced(data, path, value):
    data = copy.deepcopy(data)
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


DELETE = object()
BAD_VALUES = [math.nan, math.inf, -1, -1e300, 10 ** 400, "1.5", "", None, True, [], {}, [0.5] * 3, {"x": 1}, DELETE]


@settings(max_examples=120, deadline=None)
@given(st.data())
def test_any_corruption_restores_whole_or_raises_snapshot_error_and_changes_nothing(saved, data):
    leaves = [path for path, _ in paths(saved) if path]
    path = data.draw(st.sampled_from(leaves))
    bad = replaced(saved, path, data.draw(st.sampled_from(BAD_VALUES)))
    runtime = world(1.0)
    before, trace = runtime.snapshot(), list(runtime.trace)
    try:
        runtime.restore(bad)
    except SnapshotError as error:
        assert runtime.snapshot() == before and list(runtime.trace) == trace
        assert str(error).startswith("snapshot ")
        return
    for _ in range(20):  # what was accepted keeps the world running
        runtime.update(0.05)
    assert json.dumps(runtime.snapshot(), allow_nan=False)


@pytest.mark.parametrize("path, value, named", [
    (("time",), math.nan, "time"),
    (("steps",), "12", "steps"),
    (("next_event_id",), 0, "next_event_id"),
    (("characters", "mira", "emotion", "vector", 2), math.inf, "characters.mira.emotion.vector[2]"),
    (("characters", "mira", "emotion", "aims"), [], "characters.mira.emotion.aims"),
    (("characters", "bram", "rng", "state", "state"), "x", "characters.bram.rng"),
    (("characters", "yuki", "behavior", "clock"), math.nan, "characters.yuki.behavior.clock"),
    (("characters", "yuki", "behavior", "nodes", 0, "status"), "DANCING", "characters.yuki.behavior.nodes[0].status"),
    (("characters", "yuki", "behavior", "nodes", 0), DELETE, "characters.yuki.behavior.nodes"),
    (("characters", "mira"), DELETE, "characters"),
])
def test_a_bad_value_is_named_by_its_path(saved, path, value, named):
    runtime = world(1.0)
    before = runtime.snapshot()
    with pytest.raises(SnapshotError) as caught:
        runtime.restore(replaced(saved, path, value))
    assert caught.value.path == named and runtime.snapshot() == before
    assert isinstance(caught.value, (AnisyncError, InvalidArgumentError))


def test_a_queued_event_of_the_wrong_type_is_refused(saved):
    receiver, queue = next((receiver, queue) for receiver, queue in saved["queues"].items() if queue)
    for key, value in [("timestamp", "soon"), ("id", -3), ("content", ""), ("payload", [1])]:
        with pytest.raises(SnapshotError, match=rf"queues.{receiver}\[0\].{key}"):
            world(0.5).restore(replaced(saved, ("queues", receiver, 0, key), value))


def test_a_tree_node_counter_and_a_bpfa_run_are_checked(saved):
    nodes = saved["characters"]["mira"]["behavior"]["nodes"]
    leaf = next(i for i, node in enumerate(nodes) if "running" in node)
    bad_run = replaced(saved, ("characters", "mira", "behavior", "nodes", leaf),
                       {**nodes[leaf], "running": True, "run": {"remaining": 1}})
    with pytest.raises(SnapshotError, match=rf"characters.mira.behavior.nodes\[{leaf}\].run"):
        world(0.5).restore(bad_run)
    composite = next(i for i, node in enumerate(nodes) if "current" in node)
    with pytest.raises(SnapshotError, match=rf"nodes\[{composite}\].current"):
        world(0.5).restore(replaced(saved, ("characters", "mira", "behavior", "nodes", composite, "current"), 999))


class Tally:
    """A custom behavior with no check of its own: it counts updates and refuses a tampered save late."""

    activity = "idle"

    def __init__(self):
        self.updates = 0

    def on_event(self, character, event):
        pass

    def update(self, character, dt):
        self.updates += 1

    def snapshot(self):
        return {"updates": self.updates}

    def restore(self, data):
        if data.get("tampered"):
            raise RuntimeError("not my kind of save")
        self.updates = data["updates"]


def test_a_part_that_refuses_late_has_the_runtime_put_back():
    runtime = Runtime(seed=1, behavior_factory=lambda character: Tally())
    spawn_samples(runtime, 2)
    for _ in range(10):
        runtime.update(0.1)
    saved = runtime.snapshot()
    last = list(saved["characters"])[-1]  # the first character is restored before this one refuses
    saved["characters"][last]["behavior"]["tampered"] = True
    for _ in range(10):
        runtime.update(0.1)
    before = runtime.snapshot()
    with pytest.raises(SnapshotError, match="nothing was restored") as caught:
        runtime.restore(saved)
    assert runtime.snapshot() == before and isinstance(caught.value.__cause__, RuntimeError)
