"""The neural face source: the shipped ONNX models draw every face (onnxruntime only, no torch).

* **Who a character is**: its neutral face is made once per appearance and kept. With a ``portrait`` it is
  that image, framed by :func:`anisync.portrait.frame_portrait`; otherwise the appearance generator draws it
  at 64 px from the character's attributes and seed (:func:`anisync.appearance.attributes.character_attributes`,
  the same ones the procedural source draws) and the refiner (:class:`anisync.appearance.refiner.FaceRefiner`)
  redraws it clean at 128 px, the editor's size.
* **What it feels**: the expression editor edits the neutral face to each requested expression (the
  plugin's quantised emotion vector). :meth:`NeuralFaceSource.render_many` edits the requests of several
  characters in one onnxruntime run; the face worker batches them.
* **The body** takes its colours from the neutral face (:func:`measure_palette`): skin from the cheeks,
  hair from the crown, cloth and accent from the shoulders and collar, so body and face match.

The source is picklable (a worker process reopens the models), and :func:`load_face_source` falls back on
the procedural renderer, saying so once, when a model file is missing or refuses to load.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
from anisync.appearance.attributes import character_attributes
from anisync.appearance.generator import AppearanceGenerator
from anisync.appearance.refiner import FaceRefiner
from anisync.errors import InvalidArgumentError, ModelLoadError
from anisync.expression.editor import ExpressionEditor
from anisync.portrait import frame_portrait, resize_face
from anisync.procedural.expression import REST
from anisync.procedural.palette import INK, mix
from anisync.resources import asset_path

from .faces import BodyPalette, FaceSource, expression_params

log = logging.getLogger("anisync.faces")

#: The default of a model argument: the model shipped in ``assets/models``.
SHIPPED = object()

#: The expression parameters of the neutral face, what the editor's condition is at rest.
_REST = REST.to_vector()

#: Neutral faces a source keeps, least recently used out (64 KiB each at 128 px).
NEUTRAL_FACES = 1024

#: The face sources the plugin and the demo offer by name.
FACE_SOURCES = ("neural", "procedural")

#: Where :func:`measure_palette` looks, as (top, bottom, left, right) fractions of the face's side.
PALETTE_WINDOWS = {"skin": (0.50, 0.72, 0.30, 0.70), "hair": (0.0, 0.25, 0.20, 0.80),
                   "cloth": (0.92, 1.0, 0.0, 0.35), "accent": (0.88, 1.0, 0.40, 0.60)}
#: Bin width (of 0-255) of the colour histogram whose fullest bin is a window's colour.
_BIN = 24


def _window_colour(face: np.ndarray, window: tuple[float, float, float, float]) -> tuple[int, int, int] | None:
    """The dominant colour of the opaque pixels in a window: the median of the fullest histogram bin (a
    flat cel-shaded fill wins over lines, highlights and speckle), or None without opaque pixels."""
    side = face.shape[0]
    top, bottom, left, right = (int(round(f * side)) for f in window)
    pixels = face[top:bottom, left:right].reshape(-1, 4)
    pixels = pixels[pixels[:, 3] > 200, :3].astype(np.int64)
    if not len(pixels):
        return None
    bins = pixels // _BIN
    keys = (bins[:, 0] * 256 + bins[:, 1]) * 256 + bins[:, 2]
    values, counts = np.unique(keys, return_counts=True)
    fullest = pixels[keys == values[counts.argmax()]]
    return tuple(int(c) for c in np.median(fullest, axis=0).round())


def measure_palette(face: np.ndarray, style: str | None = None, hair_style: str = "short") -> BodyPalette:
    """Body colours measured on a neutral face (uint8 RGBA, framed like the models' faces; the windows are
    :data:`PALETTE_WINDOWS`); a window with nothing opaque keeps :class:`BodyPalette`'s default. The
    outfit is a skirt for the ``cute`` style, as the procedural bodies have it."""
    measured = {name: _window_colour(face, window) for name, window in PALETTE_WINDOWS.items()}
    colours = {name: colour for name, colour in measured.items() if colour is not None}
    hair = colours.get("hair", BodyPalette.hair)
    return BodyPalette(**colours, line=mix(hair, INK, 0.7), outfit="skirt" if style == "cute" else "pants",
                       hair_style=hair_style)  # the line is the renderer's hair line


class NeuralFaceSource:
    """Faces from the appearance generator and the expression editor (see the module docstring).

    Args:
        generator: the appearance generator's ``.onnx`` (default: the shipped one).
        editor: the expression editor's ``.onnx`` (default: the shipped one); its size is the faces' size.
        refiner: the face refiner's ``.onnx`` (default: the shipped one); None resizes generated faces to
            the editor's size with a plain Lanczos filter instead.
        threads: onnxruntime threads per model (1 leaves the other cores to the game and the renderer).

    Raises:
        ModelLoadError: naming a model file that is missing or is not the expected model.

    Thread-safe, and picklable for a worker process (the models are reopened there).
    """

    #: onnxruntime releases the GIL while it runs, so worker threads suffice (:mod:`anisync.panda.worker`).
    worker_kind = "thread"

    def __init__(self, generator: str | Path | None = None, editor: str | Path | None = None,
                 refiner: str | Path | None = SHIPPED, threads: int = 1):
        self.generator_path = Path(generator) if generator is not None else asset_path("models", "appearance.onnx")
        self.editor_path = Path(editor) if editor is not None else asset_path("models", "expression.onnx")
        self.refiner_path = asset_path("models", "appearance-refiner.onnx") if refiner is SHIPPED else (
            None if refiner is None else Path(refiner))
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 0:
            raise InvalidArgumentError(f"threads: expected a non-negative integer, got {threads!r}")
        self.threads = threads
        self._open()

    def _open(self) -> None:
        self.generator = AppearanceGenerator(self.generator_path, threads=self.threads)
        self.editor = ExpressionEditor(self.editor_path, threads=self.threads)
        self.refiner = None if self.refiner_path is None else FaceRefiner(self.refiner_path, threads=self.threads)
        self.size = self.editor.size
        self._neutral: OrderedDict[str, np.ndarray] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:
        return {"generator_path": self.generator_path, "editor_path": self.editor_path,
                "refiner_path": self.refiner_path, "threads": self.threads}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._open()

    def neutral(self, appearance: Mapping[str, Any]) -> np.ndarray:
        """The character's neutral face, uint8 RGBA ``[size, size, 4]``, made once per appearance (the last
        :data:`NEUTRAL_FACES` used are kept)."""
        key = json.dumps(dict(appearance), sort_keys=True, default=str)
        with self._lock:
            face = self._neutral.get(key)
            if face is not None:
                self._neutral.move_to_end(key)
        if face is None:
            if appearance.get("portrait"):
                face = frame_portrait(appearance["portrait"], self.size)
            else:
                attributes, seed = character_attributes(appearance)
                face = self.generator.generate(attributes, seed)
                if self.refiner is not None:
                    face = self.refiner.refine(face[None])[0]
                face = resize_face(face, self.size)
            face.setflags(write=False)
            with self._lock:
                self._neutral[key] = face
                while len(self._neutral) > NEUTRAL_FACES:
                    self._neutral.popitem(last=False)
        return face

    def render(self, character_id: str, appearance: Mapping[str, Any], expression: np.ndarray) -> np.ndarray:
        """See :meth:`FaceSource.render`."""
        return self.render_many([(appearance, expression)])[0]

    def render_many(self, requests: Sequence[tuple[Mapping[str, Any], np.ndarray]]) -> np.ndarray:
        """Faces ``[n, size, size, 4]`` for ``(appearance, expression)`` pairs, edited in one run. A face
        asked for at rest (the neutral expression) is the neutral face itself: editing it to its own
        expression could only add the editor's errors (it draws a faint sweat drop there)."""
        faces = np.stack([self.neutral(appearance) for appearance, _ in requests])
        conditions = self.editor.conditions(np.stack([expression_params(expression) for _, expression in requests]))
        edit = ~np.isclose(conditions, _REST).all(axis=1)
        if edit.any():
            faces = faces.copy()
            faces[edit] = self.editor.edit(faces[edit], conditions[edit])
        return faces

    def palette(self, character_id: str, appearance: Mapping[str, Any]) -> BodyPalette:
        """See :meth:`FaceSource.palette`: measured on the neutral face (:func:`measure_palette`)."""
        attributes, _ = character_attributes(appearance)
        hair_style = attributes["hair_style"] if "portrait" not in appearance or "hair_style" in appearance else "short"
        return measure_palette(self.neutral(appearance), attributes["style"], hair_style)


def load_face_source(kind: str = "neural", size: int = 256, **models: Any) -> FaceSource:
    """The face source named ``kind`` (one of :data:`FACE_SOURCES`). ``size`` is the procedural faces' side
    (neural faces are the editor's size); ``models`` go to :class:`NeuralFaceSource`. A neural source whose
    model is missing or refuses to load is replaced by the procedural one, with one warning saying why."""
    if kind not in FACE_SOURCES:
        raise InvalidArgumentError(f"faces: expected one of {', '.join(FACE_SOURCES)}, got {kind!r}")
    from .procedural import ProceduralFaceSource

    if kind == "neural":
        try:
            return NeuralFaceSource(**models)
        except ModelLoadError as error:
            log.warning("anisync: neural faces unavailable (%s); drawing procedural faces instead", error)
    return ProceduralFaceSource(size)
