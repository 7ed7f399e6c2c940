"""``FaceRefiner``: a learned 2x refiner that turns the appearance generator's 64 px faces into clean 128 px
ones (onnxruntime; no torch).

    refiner = FaceRefiner("assets/models/appearance-refiner.onnx")
    faces = refiner.refine(generator.generate_many({}, range(8)))     # uint8 RGBA [8, 128, 128, 4]

The generator draws 64x64 faces with speckle in its flat fills; a game shows faces at 128 px and more. The
refiner was trained (:mod:`anisync.appearance.refiner_train`) on pairs the procedural renderer makes exactly:
a 128 px render as the target, and that render shrunk to 64 px and spoilt by blur and noise as the input,
so it learned to redraw clean lines and flat fills at twice the size. It adds its learned detail to a
bilinear upscale of the input, so a network that learned nothing gives the plain upscale.

The graph (:data:`SIGNATURE`): input ``image`` (float32 ``[batch, 4, S, S]``, RGBA in [-1, 1]), output
``refined`` (float32 ``[batch, 4, 2S, 2S]``); batch and side are dynamic, S = 64 is what it was trained for.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..errors import ModelLoadError
from ..expression.card import checked_card
from ..sessions import PROVIDER_ORDER, check_faces, checked_signature, model_file, open_session, run_in_chunks
from .generator import to_network, to_uint8

log = logging.getLogger("anisync.appearance")

#: The graph the refiner expects: input and output names with their ranks.
SIGNATURE = {"inputs": {"image": 4}, "outputs": {"refined": 4}}
#: Faces per onnxruntime run.
_CHUNK = 64


class FaceRefiner:
    """An exported face refiner behind onnxruntime: :meth:`refine` of uint8 RGBA faces.

    Args:
        path: the ``.onnx`` file; its model card (``NAME.json`` beside it), when present, must carry the
            file's sha256.
        threads: onnxruntime intra-op threads (0: onnxruntime's default).
        providers: execution providers to try, in order (default: CUDA, then CPU).

    Raises:
        ModelLoadError: naming the path for a missing or corrupt file or card, and the input or output for
            a graph whose names, ranks or element types (float32) are not the refiner's.

    Thread-safe (onnxruntime sessions allow concurrent runs).
    """

    def __init__(self, path: str | Path, threads: int = 0, providers: tuple[str, ...] = PROVIDER_ORDER):
        self.path = model_file(path, threads)
        self.card = checked_card(self.path)
        self.session = open_session(self.path, threads, list(providers))
        found = checked_signature(self.session, self.path, SIGNATURE)
        if found["inputs"]["image"][1] != 4 or found["outputs"]["refined"][1] != 4:
            raise ModelLoadError(f"{self.path}: expected RGBA in and out ([batch, 4, S, S] -> [batch, 4, 2S, 2S]), "
                                 f"got {found['inputs']['image']} -> {found['outputs']['refined']}")
        log.info("FaceRefiner %s on %s", self.path.name, self.session.get_providers()[0])

    def refine(self, faces: np.ndarray) -> np.ndarray:
        """Faces ``[n, S, S, 4]`` (uint8 RGBA) at twice the size, ``[n, 2S, 2S, 4]``.

        Raises:
            ModelInputError: naming ``faces`` for another shape, a dtype other than uint8, or no face.
        """
        faces = check_faces(faces, "faces")
        return to_uint8(run_in_chunks(self.session, ["refined"], {"image": to_network(faces)}, _CHUNK)[0])
