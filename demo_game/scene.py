"""The scripted scene: a fixed walk of the player round the square with scripted actions, the offscreen
run that tells what the villagers felt and did, and the benchmark.

The same :class:`Tour` drives both: the player walks a fixed arc round the campfire, looking at it, and
at fixed moments greets, gives a gift, taunts (the villager in front) or rings the bell, and thunder
rolls once; meanwhile a
seeded stream of village life (:class:`anisync.panda.bench.CrowdScript`: greetings, gifts, taunts and
campfire visits aimed at every villager at a fixed rate each) keeps every villager reacting whatever
the crowd size. Same seed, same crowd size: the same path, the same scheduled actions and the same
village life (who is in front at each action depends on where the villagers have walked).

The scripted scene runs the world on simulated time, :data:`STORY_RATE` steps of game time a second
whatever the frame rate, so two runs with the same seed play the same world: the same story, the same
events and face requests in the same frames (faces still arrive when the worker draws them). The
benchmark runs on real time by default: below :data:`STORY_RATE` frames a second a simulated world runs
slower than real time, and the face worker, which draws in real time, would then have more time per
frame than in play, which flatters every figure. With ``fixed_step`` it runs as the scripted scene does
(a timedemo: the same frames every run, rendered as fast as the machine can), for comparing two versions
of the code on one machine.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np
from anisync.expression.judge import Judge
from anisync.panda.bench import FIXED_STEP_RATE, CrowdScript, face_latency_figures
from anisync.panda.legibility import LegibilitySampler
from anisync.panda.neural import FACE_SOURCES
from anisync.panda.sync import sync_summary
from anisync.timing import cpu_name
from panda3d.core import ClockObject

from .game import GameOptions, VillageGame
from .measure import frame_statistics, overhead_ratio, plot_frame_times, texture_memory
from .village import CAMPFIRE, villager_spots

#: Seconds of one round of the tour; a longer run starts it again.
TOUR_SECONDS = 20.0
#: (second of the tour, what happens): the player rings the bell, or greets, taunts or gives a gift to the
#: villager in front; thunder rolls for everyone.
TOUR_ACTIONS = ((1.5, "greet"), (4.0, "gift"), (7.0, "taunt"), (9.5, "bell"), (12.5, "greet"), (14.0, "thunder"),
                (16.0, "taunt"), (18.0, "gift"))
#: Steps of simulated game time per second in the scripted scene (and a ``fixed_step`` benchmark).
STORY_RATE = FIXED_STEP_RATE
#: Village life: events aimed at each villager per second.
EVENTS_PER_VILLAGER = 0.08

#: The benchmark's targets (issue 8), written into its report beside the figures.
TARGETS = {"fps_at_50": 60.0, "overhead_ratio_max": 0.20, "p99_over_p50_max": 2.0, "character_mb_min": 60.0}


class Tour:
    """The player's fixed path and scripted actions for a village of ``npcs`` villagers."""

    def __init__(self, game: VillageGame, npcs: int, seed: int):
        self.game = game
        outer = max(math.hypot(s.x - CAMPFIRE[0], s.y - CAMPFIRE[1]) for s in villager_spots(npcs))
        self.radius = outer + 2.5  # just outside the outer ring: its villagers are within reach
        self.life = CrowdScript(game.runtime, seed, EVENTS_PER_VILLAGER, 0.0)
        self._scheduled = int(game.runtime.time) - 1  # village life starts with the runtime's present second
        self._done = 0
        self._round = 0

    def place_player(self, t: float) -> None:
        """Put the player where the path is at tour time ``t``, looking at the campfire."""
        angle = math.radians(-90.0 + 110.0 * ((t % TOUR_SECONDS) / TOUR_SECONDS))
        x, y = CAMPFIRE[0] + self.radius * math.cos(angle), CAMPFIRE[1] + self.radius * math.sin(angle)
        self.game.player.setPos(x, y, 0)
        self.game.player.setH(math.degrees(math.atan2(CAMPFIRE[1] - y, CAMPFIRE[0] - x)) - 90.0)

    def advance(self, t: float, act: bool = True) -> None:
        """Move the player to tour time ``t``; with ``act``, do the actions and village life due by then."""
        self.place_player(t)
        if not act:
            return
        while self._scheduled < int(self.game.runtime.time):
            self._scheduled += 1
            self.life.schedule_second(float(self._scheduled))
        round_, into = divmod(t, TOUR_SECONDS)
        if int(round_) != self._round:
            self._round, self._done = int(round_), 0
        while self._done < len(TOUR_ACTIONS) and TOUR_ACTIONS[self._done][0] <= into:
            kind = TOUR_ACTIONS[self._done][1]
            if kind == "bell":
                self.game.ring_bell()
            elif kind == "thunder":
                self.game.thunder()
            else:
                self.game.act(kind)
            self._done += 1


def _frames(game: VillageGame, tour: Tour, seconds: float, act: bool = True, on_second=None,
            fixed_step: bool = False) -> list[float]:
    """Render frames along the tour for ``seconds``: of real time, or with ``fixed_step`` of simulated time
    (1/:data:`STORY_RATE` s a frame, whatever the frame rate); returns each frame's wall time.
    ``on_second(n)`` is called as the world's clock passes each whole second."""
    clock = ClockObject.getGlobalClock()
    if fixed_step:
        clock.setMode(ClockObject.MNonRealTime)
        clock.setFrameRate(STORY_RATE)
        times = (frame / STORY_RATE for frame in range(round(seconds * STORY_RATE)))
    else:
        clock.setMode(ClockObject.MNormal)
        begun = time.perf_counter()
        times = itertools.takewhile(lambda t: t < seconds, (time.perf_counter() - begun for _ in itertools.count()))
    frame_seconds = []
    start, told = game.runtime.time, 0
    for t in times:
        tour.advance(t, act)
        began = time.perf_counter()
        game.taskMgr.step()
        frame_seconds.append(time.perf_counter() - began)
        if on_second is not None and int(game.runtime.time - start + 1e-6) > told:
            told = int(game.runtime.time - start + 1e-6)
            on_second(told)
    return frame_seconds


def _hold_clock() -> None:
    """Stop the world's clock: every frame is zero seconds long until :func:`_frames` sets it going."""
    clock = ClockObject.getGlobalClock()
    clock.setMode(ClockObject.MSlave)
    clock.setDt(0.0)  # a slave clock repeats its last dt otherwise


def _stand_until(game: VillageGame, tour: Tour, done, most: float, late) -> None:
    """Run frames, the tour standing at its start, until ``done()``; after ``most`` seconds print the
    warning ``late()`` and go on."""
    deadline = time.perf_counter() + most
    while not done():
        if time.perf_counter() > deadline:
            print(f"anisync.demo: warning: {late()}", file=sys.stderr)
            return
        tour.place_player(0.0)
        game.taskMgr.step()


def _wait_for_faces(game: VillageGame, tour: Tour, most: float = 60.0) -> None:
    """Run frames until every villager shows its first face."""
    _stand_until(game, tour, lambda: all(v.view.face_emotion for v in game.villagers), most,
                 lambda: f"{sum(1 for v in game.villagers if not v.view.face_emotion)} villagers still have no "
                         f"face after {most:g} s")


def _wait_for_prefetch(game: VillageGame, tour: Tour, most: float = 120.0) -> None:
    """Run frames until the face worker has drawn every villager's likely faces (:meth:`anisync.panda.AnisyncPlugin`
    ``prefetch``), so that each benchmark measures a village settled in, not its first seconds."""
    _stand_until(game, tour, lambda: not game.plugin.worker.prefetching, most,
                 lambda: f"likely faces still being drawn after {most:g} s; measuring anyway")


def open_game(npcs: int, seed: int, size: tuple[int, int], face_size: int, faces: str = "neural",
              renderer: str = "p3headlessgl") -> VillageGame:
    """The village offscreen, drawn by ``renderer`` (the scripted scene and the benchmark set its clock)."""
    return VillageGame(GameOptions(npcs=npcs, seed=seed, faces=faces, face_size=face_size, window=size, offscreen=True,
                                   renderer=renderer))


def run_scripted(npcs: int = 12, seconds: float = 20.0, seed: int = 0, size=(1280, 720), face_size: int = 256,
                 screenshot: str | Path = "village.png", out=sys.stdout, faces: str = "neural",
                 renderer: str = "p3headlessgl") -> dict:
    """The offscreen scripted scene: prints what happens and what the villagers feel and do, the frame
    rate and texture memory; saves a screenshot; returns the figures."""
    game = open_game(npcs, seed, size, face_size, faces, renderer)
    tour = Tour(game, npcs, seed)
    source = game.plugin.face_source
    print(f"anisync village: {npcs} villagers, {seconds:g} s scripted scene offscreen at {size[0]}x{size[1]}, "
          f"{type(source).__name__} faces at {source.size} px", file=out)
    _hold_clock()  # no game time passes while the first faces are drawn, however long that takes
    _wait_for_faces(game, tour)
    game.plugin.reset_stats()
    game.toggle_overlay()  # the screenshot shows each villager's emotion bar and behavior
    game.start_scene()  # three villagers talk by the campfire while the player tours the square
    told, start = 0, game.runtime.time

    def each_second(second: int) -> None:
        nonlocal told
        for at, what in game.log[told:]:
            print(f"  t={at - start:4.1f}s  {what}", file=out)
        told = len(game.log)
        if second % 5 == 0 or second >= seconds:  # and once at the end
            print(game.story(), file=out)

    frame_seconds = _frames(game, tour, seconds, on_second=each_second, fixed_step=True)
    if seconds % 1:  # the part of a second after the last whole one
        each_second(math.ceil(seconds))
    stats = frame_statistics(frame_seconds)
    memory = texture_memory(game.win.getGsg())
    sync = sync_summary(game.plugin.sync_report())
    game.graphicsEngine.renderFrame()
    game.win.saveScreenshot(str(screenshot))
    print(f"frames {stats['frames']}, {stats['mean_fps']:.1f} fps mean, {stats['low_1pct_fps']:.1f} fps 1% low; "
          f"textures {memory['resident_mb']:.1f} MB resident ({memory['character_mb']:.1f} MB character faces); "
          f"face uploads {game.plugin.uploads}; sync {100 * (sync['rate'] or 0):.1f}%", file=out)
    print(f"screenshot: {screenshot}", file=out)
    figures = {"frames": stats, "texture_memory": memory, "sync": sync, "uploads": game.plugin.uploads}
    game.plugin.destroy()
    game.destroy()
    return figures


def measure_crowd(game: VillageGame, npcs: int, seconds: float, seed: int, warmup: float, faces: str = "neural",
                  judge: Judge | None = None, fixed_step: bool = False) -> tuple[dict, dict]:
    """One crowd size with one face source: ``seconds`` with anisync on, then the same path with it
    switched off (the plugin paused: villagers keep their faces and poses, textures stay resident).
    With a ``judge``, the faces on screen are sampled and read (:mod:`anisync.panda.legibility`); with
    ``fixed_step``, the world runs on simulated time (module docstring). Returns the figures and the raw
    frame times."""
    game.populate(npcs, faces)
    tour = Tour(game, npcs, seed)
    if fixed_step:
        _hold_clock()
    loading = time.perf_counter()
    _wait_for_faces(game, tour)
    shown = time.perf_counter()
    _wait_for_prefetch(game, tour)
    prefetch = time.perf_counter() - loading
    loading = shown - loading
    _frames(game, tour, warmup, act=False, fixed_step=fixed_step)
    tour = Tour(game, npcs, seed)
    game.plugin.reset_stats()
    game.task_seconds.clear()
    told = len(game.log)
    sampler = LegibilitySampler(game.plugin) if judge is not None else None
    started = time.perf_counter()
    on = _frames(game, tour, seconds, fixed_step=fixed_step)
    wall = time.perf_counter() - started
    story = "\n".join(f"{at:.4f} {what}" for at, what in game.log[told:])
    if sampler is not None:
        sampler.stop()
    plugin = game.plugin
    source = plugin.face_source
    memory = texture_memory(game.win.getGsg())
    sync = sync_summary(plugin.sync_report())
    phases = np.array(plugin.task_seconds) if plugin.task_seconds else np.zeros((1, 5))
    village_ms = float(np.mean(game.task_seconds) * 1e3) if game.task_seconds else 0.0
    uploads = plugin.uploads
    face_bytes = source.size ** 2 * 4
    with_sdk = {
        **frame_statistics(on),
        **face_latency_figures(plugin.face_latencies),
        "faces_phase_ms_p99": float(np.percentile(phases[:, 2], 99) * 1e3),
        "cache": plugin.cache.stats(),
        "worker": plugin.worker.stats(),
        "sdk_update_ms": float(phases[:, 1].mean() * 1e3),
        "texture_upload_ms": float(np.mean(plugin.upload_seconds) * 1e3) if plugin.upload_seconds else 0.0,
        "plugin_ms": float(phases[:, 0].mean() * 1e3),
        "village_task_ms": village_ms,
        "frame_breakdown_ms": frame_breakdown(on, phases, village_ms),
        "uploads_per_second": uploads / wall,
        "uploaded_mb_per_second": uploads * face_bytes / 1e6 / wall,
        "texture_memory": memory,
        "sync": sync,
        "legibility": sampler.report(judge, source.size) if sampler is not None else None,
    }
    plugin.pause()
    off = _frames(game, Tour(game, npcs, seed), seconds, act=False, fixed_step=fixed_step)
    plugin.resume()
    without_sdk = frame_statistics(off)
    result = {"npcs": npcs, "faces": faces, "face_source": type(source).__name__, "face_size": source.size,
              "seconds": seconds, "loading_seconds": loading, "prefetch_seconds": prefetch, "anisync": with_sdk, "anisync_off": without_sdk,
              "overhead_ratio": overhead_ratio(with_sdk["mean_ms"], without_sdk["mean_ms"]),
              "p99_over_p50": with_sdk["p99_ms"] / with_sdk["p50_ms"],
              "story": {"lines": len(game.log) - told, "sha256": hashlib.sha256(story.encode()).hexdigest()}}
    return result, {"on": on, "off": off}


def frame_breakdown(frame_seconds: list[float], phases: np.ndarray, village_ms: float) -> dict:
    """Where the mean frame goes, in ms: the plugin's phases (``phases``: its task's seconds per frame as
    total, runtime update, faces, bodies, sync), the demo's own task, and the rest: Panda3D's cull and
    draw (on llvmpipe, software rasterisation), its other tasks and the face worker's share of the cores."""
    frame = float(np.mean(frame_seconds) * 1e3)
    plugin, update, faces, bodies, sync = (float(v) * 1e3 for v in phases.mean(axis=0))
    return {"frame": frame, "sdk_update": update, "faces": faces, "bodies": bodies, "sync": sync,
            "village": village_ms, "render_and_rest": frame - plugin - village_ms}


def run_benchmark(counts: list[int], seconds: float, seed: int, size: tuple[int, int], face_size: int,
                  report: str | Path, warmup: float = 3.0, command: str = "", faces: tuple[str, ...] = FACE_SOURCES,
                  judge: str | Path | None = None, fixed_step: bool = False, renderer: str = "p3headlessgl") -> dict:
    """The demo's benchmark: every crowd size in ``counts`` with every face source in ``faces``, in turn
    in one run, anisync on and off; writes the JSON report, a frame-time plot and a screenshot per crowd
    size and source beside it. With a ``judge`` (an emotion judge's ``.onnx``) it also measures in-game
    legibility; with ``fixed_step`` the world runs on simulated time (module docstring)."""
    report = Path(report)
    report.parent.mkdir(parents=True, exist_ok=True)
    reader = Judge(judge) if judge is not None else None
    game = open_game(0, seed, size, face_size, renderer=renderer)  # each crowd is populated in turn
    results, series, comparison = [], {}, []
    for npcs in counts:
        by_source = {}
        for kind in faces:
            result, frames = measure_crowd(game, npcs, seconds, seed, warmup, kind, reader, fixed_step)
            shot = report.with_name(f"{report.stem}-{npcs}npcs-{kind}.png")
            game.graphicsEngine.renderFrame()
            game.win.saveScreenshot(str(shot))
            result["screenshot"] = shot.name
            results.append(result)
            by_source[kind] = result
            series[f"{npcs} NPCs, {kind} faces"] = frames["on"]
            series[f"{npcs} NPCs, {kind}, anisync off"] = frames["off"]
            _print(result)
        if {"neural", "procedural"} <= set(by_source):
            neural, procedural = by_source["neural"]["anisync"], by_source["procedural"]["anisync"]
            comparison.append({"npcs": npcs, "fps_neural_over_procedural": neural["mean_fps"] / procedural["mean_fps"],
                               "p50_ms": {"neural": neural["p50_ms"], "procedural": procedural["p50_ms"]},
                               "p99_ms": {"neural": neural["p99_ms"], "procedural": procedural["p99_ms"]}})
    plot = report.with_name(f"{report.stem}-frametimes.png")
    plot_frame_times(series, plot)
    data = {
        "command": command,
        "settings": {"npcs": counts, "faces": list(faces), "seconds": seconds, "seed": seed, "size": list(size),
                     "face_size": face_size, "judge": None if judge is None else str(judge), "warmup": warmup, "events_per_villager": EVENTS_PER_VILLAGER, "tour_actions": TOUR_ACTIONS,
                     "fixed_step": None if not fixed_step else 1 / STORY_RATE, "renderer": renderer},
        "machine": {"python": platform.python_version(), "processor": cpu_name(),
                    "renderer": game.win.getGsg().getDriverRenderer(), "vendor": game.win.getGsg().getDriverVendor()},
        "targets": TARGETS,
        "results": results,
        "neural_vs_procedural": comparison,
        "plot": plot.name,
    }
    report.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    game.plugin.destroy()
    game.destroy()
    return data


def _print(result: dict) -> None:
    on, off = result["anisync"], result["anisync_off"]
    legible = (on["legibility"] or {}).get("legibility")
    print(f"{result['npcs']:>4d} NPCs {result['faces']:>10s}  face p95 {on['face_latency_ms']['p95'] or 0:6.1f} ms "
          f"(every change {on['face_change_latency_ms']['p95'] or 0:6.1f} ms)  "
          f"legible {'-' if legible is None else f'{100 * legible:5.1f}%'}  hits {100 * on['cache']['hit_rate']:5.1f}%\n"
          f"     {on['mean_fps']:5.1f} fps (1% low {on['low_1pct_fps']:5.1f})  "
          f"p50 {on['p50_ms']:6.1f} ms p99 {on['p99_ms']:6.1f} ms  anisync {on['sdk_update_ms']:5.2f} ms "
          f"uploads {on['texture_upload_ms']:5.3f} ms  textures {on['texture_memory']['resident_mb']:6.1f} MB "
          f"({on['texture_memory']['character_mb']:5.1f} MB faces)  {on['uploaded_mb_per_second']:5.2f} MB/s  "
          f"sync {100 * (on['sync']['rate'] or 0):5.1f}%  off {off['mean_fps']:5.1f} fps  "
          f"overhead {100 * result['overhead_ratio']:5.1f}%", flush=True)
