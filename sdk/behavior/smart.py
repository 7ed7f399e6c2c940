"""Smart objects (seed 004, eq. 21): things in the world whose interactive behaviors act on characters.

A smart object has no emotion and no purpose: each of its interactive behaviors keeps acting, every
update, for as long as its condition (on the object's own blackboard) holds, moving the emotion of every
character within reach by the behavior's ``effect`` per second. The game decides who is within reach and
changes the object's blackboard (light the campfire, ring the bell). Definition files
(``assets/objects/*.yaml``)::

    id: campfire
    behaviors: [warm_glow]      # interactive behaviors of the library it performs
    blackboard: {lit: true}     # optional: starting values of the library's blackboard keys
    library: ../behaviors/library.yaml   # optional, relative to this file; default: the shipped library

Use::

    campfire = SmartObject(SmartObjectDefinition.load(asset_path("objects", "campfire.yaml")))
    campfire.update(dt, sufferers=[mira, yuki])   # once per game update, with the characters nearby
    campfire.blackboard.set("lit", False)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from ..character import NAME_PATTERN
from ..errors import DefinitionError
from ..schema import AnyOf, Field, Flag, ListOf, MapOf, Number, Record, Text, check, load_yaml
from .library import BehaviorLibrary, InteractiveBehavior, apply_aim, beside, shipped_library

if TYPE_CHECKING:
    from ..character import Character

SMART_OBJECT_SCHEMA = Record({
    "id": Field(Text(pattern=NAME_PATTERN)),
    "behaviors": Field(ListOf(Text(pattern=NAME_PATTERN), min_items=1), doc="interactive behaviors it performs"),
    "blackboard": Field(MapOf(AnyOf((Flag(), Number()))), default=dict, doc="starting values of blackboard keys"),
    "library": Field(Text(), default=None, doc="library file relative to this one; default: the shipped library"),
})


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
            library = BehaviorLibrary.load(beside(source, checked["library"]))
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
        blackboard: the object's own condition values (a :class:`~sdk.behavior.library.Blackboard`).
        acting: the names of the behaviors that acted in the last :meth:`update` (eq. 21's state).
    """

    def __init__(self, definition: SmartObjectDefinition):
        self.definition = definition
        self.id = definition.id
        self.blackboard = definition.library.new_blackboard(definition.blackboard)
        self.acting: tuple[str, ...] = ()

    def update(self, dt: float, sufferers: Iterable["Character"]) -> tuple[str, ...]:
        """Let every behavior whose condition holds act on ``sufferers`` for ``dt`` seconds; returns
        the names of those that acted."""
        active = [b for b in self.definition.behaviors if b.condition.holds(None, None, self.blackboard.values)]
        if active:
            effect = sum(behavior.effect for behavior in active)
            for character in sufferers:
                apply_aim(character, effect, dt)
        self.acting = tuple(behavior.name for behavior in active)
        return self.acting

    def snapshot(self) -> dict:
        """Plain data that :meth:`restore` accepts."""
        return {"blackboard": self.blackboard.snapshot(), "acting": list(self.acting)}

    def restore(self, data: Mapping) -> None:
        """Continue from a :meth:`snapshot`."""
        self.blackboard.restore(data["blackboard"])
        self.acting = tuple(data["acting"])
