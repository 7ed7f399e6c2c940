"""A character's own portrait (``appearance: {portrait: face.png}``): checked at load, framed like the
faces the models draw.

A portrait is any image Pillow reads (PNG with transparency is best), from 16 to 4096 pixels a side. It
is framed the way the appearance generator and the procedural renderer frame a face, hair top at the top
edge and shoulders at the bottom, by :func:`frame_portrait`:

* with transparency, it is cropped to the box round its visible pixels (alpha > 0);
* the crop is padded to a square with transparent pixels, centred left to right and kept at the top (so
  the head stays where the expression editor expects it), then resized to the face size.

An opaque portrait (no alpha, or alpha 255 everywhere) is only padded and resized: crop it yourself so
that the head fills the width and the hair touches the top edge.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import DefinitionError
from .extras import import_extra
from .loading import referenced_file

#: Sides in pixels a portrait may have.
MIN_SIDE, MAX_SIDE = 16, 4096


def _pillow_image():
    """Pillow's ``Image`` module (the ``faces`` extra)."""
    return import_extra("PIL.Image", "faces", "a character portrait")


def check_portrait(source: object, name: object, key: str = "appearance.portrait") -> str:
    """The absolute path of the portrait ``name`` that definition ``source`` references (relative to its
    folder, under the allowed roots of :func:`anisync.loading.referenced_file`), after reading it whole.

    Raises:
        DefinitionError: naming ``source`` and ``key`` for a path outside the allowed folders, a missing
            file, a file that is not a readable image, or one whose sides are outside 16 to 4096 pixels.
    """
    if not isinstance(name, str) or not name:
        raise DefinitionError(source, key, "the path of an image file", name)
    path = referenced_file(source, name, key)
    if not path.is_file():
        raise DefinitionError(source, key, f"an existing image file (looked for {path})", name)
    Image = _pillow_image()
    try:
        with Image.open(path) as image:
            image.load()  # reads every pixel: a truncated file fails here, not in the game
            width, height = image.size
    except (Image.UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as error:
        raise DefinitionError(source, key, f"an image Pillow can read ({error})", name) from None
    if not (MIN_SIDE <= min(width, height) and max(width, height) <= MAX_SIDE):
        raise DefinitionError(source, key, f"an image {MIN_SIDE} to {MAX_SIDE} pixels a side, "
                                           f"not {width}x{height}", name)
    return str(path.resolve())


def frame_portrait(path: str | Path, size: int) -> np.ndarray:
    """The portrait at ``path`` framed as the module docstring says: uint8 RGBA ``[size, size, 4]``."""
    Image = _pillow_image()
    with Image.open(path) as image:
        rgba = image.convert("RGBA")
    box = rgba.getchannel("A").getbbox()
    if box is not None:
        rgba = rgba.crop(box)
    side = max(rgba.size)
    square = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    square.paste(rgba, ((side - rgba.width) // 2, 0))
    return resize_face(np.asarray(square), size)


def resize_face(face: np.ndarray, size: int) -> np.ndarray:
    """A uint8 RGBA face ``[s, s, 4]`` resized to ``[size, size, 4]`` (Lanczos; Pillow weighs colours by
    alpha, so transparent pixels do not bleed into the edges)."""
    if face.shape[0] == size:
        return face
    Image = _pillow_image()
    return np.asarray(Image.fromarray(face, "RGBA").resize((size, size), Image.Resampling.LANCZOS))
