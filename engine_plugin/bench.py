"""``anisync bench plugin``: the Panda3D plugin's cost per frame with N characters, offscreen.

For each N in ``--npcs`` and each face source in ``--faces`` (the neural and procedural ones, in turn in
one run): spawn N sample characters, attach each to a built humanoid in a grid that the
camera sees whole, and run real frames (offscreen window, real-time clock; with ``--fixed-step``,
:data:`FIXED_STEP_RATE` steps of simulated time a second, whatever the frame rate) while a seeded
:class:`CrowdScript` makes them react, so that every character lives through the same density of events
whatever the crowd size. After ``--warmup`` seconds, and once every character shows its first face, every counter is reset and
``--seconds`` seconds are measured. Reported (and written to ``--json``; the keys are documented in
``docs/benchmarks.md``): the plugin task's ms per frame and its phases, frame time, uploads per second,
cache hit rate, request-to-screen latency of worker faces, the synchronisation rate, with ``--judge`` the
in-game legibility (:mod:`anisync.panda.legibility`), and with ``--speakers K`` the faces shown per second
on K characters that speak line after line (lip sync; lines drawn by :func:`anisync.speech.data.sentences`).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

#: Steps of simulated time a second in a ``--fixed-step`` run, and in the demo's scripted scene. Below this
#: frame rate the world runs slower than real time while the face worker draws in real time, which flatters
#: every figure: the benchmarks run on real time unless asked, to compare two versions of the code.
FIXED_STEP_RATE = 30
#: Display modules that draw offscreen without a display: Mesa's software OpenGL (llvmpipe) through
#: p3headlessgl, or Panda3D's own software renderer.
OFFSCREEN_RENDERERS = ("p3headlessgl", "p3tinydisplay")


def parse_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        counts = []
    if not counts or min(counts) <= 0:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers, got {text!r}")
    return counts


def parse_sources(text: str) -> list[str]:
    """Comma-separated face source names (``neural``, ``procedural``)."""
    from .neural import FACE_SOURCES

    sources = text.split(",")
    if not sources or any(source not in FACE_SOURCES for source in sources):
        raise argparse.ArgumentTypeError(f"expected comma-separated names out of {', '.join(FACE_SOURCES)}, got {text!r}")
    return sources


def parse_window(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        width = height = 0
    if width <= 0 or height <= 0:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, got {text!r}")
    return width, height


def percentiles(values, scale: float = 1e3) -> dict:
    """p50, p95 and count of ``values`` (seconds) in milliseconds; None without values."""
    values = np.asarray(values, dtype=np.float64) * scale
    if not len(values):
        return {"p50": None, "p95": None, "count": 0}
    return {"p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95)), "count": int(len(values))}


#: Most seconds the warm-up waits, past ``--warmup``, for the likely faces to be drawn.
SETTLE_MOST_SECONDS = 120.0


def face_latency_figures(latencies) -> dict:
    """The plugin's face latencies (:attr:`AnisyncPlugin.face_latencies`) as the benchmarks report them (in
    ms, :func:`percentiles`): faces drawn on request, the urgent ones among them, and every face change,
    cache hits and stand-ins included (the whole face that follows a stand-in left out)."""
    latencies = list(latencies)
    return {"face_latency_ms": percentiles([s for s, _, drawn, _ in latencies if drawn]),
            "urgent_face_latency_ms": percentiles([s for s, urgent, drawn, _ in latencies if urgent and drawn]),
            "face_change_latency_ms": percentiles([s for s, _, _, refines in latencies if not refines])}


class CrowdScript:
    """The events of :data:`anisync.headless.WORLD_SCRIPT`, at a density that does not grow with the crowd:
    each second every character receives Poisson(``per_character``) events aimed at it (greet, gift,
    taunt, campfire, weighted as in the world script) and the world sends Poisson(``broadcasts``) events
    to everyone (bell, thunder), each stamped at a random moment of that second."""

    def __init__(self, runtime, seed: int, per_character: float, broadcasts: float):
        from anisync.headless import WORLD_SCRIPT

        self.runtime, self.per_character, self.broadcasts = runtime, per_character, broadcasts
        self.rng = np.random.default_rng(seed)
        self.kinds = {flag: [e for e in WORLD_SCRIPT if e.broadcast == flag] for flag in (False, True)}
        self.weights = {flag: np.array([e.weight for e in kinds]) / sum(e.weight for e in kinds)
                        for flag, kinds in self.kinds.items()}

    def schedule_second(self, start: float) -> None:
        """Emit the events of the second ``[start, start + 1)``."""
        from anisync import BROADCAST, Event

        ids = list(self.runtime.characters)
        aimed = [(receiver, False) for receiver, n in zip(ids, self.rng.poisson(self.per_character, len(ids)))
                 for _ in range(n)]
        for receiver, broadcast in aimed + [(BROADCAST, True)] * int(self.rng.poisson(self.broadcasts)):
            kind = self.kinds[broadcast][int(self.rng.choice(len(self.kinds[broadcast]), p=self.weights[broadcast]))]
            at = start + float(self.rng.uniform(0.0, 1.0))
            self.runtime.emit(Event(kind.content, receiver=receiver, sender=kind.sender, timestamp=at), ttl=2.0)


def _open_base(width: int, height: int):
    from panda3d.core import AmbientLight, DirectionalLight, loadPrcFileData

    loadPrcFileData("", f"window-type offscreen\nload-display p3headlessgl\naux-display p3tinydisplay\n"
                        f"audio-library-name null\nsync-video false\nwin-size {width} {height}")
    from direct.showbase.ShowBase import ShowBase

    base = ShowBase()
    base.disableMouse()
    base.setBackgroundColor(0.78, 0.86, 0.95, 1)
    ambient = AmbientLight("ambient")
    ambient.setColor((0.55, 0.55, 0.6, 1))
    base.render.setLight(base.render.attachNewNode(ambient))
    sun = DirectionalLight("sun")
    sun.setColor((0.6, 0.58, 0.52, 1))
    sun_node = base.render.attachNewNode(sun)
    sun_node.setHpr(160, -40, 0)
    base.render.setLight(sun_node)
    return base


def run_one(base, npcs: int, args: argparse.Namespace, faces: str = "procedural", judge=None) -> dict:
    """Measure one crowd size with the face source named ``faces``; returns the figures as plain data."""
    from anisync import Runtime
    from anisync.headless import spawn_samples
    from anisync.speech.data import sentences
    from panda3d.core import ClockObject

    from .legibility import LegibilitySampler
    from .neural import load_face_source
    from .plugin import AnisyncPlugin

    runtime = Runtime(seed=args.seed)
    spawn_samples(runtime, npcs)
    source = load_face_source(faces, args.size, **({"editor": args.editor} if faces == "neural" and args.editor else {}))
    plugin = AnisyncPlugin(base, runtime, face_source=source, worker=args.worker, workers=args.workers,
                           cache_bytes=int(args.cache_mib * 2**20))
    _stand_in_a_grid(base, plugin, runtime)
    script = CrowdScript(runtime, args.seed, args.events_per_npc, args.broadcasts)
    clock = ClockObject.getGlobalClock()
    if args.fixed_step:
        clock.setMode(ClockObject.MNonRealTime)
        clock.setFrameRate(FIXED_STEP_RATE)
    else:
        clock.setMode(ClockObject.MNormal)

    scheduled = -1
    frame_seconds: list[float] = []
    speakers = list(runtime.characters)[:args.speakers]
    lines = iter(sentences(10**6, args.seed))
    shown = dict.fromkeys(speakers, 0)  # faces shown per speaker

    def count_shown(character, emotion) -> None:
        if character.id in shown:
            shown[character.id] += 1

    base.accept("anisync-face-shown", count_shown)

    def frames_for(seconds: float, until=lambda: True) -> None:
        """Frames for ``seconds`` (simulated with ``--fixed-step``, else real), then on until ``until()``."""
        nonlocal scheduled
        end, frames = time.perf_counter() + seconds, round(seconds * FIXED_STEP_RATE)
        while (frames > 0 if args.fixed_step else time.perf_counter() < end) or not until():
            frames -= 1
            while scheduled < int(runtime.time):  # the script's events for each started second
                scheduled += 1
                script.schedule_second(float(scheduled))
            for speaker in speakers:  # line after line
                if not runtime.characters[speaker].speaking(runtime.time):
                    runtime.say(speaker, next(lines))
            started = time.perf_counter()
            base.taskMgr.step()
            frame_seconds.append(time.perf_counter() - started)

    prefetch = time.perf_counter()  # the likely faces drawn ahead first: measure a crowd settled in
    give_up = prefetch + args.warmup + SETTLE_MOST_SECONDS  # speakers may keep the worker from them
    frames_for(args.warmup, until=lambda: all(view.face_emotion for view in plugin.views.values())
               and (not plugin.worker.prefetching or time.perf_counter() > give_up))
    prefetch = time.perf_counter() - prefetch
    plugin.reset_stats()
    frame_seconds.clear()
    shown.update(dict.fromkeys(speakers, 0))
    sampler = LegibilitySampler(plugin) if judge is not None else None
    measured = time.perf_counter()
    frames_for(args.seconds)
    wall = time.perf_counter() - measured
    if sampler is not None:
        sampler.stop()

    result = {"npcs": npcs, "faces": faces, "face_source": type(source).__name__, "face_size": source.size,
              "settle_seconds": prefetch, **_figures(plugin, frame_seconds, wall),
              "legibility": sampler.report(judge, source.size) if sampler is not None else None,
              "speakers": len(speakers),
              "speaking_faces_per_second": {"mean": float(np.mean(list(shown.values()))) / wall,
                                            "min": float(min(shown.values())) / wall} if speakers else None}
    base.ignore("anisync-face-shown")
    plugin.destroy()
    return result


def _stand_in_a_grid(base, plugin, runtime) -> None:
    """Attach every character to a built humanoid in a grid facing the camera, which sees it whole."""
    npcs = len(runtime.characters)
    columns = math.ceil(math.sqrt(npcs))
    for i, character in enumerate(runtime):
        view = plugin.attach(character)
        view.node.setPos((i % columns - (columns - 1) / 2) * 0.8, -(i // columns) * 1.0, 0)
    rows = math.ceil(npcs / columns)
    base.cam.setPos(0, 2.2 + 1.1 * columns, 1.0 + 0.55 * columns)
    base.cam.lookAt(0, -(rows - 1) * 0.5, 0.75)


def _figures(plugin, frame_seconds: list[float], wall: float) -> dict:
    """The measured run's figures (module docstring; keys in docs/benchmarks.md)."""
    from .sync import sync_summary

    phases = np.array(plugin.task_seconds)
    stats = plugin.stats()
    size = plugin.face_source.size
    return {
        "seconds": wall,
        "frames": len(frame_seconds),
        "fps": len(frame_seconds) / wall,
        "frame_ms": percentiles(frame_seconds),
        "plugin_ms": percentiles(phases[:, 0]),
        "plugin_phase_ms_p50": {name: float(np.percentile(phases[:, k], 50) * 1e3)
                                for k, name in enumerate(("total", "runtime_update", "faces", "bodies", "sync"))},
        "uploads": stats["uploads"],
        "uploads_per_second": stats["uploads"] / wall,
        "cache": stats["cache"],
        "worker": stats["worker"],
        **face_latency_figures(plugin.face_latencies),
        "sync": sync_summary(plugin.sync_report()),
        "face_texture_mib": len(plugin.views) * size * size * 4 / 2**20,
    }


def _print(result: dict) -> None:
    sync = result["sync"]["rate"]
    legible = (result["legibility"] or {}).get("legibility")
    print(f"{result['npcs']:>4d} NPCs {result['faces']:>10s}  plugin {result['plugin_ms']['p50']:6.2f} ms p50 {result['plugin_ms']['p95']:6.2f} p95"
          f"  frame {result['frame_ms']['p50']:7.1f} ms ({result['fps']:5.1f} fps)  uploads/s {result['uploads_per_second']:6.1f}"
          f"  cache hits {100 * result['cache']['hit_rate']:5.1f}%  latency {result['face_latency_ms']['p50'] or 0:6.1f}/"
          f"{result['face_latency_ms']['p95'] or 0:6.1f} ms  sync {100 * (sync or 0):5.1f}%  legible "
          + ("-" if legible is None else f"{100 * legible:5.1f}%")
          + ("" if not result["speakers"] else f"  speaking faces/s {result['speaking_faces_per_second']['mean']:5.1f} "
             f"(min {result['speaking_faces_per_second']['min']:5.1f})"))


def _bench_plugin(args: argparse.Namespace) -> int:
    from anisync.expression.judge import Judge

    base = _open_base(*args.window)
    judge = Judge(args.judge) if args.judge else None
    results = []
    for npcs in args.npcs:
        for faces in args.faces:
            result = run_one(base, npcs, args, faces, judge)
            _print(result)
            results.append(result)
    report = {"command": "anisync " + " ".join(sys.argv[1:]),
              "settings": {k: v for k, v in vars(args).items() if k not in ("handler", "json")}, "results": results}
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    base.destroy()
    return 0


def register(commands) -> None:
    """Add ``anisync bench plugin``."""
    parser = commands.subcommand("bench", "plugin", _bench_plugin,
                                 help="Panda3D plugin: ms per frame, uploads, cache, face latency, sync rate")
    parser.add_argument("--npcs", type=parse_counts, default=[10, 50, 100], help="crowd sizes, comma-separated")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per crowd size")
    parser.add_argument("--warmup", type=float, default=4.0, help="seconds run before measuring")
    parser.add_argument("--events-per-npc", type=float, default=0.1,
                        help="events aimed at each character per second")
    parser.add_argument("--broadcasts", type=float, default=0.1,
                        help="events to everyone (bell, thunder) per second")
    parser.add_argument("--faces", type=parse_sources, default=["neural", "procedural"],
                        help="face sources measured in turn, comma-separated")
    parser.add_argument("--judge", metavar="ONNX", help="an emotion judge (anisync train judge): measure in-game legibility")
    parser.add_argument("--size", type=int, default=256, help="procedural face texture side in pixels")
    parser.add_argument("--editor", metavar="ONNX", help="the neural faces' expression editor (default: the shipped "
                                                          "int8 one; assets/models/expression-fp32.onnx is its source)")
    parser.add_argument("--cache-mib", type=float, default=128.0, help="face cache capacity in MiB")
    parser.add_argument("--worker", choices=("process", "thread"), default=None,
                        help="face worker kind (default: the face source's own, thread for neural, process for procedural)")
    parser.add_argument("--workers", type=int, default=1, help="face worker threads or processes")
    parser.add_argument("--window", type=parse_window, default=(640, 360), help="offscreen window WIDTHxHEIGHT (default 640x360)")
    parser.add_argument("--speakers", type=int, default=0,
                        help="characters (the first N) that speak line after line: faces shown per second (lip sync)")
    parser.add_argument("--seed", type=int, default=0, help="seed of characters, script and lines")
    parser.add_argument("--fixed-step", action="store_true",
                        help=f"run the world on simulated time, {FIXED_STEP_RATE} steps a second (the same frames every "
                             "run, to compare two versions of the code; real time otherwise)")
    parser.add_argument("--json", metavar="PATH", help="write the figures as JSON")
