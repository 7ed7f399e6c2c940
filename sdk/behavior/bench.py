"""``anisync bench behavior``: the cost of updating many characters with their behavior trees.

For each NPC count the shipped sample characters run in the scripted world of ``anisync run`` (events
at a rate proportional to the count, broadcasts included) at 60 updates per second. It measures the
wall time of each ``Runtime.update`` after a warm-up, first with the scheduler (trees tick on change, at
most :data:`~anisync.behavior.scheduler.TICK_BUDGET` an update), then with the scheduler without a tick
budget, then with every tree ticked every update, all in the same process, and the memory a character
adds. Each run reports the median and the 99th percentile, per update and per NPC, and their ratios.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import time
import tracemalloc
from pathlib import Path

import numpy as np

from ..headless import WorldScript, spawn_samples
from ..progress import progress
from ..runtime import Runtime
from .scheduler import TICK_BUDGET, BehaviorScheduler

UPDATES_PER_SECOND = 60
EVENTS_PER_NPC_PER_SECOND = 0.05


def _world(npcs: int, scheduler: BehaviorScheduler, seed: int) -> tuple[Runtime, WorldScript]:
    runtime = Runtime(seed=seed, trace_limit=0, scheduler=scheduler)
    spawn_samples(runtime, npcs)
    return runtime, WorldScript(runtime, seed, events_per_second=EVENTS_PER_NPC_PER_SECOND * npcs)


def time_updates(npcs: int, seconds: float, scheduler: BehaviorScheduler, seed: int = 0, warmup: float = 2.0) -> np.ndarray:
    """Seconds per ``Runtime.update`` for ``npcs`` characters over ``seconds`` of simulated time."""
    runtime, script = _world(npcs, scheduler, seed)
    durations = []
    dt = 1.0 / UPDATES_PER_SECOND
    total = int((warmup + seconds) * UPDATES_PER_SECOND)
    gc.collect()
    for step in range(total):
        if step % UPDATES_PER_SECOND == 0:
            script.schedule_second(runtime.time)
        start = time.perf_counter()
        runtime.update(dt)
        if step >= warmup * UPDATES_PER_SECOND:
            durations.append(time.perf_counter() - start)
    return np.array(durations)


def memory_per_character(npcs: int, seed: int = 0) -> float:
    """Bytes a spawned character adds (definitions loaded once beforehand), after one update."""
    _world(2, BehaviorScheduler(), seed)[0].update(0.01)  # load and cache definitions, libraries, trees
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    runtime, _ = _world(npcs, BehaviorScheduler(), seed)
    runtime.update(0.01)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    return grown / npcs


def _figures(run: str, seconds_per_update: np.ndarray, npcs: int) -> dict:
    """A run's median and 99th percentile, per update (ms) and per NPC (us), keyed ``RUN_UNIT_STATISTIC``."""
    median, p99 = float(np.median(seconds_per_update)), float(np.percentile(seconds_per_update, 99))
    return {f"{run}_ms_per_update_median": 1e3 * median, f"{run}_ms_per_update_p99": 1e3 * p99,
            f"{run}_us_per_npc_median": 1e6 * median / npcs, f"{run}_us_per_npc_p99": 1e6 * p99 / npcs}


def bench(counts: list[int], seconds: float, seed: int = 0) -> dict:
    """Run every measurement; returns the report that ``--json`` writes."""
    rows = []
    for npcs in progress(counts, total=len(counts), desc="bench behavior"):
        budgeted = BehaviorScheduler()
        scheduled = time_updates(npcs, seconds, budgeted, seed)
        unbudgeted = time_updates(npcs, seconds, BehaviorScheduler(tick_budget=None), seed)
        every = time_updates(npcs, seconds, BehaviorScheduler(tick_every_update=True), seed)
        rows.append({
            "npcs": npcs,
            **_figures("scheduled", scheduled, npcs),
            **_figures("no_budget", unbudgeted, npcs),
            **_figures("every_update", every, npcs),
            "speedup_median": float(np.median(every) / np.median(scheduled)),
            "speedup_p99": float(np.percentile(every, 99) / np.percentile(scheduled, 99)),
            "budget_p99_ratio": float(np.percentile(scheduled, 99) / np.percentile(unbudgeted, 99)),
            "longest_wait_updates": budgeted.stats.longest_wait,
            "deferred_ticks_per_update": budgeted.stats.deferred / len(scheduled),
            "memory_bytes_per_npc": memory_per_character(npcs, seed),
        })
    return {
        "command": "anisync bench behavior",
        "tick_budget": TICK_BUDGET,
        "updates_per_second": UPDATES_PER_SECOND,
        "events_per_npc_per_second": EVENTS_PER_NPC_PER_SECOND,
        "seconds_measured": seconds,
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
        "results": rows,
    }


def format_table(report: dict) -> str:
    """The report as a Markdown table: per run (scheduled with the tick budget, without it, every tree
    every update) ms per update at the median and p99, then the ratios and the memory per NPC."""
    runs = (("scheduled", "scheduled"), ("no_budget", "no budget"), ("every_update", "every update"))
    lines = ["| NPCs | " + " | ".join(f"{label} ms median | {label} ms p99" for _, label in runs)
             + " | every-update over scheduled, median / p99 | budget's p99 ratio | longest wait (updates) | memory/NPC |",
             "|---:|" + "---:|" * (2 * len(runs) + 4)]
    for r in report["results"]:
        cells = [f"{r[f'{run}_ms_per_update_median']:.2f} | {r[f'{run}_ms_per_update_p99']:.2f}" for run, _ in runs]
        lines.append(f"| {r['npcs']} | " + " | ".join(cells) + f" | {r['speedup_median']:.1f}x / {r['speedup_p99']:.1f}x"
                     f" | {r['budget_p99_ratio']:.2f} | {r['longest_wait_updates']} | {r['memory_bytes_per_npc'] / 1024:.1f} KiB |")
    return "\n".join(lines)


def _command(args: argparse.Namespace) -> int:
    report = bench(args.npcs, args.seconds, args.seed)
    print(format_table(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


def _counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        counts = []
    if not counts or min(counts) <= 0:
        raise argparse.ArgumentTypeError(f"expected positive integers separated by commas, got {text!r}")
    return counts


def register(commands) -> None:
    """Add ``anisync bench behavior``."""
    parser = commands.subcommand("bench", "behavior", _command, help="cost per character of behavior updates, scheduled vs every update")
    parser.add_argument("--npcs", type=_counts, default=[100, 500, 1000], help="NPC counts, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="simulated seconds measured per run")
    parser.add_argument("--seed", type=int, default=0, help="seed of the characters and the script")
    parser.add_argument("--json", metavar="PATH", help="also write the numbers to this JSON file")
