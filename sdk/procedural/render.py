"""``render_face``: one procedural anime face as RGBA pixels, an expression mask and landmarks.

Drawing happens on a canvas ``SUPERSAMPLE`` times the output size, which is then box-filtered down; that is the
antialiasing. Layers, back to front:

1. back hair, body and neck, the far ear;  2. head skin, near ear, nose;
3. **expression layer A**: eyes, mouth, blush, tears;  4. front hair and the accessory;
5. **expression layer B**: brows (drawn over the bangs, as anime art does), the sweat drop and gloom lines.

Expression layers are clipped to the expression regions of :mod:`anisync.procedural.features`, which depend only
on identity and yaw. Everything else is identical for every expression, so two renders of one identity and
yaw can differ only inside the mask: a pixel of the output is in the mask when any canvas pixel it averages
is in a region, or within ``size / 64`` pixels (at least two) of one that is (a margin for the silhouette,
see ``_grow``).
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import numpy as np
from PIL import Image

from ..errors import DefinitionError
from . import features
from .appearance import NOSE_DEPTH, draw_behind_head, draw_head, draw_over_face
from .expression import REST, ExpressionParams
from .geometry import Head
from .identity import FaceIdentity
from .paint import SURFACE, Painter, surface
from .palette import Palette
from ._checks import check_number

SUPERSAMPLE = 2
MIN_SIZE, MAX_SIZE = 64, 512
MAX_YAW = 80.0

#: Names of the landmarks, in the row order of :attr:`FaceRender.landmarks`. "left" is the viewer's left.
LANDMARK_NAMES: tuple[str, ...] = (
    *(f"contour_{i}" for i in range(9)),
    *(f"brow_{side}_{part}" for side in ("left", "right") for part in ("inner", "middle", "outer")),
    *(f"eye_{side}_{part}" for side in ("left", "right") for part in ("inner", "outer", "top", "bottom", "pupil")),
    "nose_tip",
    "mouth_left", "mouth_right", "lip_top", "lip_bottom",
)


@dataclass(frozen=True)
class FaceRender:
    """A rendered face.

    Attributes:
        rgba: ``(size, size, 4)`` uint8, straight alpha, transparent background.
        mask: ``(size, size)`` bool, True where some expression may change the pixel (expression-editor
            foreground mask); it depends on identity, yaw and size only.
        landmarks: ``(30, 2)`` float32 ``(x, y)`` in output pixels, pixel centres at integer coordinates, rows
            named by :data:`LANDMARK_NAMES`.
        visible: ``(30,)`` bool, False for landmarks turned behind the head (far eye and brow at large yaw);
            their coordinates are then on the head's edge.
    """

    rgba: np.ndarray
    mask: np.ndarray
    landmarks: np.ndarray
    visible: np.ndarray
    landmark_names: tuple[str, ...] = LANDMARK_NAMES

    def image(self) -> Image.Image:
        """The face as a Pillow RGBA image."""
        return Image.fromarray(self.rgba, "RGBA")


#: The range of ``render_face``'s ``line_weight``.
LINE_WEIGHTS = (0.5, 3.0)


def render_face(identity: FaceIdentity, expression: ExpressionParams | None = None, yaw: float = 0.0,
                size: int = 128, line_weight: float = 1.0) -> FaceRender:
    """Draw ``identity`` wearing ``expression`` (rest pose if None) with the head turned ``yaw`` degrees.

    Args:
        identity: who to draw.
        expression: expression parameters, e.g. ``ExpressionParams.from_emotions(vector)``.
        yaw: head turn in degrees, -80 to 80; positive turns the face towards the viewer's right.
        size: output side in pixels, 64 to 512.
        line_weight: every line's width times this, 0.5 to 3 (1: the house style every dataset is drawn
            in; another weight is a drawing style the models never saw, for generalisation tests).

    The same arguments always give the same bytes.
    """
    if not isinstance(identity, FaceIdentity):
        raise DefinitionError("render_face", "identity", "a FaceIdentity", identity)
    expression = REST if expression is None else expression
    if not isinstance(expression, ExpressionParams):
        raise DefinitionError("render_face", "expression", "ExpressionParams or None", expression)
    yaw = check_number("render_face", "yaw", yaw, -MAX_YAW, MAX_YAW)
    if isinstance(size, bool) or not isinstance(size, Integral) or not MIN_SIZE <= size <= MAX_SIZE:
        raise DefinitionError("render_face", "size", f"an integer from {MIN_SIZE} to {MAX_SIZE}", size)
    line_weight = check_number("render_face", "line_weight", line_weight, *LINE_WEIGHTS)

    canvas_size = int(size) * SUPERSAMPLE
    head = Head(identity, yaw, canvas_size)
    layout = head.layout
    colors = Palette.of(identity)
    sides = features.visible_eyes(head)
    eye = features.eye_shape(layout, expression)
    mouth = features.mouth_shape(layout, expression)

    # Premultiplied alpha: the box filter then blends edges correctly, with no conversion before it.
    canvas = Image.new("RGBa", (canvas_size, canvas_size))
    outside = Image.new("1", (canvas_size, canvas_size), 1)
    paint = Painter(head, line_weight)
    paint.target(outside)
    sweat_side = features.sweat_side(head)
    regions = paint.polygons(features.expression_regions(layout, sides, sweat_side), 0)
    paint.target(canvas)
    draw_behind_head(paint, head, identity, colors)
    draw_head(paint, head, colors)
    paint.clip(outside, regions)
    if expression.blush > 0.0:
        features.draw_blush(paint, layout, sides, expression.blush, colors)
    features.draw_eyes(paint, layout, sides, eye, colors)
    if expression.tears > 0.0:
        features.draw_tears(paint, layout, sides, eye, expression.tears, colors)
    features.draw_mouth(paint, mouth, colors)
    paint.unclip()
    draw_over_face(paint, head, identity, colors)
    paint.clip(outside, regions)
    features.draw_brows(paint, layout, sides, expression, colors)
    if expression.sweat > 0.0:
        features.draw_sweat(paint, sweat_side, expression.sweat, colors)
    if expression.gloom > 0.0:
        features.draw_gloom(paint, expression.gloom, colors)
    paint.unclip()
    points = _feature_landmarks(layout, eye, mouth, expression)
    first, last = paint.add_points([(points[:-5], SURFACE), (points[-5:-4], surface(NOSE_DEPTH)), (points[-4:], SURFACE)])
    projected = paint.draw()

    rgba = np.asarray(canvas.reduce(SUPERSAMPLE).convert("RGBA"))
    # A pixel is in the mask when any canvas pixel it averages is in a region, grown by _grow.
    mask = _grow(np.asarray(outside.convert("L").reduce(SUPERSAMPLE)) < 255, max(2, round(size / 64)))
    _, visible = head.surface_x(points[:, 0], points[:, 1])
    landmarks = np.concatenate([_contour(head), projected[first:last]])
    landmarks = (landmarks - (SUPERSAMPLE - 1) / 2) / SUPERSAMPLE  # canvas pixels to output pixel centres
    visible = np.concatenate([np.ones(_CONTOUR_POINTS, bool), visible])
    return FaceRender(rgba, mask, landmarks.astype(np.float32), visible)


_CONTOUR_POINTS = 9


def _grow(mask: np.ndarray, pixels: int) -> np.ndarray:
    """Dilate by ``pixels`` (a square). Regions have a margin in face units, but where the head's turn folds
    a feature onto the silhouette the margin folds with it and polygon edges there are chords of a curve,
    so the mask keeps a little to spare in the image as well."""
    for _ in range(pixels):
        rows = mask.copy()
        rows[1:] |= mask[:-1]
        rows[:-1] |= mask[1:]
        mask = rows.copy()
        mask[:, 1:] |= rows[:, :-1]
        mask[:, :-1] |= rows[:, 1:]
    return mask


def _contour(head: Head) -> np.ndarray:
    """Face outline landmarks on the turned head's silhouette: 4 levels down each side and the chin."""
    layout = head.layout
    levels = layout.eye_y + (layout.chin_y - layout.eye_y) * np.array([0.0, 0.3, 0.55, 0.8])
    left, right = head.silhouette(np.append(levels, layout.chin_y))
    x = np.concatenate([left[:-1], [(left[-1] + right[-1]) / 2], right[-2::-1]])
    return head.pixels(x, np.concatenate([levels, [layout.chin_y], levels[::-1]]))


def _feature_landmarks(layout, eye: features.EyeShape, mouth: features.MouthShape, e: ExpressionParams) -> np.ndarray:
    """Brow, eye, nose and mouth landmarks in face units, in :data:`LANDMARK_NAMES` order. A hidden eye and
    brow get landmarks too; projection folds them onto the head's edge."""
    brow = features.brow_points(layout, 1, e)[0][[0, 4, 8]]
    right_eye = features.eye_landmarks(layout, 1, eye)
    left = (-1.0, 1.0)
    return np.concatenate([brow * left, brow, right_eye * left, right_eye, [(0.0, layout.nose_y)],
                           features.mouth_landmarks(mouth)])
