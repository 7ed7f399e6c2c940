"""``anisync behavior graph FILE`` draws a BPFA; ``anisync bench bpfa FILE`` measures its memory per character."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tracemalloc
from pathlib import Path
from types import SimpleNamespace
from typing import Mapping

import numpy as np

from ..emotion import DEFAULT_BASELINE, EMOTIONS
from ..errors import AnisyncError


def register(commands) -> None:
    """Add ``behavior graph`` and ``bench bpfa`` to the command line."""
    graph = commands.subcommand("behavior", "graph", _graph,
                                help="write a BPFA file as Graphviz dot, and as PNG when Graphviz is installed")
    graph.add_argument("file", help="a BPFA YAML file")
    graph.add_argument("--out", metavar="PATH",
                       help="dot file to write (default: NAME.dot in the current folder); the PNG goes next to it")
    bench = commands.subcommand("bench", "bpfa", _bench, help="memory per character of a BPFA's runs")
    bench.add_argument("file", help="a BPFA YAML file")
    bench.add_argument("--runs", type=int, default=1000, help="runs to measure (default 1000)")
    bench.add_argument("--json", metavar="PATH", help="also write the results as JSON")


class ProbeCharacter:
    """Just enough of a character to drive a BPFA outside the runtime: a seeded RNG, an emotion vector
    (the default personality baseline unless given) and an ``emit`` that remembers the last event."""

    def __init__(self, seed: int = 0, emotion: Mapping[str, float] | None = None):
        self.id = "probe"
        self.rng = np.random.default_rng(seed)
        values = {**DEFAULT_BASELINE, **(emotion or {})}
        self.emotion = SimpleNamespace(vector=np.array([values[name] for name in EMOTIONS], dtype=np.float64))
        self.last: str | None = None

    def emit(self, content: str, receiver: str | None = None, **fields) -> None:
        self.last = content


def memory_per_run(bpfa, runs: int = 1000, seed: int = 0) -> float:
    """Bytes per character that tracemalloc sees while ``runs`` runs are started, taken through their first
    action (durations drawn, the raised event fired) and into the next behavior, and kept."""
    probe = ProbeCharacter(seed)

    def drive(count: int) -> list:
        kept = []
        for _ in range(count):
            run = bpfa.start()
            bpfa.advance(run, 10.0, probe)
            if probe.last is not None:
                bpfa.fire(run, probe.last, probe)
                probe.last = None
            bpfa.advance(run, 0.1, probe)
            kept.append(run)
        return kept

    drive(10)  # warm up: first-call caches inside numpy and transitions are not per character
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = drive(runs)
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return used / len(kept)


def memory_per_machine(bpfa, count: int = 100) -> float:
    """Bytes per character if each one had its own ``transitions`` machine of ``bpfa`` (top level only)."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        machines = [bpfa.new_machine(SimpleNamespace()) for _ in range(count)]
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return used / len(machines)


def _graph(args: argparse.Namespace) -> int:
    from .bpfa import BPFA

    bpfa = BPFA.load(args.file)
    out = Path(args.out) if args.out else Path(f"{bpfa.name}.dot")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(bpfa.to_dot(), encoding="utf-8")
    print(f"wrote {out}")
    dot = shutil.which("dot")
    if dot is None:
        print("Graphviz 'dot' is not installed: no PNG written")
        return 0
    png = out.with_suffix(".png")
    result = subprocess.run([dot, "-Tpng", str(out), "-o", str(png)], capture_output=True, text=True)
    if result.returncode != 0:
        raise AnisyncError(f"dot failed on {out}: {result.stderr.strip()}")
    print(f"wrote {png}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from .bpfa import BPFA

    if args.runs < 1:
        raise AnisyncError(f"--runs: expected a positive number, got {args.runs}")
    bpfa = BPFA.load(args.file)
    results = {
        "definition": bpfa.name,
        "runs": args.runs,
        "bytes_per_run": round(memory_per_run(bpfa, args.runs), 1),
        "bytes_per_machine": round(memory_per_machine(bpfa), 1),
    }
    print(f"{bpfa.name}: {results['bytes_per_run']:.0f} bytes per character "
          f"(tracemalloc over {args.runs} runs); a transitions machine per character would cost "
          f"{results['bytes_per_machine']:.0f} bytes")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0
