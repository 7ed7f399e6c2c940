"""The behavior library (Lu, section 2.3.2 (3)-(4)): every atomic behavior, loaded from YAML.

Two parts, as in the paper:

* **autonomous** behaviors, which characters perform (eq. 20, ``action = <inf, suf, tri(mood), aim(mood),
  state>``): the inflicter is the character running it; ``sufferer`` is who it is aimed at (``self``,
  ``target`` = whoever last sent the character an event, or ``group`` = the character's groups);
  ``trigger`` is an expression over emotion, mood and blackboard (:mod:`anisync.behavior.expr`); ``aim`` is
  how the behavior moves the character's emotion per second while it runs (crying slowly lowers
  sadness); ``orientation`` is its emotional direction (positive, negative, neutral), which decides how
  trees may combine it and when it may run: a behavior is **congruent** by default, so that it starts and
  keeps running only while the face shows its orientation (the trigger is read as ``(trigger) and
  shows.<orientation>``; Peng's synchronisation of expression and behavior: nobody hums with a
  frightened face or sighs with a neutral one); ``congruent: false`` lifts that for a behavior that
  should run whatever the face shows; ``run`` is what it does: one action for a while, or a composite behavior that the
  BPFA runs. The ``state`` of eq. 20 is the status of the tree leaf that runs the behavior.
* **interactive** behaviors, which smart objects perform (eq. 21, ``action' = <inf, suf, tri(con),
  state>``): the inflicter is the smart object, the sufferers are the characters within its reach;
  ``condition`` reads only the object's own blackboard, and ``effect`` moves each sufferer's emotion per
  second while the condition holds (a lit campfire calms, a ringing bell startles).

A library also declares the **blackboard**: the keys that triggers and conditions may read as
``bb.<key>``, each with its starting value, whose type (true/false or number) the key keeps; numbers stay
within +-:data:`~anisync.behavior.expr.MAX_MAGNITUDE` (1e9), so that trigger arithmetic cannot overflow. Example::

    blackboard: {near_campfire: false}
    autonomous:
      cry:
        trigger: "sadness > 0.4 or mood.sadness > 0.3"
        aim: {sadness: -0.08}            # per second while it runs
        orientation: negative
        run: {action: cry, duration: [3, 6]}    # seconds: fixed, or drawn from [min, max]
      greet_back:
        sufferer: target
        trigger: "joy > 0.3"
        orientation: positive
        run: {bpfa: greet}               # a composite behavior: bpfa/greet.yaml next to this file
    interactive:
      warm_glow:
        condition: "bb.lit"
        effect: {fear: -0.15, joy: 0.05}  # per second, on every character within reach
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol

import numpy as np

from ..emotion import EMOTIONS, ORIENTATIONS, emotion_vector
from ..errors import DefinitionError, InvalidArgumentError
from ..loading import load_yaml, referenced_file
from ..resources import asset_path
from ..schema import KEY_PATTERN, NAME_PATTERN, AnyOf, Field, Flag, ListOf, MapOf, Nothing, Number, Record, Text, check
from ..snapshot import check_part
from . import python as python_leaves
from .expr import MAX_MAGNITUDE, Expression, parse

if TYPE_CHECKING:
    from ..character import Character
    from ..events import Event

SUFFERERS = ("self", "target", "group")
MAX_RATE = 10.0

_RATES = MapOf(Number(-MAX_RATE, MAX_RATE), key=Text(choices=EMOTIONS))
_SECONDS = Number(0.0, 3600.0)
_SECONDS_LEFT = AnyOf((Nothing(), Number()))  # a single action's run: seconds left, or null while it holds
#: A blackboard number: bounded, so that the parser can rule out overflow in triggers (anisync.behavior.expr).
_BLACKBOARD_NUMBER = Number(-MAX_MAGNITUDE, MAX_MAGNITUDE)

_AUTONOMOUS = Record({
    "sufferer": Field(Text(choices=SUFFERERS), default="self", doc="who the behavior is aimed at"),
    "trigger": Field(Text(), doc="expression that must hold for the behavior to start and keep running"),
    "aim": Field(_RATES, default=dict, doc="emotion change per second while it runs"),
    "orientation": Field(Text(choices=ORIENTATIONS), doc="emotional direction; opposite ones never run in parallel"),
    "congruent": Field(Flag(), default=True, doc="run only while the face shows the orientation"),
    "run": Field(Record({
        "action": Field(Text(pattern=NAME_PATTERN), default=None, doc="a single action (the activity shown)"),
        "duration": Field(AnyOf((_SECONDS, ListOf(_SECONDS, min_items=2))), default=None,
                          doc="seconds, or [min, max] to draw from; none: as long as the trigger holds"),
        "bpfa": Field(Text(pattern=NAME_PATTERN), default=None, doc="a composite behavior run by the BPFA"),
        "python": Field(Text(pattern=NAME_PATTERN), default=None,
                        doc="an action written in Python, registered with anisync.behavior.action(NAME)"),
    }), doc="what the behavior does: action (and duration), bpfa or python"),
})

_INTERACTIVE = Record({
    "condition": Field(Text(), doc="expression over the smart object's own blackboard (bb.<key>)"),
    "effect": Field(_RATES, doc="emotion change per second on every sufferer while the condition holds"),
})

LIBRARY_SCHEMA = Record({
    "extends": Field(Text(), default=None, doc="a library this one adds to: 'shipped', or a file relative to this one"),
    "blackboard": Field(MapOf(AnyOf((Flag(), _BLACKBOARD_NUMBER)), key=Text(pattern=KEY_PATTERN)), default=dict,
                        doc="keys triggers read as bb.<key>, with starting values"),
    "autonomous": Field(MapOf(_AUTONOMOUS, key=Text(pattern=NAME_PATTERN)), default=dict),
    "interactive": Field(MapOf(_INTERACTIVE, key=Text(pattern=NAME_PATTERN)), default=dict),
})


# --- what a behavior runs ----------------------------------------------------------------------------
class Runner(Protocol):
    """What a running behavior leaf drives: one action (:class:`SingleAction`) or a composite behavior
    (:class:`CompositeBehavior`, run by the BPFA). ``start`` returns the run's state, which the other
    methods take; ``to_data``/``from_data`` turn it into plain data and back for snapshots."""

    def start(self, character: "Character") -> Any: ...

    def fire(self, run: Any, event: "Event", character: "Character") -> bool: ...

    def advance(self, run: Any, dt: float, character: "Character") -> None: ...

    def current_action(self, run: Any) -> str: ...

    def finished(self, run: Any) -> bool: ...

    def to_data(self, run: Any) -> Any: ...

    def from_data(self, data: Any) -> Any: ...


@dataclass
class _ActionRun:
    remaining: float | None  # seconds; None: until the trigger stops holding


@dataclass(frozen=True)
class SingleAction:
    """One action (``cry``, ``wave``) shown for a duration: fixed, drawn from ``[min, max]`` with the
    character's RNG when it starts, or (``None``) for as long as the behavior's trigger holds."""

    action: str
    duration: tuple[float, float] | None

    def start(self, character: "Character") -> _ActionRun:
        if self.duration is None:
            return _ActionRun(None)
        low, high = self.duration
        return _ActionRun(low if low == high else float(character.rng.uniform(low, high)))

    def fire(self, run: _ActionRun, event: "Event", character: "Character") -> bool:
        return False  # a single action does not react to events; the tree does, through the triggers

    def advance(self, run: _ActionRun, dt: float, character: "Character") -> None:
        if run.remaining is not None:
            run.remaining -= dt

    def current_action(self, run: _ActionRun) -> str:
        return self.action

    def finished(self, run: _ActionRun) -> bool:
        return run.remaining is not None and run.remaining <= 0

    def to_data(self, run: _ActionRun) -> float | None:
        return run.remaining

    def from_data(self, data: float | None) -> _ActionRun:
        """The run :meth:`to_data` gave ``data`` for; raises SnapshotError for anything but seconds or null."""
        return _ActionRun(check_part(_SECONDS_LEFT, data, "run"))


@dataclass(frozen=True)
class CompositeBehavior:
    """A composite behavior that the BPFA runs, behind the :class:`Runner` interface.

    ``bpfa`` follows the BPFA's contract: ``start() -> run``, ``fire(run, event_kind, character) -> bool``,
    ``advance(run, dt, character)``, ``current_action(run)``, ``finished(run)``, ``check_run(run)``;
    ``run_type`` is its run class, with ``to_data()`` and ``from_data(data)``. ``finished`` must hold only
    once the final state's action has ended, not as soon as a final state is entered: the tree ends the
    leaf when it holds, and the final action would otherwise never be shown.
    """

    bpfa: Any
    run_type: Any

    def start(self, character: "Character") -> Any:
        return self.bpfa.start()

    def fire(self, run: Any, event: "Event", character: "Character") -> bool:
        return self.bpfa.fire(run, event.content, character)

    def advance(self, run: Any, dt: float, character: "Character") -> None:
        self.bpfa.advance(run, dt, character)

    def current_action(self, run: Any) -> str:
        return self.bpfa.current_action(run)

    def finished(self, run: Any) -> bool:
        return self.bpfa.finished(run)

    def to_data(self, run: Any) -> Any:
        return run.to_data()

    def from_data(self, data: Any) -> Any:
        run = self.run_type.from_data(data)
        self.bpfa.check_run(run)
        return run


def load_composite(path: Path) -> CompositeBehavior:
    """Load the composite behavior (a BPFA definition) at ``path``."""
    from .bpfa import BPFA, BPFARun  # the BPFA is its own module; only composite behaviors need it

    return CompositeBehavior(BPFA.load(path), BPFARun)


# --- definitions -------------------------------------------------------------------------------------
#: The library files being loaded through ``extends``, outermost first: a file met again is a cycle.
_EXTENDING: list[Path] = []


@dataclass(frozen=True, eq=False)
class AutonomousBehavior:
    """An autonomous behavior rule (eq. 20); see the module docstring."""

    name: str
    sufferer: str
    trigger: Expression
    aim: np.ndarray  # per-second rates, in the order of EMOTIONS
    orientation: str
    runner: Runner


@dataclass(frozen=True, eq=False)
class InteractiveBehavior:
    """An interactive behavior rule of smart objects (eq. 21); see the module docstring."""

    name: str
    condition: Expression
    effect: np.ndarray  # per-second rates, in the order of EMOTIONS


class Blackboard:
    """The values triggers read as ``bb.<key>``: only declared keys, each keeping its declared type.

    ``values`` is the plain dict that expressions evaluate against; change it only through :meth:`set`
    or :meth:`restore`, which count every change in :attr:`changes` so that the scheduler can skip
    re-reading the blackboards of hundreds of characters when none changed.
    """

    #: Changes to any blackboard since the program started.
    changes = 0

    def __init__(self, spec: Record, values: Mapping[str, Any]):
        self._spec = spec
        self.values = dict(values)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def set(self, key: str, value: bool | float) -> None:
        """Set a declared key; raises InvalidArgumentError for an unknown key or a value of the wrong type."""
        field = self._spec.fields.get(key)
        if field is None:
            raise InvalidArgumentError(f"blackboard key {key!r}: expected one of {', '.join(self._spec.fields) or 'none'}")
        try:
            self.values[key] = field.spec.check(value, None, key)
        except DefinitionError as error:
            raise InvalidArgumentError(f"blackboard {error}") from None
        Blackboard.changes += 1

    def snapshot(self) -> dict:
        """The values as plain data."""
        return dict(self.values)

    def check_snapshot(self, data: Any, path: str) -> dict:
        """``data`` as :meth:`restore` takes it (every declared key, of its declared type); raises
        SnapshotError naming ``path`` and the key."""
        return check_part(self._spec, data, path)

    def restore(self, data: Mapping[str, Any]) -> None:
        """Put back the values of a :meth:`snapshot`; raises SnapshotError (changing nothing) for values
        :meth:`check_snapshot` refuses."""
        self.values = self.check_snapshot(data, "blackboard")
        Blackboard.changes += 1


@dataclass(frozen=True, eq=False)
class BehaviorLibrary:
    """A validated behavior library. Build one with :meth:`load` or :meth:`from_dict`."""

    source: str | None
    blackboard: Mapping[str, bool | float]
    autonomous: Mapping[str, AutonomousBehavior]
    interactive: Mapping[str, InteractiveBehavior]
    #: The Python conditions registered when it was loaded, whose keys its blackboard declares.
    conditions: Mapping[str, python_leaves.PythonCondition] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path, composite_loader: Callable[[Path], Runner] = load_composite) -> "BehaviorLibrary":
        """Load and check a library file; ``composite_loader(path)`` loads each ``run: {bpfa: NAME}``
        from ``bpfa/NAME.yaml`` next to it."""
        return cls.from_dict(load_yaml(path), source=path, composite_loader=composite_loader)

    @classmethod
    def from_dict(cls, data: Any, source: object = None,
                  composite_loader: Callable[[Path], Runner] = load_composite) -> "BehaviorLibrary":
        """Check ``data`` against :data:`LIBRARY_SCHEMA`, parse every expression and load composites.

        With ``extends``, the result is that library with this one's blackboard keys and behaviors added;
        a behavior of the same name replaces the one it extends.
        """
        checked = check(LIBRARY_SCHEMA, data, source)
        base = None
        if checked["extends"] == "shipped":
            base = shipped_library()
        elif checked["extends"] is not None:
            path = Path(referenced_file(source, checked["extends"], "extends")).resolve()
            if path in _EXTENDING or (source is not None and path == Path(str(source)).resolve()):
                raise DefinitionError(source, "extends", "a library that does not extend itself, directly or through "
                                      "others", checked["extends"])
            _EXTENDING.append(path)
            try:
                base = BehaviorLibrary.load(path, composite_loader)
            finally:
                _EXTENDING.pop()
        conditions = python_leaves.conditions()
        for name in checked["blackboard"]:
            if name in conditions:
                raise DefinitionError(source, f"blackboard.{name}", "a key no Python condition owns (the registered "
                                      f"condition {name!r} declares it and writes its value)", name)
        blackboard = {**{name: rule.default for name, rule in conditions.items()},
                      **(base.blackboard if base else {}), **checked["blackboard"]}
        autonomous = dict(base.autonomous) if base else {}
        for name, rule in checked["autonomous"].items():
            key = f"autonomous.{name}"
            trigger = parse(rule["trigger"], source, f"{key}.trigger", blackboard)  # errors name the author's columns
            if rule["congruent"]:
                shows = f"shows.{rule['orientation']}"
                text = shows if trigger.text.strip() == "true" else f"({trigger.text}) and {shows}"
                trigger = parse(text, source, f"{key}.trigger", blackboard)
            autonomous[name] = AutonomousBehavior(
                name=name,
                sufferer=rule["sufferer"],
                trigger=trigger,
                aim=emotion_vector(rule["aim"]),
                orientation=rule["orientation"],
                runner=_runner(rule["run"], source, f"{key}.run", composite_loader),
            )
        interactive = dict(base.interactive) if base else {}
        for name, rule in checked["interactive"].items():
            key = f"interactive.{name}.condition"
            condition = parse(rule["condition"], source, key, blackboard)
            if any(not read.startswith("bb.") for read in condition.names):
                raise DefinitionError(source, key, "a condition on the smart object's own bb.<key> values only "
                                      "(a smart object has no emotion or mood)", rule["condition"])
            interactive[name] = InteractiveBehavior(name, condition, emotion_vector(rule["effect"]))
        return cls(None if source is None else str(source), blackboard, autonomous, interactive, conditions)

    def new_blackboard(self, values: Mapping[str, Any] | None = None, source: object = None,
                       key: str = "blackboard", own_keys: Mapping[str, bool | float] | None = None) -> Blackboard:
        """A blackboard with the declared keys (and ``own_keys``, a character's own) at their starting
        values, or at ``values`` (checked: unknown keys and wrong types raise DefinitionError naming
        ``source`` and ``key``)."""
        spec = Record({name: Field(Flag() if isinstance(default, bool) else _BLACKBOARD_NUMBER, default=default)
                       for name, default in {**self.blackboard, **(own_keys or {})}.items()})
        return Blackboard(spec, spec.check(dict(values or {}), source, key))


def _runner(run: Mapping[str, Any], source: object, key: str, composite_loader: Callable[[Path], Runner]) -> Runner:
    if sum(run[kind] is not None for kind in ("action", "bpfa", "python")) != 1:
        raise DefinitionError(source, key, "exactly one of action (a single action), bpfa (a composite behavior) "
                              "or python (an action written in Python)", run)
    if run["python"] is not None:
        if run["duration"] is not None:
            raise DefinitionError(source, f"{key}.duration", "no duration with python (the action says when it is "
                                  "done)", run["duration"])
        return python_leaves.PythonRunner(run["python"], python_leaves.registered("action", run["python"], source,
                                                                                  f"{key}.python"))
    if run["bpfa"] is not None:
        if run["duration"] is not None:
            raise DefinitionError(source, f"{key}.duration", "no duration with bpfa (the BPFA decides when it is done)",
                                  run["duration"])
        return composite_loader(referenced_file(source, f"bpfa/{run['bpfa']}.yaml", f"{key}.bpfa"))
    duration = run["duration"]
    if duration is None:
        return SingleAction(run["action"], None)
    if isinstance(duration, float):
        return SingleAction(run["action"], (duration, duration))
    if len(duration) != 2 or duration[0] > duration[1]:
        raise DefinitionError(source, f"{key}.duration", "seconds, or [min, max] with min <= max", duration)
    return SingleAction(run["action"], (duration[0], duration[1]))


def shipped_library() -> BehaviorLibrary:
    """The library shipped in ``assets/behaviors/library.yaml``."""
    return BehaviorLibrary.load(asset_path("behaviors", "library.yaml"))

