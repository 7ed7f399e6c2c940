"""Smart objects (Lu, eq. 21): things in the world whose interactive behaviors act on characters.

A smart object has no emotion and no purpose: each of its interactive behaviors keeps acting for as long
as its condition (on the object's own blackboard) holds, pushing the emotion of every character within
reach by the behavior's ``effect`` per second (an aim on the character's emotion, integrated exactly). The game decides who is within reach and
changes the object's blackboard (light the campfire, ring the bell). Definition files
(``assets/objects/*.yaml``)::

    id: campfire
    behaviors: [warm_glow]      # interactive behaviors of the library it performs
    blackboard: {lit: true}     # optional: starting values of the library's blackboard keys
    library: ../behaviors/library.yaml   # optional, relative to this file; default: the shipped library

Use::

    campfire = SmartObject(SmartObjectDefinition.load(asset_path("objects", "campfire.yaml")))
    campfire.update(sufferers=[mira, yuki])   # whenever who is nearby, or the object's state, changes
    campfire.blackboard.set("lit", False)

Save and restore it together with the runtime: ``saved = campfire.snapshot()`` records whom it reaches,
and ``campfire.restore(saved, runtime)`` (any iterable of the characters, or a mapping of their ids, in
place of the runtime) picks those characters up again, so one that leaves after the restore loses the
object's aim exactly as it would have without the interruption.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from ..errors import DefinitionError, InvalidArgumentError
from ..loading import load_yaml, referenced_file
from ..schema import NAME_PATTERN, AnyOf, Anything, Field, Flag, ListOf, MapOf, Number, Record, Text, check
from ..snapshot import check_part
from .library import BehaviorLibrary, InteractiveBehavior, shipped_library

if TYPE_CHECKING:
    from ..character import Character

SMART_OBJECT_SCHEMA = Record({
    "id": Field(Text(pattern=NAME_PATTERN)),
    "behaviors": Field(ListOf(Text(pattern=NAME_PATTERN), min_items=1), doc="interactive behaviors it performs"),
    "blackboard": Field(MapOf(AnyOf((Flag(), Number()))), default=dict, doc="starting values of blackboard keys"),
    "library": Field(Text(), default=None, doc="library file relative to this one; default: the shipped library"),
})
#: What SmartObject.snapshot writes; snapshots from before reach was saved have no "reached".
_SNAPSHOT = Record({"blackboard": Field(Anything(), doc="checked by the blackboard"), "acting": Field(ListOf(Text())),
                    "reached": Field(ListOf(Text()), default=list)})


@dataclass(frozen=True, eq=False)
class SmartObjectDefinition:
    """A validated smart object definition. Build one with :meth:`load` or :meth:`from_dict`."""

    id: str
    behaviors: tuple[InteractiveBehavior, ...]
    blackboard: Mapping[str, Any]
    library: BehaviorLibrary
    source: str | None = None

    @classmethod
    def load(cls, path: str | Path) -> "SmartObjectDefinition":
        """Load and check a smart object file."""
        return cls.from_dict(load_yaml(path), source=path)

    @classmethod
    def from_dict(cls, data: Any, source: object = None) -> "SmartObjectDefinition":
        """Check ``data`` against :data:`SMART_OBJECT_SCHEMA` and resolve its behaviors in the library."""
        checked = check(SMART_OBJECT_SCHEMA, data, source)
        if checked["library"] is None:
            library = shipped_library()
        else:
            library = BehaviorLibrary.load(referenced_file(source, checked["library"], "library"))
        behaviors = []
        for i, name in enumerate(checked["behaviors"]):
            if name not in library.interactive:
                raise DefinitionError(source, f"behaviors[{i}]", f"an interactive behavior of {library.source} "
                                      f"({', '.join(library.interactive) or 'none'})", name)
            behaviors.append(library.interactive[name])
        blackboard = library.new_blackboard(checked["blackboard"], source).values
        return cls(checked["id"], tuple(behaviors), blackboard, library, None if source is None else str(source))


class SmartObject:
    """A smart object in the world; see the module docstring.

    Attributes:
        blackboard: the object's own condition values (a :class:`~anisync.behavior.library.Blackboard`).
        acting: the names of the behaviors that acted in the last :meth:`update` (eq. 21's state).
    """

    def __init__(self, definition: SmartObjectDefinition):
        self.definition = definition
        self.id = definition.id
        self.blackboard = definition.library.new_blackboard(definition.blackboard)
        self.acting: tuple[str, ...] = ()
        #: The emotion-aim source this object's effects are filed under on each sufferer.
        self.aim_source = f"object:{self.id}"
        self._reached: dict[str, "Character"] = {}

    def update(self, sufferers: Iterable["Character"]) -> tuple[str, ...]:
        """Let every behavior whose condition holds act on ``sufferers`` (the characters in reach now) and
        stop acting on those that left; returns the names of the behaviors acting.

        The effect is a rate per second added to each sufferer's emotion aim (source ``object:ID``), so
        the runtime integrates it exactly between calls; call this when reach or condition may change.
        """
        active = [b for b in self.definition.behaviors if b.condition.holds(None, None, self.blackboard.values)]
        effect = sum(behavior.effect for behavior in active) if active else None
        reached = {character.id: character for character in sufferers} if active else {}
        for character in self._reached.values():
            if character.id not in reached:
                character.emotion.set_aim(None, self.aim_source)
        for character in reached.values():
            character.emotion.set_aim(effect, self.aim_source)
        self._reached = reached
        self.acting = tuple(behavior.name for behavior in active)
        return self.acting

    def snapshot(self) -> dict:
        """Plain data that :meth:`restore` accepts: blackboard, acting behaviors and the ids reached."""
        return {"blackboard": self.blackboard.snapshot(), "acting": list(self.acting),
                "reached": list(self._reached)}

    def restore(self, data: Mapping, characters: Iterable["Character"] | Mapping[str, "Character"] = ()) -> None:
        """Continue from a :meth:`snapshot`.

        Args:
            data: what :meth:`snapshot` returned.
            characters: the characters the snapshot's reached ids name (a :class:`~anisync.runtime.Runtime`,
                any iterable of characters, or a mapping of id to character); needed only when the object
                reached someone. Their emotions (and so this object's aim on them) are restored by the
                runtime's own :meth:`~anisync.runtime.Runtime.restore`; this one only remembers whom to
                release on the next :meth:`update`.

        Raises:
            InvalidArgumentError: a reached id is not among ``characters``; SnapshotError (an
                InvalidArgumentError too) naming the key of a malformed snapshot. Nothing changes then.
        """
        data = check_part(_SNAPSHOT, data, "")
        blackboard = self.blackboard.check_snapshot(data["blackboard"], "blackboard")
        by_id = dict(characters) if isinstance(characters, Mapping) else {c.id: c for c in characters}
        reached_ids = data["reached"]
        missing = [character_id for character_id in reached_ids if character_id not in by_id]
        if missing:
            raise InvalidArgumentError(
                f"characters: the snapshot of {self.id} reached {missing}, which are not among the characters "
                f"given ({sorted(by_id) or 'none'}); pass the runtime or the characters")
        self.blackboard.restore(blackboard)
        self.acting = tuple(data["acting"])
        self._reached = {character_id: by_id[character_id] for character_id in reached_ids}
