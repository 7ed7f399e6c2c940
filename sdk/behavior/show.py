"""``anisync behavior show FILE``: print a behavior tree, and optionally run it with a per-tick trace.

FILE is a tree file or a character file with a tree. The tree is printed with py_trees' own display, then
each behavior it uses with its orientation, trigger, aim and action. ``--run SECONDS`` runs the character
(a tree file gets a plain character) in the scripted world of ``anisync run`` and prints a summary each
second; ``--trace`` prints, for every tick instead, each node visited with its status and its time
(inclusive of its children). The run ends with the mean and longest time of a tick.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Callable

from ..arguments import positive


def _load(path: Path):
    """The tree definition and the character definition of FILE (a plain one for a tree file)."""
    from ..character import CharacterDefinition
    from ..errors import DefinitionError
    from ..loading import load_yaml

    data = load_yaml(path)
    if isinstance(data, dict) and "root" in data:
        from .tree import TreeDefinition

        tree = TreeDefinition.from_dict(data, source=path)
        character = CharacterDefinition.from_dict(
            {"id": "probe", "behavior": {"tree": str(path.resolve()), "behaviors": sorted(tree.behaviors)}})
        return tree, character
    character = CharacterDefinition.from_dict(data, source=path)
    if character.tree is None:
        raise DefinitionError(path, "behavior", "a behavior tree (behavior: {tree, library}) or a tree file", missing=True)
    return character.tree, character


def describe(tree, unicode: bool = True) -> str:
    """The tree drawn by py_trees, then one line per behavior it uses."""
    import py_trees

    from ..emotion import EMOTIONS
    from .tree import TreeBehavior

    draw = py_trees.display.unicode_tree if unicode else py_trees.display.ascii_tree
    lines = [f"tree {tree.name} ({tree.source or 'no file'}), library {tree.library.source}", "",
             draw(TreeBehavior(tree).root).rstrip(), "", "behaviors:"]
    for name in sorted(tree.behaviors):
        rule = tree.library.autonomous[name]
        aim = ", ".join(f"{EMOTIONS[i]} {rate:+g}/s" for i, rate in enumerate(rule.aim) if rate)
        lines.append(f"  {name:<13s} {rule.orientation:<8s} when {rule.trigger}" + (f"; aim {aim}" if aim else ""))
    return "\n".join(lines)


def _trace_visitor(clock: Callable[[], float]):
    """A py_trees visitor that prints each tick's visited nodes with status, inclusive time and the node's
    feedback message (a behavior leaf says why it failed: its trigger does not hold)."""
    import py_trees

    class TraceVisitor(py_trees.visitors.VisitorBase):
        def __init__(self):
            super().__init__(full=False)
            self.ticks = 0

        def initialise(self) -> None:
            self.seen: dict = {}  # node id -> (status, seconds since the previous node finished)
            self.root = None
            self.last = time.perf_counter()

        def run(self, behaviour) -> None:
            now = time.perf_counter()
            self.seen[behaviour.id] = (behaviour.status, now - self.last, behaviour.feedback_message)
            self.root = behaviour  # the root is visited last
            self.last = now

        def finalise(self) -> None:
            self.ticks += 1
            lines: list[str] = []
            self._lines(self.root, 1, lines)
            print(f"t={clock():.3f}s tick {self.ticks}")
            print("\n".join(lines))

        def _lines(self, node, depth: int, lines: list[str]) -> float:
            """Append the lines of ``node``'s visited subtree; returns its inclusive time."""
            status, own, message = self.seen[node.id]
            index = len(lines)
            lines.append("")
            total = own + sum(self._lines(child, depth + 1, lines) for child in node.children if child.id in self.seen)
            lines[index] = (f"{'  ' * depth}{node.name:<{40 - 2 * depth}s} {status.value:<8s} {1e6 * total:8.1f} us"
                            + (f"  {message}" if message else ""))
            return total

    return TraceVisitor()


def show(path: Path, *, unicode: bool, seconds: int, trace: bool, rate: int, seed: int,
         tick_every_update: bool = False) -> None:
    """Print the tree of ``path``; with ``seconds`` > 0, run it and print what happens. The run ticks
    the tree when the scheduler says so (on change), or every update with ``tick_every_update``."""
    tree, definition = _load(path)
    print(describe(tree, unicode))
    if seconds <= 0:
        return
    from ..headless import WorldScript, format_second
    from ..runtime import Runtime
    from .scheduler import BehaviorScheduler

    runtime = Runtime(seed=seed, scheduler=BehaviorScheduler(tick_every_update=tick_every_update))
    character = runtime.spawn(definition)
    behavior = character.behavior
    if trace:
        behavior.add_visitor(_trace_visitor(lambda: runtime.time))
    # Time every tick the run makes; an instance attribute shadows the method that update() calls.
    durations: list[float] = []
    tick = behavior.tick

    def timed_tick(character) -> None:
        start = time.perf_counter()
        tick(character)
        durations.append(time.perf_counter() - start)

    behavior.tick = timed_tick
    script = WorldScript(runtime, seed)
    print()
    for second in range(seconds):
        told = script.schedule_second(float(second))
        for _ in range(rate):
            runtime.update(1.0 / rate)
        if not trace:
            print(format_second(runtime, second + 1, told))
    mean, longest = 1e6 * sum(durations) / len(durations), 1e6 * max(durations)
    print(f"\ndone: {len(durations)} ticks in {seconds * rate} updates, {mean:.1f} us per tick on average, "
          f"{longest:.1f} us at most"
          + (" (with the trace's own cost)" if trace else ""))


def _command(args: argparse.Namespace) -> int:
    if args.trace and not args.run:
        from ..errors import InvalidArgumentError

        raise InvalidArgumentError("--trace: needs --run SECONDS")
    show(Path(args.file), unicode=not args.ascii, seconds=args.run, trace=args.trace, rate=args.rate, seed=args.seed,
         tick_every_update=args.tick_every_update)
    return 0


def register(commands) -> None:
    """Add ``anisync behavior show``."""
    parser = commands.subcommand("behavior", "show", _command, help="print a behavior tree; run it with --run, trace it with --trace")
    parser.add_argument("file", help="a tree file (assets/behaviors/trees/*.yaml) or a character file with a tree")
    parser.add_argument("--ascii", action="store_true", help="draw with ascii instead of unicode")
    parser.add_argument("--run", type=positive, default=0, metavar="SECONDS",
                        help="run it for this many seconds in the scripted world of `anisync run`")
    parser.add_argument("--trace", action="store_true", help="with --run: print every tick's node statuses and times")
    parser.add_argument("--rate", type=positive, default=10, help="updates per second of the run")
    parser.add_argument("--seed", type=int, default=0, help="seed of the character and the script")
    parser.add_argument("--tick-every-update", action="store_true",
                        help="with --run: tick the tree every update instead of only when something changed")
