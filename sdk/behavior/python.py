"""Conditions, actions and tree leaves written in Python, registered by name for YAML behavior files.

Game code registers them before it loads the definitions that use them::

    import py_trees
    from anisync.behavior import PythonAction, PythonLeaf, action, condition, leaf

    @condition("player_near", rate=5)           # polled 5 times per second of game time, per character
    def player_near(character) -> bool:         # its value is the blackboard key bb.player_near
        return distance_to_player(character.id) < 3.0

    @action("juggle")                           # a library behavior runs it with run: {python: juggle}
    class Juggle(PythonAction):
        def start(self, character):
            self.left = 4.0                     # plain data only: it goes into snapshots
        def update(self, character, dt) -> bool:
            self.left -= dt
            return self.left <= 0               # True: done

    @leaf("wave_at_player")                     # a tree node: {python: wave_at_player}
    class WaveAtPlayer(PythonLeaf):
        def update(self):
            self.character.emit("wave", receiver="player")
            return py_trees.common.Status.SUCCESS

How each keeps the scheduler's guarantees (:mod:`anisync.behavior.scheduler`):

* A **condition** is read on the game clock, ``rate`` times per second of game time (``None``: every update),
  by each character whose tree's triggers read its key, and its value lands in that character's
  blackboard. A trigger reads it as ``bb.NAME`` like any key, so the vectorised trigger checks see it, and
  a value that changed ticks the tree in the same update. Every library's blackboard declares the key
  (false, or 0 for a condition registered with ``default=0.0``).
* An **action** is a :class:`PythonAction` subclass: one instance per run, stepped every update while its
  behavior runs (like a single action's clock); the tree ends the behavior when :meth:`PythonAction.update`
  returns True, and the character shows :attr:`PythonAction.activity` meanwhile. Its attributes are its
  state in snapshots, so they must be plain data.
* A **leaf** is a :class:`PythonLeaf`, a py_trees behaviour that sees the character and its blackboard.
  Nothing tells the scheduler when its answer changes, so a tree with one ticks every update.

A name used in a YAML file but not registered is a DefinitionError at load that lists the registered
names. :func:`forget` removes a registration (tests; reloading game code).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

import py_trees

from ..errors import DefinitionError, InvalidArgumentError, SnapshotError
from ..schema import KEY_PATTERN, NAME_PATTERN

if TYPE_CHECKING:
    from ..character import Character
    from ..events import Event
    from .library import Blackboard


@dataclass(frozen=True)
class PythonCondition:
    """A registered condition: ``function(character)`` gives the value of blackboard key ``name``."""

    name: str
    function: Callable[["Character"], bool | float]
    rate: float | None  # reads per second of game time; None: every update
    default: bool | float


class PythonAction:
    """Base of an action written in Python (see the module docstring). Subclass it and override
    :meth:`update`, and :meth:`start` or :meth:`on_event` as needed.

    Attributes:
        activity: what the character's body shows while it runs (default: the registered name).
    """

    activity: str = ""

    def start(self, character: "Character") -> None:
        """The behavior starts: set up the run's state (plain data: numbers, strings, lists, dicts)."""

    def update(self, character: "Character", dt: float) -> bool:
        """``dt`` seconds of game time passed while running; return True when the action is done."""
        return False

    def on_event(self, character: "Character", event: "Event") -> None:
        """An event reached the character while the action runs (the tree also sees it, through the
        triggers)."""


class PythonLeaf(py_trees.behaviour.Behaviour):
    """Base of a py_trees leaf written in Python: override ``update()`` (and py_trees' ``initialise`` or
    ``terminate``) and return a :class:`py_trees.common.Status`. While it ticks, :attr:`character` is the
    character whose tree it is and :attr:`blackboard` that character's blackboard."""

    def __init__(self, name: str, context: Any):
        super().__init__(name)
        self._context = context

    @property
    def character(self) -> "Character":
        """The character whose tree is ticking."""
        return self._context.character

    @property
    def blackboard(self) -> "Blackboard":
        """That character's blackboard (``.set(key, value)``, ``[key]``)."""
        return self._context.blackboard


_conditions: dict[str, PythonCondition] = {}
_actions: dict[str, type[PythonAction]] = {}
_leaves: dict[str, type[PythonLeaf]] = {}
_KINDS = {"condition": _conditions, "action": _actions, "leaf": _leaves}


def _checked_name(name: Any, kind: str, pattern: str = NAME_PATTERN) -> str:
    if not (isinstance(name, str) and re.fullmatch(pattern, name)):
        raise InvalidArgumentError(f"name: expected the {kind}'s name, matching {pattern}, got {name!r}")
    for other, registered in _KINDS.items():
        if name in registered:
            raise InvalidArgumentError(f"name: {name!r} is already registered as a Python {other}; forget({name!r}) first")
    return name


def condition(name: str, *, rate: float | None = None, default: bool | float = False) -> Callable:
    """Register ``function(character) -> bool | float`` as condition ``name`` (read as ``bb.NAME``),
    polled ``rate`` times per second of game time (None: every update); ``default`` is the value before the
    first read, and its type (true/false or number) the type every read must give."""
    name = _checked_name(name, "condition", KEY_PATTERN)  # read as bb.NAME
    if rate is not None and not (isinstance(rate, (int, float)) and math.isfinite(rate) and rate > 0):
        raise InvalidArgumentError(f"rate: expected reads per second > 0 or None, got {rate!r}")
    if not isinstance(default, (bool, int, float)):
        raise InvalidArgumentError(f"default: expected true/false or a number, got {type(default).__name__}")

    def register(function: Callable) -> Callable:
        if not callable(function):
            raise InvalidArgumentError(f"condition {name!r}: expected a function of the character")
        _conditions[name] = PythonCondition(name, function, rate, default if isinstance(default, bool) else float(default))
        return function

    return register


def action(name: str) -> Callable[[type[PythonAction]], type[PythonAction]]:
    """Register a :class:`PythonAction` subclass as action ``name`` (``run: {python: NAME}`` in a library)."""
    return _class_registrar(name, "action", PythonAction)


def leaf(name: str) -> Callable[[type[PythonLeaf]], type[PythonLeaf]]:
    """Register a :class:`PythonLeaf` subclass as tree node ``{python: NAME}``."""
    return _class_registrar(name, "leaf", PythonLeaf)


def _class_registrar(name: str, kind: str, base: type) -> Callable[[type], type]:
    name = _checked_name(name, kind)

    def register(cls: type) -> type:
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise InvalidArgumentError(f"{kind} {name!r}: expected a subclass of anisync.behavior.{base.__name__}")
        _KINDS[kind][name] = cls
        return cls

    return register


def forget(name: str) -> None:
    """Remove the condition, action or leaf registered as ``name`` (definitions loaded before keep it)."""
    for registered in _KINDS.values():
        registered.pop(name, None)


def conditions() -> dict[str, PythonCondition]:
    """The registered conditions by name (a copy)."""
    return dict(_conditions)


def registered(kind: str, name: str, source: object, key: str) -> Any:
    """The ``kind`` registered as ``name``; DefinitionError naming ``source`` and ``key`` and listing the
    registered ones if there is none."""
    found = _KINDS[kind].get(name)
    if found is None:
        names = ", ".join(sorted(_KINDS[kind])) or "none yet"
        raise DefinitionError(source, key, f"the name of a Python {kind} registered with anisync.behavior.{kind}() "
                              f"before loading (registered: {names})", name)
    return found


# --- what the library and the tree run ---------------------------------------------------------------
@dataclass
class _PythonRun:
    state: PythonAction
    done: bool = False


@dataclass(frozen=True)
class PythonRunner:
    """Runs a registered :class:`PythonAction` behind the library's Runner interface."""

    name: str
    cls: type[PythonAction]

    def start(self, character: "Character") -> _PythonRun:
        state = self.cls()
        state.start(character)
        return _PythonRun(state)

    def fire(self, run: _PythonRun, event: "Event", character: "Character") -> bool:
        run.state.on_event(character, event)
        return False

    def advance(self, run: _PythonRun, dt: float, character: "Character") -> None:
        if not run.done:
            run.done = bool(run.state.update(character, dt))

    def current_action(self, run: _PythonRun) -> str:
        return run.state.activity or self.name

    def finished(self, run: _PythonRun) -> bool:
        return run.done

    def to_data(self, run: _PythonRun) -> dict:
        return {"done": run.done, "state": dict(vars(run.state))}

    def from_data(self, data: Any) -> _PythonRun:
        if not (isinstance(data, dict) and isinstance(data.get("done"), bool) and isinstance(data.get("state"), dict)):
            raise SnapshotError("run", f"expected a Python action's run ({{done, state}}), got {type(data).__name__}")
        state = self.cls.__new__(self.cls)
        vars(state).update(data["state"])
        return _PythonRun(state, data["done"])


def poll(polled: tuple[PythonCondition, ...], character: "Character", blackboard: "Blackboard", before: float,
         after: float, first: bool) -> bool:
    """Read the conditions due when the game clock moved from ``before`` to ``after`` (all of them when
    ``first``) into ``blackboard``; returns whether a value changed."""
    changed = False
    for rule in polled:
        if not (first or rule.rate is None or math.floor(after * rule.rate) != math.floor(before * rule.rate)):
            continue
        value = rule.function(character)
        if isinstance(rule.default, bool):
            value = bool(value)
        if value != blackboard[rule.name]:
            blackboard.set(rule.name, value)
            changed = True
    return changed
