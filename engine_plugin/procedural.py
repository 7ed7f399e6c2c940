"""The procedural face source: :mod:`anisync.procedural`'s parametric anime faces behind :class:`FaceSource`.

A character's face identity comes from its appearance in the shared vocabulary
(:data:`anisync.character.APPEARANCE_SCHEMA`): the attributes it names, the others drawn from its seed exactly
as the appearance generator draws them (:func:`anisync.appearance.attributes.character_attributes`), then the
rest of the identity (face shape, skin, accent colour) drawn from the seed for those attributes
(:func:`anisync.appearance.attributes.sample_appearance`). Copies of one definition therefore look alike, and
the procedural and neural sources agree on who a character is. Identities are kept per appearance, in
whichever process draws.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

import numpy as np
from anisync.appearance.attributes import character_attributes, sample_appearance
from anisync.errors import InvalidArgumentError
from anisync.procedural.expression import ExpressionParams
from anisync.procedural.identity import FaceIdentity
from anisync.procedural.palette import Palette
from anisync.procedural.render import MAX_SIZE, MIN_SIZE, render_face

from .faces import BodyPalette, expression_params


def identity_for(appearance: Mapping[str, Any]) -> FaceIdentity:
    """The face identity of a character with this (checked) appearance; see the module docstring."""
    attributes, seed = character_attributes(appearance)
    return sample_appearance(np.random.default_rng(seed), attributes)


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
        params = ExpressionParams.from_vector(expression_params(expression))
        return render_face(self._identity(appearance), params, size=self.size).rgba

    def palette(self, character_id: str, appearance: Mapping[str, Any]) -> BodyPalette:
        """See :meth:`FaceSource.palette`: the renderer's own skin, hair and clothing colours."""
        identity = self._identity(appearance)
        colors = Palette.of(identity)
        return BodyPalette(skin=colors.skin, hair=colors.hair, cloth=colors.cloth, accent=colors.accent,
                           line=colors.hair_line, outfit="skirt" if identity.style == "cute" else "pants",
                           hair_style=identity.hair_style)

