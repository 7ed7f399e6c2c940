import json
import re

import pytest
from anisync import EMOTIONS, DefinitionError, Event, InvalidArgumentError, Runtime, asset_path
from anisync.behavior.library import BehaviorLibrary, SingleAction, shipped_library
from anisync.behavior.smart import SmartObject, SmartObjectDefinition
from anisync.cli import main

FEAR, SURPRISE = EMOTIONS.index("fear"), EMOTIONS.index("surprise")


def test_shipped_library_holds_both_parts():
    library = shipped_library()
    cry = library.autonomous["cry"]
    assert cry.orientation == "negative" and cry.aim[EMOTIONS.index("sadness")] < 0
    assert cry.runner == SingleAction("cry", (3.0, 6.0)) and "mood.sadness" in cry.trigger.names
    assert {"warm_glow", "startle"} <= set(library.interactive)
    assert library.blackboard["near_campfire"] is False


def _library(**autonomous):
    return {"blackboard": {"lit": True}, "autonomous": autonomous}


GOOD = {"trigger": "joy > 0.5", "orientation": "positive", "run": {"action": "wave"}}


@pytest.mark.parametrize("data, key, expected", [
    (_library(wave={**GOOD, "trigger": "joy >> 1"}), "autonomous.wave.trigger", "at column 6"),
    (_library(wave={**GOOD, "trigger": "bb.dark"}), "autonomous.wave.trigger", "declared blackboard key (declared: lit)"),
    (_library(wave={**GOOD, "orientation": "happy"}), "autonomous.wave.orientation", "one of positive, negative, neutral"),
    (_library(wave={**GOOD, "aim": {"glee": 0.1}}), "autonomous.wave.aim.glee", "a key that is one of anger"),
    (_library(wave={**GOOD, "run": {}}), "autonomous.wave.run", "exactly one of action"),
    (_library(wave={**GOOD, "run": {"action": "wave", "bpfa": "greet"}}), "autonomous.wave.run", "exactly one of action"),
    (_library(wave={**GOOD, "run": {"action": "wave", "duration": [5, 3]}}), "autonomous.wave.run.duration", "min <= max"),
    (_library(wave={**GOOD, "run": {"action": "wave", "duration": -1}}), "autonomous.wave.run.duration", "a number in [0"),
    (_library(wave={**GOOD, "sufferer": "everyone"}), "autonomous.wave.sufferer", "one of self, target, group"),
    ({"interactive": {"glow": {"condition": "fear > 0.1", "effect": {}}}}, "interactive.glow.condition", "bb.<key> values only"),
    ({"blackboard": {"Dark": True}}, "blackboard.Dark", "a key that is a string matching"),
])
def test_bad_libraries_name_file_key_and_expectation(data, key, expected):
    with pytest.raises(DefinitionError) as caught:
        BehaviorLibrary.from_dict(data, "library.yaml")
    assert caught.value.source == "library.yaml" and caught.value.key == key and expected in caught.value.expected


def test_blackboard_keeps_declared_keys_and_types():
    blackboard = shipped_library().new_blackboard()
    blackboard.set("near_campfire", True)
    assert blackboard["near_campfire"] is True
    with pytest.raises(InvalidArgumentError, match="near_campfir'"):
        blackboard.set("near_campfir", True)
    with pytest.raises(InvalidArgumentError, match="true or false"):
        blackboard.set("near_campfire", 1)


# --- smart objects ------------------------------------------------------------------------------------
def _frightened_pair():
    runtime = Runtime(seed=0)
    near = runtime.spawn(asset_path("characters", "yuki.yaml"))
    far = runtime.spawn(asset_path("characters", "yuki.yaml"))
    runtime.emit(Event("thunder", receiver="*"))
    runtime.update(0.05)
    return runtime, near, far


def test_a_lit_campfire_calms_the_characters_by_it_and_an_unlit_one_does_not():
    campfire = SmartObject(SmartObjectDefinition.load(asset_path("objects", "campfire.yaml")))
    runtime, near, far = _frightened_pair()
    for _ in range(20):
        assert campfire.update([near]) == ("warm_glow",)
        runtime.update(0.05)
    assert near.emotion.vector[FEAR] < far.emotion.vector[FEAR] - 0.1
    campfire.blackboard.set("lit", False)
    assert campfire.update([near]) == () and campfire.acting == ()
    assert "object:campfire" not in near.emotion.aims  # an unlit campfire no longer pushes
    campfire.blackboard.set("lit", True)
    campfire.update([far])
    assert "object:campfire" in far.emotion.aims and "object:campfire" not in near.emotion.aims


def test_a_ringing_bell_startles_everyone_within_earshot():
    bell = SmartObject(SmartObjectDefinition.load(asset_path("objects", "bell.yaml")))
    runtime = Runtime(seed=0)
    mira = runtime.spawn(asset_path("characters", "mira.yaml"))
    assert bell.update([mira]) == () and mira.dominant()[0] != "surprise"
    bell.blackboard.set("ringing", True)
    saved = bell.snapshot()
    for _ in range(5):
        bell.update([mira])
        runtime.update(0.1)
    assert mira.dominant()[0] == "surprise" and mira.activity == "jump"
    bell.blackboard.set("ringing", False)
    bell.restore(saved)
    assert bell.blackboard["ringing"] is True and bell.acting == ()


def test_a_restored_campfire_releases_a_character_that_walks_away():
    definition = SmartObjectDefinition.load(asset_path("objects", "campfire.yaml"))

    def walk_away(runtime, campfire, near, far):
        # near leaves the fire; far stays by it
        start = len(runtime.trace)
        for _ in range(40):
            campfire.update([far])
            runtime.update(0.05)
        return list(runtime.trace)[start:], [c.emotion.vector.tolist() for c in runtime], near.emotion.aims

    runtime, near, far = _frightened_pair()
    campfire = SmartObject(definition)
    for _ in range(10):
        campfire.update([near, far])
        runtime.update(0.05)
    saved_world = json.loads(json.dumps(runtime.snapshot()))
    saved_fire = json.loads(json.dumps(campfire.snapshot()))
    assert saved_fire["reached"] == [near.id, far.id]
    uninterrupted = walk_away(runtime, campfire, near, far)
    assert "object:campfire" not in uninterrupted[2]

    fresh_runtime, fresh_near, fresh_far = _frightened_pair()
    fresh_runtime.restore(saved_world)
    fresh_campfire = SmartObject(definition)
    with pytest.raises(InvalidArgumentError, match="characters"):
        fresh_campfire.restore(saved_fire)  # whom it reached must be given
    fresh_campfire.restore(saved_fire, fresh_runtime)
    assert "object:campfire" in fresh_near.emotion.aims and fresh_campfire.acting == ("warm_glow",)
    resumed = walk_away(fresh_runtime, fresh_campfire, fresh_near, fresh_far)
    assert "object:campfire" not in resumed[2]  # its aim is gone once it left
    assert resumed[0] == uninterrupted[0] and resumed[1] == uninterrupted[1]
    assert resumed[1][0] != resumed[1][1]  # and the one that stayed by the fire differs from it


def test_near_a_campfire_a_character_warms_its_hands():
    runtime = Runtime(seed=0)
    bram = runtime.spawn(asset_path("characters", "bram.yaml"))
    runtime.update(0.1)
    bram.behavior.blackboard.set("near_campfire", True)
    runtime.update(0.1)
    assert bram.activity == "warm_hands"


@pytest.mark.parametrize("data, key, expected", [
    ({"id": "lamp", "behaviors": ["glow"]}, "behaviors[0]", "an interactive behavior of"),
    ({"id": "lamp", "behaviors": ["warm_glow"], "blackboard": {"lit": "yes"}}, "blackboard.lit", "true or false"),
    ({"id": "lamp", "behaviors": []}, "behaviors", "at least 1"),
])
def test_bad_smart_objects(write_yaml, data, key, expected):
    path = write_yaml(data, "lamp.yaml")
    with pytest.raises(DefinitionError) as caught:
        SmartObjectDefinition.load(path)
    assert caught.value.source == str(path) and caught.value.key == key and expected in caught.value.expected


# --- the debug view ------------------------------------------------------------------------------------
def test_show_prints_the_tree_of_a_tree_file_or_a_character(capsys):
    assert main(["behavior", "show", "--ascii", str(asset_path("behaviors", "trees", "guard.yaml"))]) == 0
    tree = capsys.readouterr().out
    assert "tree guard" in tree and "provoked" in tree and "anger > 0.35" in tree
    assert "glare         negative when (anger > 0.35) and shows.negative; aim anger -0.03/s" in tree
    assert "content       positive when shows.positive\n" in tree
    assert main(["behavior", "show", "--ascii", str(asset_path("characters", "bram.yaml"))]) == 0
    assert capsys.readouterr().out == tree


def test_show_runs_and_traces_every_tick(capsys):
    mira = str(asset_path("characters", "mira.yaml"))
    assert main(["behavior", "show", mira, "--run", "1", "--trace", "--rate", "4", "--tick-every-update"]) == 0
    out = capsys.readouterr().out
    assert [line.split()[2] for line in out.splitlines() if line.startswith("t=")] == ["1", "2", "3", "4"]
    assert any(line.split()[:2] == ["villager", "RUNNING"] and line.endswith(" us") for line in out.splitlines())
    # A leaf that fails says why.
    assert any(line.split()[:2] == ["sigh", "FAILURE"] and line.endswith("us  trigger does not hold: (sadness > 0.25)"
                                                                         " and shows.negative") for line in out.splitlines())
    assert "done: 4 ticks in 4 updates" in out
    assert main(["behavior", "show", mira, "--run", "3", "--trace", "--rate", "20"]) == 0
    ticks = int(re.search(r"done: (\d+) ticks in 60 updates", capsys.readouterr().out).group(1))
    assert 1 <= ticks < 60  # scheduled: only when something changed


def test_show_errors(write_yaml, capsys):
    assert main(["behavior", "show", str(write_yaml({"id": "plain"}))]) == 2
    assert "behavior: expected a behavior tree" in capsys.readouterr().err
    assert main(["behavior", "show", str(asset_path("characters", "mira.yaml")), "--trace"]) == 2
    assert "--trace: needs --run" in capsys.readouterr().err


def test_a_malformed_campfire_snapshot_is_refused_and_changes_nothing():
    from anisync import SnapshotError

    campfire = SmartObject(SmartObjectDefinition.load(asset_path("objects", "campfire.yaml")))
    saved = campfire.snapshot()
    key = next(iter(saved["blackboard"]), None)
    broken = [({**saved, "acting": "warm"}, "acting"), ({"blackboard": saved["blackboard"]}, "acting")]
    if key is not None:
        broken.append(({**saved, "blackboard": {**saved["blackboard"], key: "hot"}}, f"blackboard.{key}"))
    for data, path in broken:
        before = campfire.snapshot()
        with pytest.raises(SnapshotError) as caught:
            campfire.restore(data)
        assert caught.value.path == path and campfire.snapshot() == before
