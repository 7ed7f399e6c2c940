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
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

import numpy as np

from ..errors import InvalidArgumentError
from .library import Blackboard
from .tree import TreeBehavior

if TYPE_CHECKING:
    from ..character import Character
    from ..emotion import EmotionBank


@dataclass
class SchedulerStats:
    """Counters since the scheduler was made: tree ticks, advances without a tick, and trigger checks
    (one per character whose triggers were compared with their last values)."""

    ticks: int = 0
    advances: int = 0
    checks: int = 0


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
        self.phase = np.array([zlib.crc32(c.id.encode()) / 2**32 for c in self.trees])
        self.rates = np.array([rates.get(c.id, default_rate) or np.inf for c in self.trees])  # inf: every update
        self.last_values: np.ndarray | None = None  # trigger values at each character's last check
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
        tick_every_update: tick every tree every update (the unscheduled baseline).
    """

    def __init__(self, check_rate: float | None = None, tick_every_update: bool = False):
        self.check_rate = self._checked_rate("check_rate", check_rate)
        self.tick_every_update = tick_every_update
        self.stats = SchedulerStats()
        self._rates: dict[str, float | None] = {}
        self._plan: _Plan | None = None

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
        """Forget cached plans and trigger values (after spawn, despawn or restore): every tree ticks
        at the next update, which changes nothing where nothing changed."""
        self._plan = None

    def step(self, characters: list["Character"], bank: "EmotionBank", time: float, dt: float,
             evented: Iterable[str]) -> None:
        """One update of every behavior: ``time`` is the end of the update, ``evented`` the ids of the
        characters that were delivered events in it."""
        if self._plan is None:
            self._plan = _Plan(characters, self._rates, self.check_rate)
        plan = self._plan
        for character in plan.others:
            character.behavior.update(character, dt)
        if not plan.trees:
            return
        flipped = self._flipped(plan, bank, time, dt, set(evented))
        for i, character in enumerate(plan.trees):
            behavior = character.behavior
            due = behavior.advance(character, dt)
            if due or flipped[i] or self.tick_every_update:
                behavior.tick(character)
                self.stats.ticks += 1
            else:
                self.stats.advances += 1

    def _flipped(self, plan: _Plan, bank: "EmotionBank", time: float, dt: float, evented: set[str]) -> np.ndarray:
        """Which tree characters had a trigger they read change value since their last check; those
        in ``evented`` check now whatever their rate."""
        values = np.empty(plan.relevant.shape, dtype=bool)
        emotions, moods = bank.vector[plan.rows], bank.mood[plan.rows]
        blackboard = plan.blackboard_arrays()
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
