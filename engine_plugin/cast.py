"""Cast atlases: every face of a cast drawn ahead of time, on a Ray cluster, for platforms without onnxruntime.

``anisync generate cast --characters FILES... --out DIR [--ray ADDRESS] [--workers N]`` draws one atlas
PNG per character, a grid of :data:`COLUMNS` cells a row, each the editor's size. The cells
(:data:`LAYOUT`) are the neutral face, each emotion at the :data:`INTENSITIES`, and each OVR viseme on
the neutral face (the mouth shapes of a speaking character). ``DIR/manifest.json`` lists the layout and,
per character, its atlas with the atlas's sha256, the sha256 of the character file and of the models it
was drawn with, and the body palette measured on its neutral face.

Generation runs on Ray Data. The characters are a dataset, and ``map_batches`` hands them one at a time
to a pool of actors (:class:`CastPainter`), each holding its own onnxruntime sessions (the neural face
source on one thread). The driver receives each painted atlas as PNG bytes and writes it, and the manifest
every :data:`MANIFEST_SECONDS` and at the end, each through a temporary file and a rename. So:

* a character is written once, by the driver, when its atlas arrives;
* a worker that dies mid-run is restarted by Ray, and the character it held is painted again (Ray Data
  restarts its actors and retries their tasks by default): nothing is lost;
* a stopped run resumes: a character whose manifest entry matches its file, the models and the atlas on
  disk is skipped.

Without ``--ray`` a local Ray instance starts with ``--workers`` CPUs. With it, the job joins that
cluster, whose nodes must be able to read the models and any portrait a character names.

:class:`AtlasFaceSource` draws the plugin's faces from such a folder, with no onnxruntime at run time.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from anisync import EMOTIONS
from anisync.character import CharacterDefinition
from anisync.errors import AnisyncError, DefinitionError, InvalidArgumentError, ModelLoadError
from anisync.expression.card import sha256_of
from anisync.extras import import_extra
from anisync.files import write_atomically
from anisync.progress import progress
from anisync.procedural.expression import EXPRESSION_PARAMS
from anisync.speech import VISEMES

from .faces import BodyPalette, expression_params, speaking_params

#: Manifest format name and version.
FORMAT, VERSION = "anisync-cast", 1
#: Intensities at which each emotion is drawn.
INTENSITIES = (1 / 3, 2 / 3, 1.0)
#: Cells per atlas row.
COLUMNS = 6
#: Seconds between rewrites of the manifest while atlases arrive (and once at the end): rewriting it for
#: every atlas would write a 10,000-character cast's manifest 10,000 times. An atlas written but not yet
#: listed is painted again by a resumed run.
MANIFEST_SECONDS = 2.0
#: An emotion weaker than this shows the neutral face (half the lowest intensity drawn).
_FAINT = INTENSITIES[0] / 2
_MOUTH = [EXPRESSION_PARAMS.index("mouth_open"), EXPRESSION_PARAMS.index("mouth_width")]


@dataclass(frozen=True)
class Cell:
    """One face of an atlas: ``emotion`` at ``intensity``, or the neutral face speaking ``viseme``."""

    name: str
    emotion: str = "neutral"
    intensity: float = 1.0
    viseme: str | None = None

    def expression(self) -> np.ndarray:
        """What the face source is asked for: seven emotions, or the 13 parameters of a viseme."""
        emotions = np.zeros(len(EMOTIONS), np.float32)
        emotions[EMOTIONS.index(self.emotion)] = self.intensity
        return emotions if self.viseme is None else speaking_params(emotions, self.viseme)


#: The cells of every atlas, in reading order.
LAYOUT: tuple[Cell, ...] = (
    Cell("neutral"),
    *(Cell(f"{emotion} {intensity:.2f}", emotion, intensity)
      for emotion in EMOTIONS if emotion != "neutral" for intensity in INTENSITIES),
    *(Cell(f"viseme {viseme}", viseme=viseme) for viseme in VISEMES),
)


def tile(faces: np.ndarray) -> np.ndarray:
    """Faces ``[n, size, size, 4]`` as one atlas image, :data:`COLUMNS` a row, empty cells transparent."""
    count, size = faces.shape[:2]
    rows = -(-count // COLUMNS)
    atlas = np.zeros((rows * size, COLUMNS * size, 4), np.uint8)
    for k, face in enumerate(faces):
        row, column = divmod(k, COLUMNS)
        atlas[row * size:(row + 1) * size, column * size:(column + 1) * size] = face
    return atlas


def cell_of(atlas: np.ndarray, index: int, size: int) -> np.ndarray:
    """Cell ``index`` of an atlas made by :func:`tile`."""
    row, column = divmod(index, COLUMNS)
    return atlas[row * size:(row + 1) * size, column * size:(column + 1) * size]


class CastPainter:
    """A Ray Data actor: the neural face source, painting the atlas of one character per row.

    Rows in: ``id`` and ``appearance`` (JSON). Rows out: ``id``, ``png`` (the atlas), ``palette`` (JSON),
    ``seconds`` (painting and encoding) and ``painter`` (the process id, so a run can tell its workers apart).
    """

    def __init__(self, models: Mapping[str, Any]):
        from .neural import NeuralFaceSource

        self.source = NeuralFaceSource(**models, threads=1)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        from PIL import Image

        pngs, palettes, seconds = [], [], []
        for character_id, appearance_json in zip(batch["id"], batch["appearance"]):
            started = time.perf_counter()
            appearance = json.loads(appearance_json)
            faces = self.source.render_many([(appearance, cell.expression()) for cell in LAYOUT])
            buffer = io.BytesIO()
            Image.fromarray(tile(faces), "RGBA").save(buffer, format="PNG", compress_level=3)
            pngs.append(buffer.getvalue())
            palettes.append(json.dumps(dataclasses.asdict(self.source.palette(str(character_id), appearance))))
            seconds.append(time.perf_counter() - started)
        return {"id": batch["id"], "png": np.array(pngs, dtype=object), "palette": np.array(palettes),
                "seconds": np.array(seconds), "painter": np.full(len(pngs), os.getpid())}


def _write_manifest(path: Path, manifest: dict) -> None:
    write_atomically(path, (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode())


def _load_cast(characters: Sequence[str | Path]) -> list[tuple[CharacterDefinition, Path]]:
    """The character definitions, each checked; two files with one id are refused."""
    if not characters:
        raise InvalidArgumentError("characters: expected at least one character file")
    loaded: dict[str, Path] = {}
    cast = []
    for path in map(Path, characters):
        definition = CharacterDefinition.load(path)
        if definition.id in loaded:
            raise DefinitionError(path, "id", f"an id no other character of the cast has (each names an atlas); "
                                  f"{loaded[definition.id]} has it too", definition.id)
        loaded[definition.id] = path
        cast.append((definition, path))
    return cast


def load_manifest(path: Path, error: type[AnisyncError], advice: str) -> dict:
    """The cast manifest at ``path``; ``error`` naming the file, with ``advice``, when it is missing,
    unreadable or not of this format and version."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as problem:
        raise error(f"{path}: no readable cast manifest ({problem}); {advice}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise error(f"{path}: not a {FORMAT} manifest of version {VERSION}")
    return manifest


def _read_manifest(path: Path, size: int, models: dict) -> dict:
    """The manifest at ``path``, or a new one; an unreadable one or one of another format is refused."""
    fresh = {"format": FORMAT, "version": VERSION, "size": size, "columns": COLUMNS,
             "layout": [dataclasses.asdict(cell) for cell in LAYOUT], "models": models, "characters": {}}
    if not path.is_file():
        return fresh
    manifest = load_manifest(path, AnisyncError, "remove it to start again")
    if manifest.get("layout") != fresh["layout"] or manifest.get("size") != size or manifest.get("models") != models:
        return fresh  # drawn with other models or another layout: every atlas is stale
    return manifest


def _is_done(entry: dict | None, definition_sha: str, folder: Path) -> bool:
    if not entry or entry.get("definition_sha256") != definition_sha:
        return False
    atlas = folder / entry["atlas"]
    return atlas.is_file() and sha256_of(atlas) == entry["sha256"]


def generate_cast(characters: Sequence[str | Path], out: str | Path, ray_address: str | None = None,
                  workers: int = 2, models: Mapping[str, Any] | None = None,
                  on_painted: Callable[[str, dict, int], None] | None = None) -> dict:
    """Paint the atlas of every character file into ``out`` (module docstring); returns a report:
    ``characters``, ``painted``, ``skipped``, ``seconds`` (wall time of the painting),
    ``characters_per_second``, ``seconds_per_character`` (median inside a worker), ``workers`` and
    ``painters`` (atlases per worker process).

    Args:
        characters: character definition files (YAML).
        out: the folder of the atlases and ``manifest.json``; created if missing.
        ray_address: a Ray cluster to join (``host:port``); None starts a local instance with ``workers`` CPUs
            (a Ray instance this process already started is used as it is).
        workers: painting actors, one CPU each.
        models: the :class:`~anisync.panda.neural.NeuralFaceSource` models (default: the shipped ones).
        on_painted: called with each character's id, its manifest entry and the process id of the worker
            that painted it, once its atlas is written.

    Raises:
        DefinitionError: a character file that does not load, or two with one id.
        MissingExtraError: Ray is not installed (``pip install "anisync[scale]"``).
    """
    from .neural import NeuralFaceSource

    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidArgumentError(f"workers: expected a positive integer, got {workers!r}")
    ray = import_extra("ray", "scale", "cast generation on Ray")
    cast = _load_cast(characters)
    models = dict(models or {})
    probe = NeuralFaceSource(**models, threads=1)
    model_files = {"generator": probe.generator_path, "editor": probe.editor_path, "refiner": probe.refiner_path}
    model_shas = {name: sha256_of(path) for name, path in model_files.items() if path is not None}
    models = {name: None if path is None else str(path) for name, path in model_files.items()}
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    manifest_path = folder / "manifest.json"
    manifest = _read_manifest(manifest_path, probe.size, model_shas)
    definition_shas = {definition.id: sha256_of(path) for definition, path in cast}
    todo = [(definition, path) for definition, path in cast
            if not _is_done(manifest["characters"].get(definition.id), definition_shas[definition.id], folder)]
    report = {"characters": len(cast), "painted": 0, "skipped": len(cast) - len(todo), "workers": workers,
              "painters": {}, "seconds": 0.0}
    if todo:
        report.update(_paint(ray, todo, folder, manifest, manifest_path, definition_shas, models, ray_address, workers,
                             on_painted))
    return report


def _paint(ray, todo, folder: Path, manifest: dict, manifest_path: Path, definition_shas: dict, models: dict,
           ray_address: str | None, workers: int, on_painted) -> dict:
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=ray_address, num_cpus=None if ray_address else workers, include_dashboard=False,
                 configure_logging=False, log_to_driver=False)
    # One progress bar, ours, rather than Ray Data's operator log every few seconds.
    ray.data.DataContext.get_current().enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    try:
        started = time.perf_counter()
        rows = ray.data.from_items([{"id": definition.id, "appearance": json.dumps(dict(definition.appearance))}
                                    for definition, _ in todo], override_num_blocks=len(todo))
        painted = rows.map_batches(CastPainter, fn_constructor_kwargs={"models": models}, batch_size=1,
                                   concurrency=workers, num_cpus=1)
        painters: dict[str, int] = {}
        seconds = []
        saved = time.perf_counter()
        try:
            for row in progress(painted.iter_rows(), total=len(todo), desc="painting atlases"):
                character_id = str(row["id"])
                atlas = f"{character_id}.png"
                write_atomically(folder / atlas, row["png"])
                entry = {"atlas": atlas, "sha256": sha256_of(folder / atlas),
                         "definition_sha256": definition_shas[character_id], "palette": json.loads(row["palette"])}
                manifest["characters"][character_id] = entry
                if time.perf_counter() - saved >= MANIFEST_SECONDS:
                    _write_manifest(manifest_path, manifest)
                    saved = time.perf_counter()
                painter = int(row["painter"])
                painters[str(painter)] = painters.get(str(painter), 0) + 1
                seconds.append(float(row["seconds"]))
                if on_painted is not None:
                    on_painted(character_id, entry, painter)
        finally:
            _write_manifest(manifest_path, manifest)  # interrupted too: what was painted is kept
        wall = time.perf_counter() - started
    finally:
        if started_here:
            ray.shutdown()
    return {"painted": len(seconds), "seconds": wall, "characters_per_second": len(seconds) / wall,
            "seconds_per_character": float(np.median(seconds)), "painters": painters}


class AtlasFaceSource:
    """A :class:`~anisync.panda.faces.FaceSource` over a folder of cast atlases (``anisync generate cast``):
    no model runs at run time.

    A request shows the cell nearest to it: for an emotion vector, its dominant emotion at the nearest
    drawn intensity (the neutral face below :data:`_FAINT`); for a speaking face (13 parameters), the viseme
    whose mouth opening and width are nearest, on the neutral face (the atlas has no speaking emotions).
    Atlases are read when first used and their sha256 checked against the manifest.

    Raises:
        ModelLoadError: naming the folder when its manifest is missing, unreadable or of another format,
            and naming an atlas file that is missing or does not match the manifest.
    """

    worker_kind = "thread"

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        manifest = load_manifest(self.folder / "manifest.json", ModelLoadError, "make one with anisync generate cast")
        self.manifest = manifest
        self.size = int(manifest["size"])
        self._layout = [Cell(**cell) for cell in manifest["layout"]]
        self._visemes = [(k, expression_params(cell.expression())[_MOUTH]) for k, cell in enumerate(self._layout)
                         if cell.viseme is not None]
        self._atlases: dict[str, np.ndarray] = {}

    def cell_index(self, expression: np.ndarray) -> int:
        """The index in the layout of the cell drawn for ``expression`` (class docstring)."""
        values = np.asarray(expression, np.float64)
        if values.shape == (len(EXPRESSION_PARAMS),):
            mouth = values[_MOUTH]
            return min(self._visemes, key=lambda item: float(np.abs(item[1] - mouth).sum()))[0]
        if values.shape != (len(EMOTIONS),):
            raise InvalidArgumentError(f"expression: expected {len(EMOTIONS)} emotions or {len(EXPRESSION_PARAMS)} "
                                       f"expression parameters, got shape {values.shape}")
        strongest = EMOTIONS[int(np.argmax(values))]
        value = float(values.max())
        if strongest == "neutral" or value < _FAINT:
            return 0
        cells = [(k, cell) for k, cell in enumerate(self._layout) if cell.viseme is None and cell.emotion == strongest]
        return min(cells, key=lambda item: abs(item[1].intensity - value))[0]

    def _atlas(self, character_id: str) -> np.ndarray:
        atlas = self._atlases.get(character_id)
        if atlas is not None:
            return atlas
        entry = self.manifest["characters"].get(character_id)
        if entry is None:
            raise InvalidArgumentError(f"character_id: {character_id!r} has no atlas in {self.folder} (it has "
                                       f"{', '.join(sorted(self.manifest['characters'])) or 'none'})")
        path = self.folder / entry["atlas"]
        if not path.is_file() or sha256_of(path) != entry["sha256"]:
            raise ModelLoadError(f"{path}: missing, or not the atlas its manifest names (sha256 differs)")
        from PIL import Image

        with Image.open(path) as image:
            atlas = np.asarray(image.convert("RGBA"))
        self._atlases[character_id] = atlas  # one assignment: safe across worker threads
        return atlas

    def render(self, character_id: str, appearance: Mapping[str, Any], expression: np.ndarray) -> np.ndarray:
        """See :meth:`~anisync.panda.faces.FaceSource.render`."""
        return cell_of(self._atlas(character_id), self.cell_index(expression), self.size).copy()

    def palette(self, character_id: str, appearance: Mapping[str, Any]) -> BodyPalette:
        """See :meth:`~anisync.panda.faces.FaceSource.palette`: as measured when the atlas was painted."""
        self._atlas(character_id)
        palette = self.manifest["characters"][character_id]["palette"]
        return BodyPalette(**{key: tuple(value) if isinstance(value, list) else value for key, value in palette.items()})


def synthetic_cast(folder: str | Path, count: int) -> list[Path]:
    """``count`` character files in ``folder``, villagers ``cast-0000``... whose faces are drawn from their
    number (``appearance: {seed: N}``), otherwise like the shipped Mira: a cast for measuring."""
    from anisync.loading import load_yaml
    from anisync.resources import asset_path

    import yaml

    template = load_yaml(asset_path("characters", "mira.yaml"))
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        path = folder / f"cast-{number:04d}.yaml"
        path.write_text(yaml.safe_dump({**template, "id": f"cast-{number:04d}", "name": f"Villager {number}",
                                        "appearance": {"seed": number}}), encoding="utf-8")
        paths.append(path)
    return paths


def bench_cast(characters: int = 200, workers: Sequence[int] = (1, 2)) -> dict:
    """Throughput of :func:`generate_cast` on a synthetic cast of ``characters`` with each worker count in
    turn, in one Ray instance (CPUs: the largest count), each into a fresh folder; ratios against the first
    count."""
    import tempfile

    from anisync.timing import cpu_name

    ray = import_extra("ray", "scale", "cast generation on Ray")
    ray.init(num_cpus=max(workers), include_dashboard=False, configure_logging=False, log_to_driver=False)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            files = synthetic_cast(Path(scratch) / "characters", characters)
            runs = {str(count): generate_cast(files, Path(scratch) / f"atlases-{count}", workers=count)
                    for count in workers}
    finally:
        ray.shutdown()
    base = runs[str(workers[0])]["characters_per_second"]
    for run in runs.values():
        run["speedup"] = run["characters_per_second"] / base
    return {"characters": characters, "cells": len(LAYOUT), "processor": cpu_name(), "cpus": os.cpu_count(),
            "ray": ray.__version__, "runs": runs}


def _generate_command(args) -> int:
    report = generate_cast(args.characters, args.out, ray_address=args.ray, workers=args.workers)
    print(f"{args.out}: {report['painted']} atlases painted, {report['skipped']} already done"
          + (f", {report['characters_per_second']:.2f} characters/s" if report["painted"] else ""))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


def _bench_command(args) -> int:
    result = bench_cast(args.characters, args.workers)
    for count, run in result["runs"].items():
        print(f"{count} worker(s): {run['characters_per_second']:.2f} characters/s ({run['seconds']:.1f} s for "
              f"{run['painted']}), {run['seconds_per_character']:.3f} s a character in a worker, "
              f"{run['speedup']:.2f}x the first")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


def register(commands) -> None:
    """Add ``anisync generate cast`` and ``anisync bench cast``."""
    from anisync.arguments import positive

    generate = commands.subcommand("generate", "cast", _generate_command,
                                   help="paint every character's faces into atlases on Ray (resumable)")
    generate.add_argument("--characters", nargs="+", required=True, help="character definition files (YAML)")
    generate.add_argument("--out", required=True, help="folder of the atlases and manifest.json")
    generate.add_argument("--ray", metavar="ADDRESS", help="a Ray cluster to join, host:port (default: start one here)")
    generate.add_argument("--workers", type=positive, default=2, help="painting actors, one CPU each")
    generate.add_argument("--json", metavar="PATH", help="write the run's report as JSON")
    bench = commands.subcommand("bench", "cast", _bench_command,
                                help="cast painting throughput against the number of Ray workers")
    bench.add_argument("--characters", type=positive, default=200, help="characters of the synthetic cast")
    bench.add_argument("--workers", type=positive, nargs="+", default=[1, 2], help="worker counts, in turn")
    bench.add_argument("--json", metavar="PATH", help="write the figures as JSON")
