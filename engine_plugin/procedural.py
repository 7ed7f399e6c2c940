"""The procedural face source: :mod:`sdk.procedural`'s parametric anime faces behind :class:`FaceSource`.

A character's face identity is drawn from a generator seeded by its appearance parameters (so copies of
one definition look alike), with the style class taken from ``appearance["style"]``; appearance keys that
are :class:`~sdk.procedural.identity.FaceIdentity` parameters override the draw when valid. Colours may
also be given by name (``pink``, ``silver``: any name Pillow's ``ImageColor`` knows), and a hair style
such as ``short_spiky`` falls back on its last word that names a style (``spiky``); anything else keeps
the drawn value. Identities are kept per appearance, in whichever process draws.
"""

from __future__ import annotations

import dataclasses
import json
import zlib
from typing import Any, Mapping

import numpy as np
from PIL import ImageColor

from sdk.errors import DefinitionError, InvalidArgumentError
from sdk.procedural.expression import ExpressionParams
from sdk.procedural.identity import HAIR_STYLES, STYLES, FaceIdentity, sample_identity
from sdk.procedural.palette import Palette
from sdk.procedural.render import MAX_SIZE, MIN_SIZE, render_face

from .faces import BodyPalette, FaceSource

_IDENTITY_KEYS = frozenset(f.name for f in dataclasses.fields(FaceIdentity))


def _readable(key: str, value: Any) -> Any:
    """An appearance value in the identity's own terms, where a name can be read as one."""
    if key.endswith("_color") and isinstance(value, str) and not value.startswith("#"):
        try:
            return "#{:02x}{:02x}{:02x}".format(*ImageColor.getrgb(value)[:3])
        except ValueError:
            return value
    if key == "hair_style" and isinstance(value, str) and value not in HAIR_STYLES:
        return next((word for word in reversed(value.split("_")) if word in HAIR_STYLES), value)
    return value


def identity_for(appearance: Mapping[str, Any]) -> FaceIdentity:
    """The face identity of a character with these appearance parameters (see the module docstring)."""
    seed = zlib.crc32(json.dumps(dict(appearance), sort_keys=True, default=str).encode())
    style = appearance.get("style")
    identity = sample_identity(np.random.default_rng(seed), style if style in STYLES else None)
    for key, value in appearance.items():
        if key in _IDENTITY_KEYS:
            try:
                identity = dataclasses.replace(identity, **{key: _readable(key, value)})
            except DefinitionError:
                continue  # not something the renderer can draw: keep the drawn value
    return identity


class ProceduralFaceSource:
    """Faces from the procedural renderer, ``size`` pixels square (64 to 512)."""

    def __init__(self, size: int = 256):
        if not (isinstance(size, int) and MIN_SIZE <= size <= MAX_SIZE):
            raise InvalidArgumentError(f"size: expected an integer from {MIN_SIZE} to {MAX_SIZE}, got {size!r}")
        self.size = size
        self._identities: dict[str, FaceIdentity] = {}

    def _identity(self, appearance: Mapping[str, Any]) -> FaceIdentity:
        key = json.dumps(dict(appearance), sort_keys=True, default=str)
        if key not in self._identities:
            self._identities[key] = identity_for(appearance)
        return self._identities[key]

    def render(self, character_id: str, appearance: Mapping[str, Any], expression: np.ndarray) -> np.ndarray:
        """See :meth:`FaceSource.render`."""
        params = ExpressionParams.from_emotions(np.asarray(expression, dtype=np.float64))
        return render_face(self._identity(appearance), params, size=self.size).rgba

    def palette(self, character_id: str, appearance: Mapping[str, Any]) -> BodyPalette:
        """See :meth:`FaceSource.palette`: the renderer's own skin, hair and clothing colours."""
        identity = self._identity(appearance)
        colors = Palette.of(identity)
        return BodyPalette(skin=colors.skin, hair=colors.hair, cloth=colors.cloth, accent=colors.accent,
                           line=colors.hair_line, outfit="skirt" if identity.style == "cute" else "pants",
                           hair_style=identity.hair_style)


def default_face_source(size: int = 256) -> FaceSource:
    """The face source the plugin uses when given none: the procedural renderer for now; the ONNX
    expression editor and appearance generator take over through the same protocol."""
    return ProceduralFaceSource(size)
