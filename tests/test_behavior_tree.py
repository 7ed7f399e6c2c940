import json
import shutil

import numpy as np
import py_trees
import pytest
import yaml

from anisync import (EMOTIONS, CharacterDefinition, DefinitionError, EmotionState, Event, InvalidArgumentError, Runtime, asset_path,
                 asset_roots)
from anisync.behavior.library import BehaviorLibrary, shipped_library
from anisync.behavior.tree import MAX_TICKS, TreeBehavior, TreeDefinition
from anisync.emotion import shown_orientations
from anisync.headless import WorldScript, spawn_samples

# Behaviors switched on and off through the blackboard, so each test controls exactly what may run (not
# congruent: whatever the face shows; congruence has its own tests).
LIBRARY = {
    "blackboard": {"a": False, "b": False, "c": False, "g": False},
    "autonomous": {
        "a": {"trigger": "bb.a", "orientation": "positive", "congruent": False, "run": {"action": "act_a", "duration": 1}},
        "b": {"trigger": "bb.b", "orientation": "negative", "congruent": False, "sufferer": "target",
              "run": {"action": "act_b", "duration": 1}},
        "c": {"trigger": "bb.c", "orientation": "neutral", "run": {"action": "act_c"}},
        "rest": {"trigger": "true", "orientation": "neutral", "run": {"action": "rest"}},
        "drawn": {"trigger": "bb.a", "orientation": "neutral", "run": {"action": "act_d", "duration": [1, 2]}},
        "sob": {"trigger": "sadness > 0.4", "aim": {"sadness": -0.2}, "orientation": "negative", "congruent": False,
                "run": {"action": "sob"}},
    },
}
SADNESS = EMOTIONS.index("sadness")


@pytest.fixture
def grow(tmp_path):
    """Write LIBRARY and a tree with ``root``, spawn a character with it; returns (runtime, character)."""

    def grow(root, **blackboard):
        (tmp_path / "library.yaml").write_text(yaml.safe_dump(LIBRARY))
        (tmp_path / "tree.yaml").write_text(yaml.safe_dump({"library": "library.yaml", "root": root}))
        with asset_roots(tmp_path):  # a definition without a file may reference files under these only
            definition = CharacterDefinition.from_dict(
                {"id": "t", "behavior": {"tree": str(tmp_path / "tree.yaml"), "behaviors": list(LIBRARY["autonomous"])}})
        runtime = Runtime(seed=0)
        character = runtime.spawn(definition)
        for key, value in blackboard.items():
            character.behavior.blackboard.set(key, value)
        return runtime, character

    return grow


def steps(runtime, character, count, dt=0.25):
    """The activity after each of ``count`` updates."""
    seen = []
    for _ in range(count):
        runtime.update(dt)
        seen.append(character.activity)
    return seen


def queued(runtime, kind):
    """Payloads of the internal events of ``kind`` waiting for character t."""
    return [event["payload"] for event in runtime.bus.snapshot()["t"] if event["content"] == kind]


# --- the six organizational forms --------------------------------------------------------------------
def test_sequence_runs_children_in_turn_and_stops_at_a_failing_one(grow):
    runtime, character = grow({"sequence": {"children": ["a", "b"]}}, a=True, b=True)
    assert steps(runtime, character, 12) == ["act_a"] * 4 + ["act_b"] * 4 + ["act_a"] * 4
    character.behavior.blackboard.set("b", False)  # a is done, b cannot run: the sequence fails, then restarts
    assert steps(runtime, character, 1) == ["idle"]
    assert queued(runtime, "behavior_ended") == [{"behavior": "a", "action": "act_a", "outcome": "done"}]
    assert steps(runtime, character, 5) == ["act_a"] * 4 + ["idle"]


def test_selector_takes_the_first_child_that_can_run_and_higher_priorities_preempt(grow):
    runtime, character = grow({"selector": {"children": ["a", "c"]}}, c=True)
    assert steps(runtime, character, 2) == ["act_c", "act_c"]
    character.behavior.blackboard.set("a", True)
    assert steps(runtime, character, 1) == ["act_a"]
    assert queued(runtime, "behavior_ended") == [{"behavior": "c", "action": "act_c", "outcome": "interrupted"}]
    character.behavior.blackboard.set("a", False)
    assert steps(runtime, character, 1) == ["act_c"]


def test_guard_runs_its_child_only_while_the_condition_holds(grow):
    runtime, character = grow({"selector": {"children": [{"guard": {"when": "bb.g", "child": "c"}}, "rest"]}}, c=True, g=True)
    assert steps(runtime, character, 2) == ["act_c", "act_c"]
    character.behavior.blackboard.set("g", False)
    assert steps(runtime, character, 1) == ["rest"]
    assert [p["behavior"] for p in queued(runtime, "behavior_ended")] == ["c"]


def test_parallel_runs_children_together(grow):
    runtime, character = grow({"parallel": {"children": ["a", "c"]}}, a=True, c=True)
    runtime.update(0.25)
    assert character.behavior.actions == ("act_a", "act_c") and character.activity == "act_a"
    steps(runtime, character, 4)  # a is done after 1 s; the parallel waits for c
    assert character.behavior.actions == ("act_c",)
    character.behavior.blackboard.set("c", False)
    assert steps(runtime, character, 1) == ["idle"]


def test_repeat_runs_its_child_again(grow):
    runtime, character = grow({"sequence": {"children": [{"repeat": {"times": 2, "child": "a"}}, "c"]}}, a=True, c=True)
    assert steps(runtime, character, 10) == ["act_a"] * 8 + ["act_c"] * 2


def test_timeout_cuts_a_behavior_short_in_game_time(grow):
    runtime, character = grow({"selector": {"children": [{"timeout": {"seconds": 1.5, "child": "c"}}, "rest"]}}, c=True)
    assert steps(runtime, character, 8) == ["act_c"] * 6 + ["rest", "act_c"]


def test_invert_succeed_and_retry_modify_their_child(grow):
    runtime, character = grow({"sequence": {"children": [{"invert": {"child": "b"}}, {"succeed": {"child": "a"}}, "c"]}},
                              c=True)
    assert steps(runtime, character, 1) == ["act_c"]  # b failed (inverted: success); a failed (made success)
    runtime, character = grow({"selector": {"children": [{"retry": {"times": 3, "child": "b"}}, "rest"]}})
    assert steps(runtime, character, 1) == ["rest"]
    retry = next(node for node in character.behavior.root.iterate() if isinstance(node, py_trees.decorators.Retry))
    assert retry.status == py_trees.common.Status.FAILURE and retry.failures == 3 <= MAX_TICKS


# --- rules -------------------------------------------------------------------------------------------
def test_a_behavior_aborts_the_moment_its_trigger_stops_holding(grow):
    runtime, character = grow({"selector": {"children": ["sob", "rest"]}})
    character.emotion.apply_impulse({"sadness": 0.8})
    seen = []
    while not seen or seen[-1][1] == "sob":
        runtime.update(0.05)
        seen.append((character.emotion.vector[SADNESS], character.activity))
    assert len(seen) > 3
    assert all(sadness > 0.4 for sadness, activity in seen[:-1]) and seen[-1][0] <= 0.4
    assert seen[-1][1] == "rest"
    assert queued(runtime, "behavior_ended") == [{"behavior": "sob", "action": "sob", "outcome": "aborted"}]


def test_a_congruent_behavior_runs_only_while_the_face_shows_its_orientation():
    library = BehaviorLibrary.from_dict({"autonomous": {
        "gloom": {"trigger": "sadness > 0.3", "orientation": "negative", "run": {"action": "gloom"}},
        "mope": {"trigger": "sadness > 0.3", "orientation": "negative", "congruent": False, "run": {"action": "mope"}},
        "rest": {"trigger": "true", "orientation": "neutral", "run": {"action": "rest"}},
    }})
    assert library.autonomous["gloom"].trigger.text == "(sadness > 0.3) and shows.negative"
    assert library.autonomous["rest"].trigger.text == "shows.neutral"
    runs = {}
    for first in ("gloom", "mope"):
        tree = TreeDefinition.from_dict({"root": {"selector": {"children": [first, "rest"]}}}, None, library)
        runtime = Runtime(seed=0, behavior_factory=lambda character: TreeBehavior(tree))
        character = runtime.spawn(CharacterDefinition.from_dict({"id": "t"}))  # neutral 0.5 at rest
        character.emotion.apply_impulse({"sadness": 0.4})  # 0.43: over the trigger, under neutral
        runtime.update(0.05)
        seen = [(character.dominant()[0], character.activity, character.orientation)]
        character.emotion.apply_impulse({"sadness": 0.5, "neutral": -0.6})  # sadness dominates
        while runtime.time < 6:
            runtime.update(0.05)
            seen.append((character.dominant()[0], character.activity, character.orientation))
        runs[first] = seen
    # gloom waits for the face to show sadness and stops when neutral dominates again, although sadness
    # is still over 0.3 then; mope (not congruent) follows its trigger alone.
    assert runs["gloom"][0] == ("neutral", "rest", "neutral") and runs["mope"][0][1] == "mope"
    assert all((dominant == "sadness") == (activity == "gloom") for dominant, activity, _ in runs["gloom"])
    assert {"rest", "gloom"} <= {activity for _, activity, _ in runs["gloom"][1:]}
    assert all(orientation == ("negative" if activity == "gloom" else "neutral")
               for _, activity, orientation in runs["gloom"])
    assert any(dominant == "neutral" and activity == "mope" for dominant, activity, _ in runs["mope"][1:])


def test_a_behavior_started_and_stopped_within_one_tick_draws_nothing(grow):
    # A parallel starts its first child, then fails on the second: nothing may run, nothing may be drawn
    # from the character's RNG (else ticking every update and ticking on change would diverge).
    runtime, character = grow({"parallel": {"children": ["drawn", "c"]}}, a=True)
    state = character.rng.bit_generator.state
    for _ in range(5):
        character.behavior.tick(character)
    assert character.activity == "idle" and character.rng.bit_generator.state == state
    character.behavior.blackboard.set("c", True)
    character.behavior.tick(character)
    assert character.behavior.actions == ("act_d", "act_c") and character.rng.bit_generator.state != state


def test_the_aim_moves_the_emotion_while_the_behavior_runs(grow):
    runtime, character = grow({"selector": {"children": ["sob", "rest"]}})
    without = Runtime(seed=0).spawn(CharacterDefinition.from_dict({"id": "t"}))
    for one in (character, without):
        one.emotion.apply_impulse({"sadness": 0.8})
    for _ in range(10):
        runtime.update(0.05)
        without.emotion.advance(0.05)
    assert character.activity == "sob"
    assert character.emotion.vector[SADNESS] < without.emotion.vector[SADNESS] - 0.05


def test_events_announce_starts_with_the_sufferer(grow):
    runtime, character = grow("b", b=True)
    runtime.emit(Event("greet", receiver="t", sender="player"))
    runtime.update(0.1)  # the event arrives, then the tick starts b, aimed at whoever sent the event
    assert queued(runtime, "behavior_started") == [{"behavior": "b", "action": "act_b", "sufferer": "player"}]


def test_tick_and_advance_are_separate(grow):
    runtime, character = grow("a", a=True)
    runtime.update(0.1)
    behavior = character.behavior
    assert behavior.due  # the first tick started a: not yet known to be a fixed point
    runtime.update(0.1)
    assert not behavior.due  # a tick that changed nothing: settled
    behavior.advance(character, 1.0)  # the action is done, but only a tick notices
    assert behavior.due and character.activity == "act_a"
    started = queued(runtime, "behavior_started")
    behavior.tick(character)
    assert len(queued(runtime, "behavior_started")) == len(started) + 1  # a started again
    behavior.tick(character)
    assert not behavior.due
    behavior.blackboard.set("a", False)
    behavior.tick(character)
    assert character.activity == "idle" and behavior.due  # it just failed: the next tick starts it over
    behavior.tick(character)
    assert character.activity == "idle" and not behavior.due  # failed again: only a trigger change can help


@pytest.mark.parametrize("root, key, expected", [
    ("nope", "root", "an autonomous behavior of"),
    ({"sequence": {"children": ["a", {"dance": {}}]}}, "root.sequence.children[1]", "a mapping with one key: sequence"),
    ({"guard": {"when": "bb.g and", "child": "a"}}, "root.guard.when", "at column 9"),
    ({"repeat": {"times": 0, "child": "a"}}, "root.repeat.times", "an integer in [1"),
    ({"timeout": {"child": "a"}}, "root.timeout.seconds", "a number"),
    ({"selector": {"children": []}}, "root.selector.children", "at least 1"),
])
def test_bad_trees_name_file_key_and_expectation(write_yaml, root, key, expected):
    library = BehaviorLibrary.from_dict(LIBRARY, "library.yaml")
    path = write_yaml({"root": root}, "tree.yaml")
    with pytest.raises(DefinitionError) as caught:
        TreeDefinition.from_dict(yaml.safe_load(path.read_text()), path, library)
    assert caught.value.source == str(path) and caught.value.key == key and expected in caught.value.expected


@pytest.mark.parametrize("children", [["a", "b"], ["c", {"selector": {"children": ["rest", {"sequence": {"children": ["a"]}}]}}, "b"]])
def test_parallel_of_opposite_orientations_is_rejected_naming_both(children):
    library = BehaviorLibrary.from_dict(LIBRARY, "library.yaml")
    with pytest.raises(DefinitionError, match="rule 3") as caught:
        TreeDefinition.from_dict({"root": {"parallel": {"children": children}}}, "tree.yaml", library)
    assert caught.value.key == "root.parallel" and caught.value.got == {"a": "positive", "b": "negative"}


def test_character_may_use_only_the_behaviors_it_lists(write_yaml):
    base = {"id": "x", "behavior": {"tree": "villager", "behaviors": ["flee", "cower"]}}
    with pytest.raises(DefinitionError, match=r"behavior\.behaviors: expected .*also .*cry") as caught:
        CharacterDefinition.load(write_yaml(base))
    assert caught.value.got == ["flee", "cower"]
    with pytest.raises(DefinitionError, match=r"behavior\.behaviors\[1\]: expected an autonomous behavior"):
        CharacterDefinition.load(write_yaml({**base, "behavior": {"tree": "villager", "behaviors": ["flee", "fly"]}}))
    with pytest.raises(DefinitionError, match=r"behavior\.tree: expected a shipped tree's name"):
        CharacterDefinition.load(write_yaml({**base, "behavior": {"tree": "castle", "behaviors": ["flee"]}}))
    # The old name still loads, with a warning; both at once is refused.
    behaviors = CharacterDefinition.load(asset_path("characters", "mira.yaml")).tree.behaviors
    with pytest.warns(DeprecationWarning, match="old name of behavior.behaviors"):
        old = CharacterDefinition.load(write_yaml({"id": "y", "behavior": {"tree": "villager", "library": sorted(behaviors)}}))
    assert old.tree.behaviors == behaviors
    with pytest.raises(DefinitionError, match=r"behavior\.behaviors: expected .*not both"):
        CharacterDefinition.load(write_yaml({"id": "z", "behavior": {"tree": "villager", "library": ["flee"],
                                                                    "behaviors": ["flee"]}}))


def test_restore_needs_the_same_tree(grow):
    _, character = grow({"sequence": {"children": ["a", "b"]}})
    with pytest.raises(InvalidArgumentError, match="snapshot"):
        character.behavior.restore({**character.behavior.snapshot(), "nodes": []})


# --- composite behaviors (the BPFA's contract) --------------------------------------------------------
def test_a_composite_behavior_runs_through_the_bpfa(tmp_path):
    (tmp_path / "bpfa").mkdir()
    shutil.copy(asset_path("behaviors", "bpfa", "greet.yaml"), tmp_path / "bpfa" / "greet.yaml")
    data = {**LIBRARY, "autonomous": {**LIBRARY["autonomous"], "greet_back": {
        "trigger": "true", "orientation": "positive", "congruent": False, "run": {"bpfa": "greet"}}}}
    library = BehaviorLibrary.from_dict(data, tmp_path / "library.yaml")
    tree = TreeDefinition.from_dict({"root": {"selector": {"children": ["greet_back", "rest"]}}}, None, library)

    def run(runtime, character, seconds):
        seen = []
        for _ in range(int(seconds * 20)):
            runtime.update(0.05)
            if not seen or seen[-1] != character.activity:
                seen.append(character.activity)
        return seen

    runtime = Runtime(seed=3, behavior_factory=lambda character: TreeBehavior(tree))
    character = runtime.spawn(CharacterDefinition.from_dict({"id": "t"}))
    first = run(runtime, character, 8)
    assert first[0] == "walk" and set(first) - {"walk", "idle"} <= {"wave", "jump", "bow", "nod", "laugh"}
    assert first.count("walk") >= 2  # greet reached its final state; the tree started it again
    runtime.emit(Event("player_left", receiver="t", sender="player"))  # greet's own external event
    runtime.update(0.05)
    saved = runtime.snapshot()
    later = run(runtime, character, 6)
    runtime.restore(json.loads(json.dumps(saved)))
    assert run(runtime, character, 6) == later
    broken = character.behavior.snapshot()
    (running,) = [node for node in broken["nodes"] if node.get("run")]
    running["run"]["state"] = "nowhere"
    with pytest.raises(InvalidArgumentError, match="'nowhere' is not a state of BPFA 'greet'"):
        character.behavior.restore(broken)


@pytest.mark.parametrize("bow_out, updates", [
    ({"action": "bow", "duration": 1.0}, range(19, 22)),  # its duration: about 20 updates of 0.05 s
    ({"action": "bow"}, [1]),                             # no duration: one update
])
def test_a_composite_behavior_plays_its_final_action_before_the_leaf_succeeds(tmp_path, bow_out, updates):
    (tmp_path / "bpfa").mkdir()
    (tmp_path / "bpfa" / "farewell.yaml").write_text(yaml.safe_dump({
        "name": "farewell", "initial": "wave", "finals": ["bow_out"],
        "states": {"wave": {"duration": 0.5}, "bow_out": bow_out}, "arcs": {"wave": {"done": {"bow_out": 1.0}}}}))
    data = {**LIBRARY, "autonomous": {**LIBRARY["autonomous"], "farewell": {
        "trigger": "true", "orientation": "neutral", "congruent": False, "run": {"bpfa": "farewell"}}}}
    library = BehaviorLibrary.from_dict(data, tmp_path / "library.yaml")
    tree = TreeDefinition.from_dict({"root": {"sequence": {"children": ["farewell", "rest"]}}}, None, library)
    runtime = Runtime(seed=0, behavior_factory=lambda character: TreeBehavior(tree))
    character = runtime.spawn(CharacterDefinition.from_dict({"id": "t"}))
    seen = steps(runtime, character, 60, dt=0.05)
    bows = seen.count("bow")
    assert bows in updates, seen
    first = seen.index("bow")
    assert set(seen[:first]) == {"wave"} and set(seen[first + bows:]) == {"rest"}  # one bow, then the sequence goes on


def test_composite_behavior_takes_no_duration():
    data = {"autonomous": {"x": {"trigger": "true", "orientation": "neutral", "run": {"bpfa": "x", "duration": 2}}}}
    with pytest.raises(DefinitionError, match=r"autonomous\.x\.run\.duration: expected no duration with bpfa"):
        BehaviorLibrary.from_dict(data, "lib.yaml", composite_loader=lambda path: None)


# --- shipped characters ------------------------------------------------------------------------------
def _shipped(name):
    runtime = Runtime(seed=0)
    character = runtime.spawn(asset_path("characters", f"{name}.yaml"))
    runtime.update(0.5)
    return runtime, character


@pytest.mark.parametrize("name, events, expected", [
    ("mira", [], {"wander", "look_around"}),
    ("mira", ["taunt", "taunt"], {"cry"}),
    ("mira", ["greet", "greet"], {"dance"}),
    ("mira", ["thunder", "thunder"], {"flee"}),
    ("bram", [], {"patrol"}),
    ("bram", ["taunt"], {"glare"}),
    ("yuki", [], {"tidy_shelves"}),
    ("yuki", ["thunder"], {"hide"}),
    ("yuki", ["gift"], {"blush"}),
])
def test_shipped_characters_do_what_they_feel(name, events, expected):
    runtime, character = _shipped(name)
    for kind in events:
        runtime.emit(Event(kind, receiver=name, sender="player"))
    runtime.update(0.1)
    assert character.activity in expected


def test_shipped_characters_always_do_what_their_face_shows():
    # Congruent behaviors plus the moods' resting poses (content, brood) in every shipped tree: after each
    # update, what a character does agrees with the dominant emotion it shows (Peng's synchronisation).
    runtime = Runtime(seed=2)
    spawn_samples(runtime, 9)
    script = WorldScript(runtime, seed=2, events_per_second=4)
    orientations = set()
    for second in range(20):
        script.schedule_second(float(second))
        for _ in range(30):
            runtime.update(1 / 30)
            for character in runtime:
                first, second_strongest = np.argsort(-character.emotion.vector, kind="stable")[:2]
                shown = shown_orientations(EMOTIONS[first], EMOTIONS[second_strongest])
                assert character.orientation in shown, (runtime.time, character, character.activity)
                orientations.add(character.orientation)
    assert orientations == {"positive", "negative", "neutral"}


def test_shipped_trees_use_all_six_forms_and_expose_their_triggers():
    trees = [TreeDefinition.load(path) for path in sorted(asset_path("behaviors", "trees").glob("*.yaml"))]
    forms = {spec.form for tree in trees for spec in tree.root.walk()}
    assert {"sequence", "selector", "guard", "parallel", "repeat", "timeout", "succeed"} <= forms
    villager = next(tree for tree in trees if tree.name == "villager")
    texts = [trigger.text for trigger in villager.triggers]
    assert "fear > 0.45" in texts and villager.library.autonomous["cry"].trigger.text in texts
    assert len(texts) == len(set(texts))


def _scripted(runtime, seconds, seed):
    script = WorldScript(runtime, seed=seed, events_per_second=3)
    start = len(runtime.trace)
    for _ in range(seconds):
        script.schedule_second(runtime.time)
        for _ in range(20):
            runtime.update(0.05)
    return list(runtime.trace)[start:], [character.behavior.snapshot() for character in runtime]


def _world(seed):
    runtime = Runtime(seed=seed)
    for name in ("mira", "bram", "yuki"):
        runtime.spawn(asset_path("characters", f"{name}.yaml"))
    return runtime


def test_same_seed_same_behavior():
    first, second, other = _scripted(_world(3), 10, 1), _scripted(_world(3), 10, 1), _scripted(_world(4), 10, 1)
    assert first == second and first != other
    assert sum(record.what == "activity" for record in first[0]) > 10


def test_snapshot_is_plain_data_and_restore_continues_exactly():
    runtime = _world(5)
    _scripted(runtime, 10, seed=1)
    saved = json.loads(json.dumps(runtime.snapshot()))
    first = _scripted(runtime, 10, seed=2)
    runtime.restore(saved)
    second = _scripted(runtime, 10, seed=2)
    assert first == second
    assert any(record.detail.startswith("behavior_ended") for record in first[0])
    assert any(node["status"] == "RUNNING" for node in saved["characters"]["mira"]["behavior"]["nodes"])


def test_the_update_rate_changes_emotions_by_at_most_a_few_updates_of_aim(monkeypatch):
    """Issue 2's 30-vs-144 updates/s bound of 1e-3 holds with trees running for everything but the aims
    of behaviors; those cannot meet it, so they get a bound of their own.

    A tree ticks once per update, so a behavior (and its aim, up to 0.1/s in the shipped library)
    starts and stops at the first update after its trigger crossed or its duration ran out: up to 1/30 s
    later at 30 updates/s, i.e. up to ``aim / 30`` (3.3e-3) per switch. Measured on this script: 7.2e-4
    with seed 0, but 1.35e-3 with seed 4 (the worst of seeds 0-39), so 1e-3 does not hold robustly with
    aims. With behaviors' aims left out the two rates agree to rounding (~1e-14), which shows that the
    whole difference is the update-quantised start and end of aims.
    """
    def run(rate, seed=0):
        runtime = _world(seed)
        for at, kind, who in [(0.3, "taunt", "mira"), (1.1, "thunder", "*"), (2.5, "taunt", "bram"), (4.0, "gift", "yuki")]:
            runtime.emit(Event(kind, receiver=who, sender="player", timestamp=at))
        for _ in range(6 * rate):
            runtime.update(1 / rate)
        return np.array([character.emotion.vector for character in runtime])

    largest_aim = max(float(np.max(np.abs(rule.aim))) for rule in shipped_library().autonomous.values())
    few_updates_of_aim = 3 * largest_aim / 30
    for seed in (0, 4):
        assert np.max(np.abs(run(30, seed) - run(144, seed))) < few_updates_of_aim

    set_aim = EmotionState.set_aim  # behaviors' aims off; smart objects' would stay (there are none here)
    monkeypatch.setattr(EmotionState, "set_aim", lambda state, rates, source="behavior":
                        set_aim(state, None if source == "behavior" else rates, source))
    for seed in (0, 4):
        at_30 = run(30, seed)
        assert np.max(np.abs(at_30 - run(144, seed))) < 1e-3
        at_rest = np.array([character.emotion.vector for character in _world(seed)])
        assert np.all(np.max(np.abs(at_30 - at_rest), axis=1) > 0.01)  # the events moved every character
