"""``anisync behavior graph FILE`` draws a BPFA (:func:`to_dot`, apart from the automaton's module as
transitions keeps its diagrams apart from its core); ``anisync bench bpfa FILE`` measures its memory per
character."""

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
    bench.add_argument("--runs", type=int, default=1000, help="runs to measure")
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
    out.write_text(to_dot(bpfa), encoding="utf-8")
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


# --- drawing ---------------------------------------------------------------------------------------------
def to_dot(bpfa) -> str:
    """A :class:`~anisync.behavior.bpfa.BPFA` as Graphviz dot: behaviors are circles (finals doubled),
    composite behaviors are boxes around their own automaton, arcs are labelled ``event / p``."""
    title = bpfa.name + (": " + bpfa.description if bpfa.description else "")
    lines = [
        f"digraph {_quote(bpfa.name)} {{",
        "  rankdir=LR; compound=true;",
        f"  label={_quote(title)}; labelloc=t;",
        "  node [shape=circle, fontsize=11]; edge [fontsize=10];",
    ]
    _draw_into(bpfa, lines, "", "  ")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _anchor(bpfa, state: str, prefix: str, event: str | None = None) -> tuple[str, str | None]:
    """The node an edge of ``state`` attaches to and, for a composite state, the cluster it is clipped at.
    A composite's ``done`` arcs leave from its automaton's final state, since that is what ends it."""
    from .bpfa import DONE

    node = prefix + state
    behavior = bpfa.states[state].behavior
    if behavior is None:
        return node, None
    if event == DONE:
        final = next(name for name in behavior.states if name in behavior.finals)
        return _anchor(behavior, final, node + "/", DONE)[0], None
    return _anchor(behavior, behavior.initial, node + "/")[0], "cluster_" + node


def _draw_into(bpfa, lines: list[str], prefix: str, indent: str) -> None:
    """Append the automaton's nodes and edges, node names prefixed with ``prefix``; a point marks b_0."""
    start = _quote(prefix + "__start")
    entry, cluster = _anchor(bpfa, bpfa.initial, prefix)
    lines.append(f'{indent}{start} [shape=point, label=""];')
    lines.append(f"{indent}{start} -> {_quote(entry)}" + (f" [lhead={_quote(cluster)}]" if cluster else "") + ";")
    for name, state in bpfa.states.items():
        node = prefix + name
        final = name in bpfa.finals
        if state.behavior is not None:
            label = f"{name}: {state.behavior.name}" + (" (final)" if final else "")
            lines.append(f"{indent}subgraph {_quote('cluster_' + node)} {{")
            lines.append(f"{indent}  label={_quote(label)}; style=rounded;")
            _draw_into(state.behavior, lines, node + "/", indent + "  ")
            lines.append(f"{indent}}}")
        else:
            shape = ", shape=doublecircle" if final else ""
            lines.append(f"{indent}{_quote(node)} [label={_quote(state.describe())}{shape}];")
    for (source, event), arcs in bpfa.arcs.items():
        tail, tail_cluster = _anchor(bpfa, source, prefix, event)
        for arc in arcs:
            head, head_cluster = _anchor(bpfa, arc.target, prefix)
            attributes = [f"label={_quote(arc.label(event))}"]
            if tail_cluster:
                attributes.append(f"ltail={_quote(tail_cluster)}")
            if head_cluster:
                attributes.append(f"lhead={_quote(head_cluster)}")
            lines.append(f"{indent}{_quote(tail)} -> {_quote(head)} [{', '.join(attributes)}];")


def _quote(text: str) -> str:
    """A Graphviz double-quoted string; newlines become line breaks."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
