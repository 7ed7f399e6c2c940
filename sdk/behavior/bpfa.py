"""Behavioral probabilistic finite automata (Peng, section 2.3) driven by the ``transitions`` library.

A BPFA is ``<n, Q_b, Sigma, delta_b, p_b, b_0, F_b>``: a name, a set of behaviors (states), an alphabet of
events, arcs labelled by an event and a probability, an initial behavior and final behaviors. For every
state and every event, the probabilities of the arcs leaving the state on that event sum to 1 (the seed's
constraint is per event, not over all letters); a state with no arc for an event ignores it.

**States** are behaviors. A *basic* behavior is an action: the animation the character plays
(``action``, default the state's name) for a ``duration`` (seconds, or ``[min, max]`` drawn uniformly with
the character's RNG; none: until an event moves it on). When the duration is over the action raises, as an
internal event through ``character.emit``, ``done``, or, for an *uncertain action* ``<n, R, p>``, the
outcome drawn from its ``outcomes`` R with probabilities p. A *composite* behavior (``behavior``) is itself
a BPFA, referenced by name or by path; it is over when its automaton reaches a final state and that
state's action ends, and then the composite state raises ``done``.

A **final** state's action plays for its duration too, and only then is the automaton over
(:meth:`BPFA.finished`), so a behavior-tree leaf running a BPFA shows it before it succeeds. A final action
without a duration lasts one update: the first advance after the state is entered starts it and the next
one ends it (the runtime delivers events before it advances, so the action is on show for the update in
which the state was entered). A state that is not final needs a way out: an action without a duration, or
a composite behavior whose automaton has no final state, never ends by itself, so it needs an arc on an
external event; a state with neither is a trap (a run that enters it never leaves) and is refused at load.

**Events.** Sigma holds the external events listed under ``events`` (sent by the world, the player or other
characters) and the internal ones: ``done`` and the outcome names. An internal event is accepted only by
the run that raised it and only while it waits for it (``BPFARun.pending``), so a stale ``done`` from an
action that an external event already interrupted cannot end the next action early. Nested automata see
an event first: the innermost automaton that has an arc for it takes it, so an external event with an arc
at the top level interrupts a composite behavior whose own states ignore it.

**Emotion weighting.** An arc may carry ``weight: EMOTION``. For the arcs ``a_1..a_k`` leaving state q on
event e, with probabilities ``p_i`` and the character's emotion vector ``x`` (seven components in (0,1))::

    m_i = x[weight_i]  if a_i has a weight, else 1
    P(a_i | q, e, x) = p_i * m_i / sum_j (p_j * m_j)

so ``flee`` weighted by ``fear`` becomes more likely the more afraid the character is, and the arcs of each
(state, event) still sum to 1. Without weighted arcs ``P(a_i) = p_i``.

**Sharing.** One :class:`BPFA` per definition (``BPFA.load`` returns the same object for the same
unchanged file) wraps one ``transitions.Machine`` whose single cursor model stands in for whichever
character is being moved: :meth:`BPFA.fire` draws the target with the character's RNG, sets the cursor
to the character's state, triggers the event (each arc is a transition whose condition matches the drawn
target) and copies the new state back. Each character holds only a :class:`BPFARun` of a few slots.
transitions' hierarchical machine is not used for nesting: it would copy a sub-behavior's states into
every machine that embeds it, whereas here a composite state points at the sub-behavior's own shared BPFA,
which mirrors the seed (a composite behavior is itself a BPFA) and keeps one machine per definition.

The file format (``assets/behaviors/bpfa/*.yaml`` are annotated examples)::

    name: greet
    events: [player_left]                  # external events; done and outcomes are internal
    initial: approach
    finals: [rest]
    states:
      approach: {action: walk, duration: [1.0, 2.0]}
      hop: {action: jump, duration: 0.6, outcomes: {landed: 0.9, stumbled: 0.1}}
      wave: {duration: 1.5}
      rest: {action: idle}
    arcs:                                  # state -> event -> target -> p (or {p: P, weight: EMOTION})
      approach:
        done: {wave: 0.7, hop: {p: 0.3, weight: joy}}
        player_left: {rest: 1.0}
      hop: {landed: {wave: 1.0}, stumbled: {rest: 1.0}}
      wave: {done: {rest: 1.0}}
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Sequence

from transitions import Machine

from ..emotion import EMOTION_INDEX, EMOTIONS
from ..errors import AnisyncError, DefinitionError, InvalidArgumentError
from ..loading import load_yaml, referenced_file
from ..resources import asset_path
from ..schema import (NAME_PATTERN, AnyOf, Anything, Field, ListOf, MapOf, Nothing, Number, Record, Shorthand,
                      Text, check)


#: The internal event an action (or a composite behavior) raises when it is over.
DONE = "done"
#: How far the probabilities of one (state, event), or of one uncertain action, may sum from 1.
SUM_TOLERANCE = 1e-6

_NAME = Text(pattern=NAME_PATTERN)
_PROBABILITY = Number(0.0, 1.0, open_min=True)  # Peng: p maps into (0, 1]
_SECONDS = Number(0.0)

#: One state of a BPFA file. New action keys (``aim``, ``speed``...) are added here as optional fields.
STATE_SCHEMA = Record({
    "action": Field(_NAME, default=None, doc="animation the character plays (default: the state's name)"),
    "duration": Field(AnyOf((_SECONDS, ListOf(_SECONDS, min_items=2, max_items=2))), default=None,
                      doc="seconds, or [min, max] drawn uniformly; none: until an event moves it on"),
    "outcomes": Field(MapOf(_PROBABILITY, key=_NAME), default=dict,
                      doc="uncertain action: outcome event -> probability, summing to 1"),
    "behavior": Field(Text(), default=None,
                      doc="composite behavior: a BPFA by name, or by path relative to this file"),
})

#: One arc: a probability, or ``{p: P, weight: EMOTION}``.
ARC_SCHEMA = Shorthand(Record({
    "p": Field(_PROBABILITY),
    "weight": Field(Text(choices=EMOTIONS), default=None, doc="multiply p by this emotion component"),
}), "p")

#: The schema of a BPFA file (see the module docstring for an example).
BPFA_SCHEMA = Record({
    "name": Field(_NAME),
    "description": Field(Text(), default=""),
    "events": Field(ListOf(_NAME), default=list, doc="external events the automaton reacts to"),
    "initial": Field(_NAME, doc="b_0"),
    "finals": Field(ListOf(_NAME), default=list, doc="F_b"),
    "states": Field(MapOf(STATE_SCHEMA, key=_NAME)),
    "arcs": Field(MapOf(MapOf(MapOf(ARC_SCHEMA, key=_NAME), key=_NAME), key=_NAME), default=dict,
                  doc="state -> event -> target state -> arc"),
})


@dataclass(frozen=True)
class Arc:
    """One arc of delta_b: on its event, go to ``target`` with probability ``p`` (times ``weight``'s emotion)."""

    target: str
    p: float
    weight: str | None = None

    def label(self, event: str) -> str:
        """``event / p`` (and ``x emotion`` when weighted), as the graph shows it."""
        return f"{event} / {self.p:g}" + (f" \u00d7 {self.weight}" if self.weight else "")


@dataclass(frozen=True)
class BehaviorState:
    """One behavior of Q_b: an action (possibly uncertain) or, with ``behavior``, a composite behavior."""

    name: str
    action: str | None = None
    duration: float | tuple[float, float] | None = None
    outcomes: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    behavior: BPFA | None = None

    @property
    def completions(self) -> frozenset[str]:
        """The internal events this state raises when it is over: its outcomes, or ``done``."""
        if self.behavior is not None:
            return frozenset({DONE}) if self.behavior.finals else frozenset()
        if self.duration is None:
            return frozenset()
        return frozenset(self.outcomes) or frozenset({DONE})

    def draw_duration(self, rng) -> float:
        """Seconds this action lasts: fixed, or drawn uniformly from ``[min, max]``; 0 without a duration."""
        if isinstance(self.duration, tuple):
            return float(rng.uniform(*self.duration))
        return 0.0 if self.duration is None else self.duration

    def draw_outcome(self, rng) -> str:
        """The internal event raised when the action ends: an outcome drawn from R, or ``done``."""
        if not self.outcomes:
            return DONE
        names = tuple(self.outcomes)
        return names[_pick(tuple(self.outcomes.values()), rng)]

    def describe(self) -> str:
        """A short multi-line description: name, action, duration, outcomes."""
        lines = [self.name]
        if self.action != self.name:
            lines.append(self.action)
        if isinstance(self.duration, tuple):
            lines.append(f"{self.duration[0]:g}\u2013{self.duration[1]:g} s")
        elif self.duration is not None:
            lines.append(f"{self.duration:g} s")
        lines.extend(f"{outcome} {p:g}" for outcome, p in self.outcomes.items())
        return "\n".join(lines)


class BPFARun:
    """One character's place in a BPFA: plain data, a few slots, no reference to the definition.

    Attributes:
        automaton: name of the BPFA the run belongs to.
        state: the current behavior.
        elapsed: seconds spent in the current action.
        duration: the current action's drawn duration (``None`` until the first advance, or when it has none).
        pending: the internal event the current behavior raised and waits for, if any.
        child: the run of the nested automaton while the state is a composite behavior.
    """

    __slots__ = ("automaton", "state", "elapsed", "duration", "pending", "child")

    def __init__(self, automaton: str, state: str, elapsed: float = 0.0, duration: float | None = None,
                 pending: str | None = None, child: BPFARun | None = None):
        self.automaton = automaton
        self.state = state
        self.elapsed = elapsed
        self.duration = duration
        self.pending = pending
        self.child = child

    def to_data(self) -> dict:
        """Plain data (strings, numbers, None, dicts) from which :meth:`from_data` rebuilds the run."""
        return {
            "automaton": self.automaton, "state": self.state, "elapsed": self.elapsed, "duration": self.duration,
            "pending": self.pending, "child": None if self.child is None else self.child.to_data(),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any], _key: str = "") -> BPFARun:
        """Rebuild a run from :meth:`to_data`; check it against its BPFA with :meth:`BPFA.check_run`.
        Raises InvalidArgumentError naming the key (``child.state``) that is missing or of the wrong type."""
        try:
            run = _RUN_DATA.check(data, "run data", _key)
        except DefinitionError as error:
            raise InvalidArgumentError(str(error)) from None
        child = run.pop("child")
        return cls(**run, child=None if child is None else cls.from_data(child, f"{_key}.child" if _key else "child"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BPFARun) and self.to_data() == other.to_data()

    def __repr__(self) -> str:
        inner = f" > {self.child!r}" if self.child is not None else ""
        return f"<BPFARun {self.automaton}:{self.state} {self.elapsed:.2f}s{inner}>"


#: What BPFARun.to_data writes.
_RUN_DATA = Record({
    "automaton": Field(Text()), "state": Field(Text()), "elapsed": Field(Number(0.0)),
    "duration": Field(AnyOf((Nothing(), Number(0.0)))), "pending": Field(AnyOf((Nothing(), Text()))),
    "child": Field(AnyOf((Nothing(), MapOf(Anything())))),
})


#: Where the machine keeps the cursor's state: not a valid event name, so no event can clash with it.
_STATE_ATTRIBUTE = "_state"


class _Cursor:
    """The single model of a BPFA's machine; its state is set from a character's run for each event."""


class BPFA:
    """A behavioral probabilistic finite automaton: immutable, shared by every character that uses it.

    Build one with :meth:`load` or :meth:`from_dict`; see the module docstring for the semantics and the
    file format. Per-character state lives in a :class:`BPFARun` from :meth:`start`. The machine's cursor
    is shared, so drive a BPFA from one thread at a time (the runtime's update loop).
    """

    def __init__(self, name: str, initial: str, finals: frozenset[str], external_events: frozenset[str],
                 states: Mapping[str, BehaviorState], arcs: Mapping[tuple[str, str], tuple[Arc, ...]],
                 description: str = "", source: str | None = None):
        self._name = name
        self._initial = initial
        self._finals = frozenset(finals)
        self._external = frozenset(external_events)
        self._states = MappingProxyType(dict(states))
        self._arcs = MappingProxyType(dict(arcs))
        self._description = description
        self._source = source
        # Letters reserved for internal events: accepted only from the run that raised them.
        self._internal = frozenset({DONE}).union(*(state.outcomes for state in self._states.values()))
        self._events = self._external.union(*(state.completions for state in self._states.values()))
        self._cursor = _Cursor()
        self._machine = self.new_machine(self._cursor)

    # --- loading -----------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> BPFA:
        """Load a YAML BPFA file, and the files its composite states reference.

        The same file gives the same object while neither it nor a file it references changes, so every
        character that uses a definition, directly or nested in another one, shares one BPFA and one
        machine. Raises DefinitionError naming the file, the key (``arcs.STATE.EVENT``, ``states.STATE``...)
        and what was expected.
        """
        return _load(Path(path), ())

    @classmethod
    def from_dict(cls, data: Any, source: object = None) -> BPFA:
        """Check ``data`` (a parsed BPFA file) and build the automaton; relative references in composite
        states are resolved from ``source``'s folder (the current directory without a source)."""
        loading = () if source is None else (Path(source).resolve(),)
        return _build(check(BPFA_SCHEMA, data, source), source, loading)

    # --- the definition, read-only -----------------------------------------------------------------
    @property
    def name(self) -> str:
        """n: the behavior's name."""
        return self._name

    @property
    def description(self) -> str:
        return self._description

    @property
    def source(self) -> str | None:
        """The file the definition came from, if any."""
        return None if self._source is None else str(self._source)

    @property
    def initial(self) -> str:
        """b_0."""
        return self._initial

    @property
    def finals(self) -> frozenset[str]:
        """F_b."""
        return self._finals

    @property
    def events(self) -> frozenset[str]:
        """Sigma: the external events and the internal ones (``done``, outcomes) this automaton's states raise."""
        return self._events

    @property
    def external_events(self) -> frozenset[str]:
        """The events the world or other characters send that this automaton reacts to."""
        return self._external

    @property
    def states(self) -> Mapping[str, BehaviorState]:
        """Q_b, by name, in definition order."""
        return self._states

    @property
    def arcs(self) -> Mapping[tuple[str, str], tuple[Arc, ...]]:
        """delta_b and p_b: ``(state, event) -> arcs``."""
        return self._arcs

    @property
    def machine(self) -> Machine:
        """The ``transitions`` machine that fires this automaton's arcs for every character."""
        return self._machine

    def new_machine(self, model: object) -> Machine:
        """A new ``transitions`` machine for this automaton bound to ``model``: one transition per arc, each
        guarded by "the drawn target is mine". The BPFA keeps one for its cursor; ``anisync bench bpfa``
        builds more to show what a machine per character would cost."""
        transitions = [
            {"trigger": event, "source": source, "dest": arc.target, "conditions": [partial(operator.eq, arc.target)]}
            for (source, event), arcs in self._arcs.items() for arc in arcs
        ]
        return Machine(model=model, states=list(self._states), transitions=transitions, initial=self._initial,
                       auto_transitions=False, send_event=False, model_attribute=_STATE_ATTRIBUTE)

    def probabilities(self, state: str, event: str, emotion: Sequence[float] | None = None) -> dict[str, float]:
        """The chance of each target of ``(state, event)`` for an emotion vector (weighting as in the module
        docstring; ``None``: the unweighted p). Empty when the state ignores the event."""
        arcs = self._arcs.get((state, event), ())
        weights = _weights(arcs, emotion)
        total = sum(weights)
        return {arc.target: weight / total for arc, weight in zip(arcs, weights)}

    # --- running -----------------------------------------------------------------------------------
    def start(self) -> BPFARun:
        """A fresh run at b_0 (and at b_0 of every nested automaton when b_0 is composite)."""
        return BPFARun(self._name, self._initial, child=self._child_run(self._initial))

    def fire(self, run: BPFARun, event: str, character) -> bool:
        """Deliver ``event`` to ``run``: take an arc for (current state, event), drawn with ``character.rng``
        and weighted by ``character.emotion.vector``. Nested automata see the event first.

        Returns False when no automaton of the run has an arc for the event here (the event is ignored),
        or when it is an internal event the run is not waiting for.
        """
        self._check_owner(run)
        return self._fire(run, event, character)

    def advance(self, run: BPFARun, dt: float, character) -> None:
        """Let ``dt`` seconds pass in the current action. When its duration is over it raises, through
        ``character.emit``, ``done``, or for an uncertain action the outcome drawn from R with
        ``character.rng``; the run then waits for that event (see :meth:`fire`). A composite behavior raises
        ``done`` when its automaton's final action is over."""
        if isinstance(dt, bool) or not isinstance(dt, (int, float)) or not (math.isfinite(dt) and dt >= 0):
            raise InvalidArgumentError(f"dt: expected a finite number of seconds >= 0, got {dt!r}")
        self._check_owner(run)
        self._advance(run, float(dt), character)

    def current_action(self, run: BPFARun) -> str:
        """The action now running, the innermost one when behaviors are nested: the animation to play."""
        automaton, run = self._innermost(run)
        return automaton._states[run.state].action

    def state_path(self, run: BPFARun) -> tuple[str, ...]:
        """The current state at each level, outermost first (``("say_hello", "hop")``)."""
        path = []
        automaton: BPFA = self
        while True:
            path.append(run.state)
            if run.child is None:
                return tuple(path)
            automaton, run = automaton._states[run.state].behavior, run.child

    def finished(self, run: BPFARun) -> bool:
        """True once the run is over: it reached a final state of this (top-level) automaton and that
        state's action ended (see the module docstring), which is what ends a composite behavior."""
        return run.state in self._finals and run.pending is not None

    def check_run(self, run: BPFARun) -> None:
        """Raise InvalidArgumentError unless ``run`` (for example one restored from data) fits this automaton."""
        self._check_owner(run)
        state = self._states.get(run.state)
        if state is None:
            raise InvalidArgumentError(f"run: {run.state!r} is not a state of BPFA {self._name!r}")
        if (state.behavior is None) != (run.child is None):
            kind = "an action" if state.behavior is None else f"the composite behavior {state.behavior.name!r}"
            raise InvalidArgumentError(f"run: state {run.state!r} of BPFA {self._name!r} is {kind}, "
                                       f"but the run {'has' if run.child is not None else 'lacks'} a nested run")
        if state.behavior is not None:
            state.behavior.check_run(run.child)

    # --- internals ---------------------------------------------------------------------------------
    def _check_owner(self, run: BPFARun) -> None:
        if not isinstance(run, BPFARun) or run.automaton != self._name:
            got = run.automaton if isinstance(run, BPFARun) else type(run).__name__
            raise InvalidArgumentError(f"run: expected a run of BPFA {self._name!r}, got one of {got!r}")

    def _child_run(self, state: str) -> BPFARun | None:
        behavior = self._states[state].behavior
        return None if behavior is None else behavior.start()

    def _enter(self, run: BPFARun, state: str) -> None:
        run.state, run.elapsed, run.duration, run.pending = state, 0.0, None, None
        run.child = self._child_run(state)

    def _innermost(self, run: BPFARun) -> tuple[BPFA, BPFARun]:
        automaton: BPFA = self
        while run.child is not None:
            automaton, run = automaton._states[run.state].behavior, run.child
        return automaton, run

    def _fire(self, run: BPFARun, event: str, character) -> bool:
        if run.child is not None and self._states[run.state].behavior._fire(run.child, event, character):
            return True
        if event in self._internal and run.pending != event:
            return False
        arcs = self._arcs.get((run.state, event))
        if arcs is None:
            return False
        if len(arcs) == 1:
            target = arcs[0].target
        else:
            target = arcs[_pick(_weights(arcs, character.emotion.vector), character.rng)].target
        self._machine.set_state(run.state, model=self._cursor)
        self._cursor.trigger(event, target)
        self._enter(run, getattr(self._cursor, _STATE_ATTRIBUTE))
        return True

    def _advance(self, run: BPFARun, dt: float, character) -> bool:
        """Advance one level; True when this automaton is over (its final action ended), for the parent."""
        if run.pending is not None:
            return False
        state = self._states[run.state]
        final = run.state in self._finals
        if state.behavior is not None:
            if not state.behavior._advance(run.child, dt, character):
                return False
            letter = DONE
        else:
            if state.duration is None and not final:
                return False  # holds until an event moves it on
            if run.duration is None:
                run.duration = state.draw_duration(character.rng)
                if state.duration is None:
                    return False  # a final action without a duration: shown for one update, over at the next
            run.elapsed += dt
            if run.elapsed < run.duration:
                return False
            letter = state.draw_outcome(character.rng)
        run.pending = letter
        if final:
            return True
        character.emit(letter, payload={"behavior": self._name, "state": run.state})
        return False

    def __repr__(self) -> str:
        return f"<BPFA {self._name}: {len(self._states)} states, {sum(map(len, self._arcs.values()))} arcs>"


class BPFABehavior:
    """Fills a character's behavior slot (:class:`anisync.character.Behavior`) with a BPFA.

    Delivered events fire arcs, each update advances the current action, and ``activity`` is the action
    now running. ``Runtime(behavior_factory=lambda character: BPFABehavior(bpfa))`` gives every character
    its own run of one shared automaton.
    """

    def __init__(self, bpfa: BPFA):
        self.bpfa = bpfa
        self.run = bpfa.start()

    @property
    def activity(self) -> str:
        """The action now running."""
        return self.bpfa.current_action(self.run)

    def on_event(self, character, event) -> None:
        self.bpfa.fire(self.run, event.content, character)

    def update(self, character, dt: float) -> None:
        self.bpfa.advance(self.run, dt, character)

    def snapshot(self) -> dict:
        return self.run.to_data()

    def check_snapshot(self, data: Any) -> BPFARun:
        """The run ``data`` describes, checked against the automaton; raises SnapshotError (or
        InvalidArgumentError) and changes nothing."""
        run = BPFARun.from_data(data)
        self.bpfa.check_run(run)
        return run

    def restore(self, data: Mapping) -> None:
        self.run = self.check_snapshot(data)


# --- weighted draws -------------------------------------------------------------------------------------------------
def _weights(arcs: Sequence[Arc], emotion: Sequence[float] | None) -> list[float]:
    """``p_i * m_i`` of the module docstring (``m_i = 1`` without an emotion vector)."""
    if emotion is None:
        return [arc.p for arc in arcs]
    return [arc.p if arc.weight is None else arc.p * float(emotion[EMOTION_INDEX[arc.weight]]) for arc in arcs]


def _pick(weights: Sequence[float], rng) -> int:
    """Index ``i`` drawn with probability ``weights[i] / sum(weights)``, from one ``rng.random()``."""
    threshold = rng.random() * sum(weights)
    cumulative = 0.0
    for index, weight in enumerate(weights):
        cumulative += weight
        if threshold < cumulative:
            return index
    return len(weights) - 1  # rounding can leave the threshold a hair above the running sum


# --- loading -----------------------------------------------------------------------------------------
#: Loaded files: resolved path -> (stamps of the file and of every file it references, BPFA).
_CACHE: dict[Path, tuple[tuple[tuple[Path, tuple[int, int] | None], ...], BPFA]] = {}


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


def _files(bpfa: BPFA) -> set[Path]:
    """The file of ``bpfa`` and of every BPFA nested in it."""
    files = {Path(bpfa.source).resolve()}
    for state in bpfa.states.values():
        if state.behavior is not None:
            files |= _files(state.behavior)
    return files


def _load(path: Path, loading: tuple[Path, ...]) -> BPFA:
    """Load ``path``, or reuse the BPFA loaded from it while neither it nor a file it references changed;
    ``loading`` lists the files being loaded above it (to report cycles)."""
    resolved = path.resolve()
    cached = _CACHE.get(resolved)
    if cached is not None and all(_stamp(file) == stamp for file, stamp in cached[0]):
        return cached[1]
    bpfa = _build(check(BPFA_SCHEMA, load_yaml(path), path), path, loading + (resolved,))
    _CACHE[resolved] = (tuple((file, _stamp(file)) for file in sorted(_files(bpfa))), bpfa)
    return bpfa


def _build(data: dict, source: object, loading: tuple[Path, ...]) -> BPFA:
    """Check what the schema cannot (names that must exist, sums, reachability) and build the BPFA."""
    name, initial, states_data = data["name"], data["initial"], data["states"]
    if not states_data:
        raise DefinitionError(source, "states", "at least one state", states_data)
    if initial not in states_data:
        raise DefinitionError(source, "initial", f"one of the states {', '.join(states_data)}", initial)
    for index, final in enumerate(data["finals"]):
        if final not in states_data:
            raise DefinitionError(source, f"finals[{index}]", f"one of the states {', '.join(states_data)}", final)
    finals = frozenset(data["finals"])
    states = {state: _build_state(state, entry, state in finals, source, loading)
              for state, entry in states_data.items()}
    reserved = frozenset({DONE}).union(*(state.outcomes for state in states.values()))
    for index, event in enumerate(data["events"]):
        if event in reserved:
            raise DefinitionError(source, f"events[{index}]",
                                  "an external event (done and action outcomes are internal: do not list them)", event)
    external = frozenset(data["events"])
    arcs = _build_arcs(name, data["arcs"], states, finals, external, source)
    _check_completions_lead_on(states, finals, arcs, source)
    _check_reachable(initial, states, arcs, source)
    _check_no_traps(states_data, states, finals, external, arcs, source)
    return BPFA(name, initial, finals, external, states, arcs, description=data["description"],
                source=None if source is None else str(source))


def _build_state(name: str, entry: dict, final: bool, source: object, loading: tuple[Path, ...]) -> BehaviorState:
    key = f"states.{name}"
    if entry["behavior"] is not None:
        for action_key in ("action", "duration", "outcomes"):
            if entry[action_key] not in (None, {}):
                raise DefinitionError(source, f"{key}.{action_key}",
                                      "no action keys in a composite state (one with behavior)", entry[action_key])
        return BehaviorState(name, behavior=_resolve(entry["behavior"], source, f"{key}.behavior", loading))
    duration = entry["duration"]
    if isinstance(duration, list):
        if duration[0] > duration[1]:
            raise DefinitionError(source, f"{key}.duration", "[min, max] seconds with min <= max", duration)
        duration = (duration[0], duration[1])
    outcomes = entry["outcomes"]
    if outcomes:
        if final:
            raise DefinitionError(source, f"{key}.outcomes", "no outcomes on a final state (no arc may follow it)",
                                  outcomes)
        if duration is None:
            raise DefinitionError(source, f"{key}.duration",
                                  "a duration: an uncertain action draws its outcome when it ends", missing=True)
        _check_sum(outcomes.values(), source, f"{key}.outcomes")
    return BehaviorState(name, action=entry["action"] or name, duration=duration,
                         outcomes=MappingProxyType(dict(outcomes)))


def _build_arcs(name: str, arcs_data: dict, states: Mapping[str, BehaviorState], finals: frozenset[str],
                external: frozenset[str], source: object) -> dict[tuple[str, str], tuple[Arc, ...]]:
    arcs = {}
    for state, by_event in arcs_data.items():
        key = f"arcs.{state}"
        if state not in states:
            raise DefinitionError(source, key, f"a state of {name}: one of {', '.join(states)}", state)
        if state in finals:
            raise DefinitionError(source, key, f"no arcs: {state!r} is a final state", by_event)
        completions = states[state].completions
        for event, by_target in by_event.items():
            event_key = f"{key}.{event}"
            if event not in external and event not in completions:
                raise DefinitionError(
                    source, event_key,
                    f"an event that state {state!r} receives: one of the listed events "
                    f"({', '.join(sorted(external)) or 'none'}) or its own completion "
                    f"({', '.join(sorted(completions)) or 'none: it never ends by itself'})", event)
            if not by_target:
                raise DefinitionError(source, event_key, "at least one target state", by_target)
            for target in by_target:
                if target not in states:
                    raise DefinitionError(source, f"{event_key}.{target}",
                                          f"a state of {name}: one of {', '.join(states)}", target)
            _check_sum([arc["p"] for arc in by_target.values()], source, event_key)
            arcs[(state, event)] = tuple(Arc(target, arc["p"], arc["weight"]) for target, arc in by_target.items())
    return arcs


def _check_completions_lead_on(states: Mapping[str, BehaviorState], finals: frozenset[str],
                               arcs: Mapping[tuple[str, str], tuple[Arc, ...]], source: object) -> None:
    """Every internal event a non-final state raises (``done``, or each outcome of an uncertain action)
    needs an arc: without one the run would wait for it forever, since nothing else can move it on."""
    for name, state in states.items():
        if name in finals:
            continue
        for event in sorted(state.completions):
            if (name, event) not in arcs:
                what = "outcome" if event in state.outcomes else "completion"
                raise DefinitionError(
                    source, f"arcs.{name}.{event}",
                    f"an arc on {event!r}, the {what} state {name!r} raises when it ends (it is not final, "
                    f"so without one the run would wait forever)", missing=True)


def _check_no_traps(states_data: Mapping[str, Any], states: Mapping[str, BehaviorState], finals: frozenset[str],
                    external: frozenset[str], arcs: Mapping[tuple[str, str], tuple[Arc, ...]], source: object) -> None:
    """A non-final state with no arc out is a trap: it never ends by itself either (a state that does has an
    arc on its completion, see _check_completions_lead_on), so a run that enters it never leaves or finishes."""
    leaving = {state for state, _ in arcs}
    events = f"an arc on one of the listed events ({', '.join(sorted(external)) or 'none listed'})"
    for name, state in states.items():
        if name in finals or name in leaving:
            continue
        if state.behavior is None:
            way_out = f"a duration (it then raises done), {events}"
        else:
            way_out = f"{events}, since its behavior {state.behavior.name!r} has no final state and never ends,"
        raise DefinitionError(source, f"states.{name}", f"a way out of a state that is not final: {way_out} "
                              "or a place under finals (a run that enters it would never leave)", states_data[name])


def _check_sum(probabilities, source: object, key: str) -> None:
    total = math.fsum(probabilities)
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise DefinitionError(source, key, f"probabilities whose sum is 1 (within {SUM_TOLERANCE:g})", total)


def _check_reachable(initial: str, states: Mapping[str, BehaviorState],
                     arcs: Mapping[tuple[str, str], tuple[Arc, ...]], source: object) -> None:
    successors: dict[str, set[str]] = {}
    for (state, _), group in arcs.items():
        successors.setdefault(state, set()).update(arc.target for arc in group)
    reached, frontier = {initial}, [initial]
    while frontier:
        for target in successors.get(frontier.pop(), ()):
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    for state in states:
        if state not in reached:
            raise DefinitionError(source, f"states.{state}",
                                  f"a state reachable from the initial state {initial!r} through the arcs", state)


def _resolve(reference: str, source: object, key: str, loading: tuple[Path, ...]) -> BPFA:
    """The BPFA a composite state names: a path relative to the referencing file, or a name looked up as
    ``NAME.yaml`` next to that file and then among the shipped ``assets/behaviors/bpfa``."""
    base = Path(source).parent if source is not None else Path.cwd()
    by_name = "/" not in reference and not reference.endswith((".yaml", ".yml"))
    if by_name:
        path = base / f"{reference}.yaml"
        if not path.is_file():
            path = _shipped(reference)
    else:
        path = referenced_file(source, reference, key)
    if path is None or not path.is_file():
        raise DefinitionError(source, key, "a BPFA file: a path relative to this file, or the name of a BPFA next "
                                           "to it or shipped in assets/behaviors/bpfa", reference)
    resolved = path.resolve()
    if resolved in loading:
        cycle = " -> ".join(p.name for p in loading[loading.index(resolved):] + (resolved,))
        raise DefinitionError(source, key, "a behavior that does not contain itself", f"the cycle {cycle}")
    child = _load(path, loading)
    if by_name and child.name != reference:
        raise DefinitionError(source, key, f"a BPFA named {reference!r}", f"{path}, named {child.name!r}")
    return child


def _shipped(name: str) -> Path | None:
    try:
        return asset_path("behaviors", "bpfa", f"{name}.yaml")
    except AnisyncError:
        return None
