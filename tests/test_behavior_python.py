"""Conditions, actions and leaves written in Python (anisync.behavior.python) in YAML trees: polled on the game
clock into the blackboard, run and saved like library behaviors, refused by name when unknown; libraries
that extend others; blackboard keys of a character's own."""

import py_trees
import pytest
import yaml
from anisync import DefinitionError, InvalidArgumentError, Runtime
from anisync.behavior import PythonAction, PythonLeaf, action, condition, forget, leaf
from anisync.behavior.library import BehaviorLibrary

NAMES = ("door_open", "open_door", "knock")


@pytest.fixture()
def registered():
    """A door the game opens and closes, read by a condition; an action that knocks; a leaf that counts."""
    door = {"open": False, "reads": 0}

    @condition("door_open", rate=4)
    def door_open(character):
        door["reads"] += 1
        return door["open"]

    @action("open_door")
    class OpenDoor(PythonAction):
        activity = "wave"

        def start(self, character):
            self.left = 1.0

        def update(self, character, dt):
            self.left -= dt
            return self.left <= 0

    @leaf("knock")
    class Knock(PythonLeaf):
        def update(self):
            self.blackboard.set("knocks", self.blackboard["knocks"] + 1)
            return py_trees.common.Status.SUCCESS

    yield door
    for name in NAMES:
        forget(name)


def _porter(tmp_path, root, blackboard=None):
    """A character whose tree (``root``) uses a library that extends the shipped one with greet_door."""
    (tmp_path / "library.yaml").write_text(yaml.safe_dump({
        "extends": "shipped",
        "autonomous": {"greet_door": {"trigger": "bb.door_open", "orientation": "neutral", "congruent": False,
                                      "run": {"python": "open_door"}}}}))
    (tmp_path / "tree.yaml").write_text(yaml.safe_dump({"library": "library.yaml", "root": root}))
    (tmp_path / "porter.yaml").write_text(yaml.safe_dump({"id": "porter", "behavior": {
        "tree": "tree.yaml", "behaviors": ["greet_door", "idle"], "blackboard": blackboard or {"knocks": 0}}}))
    runtime = Runtime(seed=4)
    return runtime, runtime.spawn(tmp_path / "porter.yaml")


def test_a_condition_is_read_at_its_rate_and_its_change_starts_the_behavior_in_that_update(registered, tmp_path):
    runtime, porter = _porter(tmp_path, {"selector": {"children": ["greet_door", "idle"]}})
    for _ in range(32):  # a little over a second at 30 updates per second
        runtime.update(1 / 30)
    assert registered["reads"] == 5  # the first update, then at 0.25, 0.5, 0.75 and 1 s of game time
    assert porter.behavior.blackboard["door_open"] is False and porter.activity == "idle"
    ticks = runtime.scheduler.stats.ticks
    registered["open"] = True
    steps = 0
    while porter.activity != "wave":
        runtime.update(1 / 30)
        steps += 1
    assert steps <= 8  # seen at the next read (a quarter second), and the tree ticked in that same update
    assert runtime.scheduler.stats.ticks - ticks <= 3  # no tick spent while nothing changed
    for _ in range(45):  # the action ends after a second; the door is still open, so it runs again
        runtime.update(1 / 30)
    assert porter.activity == "wave"


def test_a_python_action_continues_exactly_after_a_restore(registered, tmp_path):
    registered["open"] = True
    runtime, porter = _porter(tmp_path, {"selector": {"children": ["greet_door", "idle"]}})
    for _ in range(10):
        runtime.update(1 / 30)
    saved = runtime.snapshot()
    for _ in range(40):
        runtime.update(1 / 30)
    expected = [r for r in runtime.trace if r.time > saved["time"]]
    again, _ = _porter(tmp_path, {"selector": {"children": ["greet_door", "idle"]}})
    again.restore(saved)
    for _ in range(40):
        again.update(1 / 30)
    assert [r for r in again.trace if r.time > saved["time"]] == expected and expected


def test_a_python_leaf_sees_the_characters_own_blackboard_key(registered, tmp_path):
    registered["open"] = True
    root = {"selector": {"children": [{"sequence": {"children": ["greet_door", {"python": "knock"}]}}, "idle"]}}
    runtime, porter = _porter(tmp_path, root, {"knocks": 10})
    for _ in range(100):  # three and a third seconds: three whole runs of the one-second action
        runtime.update(1 / 30)
    assert porter.behavior.blackboard["knocks"] == 13
    with pytest.raises(InvalidArgumentError, match="blackboard key 'nokey'"):
        porter.behavior.blackboard.set("nokey", 1)


@pytest.mark.parametrize("root, key", [({"python": "bow"}, "root.python"),
                                        ({"selector": {"children": [{"python": "bow"}, "idle"]}},
                                         "root.selector.children[0].python")])
def test_an_unregistered_leaf_is_refused_naming_the_registered_ones(registered, tmp_path, root, key):
    with pytest.raises(DefinitionError, match=r"registered: knock\)") as caught:
        _porter(tmp_path, root)
    assert caught.value.key == key and caught.value.got == "bow"


def test_an_unregistered_action_and_a_stolen_condition_key_are_refused(registered):
    with pytest.raises(DefinitionError, match=r"registered: open_door\)") as caught:
        BehaviorLibrary.from_dict({"autonomous": {"x": {"trigger": "true", "orientation": "neutral",
                                                        "run": {"python": "dance_wildly"}}}}, "lib.yaml")
    assert caught.value.key == "autonomous.x.run.python"
    with pytest.raises(DefinitionError, match="exactly one of action"):
        BehaviorLibrary.from_dict({"autonomous": {"x": {"trigger": "true", "orientation": "neutral",
                                                        "run": {"python": "open_door", "action": "wave"}}}}, "lib.yaml")
    with pytest.raises(DefinitionError, match="no Python condition owns") as caught:
        BehaviorLibrary.from_dict({"blackboard": {"door_open": True}}, "lib.yaml")
    assert caught.value.key == "blackboard.door_open"


def test_bad_registrations_are_refused():
    with pytest.raises(InvalidArgumentError, match="condition's name"):
        condition("Door-Open")
    with pytest.raises(InvalidArgumentError, match="rate"):
        condition("door", rate=0)
    with pytest.raises(InvalidArgumentError, match="subclass of anisync.behavior.PythonAction"):
        action("wave_hand")(object)
    try:
        leaf("bow")(type("Bow", (PythonLeaf,), {}))
        with pytest.raises(InvalidArgumentError, match="already registered as a Python leaf"):
            action("bow")
    finally:
        forget("bow")


def test_a_library_extends_another_and_may_replace_its_behaviors(tmp_path):
    (tmp_path / "base.yaml").write_text(yaml.safe_dump({"blackboard": {"lit": False}, "autonomous": {
        "rest": {"trigger": "true", "orientation": "neutral", "run": {"action": "idle"}},
        "warm": {"trigger": "bb.lit", "orientation": "positive", "run": {"action": "warm_hands"}}}}))
    (tmp_path / "more.yaml").write_text(yaml.safe_dump({"extends": "base.yaml", "blackboard": {"coins": 0}, "autonomous": {
        "warm": {"trigger": "bb.lit and bb.coins > 2", "orientation": "positive", "run": {"action": "dance"}}}}))
    library = BehaviorLibrary.load(tmp_path / "more.yaml")
    assert set(library.autonomous) == {"rest", "warm"} and set(library.blackboard) >= {"lit", "coins"}
    assert library.autonomous["warm"].runner.action == "dance"
    (tmp_path / "loop.yaml").write_text(yaml.safe_dump({"extends": "loop.yaml"}))
    with pytest.raises(DefinitionError, match="extends") as caught:
        BehaviorLibrary.load(tmp_path / "loop.yaml")
    assert caught.value.key == "extends"
