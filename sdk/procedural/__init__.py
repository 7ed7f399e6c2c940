"""Procedural anime faces: the SDK's built-in data source, ground truth for evaluations and fallback renderer.

Draw one face::

    identity = sample_identity(np.random.default_rng(7), style="cute")
    face = render_face(identity, ExpressionParams.from_emotions({"joy": 0.8, "neutral": 0.2}), yaw=40)
    face.image().save("mira.png")      # face.mask, face.landmarks, face.visible

Everything is numpy and Pillow. See ``docs/procedural.md`` for the parameters and the emotion mapping.
"""

from ..extras import MissingExtraError, import_extra
from .expression import EMOTION_TABLE, EXPRESSION_PARAMS, MOUTH_SHAPES, REST, VRM_PRESETS, ExpressionParams
from .identity import ACCESSORIES, HAIR_STYLES, STYLES, FaceIdentity, sample_identity

# Drawing needs Pillow (the ``faces`` extra); the core reads identities and expression parameters without it.
try:
    import_extra("PIL", "faces", "drawing procedural faces")
except MissingExtraError:
    _DRAWING = ("FaceDataset", "FaceRender", "LANDMARK_NAMES", "make_dataset", "render_face")

    def __getattr__(name: str):
        if name in _DRAWING:
            raise MissingExtraError("PIL", "faces", f"anisync.procedural.{name}")
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
else:
    from .dataset import make_dataset
    from .loader import FaceDataset
    from .render import LANDMARK_NAMES, FaceRender, render_face

__all__ = [
    "ACCESSORIES", "EMOTION_TABLE", "EXPRESSION_PARAMS", "HAIR_STYLES", "LANDMARK_NAMES", "MOUTH_SHAPES", "REST",
    "STYLES", "VRM_PRESETS", "ExpressionParams", "FaceDataset", "FaceIdentity", "FaceRender", "make_dataset",
    "render_face", "sample_identity",
]
