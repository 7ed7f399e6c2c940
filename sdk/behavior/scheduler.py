"""Which behavior trees tick in an update: re-evaluate on change, as Unreal's behavior trees do.

Ticking a py_trees tree of 15-30 nodes costs tens of microseconds, so ticking every tree every update does
not scale to hundreds of characters. A tick changes nothing unless one of its inputs changed, so the
scheduler ticks a character's tree only when

* one of the trigger expressions its tree reads flipped value since the character's last check, or
* its running action is over or a timeout expired (:meth:`TreeBehavior.advance` says so, also when an
  event moved a composite behavior's BPFA on).

Events reach a tree through these: the runtime appraises them before the scheduler runs, so an event
that changes what a character should do flips a trigger in the same update, and a delivered event always
makes its character check its triggers in that update, whatever its check rate. An event that flips
nothing would leave a tick with nothing to change, so none is spent on it (a broadcast to 500 characters
must not cost 500 ticks unless they all react).

Between ticks the running action just advances. Triggers are checked for every character at once: each
distinct expression is evaluated once, vectorised over the N×7 matrices of emotions and moods and arrays
of blackboard values, and a relevance mask keeps only the flips of expressions a character's tree reads.

Checks can also be rate-limited: ``check_rate`` (per second, default every update) with a per-character
phase offset so checks spread across frames, and :meth:`BehaviorScheduler.set_rate` for AI level of
detail (characters far from the camera check less often). Events and finished actions still tick at
once. ``tick_every_update=True`` ticks every tree every update: the baseline the benchmark compares with.

Ticks per update are capped by ``tick_budget`` (:data:`TICK_BUDGET` by default), so that a broadcast to
hundreds of characters does not make one update a stutter the player sees. The trees that want a tick
queue, oldest first, and the rest of the queue ticks in the next updates, never more than ``max_wait``
updates after it joined (:data:`MAX_WAIT`): when the queue is too long for the budget to drain in time,
an update ticks just as many as keep every tree within that bound, spread evenly (500 trees frightened at
once with a budget of 24 and a bound of 15 tick 32 an update). :attr:`SchedulerStats.deferred` and
``longest_wait`` count the waiting. Only ticks wait: an event still moves the character's emotion, and so
its face, in the update that delivers it. The budget is a count of ticks, not a time, so that a run stays
the same on any machine.
The queue and each character's last trigger values are part of :meth:`BehaviorScheduler.snapshot`, so a
restored runtime ticks the same trees in the same updates as the run it was saved from.
"""

from __future__ import annotations

import itertools
import math
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

import numpy as np

from ..emotion import shows_orientation
from ..errors import InvalidArgumentError, SnapshotError
from .library import Blackboard
from .tree import TreeBehavior

if TYPE_CHECKING:
    from ..character import Character
    from ..emotion import EmotionBank


#: Tree ticks per update, by default, unless more are needed to keep within :data:`MAX_WAIT`. A tick that
#: starts or ends behaviors costs 0.1 to 0.2 ms on a 2-core x86-64 machine: about 3 to 5 ms of ticks.
TICK_BUDGET = 24
#: Updates a tree waits for its tick at most, by default (a quarter of a second at 60 updates/s).
MAX_WAIT = 15


@dataclass
class SchedulerStats:
    """Counters since the scheduler was made: tree ticks, advances without a tick, trigger checks (one per
    character whose triggers were compared with their last values), ticks put off to a later update by
    the tick budget (one per tree and update it waited), and the most updates a tree waited."""

    ticks: int = 0
    advances: int = 0
    checks: int = 0
    deferred: int = 0
    longest_wait: int = 0


def _whole(value: object, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


class _Plan:
    """What stays fixed while the set of characters does: who has a tree, every distinct trigger, and
    which characters read which trigger."""

    def __init__(self, characters: list["Character"], rates: dict[str, float | None], default_rate: float | None):
        self.trees = [c for c in characters if isinstance(c.behavior, TreeBehavior)]
        self.others = [c for c in characters if not isinstance(c.behavior, TreeBehavior)]
        expressions: dict[str, object] = {}
        for character in self.trees:
            for expression in character.behavior.triggers:
                expressions.setdefault(expression.text, expression)
        self.expressions = list(expressions.values())
        column = {text: j for j, text in enumerate(expressions)}
        self.relevant = np.zeros((len(self.trees), len(self.expressions)), dtype=bool)
        for i, character in enumerate(self.trees):
            self.relevant[i, [column[e.text] for e in character.behavior.triggers]] = True
        self.rows = np.fromiter((c.emotion.row for c in self.trees), dtype=np.intp, count=len(self.trees))
        names = {name for e in self.expressions for name in e.names}
        self.blackboard_keys = sorted(name[3:] for name in names if name.startswith("bb."))
        self.orientations = sorted(name[6:] for name in names if name.startswith("shows."))
        self.phase = np.array([zlib.crc32(c.id.encode()) / 2**32 for c in self.trees])
        self.rates = np.array([rates.get(c.id, default_rate) or np.inf for c in self.trees])  # inf: every update
        self.last_values: np.ndarray | None = None  # trigger values at each character's last check
        #: Trees waiting for a tick (index -> the update it began waiting in), oldest first.
        self.waiting: dict[int, int] = {}
        self._blackboard: tuple[int, dict[str, np.ndarray]] = (-1, {})

    def blackboard_arrays(self) -> dict[str, np.ndarray]:
        """Each blackboard key the triggers read, as an array over the tree characters (0 where a
        character's tree lacks the key: its relevance mask ignores that column anyway). Rebuilt only
        when some blackboard changed since the last call."""
        if self._blackboard[0] != Blackboard.changes:
            arrays = {key: np.array([float(c.behavior.blackboard.values.get(key, 0.0)) for c in self.trees])
                      for key in self.blackboard_keys}
            self._blackboard = (Blackboard.changes, arrays)
        return self._blackboard[1]


class BehaviorScheduler:
    """Advances every character's behavior each update and ticks trees only when needed; see the module
    docstring.

    Args:
        check_rate: trigger checks per second per character (``None``: every update).
        tick_every_update: tick every tree every update (the unscheduled baseline; no budget).
        tick_budget: tree ticks per update (``None``: no cap); see the module docstring.
        max_wait: updates a tree waits for its tick at most; more than ``tick_budget`` trees tick when
            the queue needs it.
    """

    def __init__(self, check_rate: float | None = None, tick_every_update: bool = False,
                 tick_budget: int | None = TICK_BUDGET, max_wait: int = MAX_WAIT):
        self.check_rate = self._checked_rate("check_rate", check_rate)
        if tick_budget is not None and not _whole(tick_budget, 1):
            raise InvalidArgumentError(f"tick_budget: expected ticks per update >= 1 or None, got {tick_budget!r}")
        if not _whole(max_wait, 0):
            raise InvalidArgumentError(f"max_wait: expected updates >= 0, got {max_wait!r}")
        self.tick_every_update = tick_every_update
        self.tick_budget, self.max_wait = tick_budget, max_wait
        self.stats = SchedulerStats()
        self._rates: dict[str, float | None] = {}
        self._plan: _Plan | None = None
        self._updates = 0
        self._restored: dict | None = None  # scheduler memory from a snapshot, taken when the plan is made

    @staticmethod
    def _checked_rate(name: str, rate: float | None) -> float | None:
        if rate is not None and not (isinstance(rate, (int, float)) and math.isfinite(rate) and rate > 0):
            raise InvalidArgumentError(f"{name}: expected checks per second > 0 or None, got {rate!r}")
        return rate

    def set_rate(self, character_id: str, rate: float | None) -> None:
        """AI level of detail: check this character's triggers ``rate`` times per second (``None``:
        back to the scheduler's ``check_rate``)."""
        self._rates[character_id] = self._checked_rate("rate", rate)
        self._plan = None

    def reset(self) -> None:
        """Forget cached plans, trigger values and the tick queue (after spawn, despawn or a scene's start
        or end): every tree wants a tick at the next update, which changes nothing where nothing changed."""
        self._plan = None
        self._restored = None

    def step(self, characters: list["Character"], bank: "EmotionBank", time: float, dt: float,
             evented: Iterable[str]) -> None:
        """One update of every behavior: ``time`` is the end of the update, ``evented`` the ids of the
        characters that were delivered events in it."""
        if self._plan is None:
            self._plan = _Plan(characters, self._rates, self.check_rate)
            if self._restored is not None:
                self._take_memory(self._plan, self._restored)
                self._restored = None
        plan = self._plan
        for character in plan.others:
            character.behavior.update(character, dt)
        if not plan.trees:
            return
        flipped = self._flipped(plan, bank, time, dt, set(evented))
        waiting, now = plan.waiting, self._updates
        for i, character in enumerate(plan.trees):
            due = character.behavior.advance(character, dt)
            if due or flipped[i] or self.tick_every_update:
                waiting.setdefault(i, now)
            elif i not in waiting:
                self.stats.advances += 1
        for i in list(itertools.islice(waiting, self._ticks_now(waiting, now))):
            self.stats.longest_wait = max(self.stats.longest_wait, now - waiting.pop(i))
            plan.trees[i].behavior.tick(plan.trees[i])
            self.stats.ticks += 1
        self.stats.deferred += len(waiting)
        self._updates += 1

    def _ticks_now(self, waiting: dict[int, int], now: int) -> int | None:
        """How many of the queue's first trees tick in update ``now``: the budget, or the fewest that keep
        every queued tree within ``max_wait`` if ticking that many each update from now on (None: all)."""
        if self.tick_every_update or self.tick_budget is None or len(waiting) <= self.tick_budget:
            return None
        # The k-th tree (from 1) must have ticked within the updates left before its deadline, this one included.
        updates_left = np.fromiter(waiting.values(), dtype=np.int64, count=len(waiting)) + self.max_wait - now + 1
        needed = np.arange(1, len(waiting) + 1) / np.maximum(updates_left, 1)
        return max(self.tick_budget, math.ceil(float(needed.max())))

    # --- save and restore --------------------------------------------------------------------------
    def snapshot(self) -> dict | None:
        """The scheduler's memory as plain data: each tree character's triggers that held at its last
        check, and the tick queue; ``None`` when it has none (before the first update after a reset)."""
        if self._restored is not None:  # restored, and no update since
            return self._restored
        plan = self._plan
        if plan is None or plan.last_values is None:
            return None
        texts = [expression.text for expression in plan.expressions]
        return {"held": {c.id: [texts[j] for j in np.flatnonzero(plan.last_values[i] & plan.relevant[i])]
                         for i, c in enumerate(plan.trees)},
                "waiting": [{"id": plan.trees[i].id, "waited": self._updates - since}
                            for i, since in plan.waiting.items()]}

    @staticmethod
    def check_snapshot(data: dict | None, tree_of: Callable[[str], TreeBehavior | None]) -> None:
        """Refuse (SnapshotError, with a path inside ``data``) a :meth:`snapshot` that names a character
        without a behavior tree once restored (``tree_of(id)``: its tree, or None) or a trigger its tree
        does not read."""
        if data is None:
            return
        for character_id, held in data["held"].items():
            tree = tree_of(character_id)
            if tree is None:
                raise SnapshotError(f"held.{character_id}", "expected a spawned character whose behavior is a tree")
            triggers = {expression.text for expression in tree.triggers}
            for k, text in enumerate(held):
                if text not in triggers:
                    raise SnapshotError(f"held.{character_id}[{k}]", f"expected a trigger its tree reads, got {text!r}")
        for k, entry in enumerate(data["waiting"]):
            if entry["id"] not in data["held"]:
                raise SnapshotError(f"waiting[{k}].id", f"expected a character of held, got {entry['id']!r}")

    def restore(self, data: dict | None) -> None:
        """Take a checked :meth:`snapshot` (``None``: :meth:`reset`); it applies from the next update."""
        self.reset()
        self._restored = data

    def _take_memory(self, plan: _Plan, data: dict) -> None:
        column = {expression.text: j for j, expression in enumerate(plan.expressions)}
        row = {c.id: i for i, c in enumerate(plan.trees)}
        plan.last_values = np.zeros(plan.relevant.shape, dtype=bool)
        for character_id, held in data["held"].items():
            plan.last_values[row[character_id], [column[text] for text in held]] = True
        plan.waiting = {row[entry["id"]]: self._updates - entry["waited"] for entry in data["waiting"]}

    def _flipped(self, plan: _Plan, bank: "EmotionBank", time: float, dt: float, evented: set[str]) -> np.ndarray:
        """Which tree characters had a trigger they read change value since their last check; those
        in ``evented`` check now whatever their rate."""
        values = np.empty(plan.relevant.shape, dtype=bool)
        emotions, moods = bank.vector[plan.rows], bank.mood[plan.rows]
        # shows.* once for every trigger that reads it: it is the dearest name to work out.
        blackboard = {**plan.blackboard_arrays(),
                      **{f"shows.{o}": shows_orientation(emotions.T, o) for o in plan.orientations}}
        for j, expression in enumerate(plan.expressions):
            values[:, j] = expression.evaluate_many(emotions, moods, blackboard)
        if plan.last_values is None:
            plan.last_values = values
            return np.ones(len(plan.trees), dtype=bool)
        checking = self._checking(plan, time, dt)
        if evented:
            checking |= np.fromiter((c.id in evented for c in plan.trees), dtype=bool, count=len(plan.trees))
        self.stats.checks += int(checking.sum())
        flipped = ((values != plan.last_values) & plan.relevant).any(axis=1) & checking
        plan.last_values[checking] = values[checking]
        return flipped

    def _checking(self, plan: _Plan, time: float, dt: float) -> np.ndarray:
        """Which characters check their triggers in the update ending at ``time``: those whose rate
        (with its phase offset) has a check inside the update; all of them when no rate is set."""
        rates = plan.rates
        if np.all(np.isinf(rates)):
            return np.ones(len(plan.trees), dtype=bool)
        limited = np.isfinite(rates)
        safe = np.where(limited, rates, 1.0)
        crossed = np.floor(time * safe + plan.phase) != np.floor((time - dt) * safe + plan.phase)
        return np.where(limited, crossed, True)
