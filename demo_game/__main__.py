"""``python -m anisync.demo``: the anisync village.

With a display it opens a window you walk around in; without one (a server, CI, ssh) it runs the
20-second scripted scene offscreen, prints what the villagers felt and did, the frame rate and texture
memory, and saves a screenshot. ``--benchmark`` measures frame rate and texture load for several crowd
sizes (see :mod:`anisync.demo.scene`).
"""

from __future__ import annotations

import argparse
import os
import sys

from anisync.arguments import DefaultsHelpFormatter
from anisync.extras import MissingExtraError, import_extra
from anisync.panda.bench import OFFSCREEN_RENDERERS, parse_counts, parse_sources, parse_window


def has_display() -> bool:
    """True where a window can open: a desktop session on Windows or macOS, an X or Wayland display elsewhere."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m anisync.demo", description=__doc__.split("\n\n")[0],
                                     formatter_class=DefaultsHelpFormatter)
    parser.add_argument("--npcs", type=parse_counts, default=None,
                        help="villagers (default 12); with --benchmark, comma-separated crowd sizes (default 12,50,100)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the scripted scene, or of each measured run")
    parser.add_argument("--size", type=parse_window, default=(1280, 720), help="window WIDTHxHEIGHT (default 1280x720)")
    parser.add_argument("--faces", type=parse_sources, default=None,
                        help="who draws the faces: neural (the ONNX models, default) or procedural; with --benchmark, "
                             "comma-separated sources measured in turn (default neural,procedural)")
    parser.add_argument("--face-size", type=int, default=256, help="procedural face texture side in pixels, 64 to 512")
    parser.add_argument("--seed", type=int, default=0, help="seed of villagers, script and scenery")
    parser.add_argument("--offscreen", action="store_true", help="run the scripted scene offscreen even with a display")
    parser.add_argument("--screenshot", default="village.png", help="where the scripted scene saves its screenshot")
    parser.add_argument("--benchmark", action="store_true", help="measure frame rate and texture load per crowd size, anisync on and off")
    parser.add_argument("--warmup", type=float, default=3.0, help="benchmark: seconds run before measuring each crowd")
    parser.add_argument("--judge", metavar="ONNX", help="benchmark: an emotion judge (anisync train judge) to measure in-game legibility")
    parser.add_argument("--report", default="bench.json", help="benchmark: JSON report; plot and screenshots go beside it")
    parser.add_argument("--renderer", choices=OFFSCREEN_RENDERERS, default="p3headlessgl",
                        help="offscreen only: Mesa's software OpenGL, or Panda3D's own software renderer (faster for "
                             "crowds; no fog)")
    parser.add_argument("--fixed-step", action="store_true",
                        help="benchmark: run the world on simulated time, as the scripted scene does (the same frames "
                             "every run, to compare two versions of the code; real time otherwise)")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        for package in ("panda3d", "bink", "tokenizers", "pocketsphinx"):
            import_extra(package, "demo", "the demo village")
    except MissingExtraError as error:
        build_parser().exit(2, f"python -m anisync.demo: error: {error}\n")
    if not 64 <= args.face_size <= 512:
        build_parser().error(f"--face-size: expected 64 to 512, got {args.face_size}")
    if args.seconds <= 0:
        build_parser().error(f"--seconds: expected a positive number, got {args.seconds:g}")
    # Software OpenGL (llvmpipe) draws on the game's own thread: with a drawing thread of its own it waits
    # for the frames in flight whenever a face texture changes, and stalls for seconds at a time on two
    # cores shared with the face worker (docs/benchmarks.md, "Demo village").
    os.environ.setdefault("LP_NUM_THREADS", "0")
    from . import scene

    if args.benchmark:
        command = "python -m anisync.demo " + " ".join(sys.argv[1:] if argv is None else argv)
        scene.run_benchmark(args.npcs or [12, 50, 100], args.seconds, args.seed, args.size, args.face_size,
                            args.report, args.warmup, command, tuple(args.faces or ("neural", "procedural")), args.judge,
                            args.fixed_step, args.renderer)
        return 0
    if args.npcs and len(args.npcs) > 1:
        build_parser().error(f"--npcs: one count without --benchmark, got {len(args.npcs)}")
    if args.faces and len(args.faces) > 1:
        build_parser().error(f"--faces: one source without --benchmark, got {len(args.faces)}")
    if args.judge:
        build_parser().error("--judge: only with --benchmark")
    if args.fixed_step:
        build_parser().error("--fixed-step: only with --benchmark (the scripted scene always runs on simulated time)")
    npcs, faces = (args.npcs or [12])[0], (args.faces or ["neural"])[0]
    if args.offscreen or not has_display():
        scene.run_scripted(npcs, args.seconds, args.seed, args.size, args.face_size, args.screenshot, faces=faces,
                           renderer=args.renderer)
        return 0
    from .game import GameOptions, VillageGame

    VillageGame(GameOptions(npcs=npcs, seed=args.seed, faces=faces, face_size=args.face_size, window=args.size,
                            offscreen=False, interactive=True)).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
