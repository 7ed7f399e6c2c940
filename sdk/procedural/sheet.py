"""Contact sheets: a grid of faces for people to look at (the docs image, a dataset's preview)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..emotion import EMOTIONS
from .expression import EMOTION_TABLE
from .identity import STYLES, FaceIdentity, sample_identity
from .render import render_face

_BACKGROUND = (236, 236, 242, 255)
_INK = (40, 40, 52, 255)
SHEET_YAWS = (0.0, 40.0, 80.0)


def grid(cells: Sequence[Image.Image | None], columns: int, cell: int, column_labels: Sequence[str] = (),
         row_labels: Sequence[str] = ()) -> Image.Image:
    """Lay ``cells`` (RGBA, ``cell`` pixels square; None leaves a gap) out row by row on a light background,
    with optional labels above the columns and left of the rows."""
    font = ImageFont.load_default()
    top = 16 if column_labels else 0
    left = 44 if row_labels else 0
    rows = (len(cells) + columns - 1) // columns
    sheet = Image.new("RGBA", (left + columns * cell, top + rows * cell), _BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    for c, label in enumerate(column_labels):
        draw.text((left + c * cell + cell // 2, 2), label, fill=_INK, font=font, anchor="ma")
    for r, label in enumerate(row_labels):
        draw.text((4, top + r * cell + cell // 2), label, fill=_INK, font=font, anchor="lm")
    for i, image in enumerate(cells):
        if image is not None:
            sheet.alpha_composite(image, (left + (i % columns) * cell, top + (i // columns) * cell))
    return sheet


def sheet_identities(count: int = 8, seed: int = 0, tries: int = 50) -> list[FaceIdentity]:
    """``count`` identities cycling through the styles; each is the first of up to ``tries`` draws whose
    hair style is not on the sheet yet (else the last draw), so the sheet shows many silhouettes."""
    identities: list[FaceIdentity] = []
    attempt = 0
    for i in range(count):
        style = STYLES[i % len(STYLES)]
        used = {identity.hair_style for identity in identities}
        for _ in range(tries):
            candidate = sample_identity(np.random.default_rng([seed, attempt]), style)
            attempt += 1
            if candidate.hair_style not in used:
                break
        identities.append(candidate)
    return identities


def emotion_sheet(identities: Sequence[FaceIdentity], size: int = 128) -> Image.Image:
    """One row per identity with the seven emotions at full intensity, then a row of the first two
    identities at yaw 0, 40 and 80 degrees (neutral)."""
    cells: list[Image.Image | None] = []
    for identity in identities:
        cells += [render_face(identity, EMOTION_TABLE[emotion], 0.0, size).image() for emotion in EMOTIONS]
    for identity in identities[:2]:
        cells += [render_face(identity, None, yaw, size).image() for yaw in SHEET_YAWS]
    cells.append(None)
    row_labels = [identity.style for identity in identities] + ["yaw"]
    return grid(cells, len(EMOTIONS), size, column_labels=EMOTIONS, row_labels=row_labels)
