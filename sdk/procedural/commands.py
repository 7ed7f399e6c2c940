"""CLI: ``anisync data make``, ``anisync data sheet`` and ``anisync bench procedural``."""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from ..timing import cpu_name


def register(commands) -> None:
    """Add the procedural-face subcommands to the ``anisync`` parser."""
    make = commands.subcommand("data", "make", _make, help="render a procedural face dataset (shards, labels, contact sheet)")
    make.add_argument("--out", required=True, help="output folder; rerun with the same settings to resume")
    make.add_argument("--identities", type=int, required=True, help="number of characters")
    make.add_argument("--expressions", type=int, required=True, help="faces per character (the first is neutral)")
    make.add_argument("--size", type=int, default=128, help="image side in pixels, 64-512")
    make.add_argument("--seed", type=int, default=0, help="random seed")
    make.add_argument("--shard-identities", type=int, default=32, help="characters per shard file")
    make.add_argument("--speech", type=float, default=0.0,
                      help="fraction of each character's faces after the first that speak: a mouth drawn anew, "
                           "half of them with no emotion (mouth shapes for lip sync)")

    sheet = commands.subcommand("data", "sheet", _sheet, help="render the emotion sheet: identities x 7 emotions, plus yaw 0/40/80")
    sheet.add_argument("--out", default="docs/images/procedural_sheet.png", help="PNG to write")
    sheet.add_argument("--identities", type=int, default=8, help="rows of characters")
    sheet.add_argument("--size", type=int, default=128, help="cell side in pixels")
    sheet.add_argument("--seed", type=int, default=0, help="random seed")

    bench = commands.subcommand("bench", "procedural", _bench, help="faces per second of the procedural renderer on one core")
    bench.add_argument("--sizes", type=int, nargs="+", default=[128], help="image sides to time")
    bench.add_argument("--faces", type=int, default=100, help="faces per timed batch")
    bench.add_argument("--repeats", type=int, default=15, help="timed batches per size; the median is reported")
    bench.add_argument("--seed", type=int, default=0, help="random seed of the faces")
    bench.add_argument("--json", help="also write the results to this JSON file")


def _make(args: argparse.Namespace) -> int:
    from .dataset import MANIFEST, SHEET, make_dataset

    out = make_dataset(args.out, args.identities, args.expressions, args.size, args.seed, args.shard_identities,
                       speech=args.speech)
    manifest = json.loads((out / MANIFEST).read_text())
    counts = ", ".join(f"{name} {len(ids)}" for name, ids in manifest["splits"].items())
    print(f"{args.identities * args.expressions} faces of {args.identities} identities in {out} "
          f"(identities per split: {counts}); contact sheet {out / SHEET}")
    return 0


def _sheet(args: argparse.Namespace) -> int:
    from .sheet import emotion_sheet, sheet_identities

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    emotion_sheet(sheet_identities(args.identities, args.seed), args.size).save(out)
    print(f"wrote {out}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    import numpy as np
    import PIL

    from ..errors import DefinitionError
    from ..progress import progress
    from .expression import ExpressionParams
    from .identity import sample_identity
    from .render import render_face

    for key in ("faces", "repeats"):
        if getattr(args, key) < 1:
            raise DefinitionError("bench procedural", f"--{key}", "a positive integer", getattr(args, key))
    rng = np.random.default_rng(args.seed)
    # A new identity, expression and yaw for every face: nothing is reused between faces.
    faces = [(sample_identity(rng), ExpressionParams.from_emotions(rng.dirichlet(np.full(7, 0.5))),
              float(rng.uniform(0.0, 80.0))) for _ in range(args.faces)]
    results = {}
    for size in args.sizes:
        render_face(*faces[0], size=size)  # warm-up: imports, caches
        per_face = []
        for _ in progress(range(args.repeats), desc=f"size {size}"):
            start = time.perf_counter()
            for identity, expression, yaw in faces:
                render_face(identity, expression, yaw, size)
            per_face.append((time.perf_counter() - start) / len(faces))
        median = float(np.median(per_face))
        results[str(size)] = {"faces_per_second_median": 1.0 / median, "ms_per_face_median": 1e3 * median,
                              "ms_per_face_min": 1e3 * min(per_face), "ms_per_face_max": 1e3 * max(per_face)}
    report = {
        "benchmark": "procedural", "faces_per_repeat": args.faces, "repeats": args.repeats, "seed": args.seed,
        "threads": 1, "sizes": results,
        "machine": {"python": platform.python_version(), "numpy": np.__version__, "pillow": PIL.__version__,
                    "processor": cpu_name()},
    }
    print(f"{'size':>6} {'faces/s (median)':>17} {'ms/face median':>15} {'min':>7} {'max':>7}")
    for size, r in results.items():
        print(f"{size:>6} {r['faces_per_second_median']:>17.0f} {r['ms_per_face_median']:>15.3f} "
              f"{r['ms_per_face_min']:>7.3f} {r['ms_per_face_max']:>7.3f}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0
