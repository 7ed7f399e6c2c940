"""``anisync run --headless``: the runtime with several characters and a scripted world, no window.

Every second a seeded script sends the characters a few events (the player greets, gives a gift or
taunts someone; the bell rings or thunder rolls for everyone), stamped at moments inside the coming
second; the command prints what happened and what each character feels and does.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .arguments import positive
from .character import CharacterDefinition
from .events import BROADCAST, Event
from .resources import shipped_characters
from .runtime import Runtime


@dataclass(frozen=True)
class ScriptedEvent:
    """A kind of world event the script may send: to one random character, or to everyone."""

    content: str
    sender: str
    broadcast: bool
    weight: float
    phrase: str  # how the summary tells it; {who} is the receiver


WORLD_SCRIPT: tuple[ScriptedEvent, ...] = (
    ScriptedEvent("greet", "player", False, 4.0, "player greets {who}"),
    ScriptedEvent("gift", "player", False, 2.0, "player gives {who} a gift"),
    ScriptedEvent("taunt", "player", False, 2.0, "player taunts {who}"),
    ScriptedEvent("bell", "world", True, 1.0, "the bell rings"),
    ScriptedEvent("thunder", "world", True, 0.5, "thunder rolls"),
    ScriptedEvent("campfire", "world", False, 1.0, "{who} sits by the campfire"),
)


class WorldScript:
    """Sends a seeded stream of :data:`WORLD_SCRIPT` events into a runtime, one second at a time."""

    def __init__(self, runtime: Runtime, seed: int, events_per_second: float = 1.5):
        self.runtime = runtime
        self.rng = np.random.default_rng(seed)
        self.events_per_second = events_per_second
        weights = np.array([e.weight for e in WORLD_SCRIPT])
        self._probabilities = weights / weights.sum()

    def schedule_second(self, start: float) -> list[str]:
        """Emit this second's events, stamped inside ``[start, start+1)``; returns their descriptions."""
        told = []
        ids = list(self.runtime.characters)
        for _ in range(int(self.rng.poisson(self.events_per_second))):
            kind = WORLD_SCRIPT[int(self.rng.choice(len(WORLD_SCRIPT), p=self._probabilities))]
            who = BROADCAST if kind.broadcast else ids[int(self.rng.integers(len(ids)))]
            at = start + float(self.rng.uniform(0.0, 1.0))
            self.runtime.emit(Event(kind.content, receiver=who, sender=kind.sender, timestamp=at), ttl=2.0)
            told.append(kind.phrase.format(who="everyone" if kind.broadcast else who))
        return told


def spawn_samples(runtime: Runtime, count: int) -> None:
    """Spawn ``count`` characters, cycling through the shipped sample definitions."""
    definitions = [CharacterDefinition.load(path) for path in shipped_characters()]
    for i in range(count):
        runtime.spawn(definitions[i % len(definitions)])


def format_second(runtime: Runtime, second: int, told: Sequence[str]) -> str:
    """The summary block printed after each simulated second."""
    lines = [f"t={second:>3d}s  " + ("; ".join(told) if told else "(quiet)")]
    for character in runtime:
        label, intensity = character.dominant()
        lines.append(f"       {character.id:<10s} {label:<9s} {intensity:4.2f}  {character.activity}")
    return "\n".join(lines)


def run_headless(characters: int, seconds: int, rate: float, seed: int, out=sys.stdout) -> Runtime:
    """Run the scripted world and print one summary block per simulated second; returns the runtime."""
    runtime = Runtime(seed=seed)
    spawn_samples(runtime, characters)
    script = WorldScript(runtime, seed)
    steps_per_second = max(1, round(rate))
    dt = 1.0 / steps_per_second
    wall = time.perf_counter()
    for second in range(seconds):
        told = script.schedule_second(float(second))
        for _ in range(steps_per_second):
            runtime.update(dt)
        print(format_second(runtime, second + 1, told), file=out)
    wall = time.perf_counter() - wall
    stats = runtime.bus.stats
    updates = seconds * steps_per_second
    print(
        f"done: {characters} characters, {seconds} s at {steps_per_second} updates/s; events sent {stats.sent}, "
        f"delivered {stats.delivered}, expired {stats.dropped_expired}, dropped on overflow {stats.dropped_overflow}; "
        f"{1e3 * wall / max(updates, 1):.3f} ms per update",
        file=out,
    )
    return runtime


def _run_command(args: argparse.Namespace) -> int:
    if not args.headless:
        print("anisync: `anisync run` is the runtime alone, without a window; the demo scene is "
              "`python -m anisync.demo`. Running headless.", file=sys.stderr)
    run_headless(args.characters, args.seconds, args.rate, args.seed)
    return 0


def register(commands) -> None:
    """Add ``anisync run``."""
    parser = commands.command("run", _run_command, help="run characters in a scripted world and print what they feel and do")
    parser.add_argument("--characters", type=positive, default=6, help="how many characters")
    parser.add_argument("--seconds", type=positive, default=10, help="simulated seconds")
    parser.add_argument("--rate", type=float, default=60.0, help="updates per second")
    parser.add_argument("--seed", type=int, default=0, help="seed of the characters and the script")
    parser.add_argument("--headless", action="store_true", help="no window: print a summary each second")
