"""Behavior trees (Lu, section 2.3.2 (5)) built on py_trees from YAML.

A tree file names a root node; every node is one of Lu's six organizational forms, or a leaf that
runs a behavior of the library (:mod:`anisync.behavior.library`)::

    name: villager
    library: library.yaml        # optional, relative to this file; default: the shipped library
    blackboard: {on_duty: true}  # optional: starting values of the library's blackboard keys
    root:
      selector:                  # selective: the first child that does not fail, highest priority first
        children:
          - guard: {when: "fear > 0.5", child: cower}      # filtered: the child runs while `when` holds
          - parallel: {children: [laugh, hum]}             # parallel: both at once
          - sequence: {children: [sigh, cry]}              # sequential: one after the other
          - repeat: {times: 2, child: look_around}         # repetitive
          - timeout: {seconds: 5, child: wander}           # modified (also invert, retry, succeed)
          - python: wave_at_player                         # a leaf written in Python (anisync.behavior.python)
          - idle                                           # a leaf: a behavior of the library

How the forms map to py_trees:

==============  ========================================================================================
form            py_trees
==============  ========================================================================================
sequential      ``sequence: {children, memory=true}`` → :class:`py_trees.composites.Sequence`
selective       ``selector: {children, memory=false}`` → :class:`py_trees.composites.Selector`
filtered        ``guard: {when, child}`` → ``Sequence(memory=False)`` of a condition leaf and the child:
                py_trees' eternal-guard idiom, re-checked every tick (no global blackboard client, unlike
                ``EternalGuard``)
parallel        ``parallel: {children, policy=all|one}`` → :class:`py_trees.composites.Parallel` with
                ``SuccessOnAll`` or ``SuccessOnOne``; it fails as soon as one child fails, so it runs
                only while every child can
repetitive      ``repeat: {child, times}`` → :class:`py_trees.decorators.Repeat` (no times: forever)
modified        ``invert`` → ``Inverter``; ``retry: {times}`` → ``Retry``; ``succeed`` →
                ``FailureIsSuccess``; ``timeout: {seconds}`` → :class:`GameTimeout`, py_trees'
                ``Timeout`` on game time
==============  ========================================================================================

Every node takes an optional ``name`` for the debug view. Rules checked at load: every leaf names a
library behavior; guard conditions parse; and a parallel never puts a behavior of positive orientation
beside one of negative orientation (Lu rule 3); the error names both.

A leaf runs its behavior only while the behavior's trigger holds: it checks the trigger on every tick
and, the moment it stops holding, fails at once and stops the action (rule 4). Each character gets its
own :class:`TreeBehavior`, built once from the definition and never changed afterwards.
"""

from __future__ import annotations

import dataclasses
import itertools
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

import py_trees
from py_trees.common import ParallelPolicy, Status

from ..errors import AnisyncError, DefinitionError, SnapshotError
from ..loading import load_yaml, referenced_file
from ..resources import asset_path
from ..schema import (NAME_PATTERN, AnyOf, Anything, Field, Flag, ListOf, MapOf, Nothing, Number, Record, Spec, Text,
                      check)
from ..snapshot import SECONDS, check_part, part
from .expr import Expression, parse
from . import python as python_leaves
from .library import AutonomousBehavior, Blackboard, BehaviorLibrary, shipped_library
from .python import PythonCondition, PythonLeaf

if TYPE_CHECKING:
    from ..character import Character
    from ..events import Event


# --- the YAML format ---------------------------------------------------------------------------------
class _TreeNode(Spec):
    """A tree node: a behavior name (a leaf), or a mapping with one key that names its form."""

    def describe(self) -> str:
        return "a behavior name or a mapping with one key: " + ", ".join([*_FORMS, "python"])

    def check(self, value, source, path):
        if isinstance(value, str):
            return Text(pattern=NAME_PATTERN).check(value, source, path)
        if isinstance(value, dict) and len(value) == 1 and "python" in value:
            return {"python": Text(pattern=NAME_PATTERN).check(value["python"], source, f"{path}.python" if path else "python")}
        if not (isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _FORMS):
            raise self.fail(value, source, path)
        form, body = next(iter(value.items()))
        return {form: _FORMS[form].check(body, source, f"{path}.{form}" if path else form)}


_NODE = _TreeNode()
_NAME = Field(Text(), default=None, doc="shown in the debug view")
_CHILD = Field(_NODE)
_TIMES = Number(1, 1_000_000, integer=True)
_FORMS: dict[str, Record] = {
    "sequence": Record({"name": _NAME, "memory": Field(Flag(), default=True), "children": Field(ListOf(_NODE, 1))}),
    "selector": Record({"name": _NAME, "memory": Field(Flag(), default=False), "children": Field(ListOf(_NODE, 1))}),
    "guard": Record({"name": _NAME, "when": Field(Text()), "child": _CHILD}),
    "parallel": Record({"name": _NAME, "policy": Field(Text(choices=("all", "one")), default="all"),
                        "children": Field(ListOf(_NODE, 2))}),
    "repeat": Record({"name": _NAME, "times": Field(_TIMES, default=None), "child": _CHILD}),
    "invert": Record({"name": _NAME, "child": _CHILD}),
    "retry": Record({"name": _NAME, "times": Field(_TIMES), "child": _CHILD}),
    "succeed": Record({"name": _NAME, "child": _CHILD}),
    "timeout": Record({"name": _NAME, "seconds": Field(Number(0.0, 3600.0, open_min=True)), "child": _CHILD}),
}

TREE_SCHEMA = Record({
    "name": Field(Text(pattern=NAME_PATTERN), default=None, doc="default: the file name"),
    "library": Field(Text(), default=None, doc="library file relative to this one; default: the shipped library"),
    "blackboard": Field(MapOf(AnyOf((Flag(), Number()))), default=dict,
                        doc="starting values of declared blackboard keys, overriding the library's"),
    "root": Field(_NODE, doc="the global behavior tree: the common ancestor of every sub-tree"),
})


@dataclass(frozen=True, eq=False)
class NodeSpec:
    """One checked node of a tree definition; :meth:`TreeDefinition.build` turns it into py_trees nodes."""

    form: str  # "behavior" for a leaf, else a key of _FORMS
    name: str
    key: str  # where it is in the file, for errors
    options: Mapping[str, Any] = field(default_factory=dict)
    children: tuple["NodeSpec", ...] = ()
    behavior: AutonomousBehavior | None = None
    condition: Expression | None = None
    leaf: type[PythonLeaf] | None = None  # a leaf written in Python

    def walk(self) -> Iterator["NodeSpec"]:
        """This node and every node under it, depth first, left to right."""
        yield self
        for child in self.children:
            yield from child.walk()

    def leaves(self) -> Iterator["NodeSpec"]:
        """The behavior leaves under this node, left to right."""
        return (spec for spec in self.walk() if spec.behavior is not None)


# --- py_trees nodes ----------------------------------------------------------------------------------
class _Context:
    """What the nodes of one character's tree share: the character being ticked, its blackboard and the
    game clock (seconds of advanced time, so that timeouts replay exactly)."""

    def __init__(self, blackboard: Blackboard):
        self.character: Character | None = None
        self.blackboard = blackboard
        self.clock = 0.0

    def holds(self, expression: Expression) -> bool:
        emotion = self.character.emotion
        return expression.holds(emotion.vector, emotion.mood, self.blackboard.values)


_OUTCOMES = {Status.SUCCESS: "done", Status.FAILURE: "aborted", Status.INVALID: "interrupted"}


#: A leaf's run between the tick that starts its behavior and the end of that tick (see BehaviorLeaf).
STARTING = object()


class BehaviorLeaf(py_trees.behaviour.Behaviour):
    """Runs one autonomous behavior while its trigger holds.

    Each tick: if the trigger does not hold, FAILURE (stopping the action if it ran); otherwise the
    leaf is RUNNING until the action is done (SUCCESS). A behavior that starts is marked
    :data:`STARTING` and really started (its duration drawn from the character's RNG) only once the
    whole tick is over, so that one a parallel starts and stops again in the same tick, because a
    sibling failed, leaves no trace: a tree ticked every update and one ticked only when needed then
    draw the same numbers.
    """

    def __init__(self, rule: AutonomousBehavior, context: _Context):
        super().__init__(rule.name)
        self.rule = rule
        self.context = context
        self.run: Any = None  # the runner's state while the behavior runs (STARTING during its first tick)
        self.ended = ("", "")  # (action, outcome) of the last run that stopped

    def update(self) -> Status:
        context = self.context
        if not context.holds(self.rule.trigger):
            self.feedback_message = f"trigger does not hold: {self.rule.trigger}"  # why, for `behavior show --trace`
            return Status.FAILURE
        if self.run is None:
            self.run = STARTING
        if self.run is STARTING:
            self.feedback_message = "starting"
            return Status.RUNNING
        finished = self.rule.runner.finished(self.run)
        self.feedback_message = "finished" if finished else f"playing {self.action}"
        return Status.SUCCESS if finished else Status.RUNNING

    def terminate(self, new_status: Status) -> None:
        if self.run is not None and self.run is not STARTING:
            self.ended = (self.action, _OUTCOMES[new_status])
        self.run = None

    def start(self, character: "Character") -> None:
        """Start the behavior marked STARTING in the tick just over."""
        self.run = self.rule.runner.start(character)

    @property
    def action(self) -> str:
        """The action shown now (only while the behavior runs)."""
        return self.rule.runner.current_action(self.run)


class TriggerCondition(py_trees.behaviour.Behaviour):
    """A guard's condition: SUCCESS while the expression holds, FAILURE otherwise."""

    def __init__(self, expression: Expression, context: _Context):
        super().__init__(expression.text)
        self.expression = expression
        self.context = context

    def update(self) -> Status:
        return Status.SUCCESS if self.context.holds(self.expression) else Status.FAILURE


class GameTimeout(py_trees.decorators.Timeout):
    """py_trees' :class:`~py_trees.decorators.Timeout` on the tree's game clock.

    py_trees' own reads the wall clock (``time.monotonic``); behavior must follow game time so that runs
    replay under a seed and continue exactly after a restore.
    """

    def __init__(self, name: str, child: py_trees.behaviour.Behaviour, duration: float, context: _Context):
        super().__init__(name, child, duration)
        self.context = context

    def initialise(self) -> None:
        self.finish_time = self.context.clock + self.duration

    def update(self) -> Status:
        if self.decorated.status == Status.RUNNING and self.expired:
            self.decorated.stop(Status.INVALID)
            return Status.FAILURE
        return self.decorated.status

    @property
    def expired(self) -> bool:
        return self.context.clock >= self.finish_time


_PARALLEL_POLICIES = {"all": lambda: ParallelPolicy.SuccessOnAll(synchronise=True), "one": ParallelPolicy.SuccessOnOne}

# form -> builder(spec, children, context)
_BUILDERS: dict[str, Callable[[NodeSpec, list, _Context], py_trees.behaviour.Behaviour]] = {
    "behavior": lambda spec, kids, context: BehaviorLeaf(spec.behavior, context),
    "python": lambda spec, kids, context: spec.leaf(spec.name, context),
    "sequence": lambda spec, kids, context: py_trees.composites.Sequence(spec.name, spec.options["memory"], kids),
    "selector": lambda spec, kids, context: py_trees.composites.Selector(spec.name, spec.options["memory"], kids),
    "guard": lambda spec, kids, context: py_trees.composites.Sequence(
        spec.name, False, [TriggerCondition(spec.condition, context), *kids]),
    "parallel": lambda spec, kids, context: py_trees.composites.Parallel(
        spec.name, _PARALLEL_POLICIES[spec.options["policy"]](), kids),
    "repeat": lambda spec, kids, context: py_trees.decorators.Repeat(spec.name, kids[0], spec.options["times"] or -1),
    "invert": lambda spec, kids, context: py_trees.decorators.Inverter(spec.name, kids[0]),
    "retry": lambda spec, kids, context: py_trees.decorators.Retry(spec.name, kids[0], spec.options["times"]),
    "succeed": lambda spec, kids, context: py_trees.decorators.FailureIsSuccess(spec.name, kids[0]),
    "timeout": lambda spec, kids, context: GameTimeout(spec.name, kids[0], spec.options["seconds"], context),
}


def _default_name(form: str, options: Mapping[str, Any]) -> str:
    if form in ("repeat", "retry") and options.get("times"):
        return f"{form} x{options['times']}"
    if form == "timeout":
        return f"timeout {options['seconds']:g} s"
    return form


# --- definitions -------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class TreeDefinition:
    """A validated behavior tree. Build one with :meth:`load` or :meth:`from_dict`; every character
    using it gets its own :class:`TreeBehavior`.

    Attributes:
        behaviors: the names of the library behaviors its leaves run.
        triggers: every expression it depends on (leaf triggers, then guard conditions), one per text: the
            tree's outcome can change only when one of these changes value, when a running action ends,
            or when a timeout expires (see :attr:`TreeBehavior.due`).
        polled: the Python conditions its triggers read, which each character's tree reads at their rate.
        python_leaves: whether it has leaves written in Python (then it ticks every update).
        own_keys: blackboard keys a character declares beyond the library's, with starting values.
    """

    name: str
    source: str | None
    library: BehaviorLibrary
    blackboard: Mapping[str, Any]  # starting values of every declared key
    root: NodeSpec
    behaviors: frozenset[str]
    triggers: tuple[Expression, ...]
    polled: tuple[PythonCondition, ...] = ()
    python_leaves: bool = False
    own_keys: Mapping[str, bool | float] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> "TreeDefinition":
        """Load and check a tree file."""
        return cls.from_dict(load_yaml(path), source=path)

    @classmethod
    def from_dict(cls, data: Any, source: object = None, library: BehaviorLibrary | None = None) -> "TreeDefinition":
        """Check ``data`` against :data:`TREE_SCHEMA` and the rules of the module docstring.

        The library is ``library`` if given, else the file the data names, else the shipped one.
        """
        checked = check(TREE_SCHEMA, data, source)
        if library is None:
            if checked["library"] is None:
                library = shipped_library()
            else:
                library = BehaviorLibrary.load(referenced_file(source, checked["library"], "library"))
        name = checked["name"] or (Path(str(source)).stem if source is not None else "tree")
        blackboard = library.new_blackboard(checked["blackboard"], source).values
        root = _spec(checked["root"], "root", source, library)
        leaves = [leaf.behavior for leaf in root.leaves()]
        conditions = [spec.condition for spec in root.walk() if spec.condition is not None]
        # One expression per distinct text: a guard often repeats the trigger of a behavior below it.
        triggers = {expression.text: expression for expression in [leaf.trigger for leaf in leaves] + conditions}
        read = {name for expression in triggers.values() for name in expression.names}
        polled = tuple(rule for key, rule in library.conditions.items() if f"bb.{key}" in read)
        return cls(name, None if source is None else str(source), library, blackboard, root,
                   frozenset(leaf.name for leaf in leaves), tuple(triggers.values()), polled,
                   any(spec.form == "python" for spec in root.walk()))

    def build(self, context: _Context) -> py_trees.behaviour.Behaviour:
        """A fresh py_trees tree of this definition whose nodes share ``context``."""

        def build(spec: NodeSpec) -> py_trees.behaviour.Behaviour:
            return _BUILDERS[spec.form](spec, [build(child) for child in spec.children], context)

        return build(self.root)


def _spec(node: Any, key: str, source: object, library: BehaviorLibrary) -> NodeSpec:
    """Turn a checked node into a NodeSpec, resolving behaviors and conditions and checking parallels."""
    if isinstance(node, dict) and "python" in node:
        return NodeSpec("python", node["python"], f"{key}.python",
                        leaf=python_leaves.registered("leaf", node["python"], source, f"{key}.python"))
    if isinstance(node, str):
        if node not in library.autonomous:
            raise DefinitionError(source, key, f"an autonomous behavior of {library.source or 'the library'} "
                                  f"({', '.join(library.autonomous)})", node)
        return NodeSpec("behavior", node, key, behavior=library.autonomous[node])
    form, body = next(iter(node.items()))
    key = f"{key}.{form}"
    if "children" in body:
        kids = tuple(_spec(child, f"{key}.children[{i}]", source, library) for i, child in enumerate(body["children"]))
    else:
        kids = (_spec(body["child"], f"{key}.child", source, library),)
    options = {option: value for option, value in body.items() if option not in ("name", "child", "children", "when")}
    condition = parse(body["when"], source, f"{key}.when", library.blackboard) if form == "guard" else None
    spec = NodeSpec(form, body["name"] or _default_name(form, options), key, options, kids, condition=condition)
    if form == "parallel":
        _check_orientations(spec, source)
    return spec


def _check_orientations(parallel: NodeSpec, source: object) -> None:
    """Lu rule 3: behaviors of opposite orientation never run side by side."""
    for first, second in itertools.combinations(parallel.children, 2):
        for a, b in itertools.product(first.leaves(), second.leaves()):
            if {a.behavior.orientation, b.behavior.orientation} == {"positive", "negative"}:
                raise DefinitionError(
                    source, parallel.key, "children whose behaviors do not have opposite orientations "
                    "(Lu rule 3: no positive behavior in parallel with a negative one)",
                    {a.name: a.behavior.orientation, b.name: b.behavior.orientation})


def character_tree(behavior: Mapping[str, Any], source: object) -> TreeDefinition:
    """The tree of a character definition's checked ``behavior: {tree, behaviors, blackboard}`` section.

    ``tree`` is a shipped tree's name (``assets/behaviors/trees/NAME.yaml``) or a path relative to the
    character file; ``behaviors`` lists the behaviors of the tree's library the character may use, and the
    tree must use no other (``library``, its old name, still works and warns); ``blackboard`` gives
    starting values of the library's keys and declares the character's own keys (for game code and Python
    conditions to use).
    """
    tree = behavior["tree"]
    if tree.endswith((".yaml", ".yml")) or "/" in tree:
        path = referenced_file(source, tree, "behavior.tree")
    else:
        try:
            path = asset_path("behaviors", "trees", f"{tree}.yaml")
        except AnisyncError:
            raise DefinitionError(source, "behavior.tree", "a shipped tree's name or the path of a tree file", tree) from None
    definition = TreeDefinition.load(path)
    if (behavior["behaviors"] is None) == (behavior["library"] is None):
        raise DefinitionError(source, "behavior.behaviors", "the list of behaviors the character may use "
                              "(behaviors:, or its old name library:, not both)", behavior)
    key = "behavior.behaviors"
    allowed = behavior["behaviors"]
    if allowed is None:
        key, allowed = "behavior.library", behavior["library"]
        warnings.warn(f"{source}: behavior.library is the old name of behavior.behaviors (a library is a file of "
                      "behaviors); rename it", DeprecationWarning, stacklevel=2)
    for i, name in enumerate(allowed):
        if name not in definition.library.autonomous:
            raise DefinitionError(source, f"{key}[{i}]", f"an autonomous behavior of {definition.library.source}", name)
    missing = sorted(definition.behaviors - set(allowed))
    if missing:
        raise DefinitionError(source, key, "a list of every behavior the tree uses, "
                              f"also {', '.join(missing)} (used by {definition.source})", allowed)
    values = behavior["blackboard"]
    if not values:
        return definition
    declared = definition.library.blackboard
    for name in values:
        if name in definition.library.conditions:
            raise DefinitionError(source, f"behavior.blackboard.{name}", "a key no Python condition owns (the "
                                  f"registered condition {name!r} writes its value)", name)
    library_values = {name: value for name, value in values.items() if name in declared}
    definition.library.new_blackboard({**definition.blackboard, **library_values}, source, "behavior.blackboard")
    return dataclasses.replace(definition, blackboard={**definition.blackboard, **library_values},
                               own_keys={name: value for name, value in values.items() if name not in declared})


# --- the behavior slot -------------------------------------------------------------------------------
#: Ticks :meth:`TreeBehavior.tick` may take to reach a running behavior (a tree completes, then restarts).
MAX_TICKS = 4
#: Per-node state beyond status, for snapshots: attribute names by py_trees class.
_NODE_STATE = ((py_trees.decorators.Repeat, "success"), (py_trees.decorators.Retry, "failures"),
               (GameTimeout, "finish_time"))


class TreeBehavior:
    """A character's behavior slot filled by a behavior tree (implements :class:`anisync.character.Behavior`).

    :meth:`update` is :meth:`advance` then :meth:`tick`. A scheduler that ticks only on change can call
    them apart: :meth:`advance` every update (actions progress, aims act), :meth:`tick` only when one of
    :attr:`triggers` changed value, an event arrived, or :attr:`due` says so.

    Args:
        definition: the tree; it is built once here and never changes afterwards.
    """

    def __init__(self, definition: TreeDefinition):
        self.definition = definition
        self.blackboard = definition.library.new_blackboard(definition.blackboard, own_keys=definition.own_keys)
        self._context = _Context(self.blackboard)
        self.root = definition.build(self._context)
        self._nodes = list(self.root.iterate())  # a fixed order for snapshots
        self._leaves = [node for node in self._nodes if isinstance(node, BehaviorLeaf)]  # left to right
        self._timeouts = [node for node in self._nodes if isinstance(node, GameTimeout)]
        self._tree: py_trees.trees.BehaviourTree | None = None
        #: Who last sent this character an event (the sufferer of ``target`` behaviors).
        self.target: str | None = None
        self._counters = [(node, attribute) for node in self._nodes for kind, attribute in _NODE_STATE
                          if isinstance(node, kind)]
        self._settled = False  # the last tick changed nothing
        self._running: list[BehaviorLeaf] = []

    @property
    def triggers(self) -> tuple[Expression, ...]:
        """Every expression the tree depends on; see :attr:`TreeDefinition.triggers`."""
        return self.definition.triggers

    @property
    def running(self) -> list[BehaviorLeaf]:
        """The leaves whose behavior runs now, left to right (only a tick or a restore changes them)."""
        return self._running

    def _find_running(self) -> None:
        self._running = [leaf for leaf in self._leaves if leaf.run is not None]

    @property
    def activity(self) -> str:
        """The action of the leftmost running behavior, or ``"idle"``."""
        return self._running[0].action if self._running else "idle"

    @property
    def orientation(self) -> str:
        """The emotional orientation of what the character does: that of the running behaviors (a
        parallel node never mixes positive and negative ones), ``"neutral"`` when they all are or
        nothing runs."""
        for leaf in self._running:
            if leaf.rule.orientation != "neutral":
                return leaf.rule.orientation
        return "neutral"

    @property
    def actions(self) -> tuple[str, ...]:
        """The actions of every running behavior (several under a parallel node)."""
        return tuple(leaf.action for leaf in self.running)

    @property
    def due(self) -> bool:
        """Whether a tick is needed although no trigger changed: a running action is done, a timeout
        expired, or the last tick changed something (a status, a running action, a counter). A tick that
        changes nothing is a fixed point: with the same triggers, the next one would change nothing
        either. One that changed something may not be: a selector retries a branch that just failed, a
        tree that completed starts over."""
        if not self._settled or self.definition.python_leaves:
            return True
        for leaf in self._running:  # loops, not any(): this runs for every character every update
            if leaf.rule.runner.finished(leaf.run):
                return True
        for node in self._timeouts:
            if node.status == Status.RUNNING and node.expired:
                return True
        return False

    def _fingerprint(self) -> tuple:
        """Everything a tick can change: statuses, which runs are running, counters and deadlines. The
        ids of runs are safe to compare because :meth:`tick` holds the previous runs while comparing."""
        return (tuple(node.status for node in self._nodes),
                tuple(id(leaf.run) if leaf.run is not None else 0 for leaf in self._leaves),
                tuple(getattr(node, attribute) for node, attribute in self._counters))

    def _idle_midway(self) -> bool:
        """Nothing runs, yet the tree has not failed: it completed, is between steps, or never ran."""
        return self.root.status != Status.FAILURE and all(leaf.run is None for leaf in self._leaves)

    def on_event(self, character: "Character", event: "Event") -> None:
        """Remember who sent an external event (the ``target``) and pass the event to running
        composite behaviors; trigger changes the event caused show at the next tick."""
        if not event.internal:
            self.target = event.sender
        for leaf in self.running:
            leaf.rule.runner.fire(leaf.run, event, character)

    def advance(self, character: "Character", dt: float) -> bool:
        """Let ``dt`` seconds pass without ticking: running actions progress (their aims act through the
        emotion's continuous aim) and the Python conditions due are read. Returns whether the tree needs a
        tick now: :attr:`due`, or a Python condition's value changed."""
        before, self._context.clock = self._context.clock, self._context.clock + dt
        for leaf in self._running:
            leaf.rule.runner.advance(leaf.run, dt, character)
        polled = self.definition.polled
        changed = bool(polled) and python_leaves.poll(polled, character, self.blackboard, before, self._context.clock,
                                                      first=before == 0.0)
        return self.due or changed

    def tick(self, character: "Character") -> None:
        """Tick the tree: triggers are checked, finished actions end, new behaviors start.

        When a tick leaves nothing running although the tree has not failed (it just completed, or a
        repeat is between rounds), it ticks again, up to :data:`MAX_TICKS` times in all, so that the
        character goes straight on to its next behavior instead of idling for one update.
        """
        self._context.character = character
        fingerprint = self._fingerprint()
        before = {leaf: leaf.run for leaf in self._leaves if leaf.run is not None}
        for _ in range(MAX_TICKS):
            if self._tree is None:
                self.root.tick_once()
            else:
                self._tree.tick()
            if not self._idle_midway():
                break
        for leaf in self._leaves:
            if leaf.run is STARTING:
                leaf.start(character)
        # Announce changes only once the tick is over: a parallel may start a behavior and stop it again
        # in the same tick when a sibling fails, which nobody should hear about.
        for leaf in self._leaves:
            previous = before.get(leaf)
            if previous is not None and leaf.run is not previous:
                action, outcome = leaf.ended
                character.emit("behavior_ended", payload={"behavior": leaf.name, "action": action, "outcome": outcome})
            if leaf.run is not None and leaf.run is not previous:
                character.emit("behavior_started", payload={
                    "behavior": leaf.name, "action": leaf.action, "sufferer": self._sufferer(leaf, character)})
        self._settled = self._fingerprint() == fingerprint
        self._find_running()
        running = self._running
        if list(before) != running:  # the running set changed: so did the sum of aims
            character.emotion.set_aim(sum(leaf.rule.aim for leaf in running) if running else None)

    def _sufferer(self, leaf: BehaviorLeaf, character: "Character") -> str | list[str] | None:
        """Who the behavior is aimed at: the character's id, the target (None if nobody sent an event
        yet) or its groups as ``group:NAME`` addresses."""
        sufferer = leaf.rule.sufferer
        if sufferer == "self":
            return character.id
        if sufferer == "target":
            return self.target
        return [f"group:{group}" for group in character.definition.groups]

    def update(self, character: "Character", dt: float) -> None:
        """One runtime update: :meth:`advance` by ``dt``, then :meth:`tick`."""
        self.advance(character, dt)
        self.tick(character)

    def add_visitor(self, visitor: py_trees.visitors.VisitorBase) -> None:
        """Have a py_trees visitor see every node each tick (for debugging; ticks get slower)."""
        if self._tree is None:
            self._tree = py_trees.trees.BehaviourTree(self.root)
        self._tree.add_visitor(visitor)

    # --- save and restore --------------------------------------------------------------------------
    def snapshot(self) -> dict:
        """Plain data: node statuses and their state (current child, counters, running actions or BPFA
        runs), the blackboard, the game clock and the target."""
        return {
            "clock": self._context.clock,
            "target": self.target,
            "blackboard": self.blackboard.snapshot(),
            "nodes": [_node_state(node) for node in self._nodes],
        }

    def check_snapshot(self, data: Any) -> dict:
        """``data`` checked as a :meth:`snapshot` of this tree: clock, target, blackboard, and per node its
        status and state (child index, counters, the run of a leaf); raises SnapshotError naming the key
        and changes nothing."""
        checked = check_part(_TREE_SNAPSHOT, data, "")
        checked["blackboard"] = self.blackboard.check_snapshot(checked["blackboard"], "blackboard")
        nodes = checked["nodes"]
        if len(nodes) != len(self._nodes):
            raise SnapshotError("nodes", f"holds {len(nodes)} tree nodes, this tree has {len(self._nodes)}")
        for index, (node, state) in enumerate(zip(self._nodes, nodes)):
            nodes[index] = check_part(_node_state_spec(node), state, f"nodes[{index}]")
            if isinstance(node, BehaviorLeaf) and state["running"]:
                with part(f"nodes[{index}].run"):
                    node.rule.runner.from_data(state["run"])
        return checked

    def restore(self, data: Mapping) -> None:
        """Continue from a :meth:`snapshot` of a behavior with the same tree; raises SnapshotError (an
        InvalidArgumentError), changing nothing, for data :meth:`check_snapshot` refuses."""
        data = self.check_snapshot(data)
        self._context.clock = data["clock"]
        self.target = data["target"]
        self.blackboard.restore(data["blackboard"])
        for node, state in zip(self._nodes, data["nodes"]):
            _restore_node(node, state)
        self._settled = False
        self._find_running()


_TREE_SNAPSHOT = Record({"clock": Field(SECONDS), "target": Field(AnyOf((Nothing(), Text()))),
                         "blackboard": Field(Anything()), "nodes": Field(ListOf(Anything()))})
_STATUS = Text(choices=tuple(status.value for status in Status))
_COUNTER = Number(0, 2 ** 53, integer=True)
_NODE_STATE_SPECS = {"success": _COUNTER, "failures": _COUNTER, "finish_time": SECONDS}


def _node_state_spec(node: py_trees.behaviour.Behaviour) -> Record:
    """What :func:`_node_state` writes for ``node``."""
    fields = {"status": Field(_STATUS)}
    if isinstance(node, py_trees.composites.Composite):
        fields["current"] = Field(AnyOf((Nothing(), Number(0, len(node.children) - 1, integer=True))))
    elif isinstance(node, BehaviorLeaf):
        fields["running"], fields["run"] = Field(Flag()), Field(Anything(), doc="checked by the runner")
    for kind, attribute in _NODE_STATE:
        if isinstance(node, kind):
            fields[attribute] = Field(_NODE_STATE_SPECS[attribute])
    return Record(fields)


def _node_state(node: py_trees.behaviour.Behaviour) -> dict:
    state: dict[str, Any] = {"status": node.status.value}
    if isinstance(node, py_trees.composites.Composite):
        state["current"] = None if node.current_child is None else node.children.index(node.current_child)
    elif isinstance(node, BehaviorLeaf):
        state["running"] = node.run is not None
        state["run"] = node.rule.runner.to_data(node.run) if node.run is not None else None
    for kind, attribute in _NODE_STATE:
        if isinstance(node, kind):
            state[attribute] = getattr(node, attribute)
    return state


def _restore_node(node: py_trees.behaviour.Behaviour, state: Mapping) -> None:
    node.status = Status(state["status"])
    if isinstance(node, py_trees.composites.Composite):
        node.current_child = None if state["current"] is None else node.children[state["current"]]
    elif isinstance(node, BehaviorLeaf):
        node.run = node.rule.runner.from_data(state["run"]) if state["running"] else None
    for kind, attribute in _NODE_STATE:
        if isinstance(node, kind):
            setattr(node, attribute, state[attribute])
