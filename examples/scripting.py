"""Scripting an NPC in Python: a condition, an action and a tree leaf written in Python, a blackboard key of
the character's own, and a new behavior in a library that extends the shipped one.

The jester (``scripting/jester.yaml``) juggles when the player is near and it is glad, then tips its hat,
which earns it a coin. Run it: ``python examples/scripting.py``.
"""

from pathlib import Path

import py_trees
from anisync import Event, Runtime
from anisync.behavior import PythonAction, PythonLeaf, action, condition, leaf

HERE = Path(__file__).resolve().parent / "scripting"

#: The game's own state: where the player stands on a line through the jester (at 0).
player = {"x": 8.0}


@condition("player_near", rate=10)  # read 10 times per second of game time; triggers read it as bb.player_near
def player_near(character) -> bool:
    return abs(player["x"]) < 3.0


@action("juggle")  # run by library behaviors with run: {python: juggle}
class Juggle(PythonAction):
    activity = "dance"  # what the body shows meanwhile

    def start(self, character):
        self.caught = 0  # the run's state: plain data, so that snapshots keep it
        self.clock = 0.0

    def update(self, character, dt) -> bool:
        self.clock += dt
        self.caught = int(self.clock / 0.5)  # a ball every half second
        return self.caught >= 6  # done after six catches


@leaf("tip_hat")  # a tree node {python: tip_hat}
class TipHat(PythonLeaf):
    def update(self):
        self.blackboard.set("coins", self.blackboard["coins"] + 1)
        return py_trees.common.Status.SUCCESS


def main(seconds: float = 12.0) -> list[str]:
    """Walk the player past the jester, throwing it a coin on the way; returns (and prints) what it did."""
    runtime = Runtime(seed=1, fixed_step=1 / 30)
    jester = runtime.spawn(HERE / "jester.yaml")
    told = []
    runtime.on_behavior_started(lambda character, activity, previous: told.append(
        f"t={runtime.time:4.1f}s  {character.id} {previous} -> {activity} (coins {character.behavior.blackboard['coins']:g})"))
    for frame in range(round(seconds * 30)):
        player["x"] -= 1.0 / 30  # a metre a second towards the jester, and past it
        if frame == 120:  # four seconds in, four metres away, the player throws it a coin
            runtime.emit(Event("gift", receiver="jester", sender="player"))
        runtime.update(1 / 30)
    told.append(f"coins earned: {jester.behavior.blackboard['coins']:g}")
    print("\n".join(told))
    return told


if __name__ == "__main__":
    main()
