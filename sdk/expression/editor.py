"""``ExpressionEditor``: runs an exported expression editor with onnxruntime (no torch).

    editor = ExpressionEditor("assets/models/expression.onnx", threads=2)
    faces = editor.edit(faces, emotions)       # uint8 RGBA [batch, size, size, 4]; emotions [batch, 7]
    faces = editor.edit(faces, params)         # or the 13 expression parameters, [batch, 13]

Expressions are either seven-emotion vectors (:data:`anisync.EMOTIONS` order, each in [0, 1]), mapped to
expression parameters by :meth:`anisync.procedural.expression.ExpressionParams.from_emotions` (the mapping the
procedural faces use), or the expression parameters themselves (:data:`EXPRESSION_PARAMS` order, each in
its documented range), so a game can drive one control (mouth open for lip sync, say) directly.

Faces are uint8 RGBA only: an image of another dtype is refused rather than scaled by a guess (is a float
in [0, 1] or in [0, 255]?). A batch of any size is edited in one call; onnxruntime runs it 64 faces
(:data:`_CHUNK`) at a time, so that a big batch does not take gigabytes at once.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..emotion import EMOTIONS
from ..errors import ModelInputError, ModelLoadError
from ..procedural.expression import EXPRESSION_PARAMS, PARAM_SPECS, ExpressionParams
from ..sessions import PROVIDER_ORDER, check_faces, checked_signature, model_file, open_session, run_in_chunks
from .card import checked_card

log = logging.getLogger("anisync.expression")

#: The graph the editor expects: input and output names with their ranks (see anisync.expression.export).
SIGNATURE = {"inputs": {"image": 4, "condition": 2}, "outputs": {"edited": 4, "mask": 4}}
_LOW = np.array([s.lo for s in PARAM_SPECS], np.float32)
_HIGH = np.array([s.hi for s in PARAM_SPECS], np.float32)
#: Faces per onnxruntime run: about 130 MB at 128 px (1,000 faces in one run took 1.8 GB), and bigger
#: runs were no faster on the CPU.
_CHUNK = 64


class ExpressionEditor:
    """An exported AMEE-GAN generator behind onnxruntime: :meth:`edit` of uint8 RGBA faces.

    Args:
        path: the ``.onnx`` file. Its model card (``NAME.json`` beside it), when present, must carry the
            file's sha256.
        threads: onnxruntime intra-op threads (0: onnxruntime's default).
        providers: execution providers to try, in order (default: CUDA, then CPU); the one used is logged.

    Raises:
        ModelLoadError: naming the path for a missing or corrupt file or a card whose sha256 differs, and
            the input or output for a graph whose names, ranks, sizes or element types (float32) are not the
            editor's.

    Thread-safe: several threads may call :meth:`edit` at once (onnxruntime sessions allow concurrent runs).
    """

    def __init__(self, path: str | Path, threads: int = 0, providers: tuple[str, ...] = PROVIDER_ORDER):
        self.path = model_file(path, threads)
        self.card = checked_card(self.path)
        self.session = open_session(self.path, threads, list(providers))
        self.provider = self.session.get_providers()[0]
        self.size = self._check_signature()
        log.info("ExpressionEditor %s on %s, %d px, %s threads", self.path.name, self.provider, self.size,
                 threads or "default")

    def _check_signature(self) -> int:
        found = checked_signature(self.session, self.path, SIGNATURE)
        image, condition = found["inputs"]["image"], found["inputs"]["condition"]
        size = image[2]
        if image[1] != 4 or not isinstance(size, int) or image[3] != size:
            raise ModelLoadError(f"{self.path}: input 'image' has shape {image}, expected [batch, 4, size, size]")
        if condition[1] != len(EXPRESSION_PARAMS):
            raise ModelLoadError(f"{self.path}: input 'condition' has shape {condition}, "
                                 f"expected [batch, {len(EXPRESSION_PARAMS)}] (the expression parameters)")
        for name, channels in (("edited", 4), ("mask", 1)):
            shape = found["outputs"][name]
            if shape[1] != channels or shape[2:] != [size, size]:
                raise ModelLoadError(f"{self.path}: output {name!r} has shape {shape}, expected [batch, {channels}, {size}, {size}]")
        return size

    def conditions(self, expressions) -> np.ndarray:
        """The model's condition rows for ``expressions`` (see the module docstring); raises
        ModelInputError naming ``expressions``."""
        values = np.asarray(expressions)
        if values.dtype.kind not in "fiu" or values.ndim != 2 or values.shape[1] not in (len(EMOTIONS), len(EXPRESSION_PARAMS)):
            raise ModelInputError(f"expressions: expected numbers of shape [batch, {len(EMOTIONS)}] (emotions) or "
                                  f"[batch, {len(EXPRESSION_PARAMS)}] (expression parameters), got "
                                  f"{values.dtype} {list(values.shape)}")
        values = values.astype(np.float32)
        if not np.isfinite(values).all():
            raise ModelInputError("expressions: NaN or infinite values")
        if values.shape[1] == len(EMOTIONS):
            if values.min() < 0 or values.max() > 1:
                raise ModelInputError("expressions: emotion intensities must lie in [0, 1]")
            return np.stack([ExpressionParams.from_emotions(row).to_vector() for row in values.astype(np.float64)])
        outside = np.nonzero(((values < _LOW) | (values > _HIGH)).any(axis=0))[0]
        if len(outside):
            spec = PARAM_SPECS[int(outside[0])]
            raise ModelInputError(f"expressions: parameter {spec.name!r} must lie in [{spec.lo}, {spec.hi}]")
        return values

    def edit(self, images, expressions) -> np.ndarray:
        """Edit a batch of faces to the given expressions; returns uint8 RGBA ``[batch, size, size, 4]``.

        Args:
            images: uint8 RGBA ``[batch, size, size, 4]``; any other dtype is refused (module docstring).
            expressions: ``[batch, 7]`` emotions or ``[batch, 13]`` expression parameters.

        Raises:
            ModelInputError: naming ``images`` for a wrong shape, a dtype other than uint8 or an empty batch,
                or ``expressions`` for a wrong shape, dtype, range or NaN.
        """
        return self.edit_with_mask(images, expressions)[0]

    def edit_with_mask(self, images, expressions) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`edit`, plus the foreground mask the model used: float32 ``[batch, size, size]`` in [0, 1]."""
        batch = self._images(images)
        condition = self.conditions(expressions)
        if len(condition) != len(batch):
            raise ModelInputError(f"expressions: {len(condition)} rows for {len(batch)} images")
        feed = {"image": batch, "condition": condition}
        edited, mask = run_in_chunks(self.session, list(SIGNATURE["outputs"]), feed, _CHUNK)
        faces = np.clip(np.rint((edited.transpose(0, 2, 3, 1) + 1.0) * 127.5), 0, 255).astype(np.uint8)
        return faces, mask[:, 0]

    def _images(self, images) -> np.ndarray:
        """uint8 RGBA images as the model's input: float32 ``[batch, 4, size, size]`` in [-1, 1]."""
        images = check_faces(images, "images", self.size)
        return np.ascontiguousarray((images.astype(np.float32) / 127.5 - 1.0).transpose(0, 3, 1, 2))
