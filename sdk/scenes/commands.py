"""The scene command lines: ``anisync scene FILE`` performs a scene headless with the shipped characters
and prints each line with what everyone felt; ``anisync bench scene FILE`` times compiling it and checks
its cues' timing and face-body sync at several update rates."""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from ..arguments import positive, write_json_report


def _cast(args: argparse.Namespace):
    from ..character import CharacterDefinition
    from ..resources import shipped_characters

    files = args.cast or shipped_characters()
    return [CharacterDefinition.load(path) for path in files]


#: Seconds after a line starts when its speaker's face is sampled for the judge.
FACE_SAMPLE_DELAY = 0.3


def perform(scene, definitions, rate: float, choices: list[int], seed: int = 0, on_line=None,
            faces: list | None = None) -> dict:
    """Play ``scene`` to its end in a fresh runtime stepping ``rate`` times a second, taking ``choices`` in
    turn (then option 0); returns the cues' lateness in steps and the face-body sync while it played.
    With a ``faces`` list, each character's line adds ``(appearance, expression, emotion)``: its speaker's
    appearance and expression :data:`FACE_SAMPLE_DELAY` after the line starts, and the line's emotion."""
    from anisync.panda.sync import SyncFrame, SyncTracker

    from ..emotion import EMOTIONS
    from ..runtime import Runtime

    runtime = Runtime(seed=seed)
    cast = [runtime.spawn(definition) for definition in definitions]
    player = runtime.play(scene)
    if on_line is not None:
        player.on("line_started", lambda cue: on_line(runtime, cue, cast))
    due: list = []  # (time, speaker, emotion) of faces still to sample
    if faces is not None:
        player.on("line_started", lambda cue: cue.line.speaker in runtime.characters and due.append(
            (cue.time + FACE_SAMPLE_DELAY, runtime.characters[cue.line.speaker], cue.emotion)))
    trackers = {c.id: SyncTracker() for c in cast if c.id in scene.cast}
    pending = list(choices)
    dt = 1.0 / rate
    while not player.finished and runtime.time < 3600:
        runtime.update(dt)
        if player.choices:
            player.choose(pending.pop(0) if pending else 0)
        while due and due[0][0] <= runtime.time:
            _, character, emotion = due.pop(0)
            faces.append((character.definition.appearance, character.expression.copy(), emotion))
        for character in cast:
            if character.id in trackers and not player.finished:
                order = np.argsort(-character.emotion.vector)
                face, second = EMOTIONS[order[0]], EMOTIONS[order[1]]
                trackers[character.id].add(SyncFrame(runtime.time, face, face, character.orientation, second))
    late = [(fired - cue.time) / dt for cue, fired in player.fired]
    counted = sum(t.counted for t in trackers.values())
    return {"rate": rate, "cues": len(late), "max_late_steps": round(max(late), 3),
            "cues_over_one_step_late": sum(1 for x in late if x > 1 + 1e-6),
            "sync": round(sum(t.agreed for t in trackers.values()) / max(counted, 1), 4), "sync_frames": counted,
            "seconds": round(runtime.time, 2)}


def _scene_command(args: argparse.Namespace) -> int:
    from .script import load_scene

    definitions = _cast(args)
    scene = load_scene(args.file, definitions)
    transcript = []

    def on_line(runtime, cue, cast):
        felt = {c.id: c.dominant() for c in cast}
        line = cue.line
        extras = " ".join(f"{k}={v}" for k, v in (("gesture", line.gesture), ("to", line.look)) if v)
        print(f"{cue.time:6.2f}s {line.speaker}: {line.text}  [{cue.emotion}, {cue.source}] {extras}")
        print("         felt: " + ", ".join(f"{cid} {name} {value:.2f}" for cid, (name, value) in felt.items()))
        transcript.append({"time": round(cue.time, 3), "speaker": line.speaker, "text": line.text,
                           "emotion": cue.emotion, "source": cue.source, "gesture": line.gesture, "look": line.look,
                           "felt": {cid: [name, round(value, 3)] for cid, (name, value) in felt.items()}})

    result = perform(scene, definitions, args.rate, args.choose or [], args.seed, on_line)
    print(f"scene ended at {result['seconds']} s: {result['cues']} cues, at most {result['max_late_steps']} "
          f"step(s) late; face-body sync {100 * result['sync']:.1f} %")
    if args.json:
        Path(args.json).write_text(json.dumps({"scene": str(args.file), **result, "lines": transcript}, indent=1)
                                   + "\n", encoding="utf-8")
    return 0


class _EvenReader:
    """Stands in for the dialogue classifier to time compiling without it."""

    def classify_many(self, requests):
        from ..emotion import EMOTIONS

        return np.full((len(requests), len(EMOTIONS)), 1 / len(EMOTIONS))


def _bench_command(args: argparse.Namespace) -> int:
    from ..dialogue import shipped_classifier
    from .script import load_scene

    definitions = _cast(args)
    classifier = shipped_classifier()  # loaded once per process, outside the timings
    timings = {"compile_ms": [], "compile_cold_cache_ms": [], "compile_cold_cache_one_worker_ms": [],
               "compile_without_classifier_ms": []}
    workers = classifier.workers
    load_scene(args.file, definitions)  # untimed: onnxruntime's first runs are slower
    try:
        for run in range(args.runs):
            # Cold, on one core and on all: in turn, each first in every other run.
            cold = [("compile_cold_cache_one_worker_ms", 1), ("compile_cold_cache_ms", workers)]
            for key, count in cold[::-1] if run % 2 else cold:
                classifier.workers = count
                classifier._vectors.clear()
                started = time.perf_counter()
                scene = load_scene(args.file, definitions)
                timings[key].append(1e3 * (time.perf_counter() - started))
    finally:
        classifier.workers = workers
    for _ in range(args.runs):
        started = time.perf_counter()
        load_scene(args.file, definitions)
        timings["compile_ms"].append(1e3 * (time.perf_counter() - started))
        started = time.perf_counter()
        load_scene(args.file, definitions, classifier=_EvenReader())
        timings["compile_without_classifier_ms"].append(1e3 * (time.perf_counter() - started))
    untagged = sum(1 for line in scene.lines.values() if line.emotion is None)
    faces: list = []
    report = {"scene": str(args.file), "lines": len(scene.lines), "untagged_lines": untagged, "runs": args.runs,
              "classifier_workers": workers,
              **{k: round(statistics.median(v), 1) for k, v in timings.items()},
              "playback": [perform(scene, definitions, rate, [], 0, faces=faces if i == 0 else None)
                           for i, rate in enumerate(args.rates)]}
    if args.judge:
        report["faces_judged"] = _judge_faces(faces, args.judge, args.faces)
    print(f"{args.file}: {report['lines']} lines ({untagged} without an emotion tag): compiled in "
          f"{report['compile_ms']} ms median ({report['compile_cold_cache_ms']} ms with no line read before, "
          f"{report['compile_cold_cache_one_worker_ms']} ms so on one core, "
          f"{report['compile_without_classifier_ms']} ms without the classifier)")
    for run in report["playback"]:
        print(f"  {run['rate']:5g} updates/s: {run['cues']} cues, at most {run['max_late_steps']} step(s) late, "
              f"{run['cues_over_one_step_late']} over one; face-body sync {100 * run['sync']:.1f} %")
    if args.judge:
        judged = report["faces_judged"]
        print(f"  the line's emotion read on the speaker's {judged['faces']} face: {100 * judged['accuracy']:.1f} % of "
              f"{judged['lines']} lines (judge: {args.judge})")
    if args.json:
        write_json_report(args.json, report)
    return 0


def _judge_faces(faces: list, judge_path: str, kind: str) -> dict:
    """Draw each sampled face with the ``kind`` face source and have the judge read it: the share whose
    dominant emotion is the line's, overall and per emotion."""
    from anisync.panda.neural import load_face_source

    from ..emotion import EMOTIONS
    from ..expression.judge import Judge

    source = load_face_source(kind)
    judge = Judge(judge_path)
    images = np.stack([source.render("scene", appearance, expression) for appearance, expression, _ in faces])
    if images.shape[1] != judge.size:
        from ..portrait import resize_face

        images = np.stack([resize_face(image, judge.size) for image in images])
    read = [EMOTIONS[i] for i in judge.emotions(images).argmax(1)]
    wanted = [emotion for _, _, emotion in faces]
    per = {e: [r == w for r, w in zip(read, wanted) if w == e] for e in EMOTIONS}
    return {"faces": type(source).__name__, "judge": str(judge_path), "lines": len(faces),
            "accuracy": round(float(np.mean([r == w for r, w in zip(read, wanted)])), 4),
            "per_emotion": {e: [int(sum(v)), len(v)] for e, v in per.items() if v}}


def register(commands) -> None:
    """Add ``anisync scene`` and ``anisync bench scene``."""
    from ..arguments import DefaultsHelpFormatter, positive_float, seed

    scene = commands.command("scene", _scene_command, formatter_class=DefaultsHelpFormatter,
                             help="perform a scene (compiled Ink JSON) headless and print what everyone felt")
    scene.add_argument("file", type=Path, help="the compiled Ink story, e.g. assets/scenes/campfire.json")
    scene.add_argument("--cast", action="append", metavar="YAML", help="a character file (default: the shipped ones)")
    scene.add_argument("--choose", type=int, action="append", metavar="N", help="the option to take at each choice, in "
                       "order (repeat; then option 0)")
    scene.add_argument("--rate", type=positive_float, default=60.0, help="updates per second")
    scene.add_argument("--seed", type=seed, default=0, help="the runtime's seed")
    scene.add_argument("--json", metavar="PATH", help="also write the lines and figures as JSON")

    bench = commands.subcommand("bench", "scene", _bench_command,
                                help="time compiling a scene; cue timing and face-body sync at several update rates")
    bench.add_argument("file", type=Path, help="the compiled Ink story")
    bench.add_argument("--cast", action="append", metavar="YAML", help="a character file (default: the shipped ones)")
    bench.add_argument("--runs", type=positive, default=5, help="compilations timed")
    bench.add_argument("--rates", type=lambda text: [float(x) for x in text.split(",")], default=[30.0, 60.0, 144.0],
                       help="update rates to play it at, comma-separated")
    bench.add_argument("--judge", metavar="ONNX", help="an emotion judge (anisync train judge): read each line's "
                       "emotion on its speaker's face, drawn by --faces")
    bench.add_argument("--faces", choices=("neural", "procedural"), default="neural", help="the face source to draw with")
    bench.add_argument("--json", metavar="PATH", help="write the report as JSON")
