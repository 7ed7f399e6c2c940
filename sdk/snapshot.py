"""What a runtime snapshot holds, checked before :meth:`anisync.Runtime.restore` changes anything.

A save file may be old, hand-edited or corrupt, and a restore is all or nothing. :func:`check_snapshot`
reads the whole snapshot first: the type and finiteness of every value, the characters against those
spawned, the queued events, each character's random generator state and its behavior's part (through the
behavior's own ``check_snapshot(data, path)`` where it has one: a tree checks its node statuses, counters
and runs, a BPFA its automaton states). Only then does the runtime restore. Every refusal is a
:class:`~anisync.errors.SnapshotError` naming the path inside the snapshot (``characters.mira.emotion.vector[2]``).

Snapshots are strict JSON (no NaN or Infinity): an event that never expires is stored with expiry null.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

from .emotion import EMOTIONS
from .errors import DefinitionError, InvalidArgumentError, SnapshotError, excerpt
from .events import MAX_TIME
from .schema import AnyOf, Anything, Field, ListOf, MapOf, Nothing, Number, Record, Spec, Text

if TYPE_CHECKING:
    from .runtime import Runtime

#: Seconds on a clock: any finite time within MAX_TIME of zero.
SECONDS = Number(-MAX_TIME, MAX_TIME)
#: A counter or id; 2^53 keeps it exact in JSON readers that use doubles.
COUNT = Number(0, 2 ** 53, integer=True)
_VECTOR = ListOf(Number(0.0, 1.0), len(EMOTIONS), len(EMOTIONS))

EVENT_SNAPSHOT = Record({
    "content": Field(Text(pattern=r".+")), "receiver": Field(Text(pattern=r".+")), "sender": Field(Text(pattern=r".+")),
    "id": Field(COUNT), "timestamp": Field(SECONDS),
    "expiry": Field(AnyOf((Nothing(), Number())), doc="null: never"), "payload": Field(MapOf(Anything())),
})
EMOTION_SNAPSHOT = Record({
    "vector": Field(_VECTOR), "mood": Field(_VECTOR), "time": Field(SECONDS),
    "aims": Field(MapOf(ListOf(Number(), len(EMOTIONS), len(EMOTIONS))), doc="per source, rates per second"),
})
#: The line a character is speaking: what :meth:`anisync.Runtime.say` was given, and when.
LINE_SNAPSHOT = Record({
    "text": Field(Text()), "rate": Field(Number(0.5, 3.0)), "start": Field(SECONDS),
    "seconds": Field(AnyOf((Nothing(), Number(0.0, 3600.0))), doc="null: the text's own timing"),
    "audio": Field(AnyOf((Nothing(), Text())), None, doc="the voice recording whose timing it follows; null: none"),
})
CHARACTER_SNAPSHOT = Record({
    "emotion": Field(EMOTION_SNAPSHOT), "behavior": Field(Anything(), doc="checked by the behavior"),
    "rng": Field(MapOf(Anything()), doc="numpy's bit generator state"), "expression": Field(_VECTOR),
    "line": Field(AnyOf((Nothing(), LINE_SNAPSHOT)), None, doc="null: not speaking"),
})
RUNTIME_SNAPSHOT = Record({
    "time": Field(Number(0.0, MAX_TIME)), "steps": Field(COUNT), "dropped_steps": Field(COUNT),
    "accumulator": Field(Number(0.0, MAX_TIME)), "next_event_id": Field(Number(1, 2 ** 53, integer=True)),
    "queues": Field(MapOf(ListOf(EVENT_SNAPSHOT))), "characters": Field(MapOf(CHARACTER_SNAPSHOT)),
    "dialogue": Field(ListOf(ListOf(Text(), 2, 2)), list,
                      doc="the last lines said or heard, [speaker, text], oldest first (the classifier's context)"),
    "scenes": Field(ListOf(Anything()), list, doc="scenes in progress (anisync.scenes.player.SCENE_SNAPSHOT)"),
    "scheduler": Field(AnyOf((Nothing(), Record({
        "held": Field(MapOf(ListOf(Text())), doc="per tree character, the triggers that held at its last check"),
        "waiting": Field(ListOf(Record({"id": Field(Text()), "waited": Field(COUNT)})),
                         doc="the trees waiting for a tick, oldest first, and the updates each has waited")}))), None,
        doc="the behavior scheduler's memory (null: none yet, every tree ticks at the next update)"),
})


def check_part(spec: Spec, data: Any, path: str) -> Any:
    """``data`` checked against ``spec`` (and normalised, as :func:`anisync.schema.check` does); raises
    SnapshotError naming the path below ``path`` where it does not fit."""
    try:
        return spec.check(data, None, path)
    except DefinitionError as error:
        raise SnapshotError(error.key, f"expected {error.expected}, got {excerpt(error.got)}") from None


@contextmanager
def part(path: str) -> Iterator[None]:
    """Run a part's own check of its data: what it refuses becomes a SnapshotError under ``path``."""
    try:
        yield
    except SnapshotError as error:
        raise SnapshotError(f"{path}.{error.path}" if error.path else path, error.problem) from None
    except InvalidArgumentError as error:
        raise SnapshotError(path, str(error)) from None


def check_snapshot(runtime: "Runtime", data: Any, scenes: Iterable = ()) -> dict:
    """The snapshot ``data`` checked against ``runtime`` (see the module docstring); raises SnapshotError
    and changes nothing. A scene in progress in it must be playing in ``runtime`` or be one of ``scenes``
    (:class:`anisync.scenes.Scene`); its checked entry holds that scene as ``"scene"``."""
    checked = check_part(RUNTIME_SNAPSHOT, data, "")
    spawned = runtime.characters
    if set(checked["characters"]) != set(spawned):
        raise SnapshotError("characters", f"holds characters {sorted(checked['characters'])}, "
                                          f"but {sorted(spawned)} are spawned")
    for receiver in checked["queues"]:
        if receiver not in spawned:
            raise SnapshotError(f"queues.{receiver}", "expected the queue of a spawned character")
    cast = _check_scenes(runtime, checked, scenes) if checked["scenes"] else set()
    for character_id, state in checked["characters"].items():
        character = spawned[character_id]
        path = f"characters.{character_id}"
        _check_generator_state(character.rng.bit_generator, state["rng"], f"{path}.rng")
        if character_id in cast:  # playing a scene: its slot holds the scene's behavior
            from .scenes.player import ScriptedBehavior

            check = ScriptedBehavior.check_snapshot
        else:
            check = getattr(own_behavior(runtime, character_id), "check_snapshot", None)
        if check is not None and state["behavior"] is not None:
            with part(f"{path}.behavior"):
                check(state["behavior"])
    with part("scheduler"):
        runtime.scheduler.check_snapshot(checked["scheduler"],
                                         lambda character_id: _tree_after(runtime, cast, character_id))
    return checked


def _tree_after(runtime: "Runtime", cast: set[str], character_id: str):
    """The behavior tree a character will have once the snapshot is restored: its own, unless it plays in
    one of the snapshot's scenes (``cast``); None when it has none."""
    from .behavior.tree import TreeBehavior  # the tree's own snapshot checks import this module

    if character_id in cast or character_id not in runtime.characters:
        return None
    behavior = own_behavior(runtime, character_id)
    return behavior if isinstance(behavior, TreeBehavior) else None


def own_behavior(runtime: "Runtime", character_id: str):
    """A character's own behavior: held by the scene it plays in, if it plays in one."""
    for player in runtime.scenes:
        if character_id in player.cast.values():
            return player.own_behavior(character_id)
    return runtime.characters[character_id].behavior


def _check_scenes(runtime: "Runtime", checked: dict, scenes: Iterable) -> set[str]:
    """Check the scenes in progress of ``checked`` in place; returns the ids of the characters they cast."""
    from .scenes.player import SCENE_SNAPSHOT, ScenePlayer

    known = {scene.sha256: scene for scene in [*(player.scene for player in runtime.scenes), *scenes]}
    cast: set[str] = set()
    for i, entry in enumerate(checked["scenes"]):
        path = f"scenes[{i}]"
        entry = checked["scenes"][i] = check_part(SCENE_SNAPSHOT, entry, path)
        scene = known.get(entry["sha256"])
        if scene is None:
            raise SnapshotError(path, f"expected a scene playing now or passed to restore(..., scenes=[...]); none is "
                                      f"the story of {entry['source']} (sha256 {entry['sha256'][:12]}...)")
        with part(path):
            ScenePlayer.check_snapshot(runtime, scene, entry, lambda cid: own_behavior(runtime, cid))
        for character_id in set(entry["cast"].values()):
            if character_id in cast:
                raise SnapshotError(f"{path}.cast", f"{character_id} plays in two scenes at once")
            cast.add(character_id)
        entry["scene"] = scene
    return cast


def _check_generator_state(generator, state: Mapping, path: str) -> None:
    """numpy checks a bit generator state when it is set: set it on a scratch generator of the same kind."""
    try:
        type(generator)().state = state
    except (TypeError, ValueError, KeyError, OverflowError) as error:
        raise SnapshotError(path, f"expected the state of a {type(generator).__name__} generator "
                                  f"({error})") from None
