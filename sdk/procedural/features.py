"""The expression-bearing features: eyes, brows, mouth, blush, tears, the sweat drop and gloom lines.

For each feature this module computes its geometry from the layout and the expression parameters, records
its drawing on a :class:`~anisync.procedural.paint.Painter`, and reports its landmarks. It also gives the
*expression regions*: areas, depending only on identity and yaw, that contain every feature at every
parameter value. The renderer clips expression drawing to them, which makes them the exact mask of the
pixels an expression can change.

Eye-local coordinates: ``u`` runs from the inner corner (-1) to the outer corner (+1) in eye half-widths,
``v`` is the vertical offset in face units (down positive) from the eye centre.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .expression import REST, ExpressionParams
from .geometry import Head, Layout
from .paint import Painter
from .palette import Palette, mix

_MARGIN = 0.04  # regions reach this far (about one output pixel) beyond the drawing they hold, face units
_U = np.linspace(-1.0, 1.0, 13)
_MID = len(_U) // 2
_U2 = _U**2
_BULGE = {p: (1.0 - _U2) ** p for p in (0.3, 0.45, 0.5, 0.6, 0.8, 0.9)}  # curve shapes, precomputed
_SNEER_SIDE = ((1.0 + _U) / 2) ** 1.5 * _BULGE[0.3]
_T = np.linspace(0.0, 1.0, 9)
_CIRCLE = np.linspace(0.0, 2.0 * np.pi, 18, endpoint=False)
_COS, _SIN = np.cos(_CIRCLE), np.sin(_CIRCLE)


def ellipse(cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    """18-point ellipse polygon."""
    return np.stack([cx + rx * _COS, cy + ry * _SIN], axis=1)


_SIDE = np.linspace(0.0, 1.0, 9)
_UNIT_BOX = np.concatenate([np.stack([_SIDE, 0 * _SIDE], 1), np.stack([1 + 0 * _SIDE, _SIDE], 1),
                            np.stack([_SIDE[::-1], 1 + 0 * _SIDE], 1), np.stack([0 * _SIDE, _SIDE[::-1]], 1)])


def boxes(bounds: np.ndarray) -> np.ndarray:
    """Rectangle outlines, 9 points a side so they stay close to their true shape after yaw projection,
    one for each row ``(x0, x1, y0, y1)`` of ``bounds``: shape (R, 32, 2)."""
    low, size = bounds[:, [0, 2]], bounds[:, [1, 3]] - bounds[:, [0, 2]]
    return _UNIT_BOX[None] * size[:, None, :] + low[:, None, :]


# ----------------------------------------------------------------------------------------------------- eyes

# Eye proportions, in eye heights: the wide-open upper lid and the lower lid at the eye's middle, and the
# thickest lash line (at the outer corner).
_LID_TOP, _LID_BOTTOM, _LASH = 0.64, 0.36, 0.18

@dataclass(frozen=True)
class EyeShape:
    """Lid curves of one eye over ``_U`` (v offsets) and its iris, in eye-local coordinates."""

    upper: np.ndarray
    lower: np.ndarray
    iris_v: float
    iris_scale: float

    @property
    def closed(self) -> bool:
        return float(np.max(self.lower - self.upper)) < 0.02


def eye_shape(layout: Layout, e: ExpressionParams) -> EyeShape:
    """Lids from openness, smile and the brow actions that also pull on the lids (glare, droop)."""
    eh = layout.eye_height
    tilt = -layout.eye_tilt * _U
    full = -_LID_TOP * eh * _BULGE[0.45] + tilt
    lower = _LID_BOTTOM * eh * _BULGE[0.9] + tilt
    upper = lower + (full - lower) * e.eye_open
    upper = upper + e.brow_lower * 0.3 * eh * (1.0 - _U) / 2  # anger: inner lid comes down
    upper = upper + e.brow_inner_up * 0.22 * eh * (1.0 + _U) / 2  # sadness: outer lid droops
    smile_arc = -eh * (0.06 + 0.3 * _BULGE[0.8]) + tilt
    lower = lower + (smile_arc - lower) * e.eye_smile
    upper = upper + (smile_arc - upper) * e.eye_smile**2
    upper = np.minimum(upper, lower)
    wide = np.clip((e.eye_open - REST.eye_open) / (1.0 - REST.eye_open), 0.0, 1.0)
    return EyeShape(upper, lower, -0.12 * eh, 1.0 - 0.35 * wide)


def _eye_points(layout: Layout, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Eye-local points of the viewer's right eye in face units; multiply x by -1 for the left eye."""
    return np.stack([layout.eye_x + u * layout.eye_half_width, layout.eye_y + v], axis=1)


def _inside_lids(shape: EyeShape, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Clamp eye-local points between the lids, so iris and glints never spill out of the eye."""
    top = np.interp(u, _U, shape.upper, left=0.0, right=0.0)
    bottom = np.interp(u, _U, shape.lower, left=0.0, right=0.0)
    return np.clip(v, top, bottom)


def visible_eyes(head: Head) -> list[int]:
    """The sides (-1: viewer's left, +1: right) whose eye is in front of the fold; brows, blush and tears
    show with their eye."""
    layout = head.layout
    _, visible = head.surface_x(np.array([-layout.eye_x, layout.eye_x]), np.array([layout.eye_y, layout.eye_y]))
    return [side for side, shown in zip((-1, 1), visible) if shown]


def _mirrored(paint: Painter, sides: list[int], strokes: list[tuple[np.ndarray, tuple, float | None]]) -> None:
    """Record shapes built for the viewer's right side on each of ``sides``; width None fills a polygon."""
    for side in sides:
        mirror = (float(side), 1.0)
        for pts, color, width in strokes:
            if width is None:
                paint.polygon(pts * mirror, color)
            else:
                paint.line(pts * mirror, color, width)


def draw_eyes(paint: Painter, layout: Layout, sides: list[int], shape: EyeShape, colors: Palette) -> None:
    """White, iris with shading, pupil and glints, then the lash line, for each visible eye."""
    eh = layout.eye_height
    strokes = []
    if not shape.closed:
        upper = _eye_points(layout, _U, shape.upper)
        shade = np.minimum(shape.upper + 0.16 * eh, shape.lower)
        lids = _eye_points(layout, np.concatenate([_U[::-1], _U[::-1]]), np.concatenate([shape.lower[::-1], shade[::-1]]))
        strokes += [(np.concatenate([upper, lids[:len(_U)]]), colors.eye_white, None),
                    (np.concatenate([upper, lids[len(_U):]]), colors.eye_white_shade, None)]
        rx, ry, cv = 0.62 * shape.iris_scale, 0.47 * eh * shape.iris_scale, shape.iris_v
        # Iris, its dark top and light bottom (the iris cut by a horizontal band), pupil, two glints;
        # all clamped between the lids.
        u = np.concatenate([rx * _COS, rx * _COS, rx * _COS, 0.42 * rx * _COS, 0.3 * rx + 0.26 * rx * _COS,
                            -0.35 * rx + 0.13 * rx * _COS])
        v = np.concatenate([
            cv + ry * _SIN, np.minimum(cv + ry * _SIN, cv - 0.15 * ry), np.maximum(cv + ry * _SIN, cv + 0.35 * ry),
            cv + 0.05 * ry + 0.45 * ry * _SIN, cv - 0.45 * ry + 0.22 * ry * _SIN, cv + 0.5 * ry + 0.1 * ry * _SIN,
        ])
        points = _eye_points(layout, u, _inside_lids(shape, u, v))
        pupil = mix(colors.iris_dark, (0, 0, 0), 0.4)
        white = (255, 255, 255)
        n = len(_COS)
        for i, color in enumerate((colors.iris, colors.iris_dark, colors.iris_light, pupil, white, white)):
            strokes.append((points[i * n:(i + 1) * n], color, None))
        strokes.append((_eye_points(layout, _U[6:], shape.lower[6:] + 0.01), colors.lash, 0.018))
    lash = eh * (_LASH - 0.08 * (1.0 - _U) / 2)
    closing = 0.03 if shape.closed else 0.0
    lash_u = np.concatenate([_U, [1.18], _U[::-1]])
    lash_v = np.concatenate([shape.upper - lash, [shape.upper[-1] - 0.16 * eh], shape.upper[::-1] + closing])
    strokes.append((_eye_points(layout, lash_u, lash_v), colors.lash, None))
    _mirrored(paint, sides, strokes)


def eye_landmarks(layout: Layout, side: int, shape: EyeShape) -> np.ndarray:
    """Inner corner, outer corner, upper lid centre, lower lid centre and pupil, in face units."""
    u = np.array([-1.0, 1.0, 0.0, 0.0, 0.0])
    v = np.array([shape.upper[0], shape.upper[-1], shape.upper[_MID], shape.lower[_MID],
                  np.clip(shape.iris_v, shape.upper[_MID], shape.lower[_MID])])
    return _eye_points(layout, u, v) * (side, 1.0)


def eye_regions(layout: Layout) -> list[tuple[float, float, float, float]]:
    """Bounds ``(x0, x1, y0, y1)`` of the eye box (lids, lashes and lash wing, glints, welling tears at any
    value) and of the cheek strip the tears run down, for the viewer's right eye."""
    eh, tilt = layout.eye_height, abs(layout.eye_tilt)
    local = ((-1.12, 1.3, -(_LID_TOP + _LASH) * eh - tilt - _MARGIN, _LID_BOTTOM * eh + tilt + 0.01 + _MARGIN),
             (0.2, 1.25, 0.0, _LID_BOTTOM * eh + tilt + _TEAR_LENGTH + 0.08 + _MARGIN))
    x, w, y = layout.eye_x, layout.eye_half_width, layout.eye_y
    return [(x + u0 * w, x + u1 * w, y + v0, y + v1) for u0, u1, v0, v1 in local]


# ---------------------------------------------------------------------------------------------------- brows

def brow_points(layout: Layout, side: int, e: ExpressionParams) -> tuple[np.ndarray, np.ndarray]:
    """Centre line of a brow from inner to outer end (face units) and its thickness along the line."""
    inner_x = layout.eye_x - 0.85 * layout.eye_half_width - 0.06 * e.brow_lower
    x = side * (inner_x + _T * layout.brow_length)
    arch = -0.06 * np.sin(np.pi * _T) * (1.0 - 0.7 * e.brow_lower)
    y = (layout.brow_y + arch - 0.16 * e.brow_raise + 0.05 * e.brow_lower
         + (1.0 - _T) * (0.13 * e.brow_lower - 0.17 * e.brow_inner_up) + _T * 0.04 * e.brow_inner_up
         - layout.eye_tilt * _T * 0.5)
    thickness = layout.brow_thickness * (1.15 - 0.75 * _T)
    return np.stack([x, y], axis=1), thickness


def draw_brows(paint: Painter, layout: Layout, sides: list[int], e: ExpressionParams, colors: Palette) -> None:
    """A tapered stroke over each visible eye."""
    centre, thickness = brow_points(layout, 1, e)
    offset = np.stack([np.zeros_like(thickness), thickness / 2], 1)
    _mirrored(paint, sides, [(np.concatenate([centre - offset, (centre + offset)[::-1]]), colors.brow, None)])


def brow_region(layout: Layout) -> tuple[float, float, float, float]:
    """Bounds of the viewer's right brow at any raise, lowering and slant."""
    inner_x = layout.eye_x - 0.85 * layout.eye_half_width
    x0, x1 = inner_x - 0.06 - _MARGIN, inner_x + layout.brow_length + _MARGIN
    y0 = layout.brow_y - 0.06 - 0.16 - 0.17 - abs(layout.eye_tilt) * 0.5 - layout.brow_thickness - _MARGIN
    y1 = layout.brow_y + 0.05 + 0.13 + 0.04 + abs(layout.eye_tilt) * 0.5 + layout.brow_thickness + _MARGIN
    return x0, x1, y0, y1


# ---------------------------------------------------------------------------------------------------- mouth

_MOUTH_CURVE = 0.075  # corner lift at mouth_form = 1
_MOUTH_DROP = 0.26  # jaw drop of the lower lip at mouth_open = 1
_MOUTH_RISE = 0.06  # and the upper lip's rise
_LIP_RAISE = 0.08
_SNEER_TILT = 0.04
_ROUNDER = 0.3  # how much taller a fully rounded (mouth_width = -1) opening is


@dataclass(frozen=True)
class MouthShape:
    """Upper and lower lip curves (face-unit y over ``_U``), x of their points, the height of bared teeth and
    where the tongue starts (fraction of the opening from the top)."""

    x: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    teeth: float
    tongue: float

    @property
    def closed(self) -> bool:
        return float(np.max(self.lower - self.upper)) < 0.015


def mouth_shape(layout: Layout, e: ExpressionParams) -> MouthShape:
    """Lips from opening, corner form, width and the one-sided upper-lip raise."""
    half = layout.mouth_half_width * (1.0 + 0.5 * e.mouth_width)
    # The sneer lifts the viewer's-right corner and drops the other: the lopsided mouth of disgust.
    base = layout.mouth_y - e.mouth_form * _MOUTH_CURVE * _U2 - e.upper_lip_raise * _SNEER_TILT * _U
    rounder = 1.0 + _ROUNDER * max(0.0, -e.mouth_width)
    sneer = e.upper_lip_raise * _LIP_RAISE * _SNEER_SIDE
    upper = base - e.mouth_open * _MOUTH_RISE * rounder * _BULGE[0.5] - sneer
    lower = base + e.mouth_open * _MOUTH_DROP * rounder * _BULGE[0.6]
    teeth = 0.03 + 0.03 * e.upper_lip_raise if (e.upper_lip_raise > 0.15 or e.mouth_width > 0.35) else 0.0
    tongue = 0.62 + 0.3 * max(0.0, -e.mouth_width)  # a rounded mouth shows less tongue
    return MouthShape(_U * half, upper, lower, teeth, tongue)


def draw_mouth(paint: Painter, shape: MouthShape, colors: Palette) -> None:
    """An open mouth (inside, tongue, teeth, outline) or a closed one (a single lip line)."""
    upper = np.stack([shape.x, shape.upper], 1)
    if shape.closed:
        paint.line(upper, colors.mouth_line, 0.026)
        return
    lower = np.stack([shape.x, shape.lower], 1)
    opening = np.concatenate([upper, lower[::-1]])
    paint.polygon(opening, colors.mouth_inside)
    gap = shape.lower - shape.upper
    tongue_top = np.minimum(shape.upper + shape.tongue * gap + 0.03 * _U2, shape.lower)
    paint.polygon(np.concatenate([np.stack([shape.x, tongue_top], 1), lower[::-1]]), colors.tongue)
    if shape.teeth > 0.0:
        teeth = np.minimum(shape.upper + shape.teeth, shape.upper + 0.45 * gap)
        paint.polygon(np.concatenate([upper, np.stack([shape.x, teeth], 1)[::-1]]), colors.teeth)
    paint.polygon(opening, None, colors.mouth_line, 0.022)


def mouth_landmarks(shape: MouthShape) -> np.ndarray:
    """Left corner, right corner, upper lip centre, lower lip centre, in face units."""
    return np.array([(shape.x[0], shape.upper[0]), (shape.x[-1], shape.upper[-1]),
                     (0.0, shape.upper[_MID]), (0.0, shape.lower[_MID])])


def mouth_region(layout: Layout) -> tuple[float, float, float, float]:
    """Bounds of the mouth at any opening, form, width and sneer."""
    half = 1.5 * layout.mouth_half_width + _MARGIN
    top = layout.mouth_y - _MOUTH_CURVE - _SNEER_TILT - _MOUTH_RISE * (1.0 + _ROUNDER) - _LIP_RAISE - _MARGIN
    bottom = layout.mouth_y + _MOUTH_CURVE + _SNEER_TILT + _MOUTH_DROP * (1.0 + _ROUNDER) + _MARGIN
    return -half, half, top, bottom


# ------------------------------------------------------------------------------------ blush, tears and sweat

_HATCH = np.array([(0.025, -0.04), (-0.025, 0.04)])


def draw_blush(paint: Painter, layout: Layout, sides: list[int], amount: float, colors: Palette) -> None:
    """Two nested cheek ellipses and, when strong, the hatched blush lines."""
    x, y = layout.cheek_x, layout.cheek_y
    strokes = [(ellipse(x, y, 0.19, 0.085), mix(colors.skin, colors.blush, 0.35 * amount), None),
               (ellipse(x, y, 0.12, 0.05), mix(colors.skin, colors.blush, 0.6 * amount), None)]
    if amount > 0.3:
        line_color = mix(colors.skin, colors.blush_line, min(1.0, amount))
        strokes += [(_HATCH + (x + dx, y), line_color, 0.014) for dx in (-0.07, 0.0, 0.07)]
    _mirrored(paint, sides, strokes)


def blush_region(layout: Layout) -> tuple[float, float, float, float]:
    """Bounds of the viewer's right cheek's blush."""
    x, y = layout.cheek_x, layout.cheek_y
    return x - 0.19 - _MARGIN, x + 0.19 + _MARGIN, y - 0.085 - _MARGIN, y + 0.085 + _MARGIN


_TEAR_LENGTH = 0.5
_TEAR_T = np.linspace(0.0, 1.0, 7)


def draw_tears(paint: Painter, layout: Layout, sides: list[int], shape: EyeShape, amount: float, colors: Palette) -> None:
    """Tears welling along the lower lids and, from 0.35 up, streams down the cheeks ending in a drop."""
    strokes = [(_eye_points(layout, _U[3:], shape.lower[3:] + 0.012), colors.tear_line, 0.012 + 0.02 * amount)]
    if amount >= 0.35:
        length = _TEAR_LENGTH * (amount - 0.25) / 0.75
        centre_u = 0.55 + 0.12 * np.sin(_TEAR_T * 2.2)
        width = (0.03 + 0.025 * _TEAR_T) / layout.eye_half_width
        v = float(np.interp(0.55, _U, shape.lower)) + 0.02 + _TEAR_T * length
        stream = _eye_points(layout, np.concatenate([centre_u - width, centre_u[-1:], (centre_u + width)[::-1]]),
                             np.concatenate([v, v[-1:] + 0.06, v[::-1]]))
        strokes += [(stream, mix(colors.skin, colors.tear, 0.5 + 0.5 * amount), None),
                    (np.concatenate([stream, stream[:1]]), colors.tear_line, 0.012)]
    _mirrored(paint, sides, strokes)


_SWEAT_X, _SWEAT_Y = 0.78, -0.42
_HALF_TURN = np.linspace(0.0, np.pi, 9)


def sweat_side(head: Head) -> int:
    """The temple the sweat drop sits on: the viewer's right, unless that side has turned away."""
    return -1 if head.sin > 0.2 else 1


def draw_sweat(paint: Painter, side: int, amount: float, colors: Palette) -> None:
    """The anime sweat drop at the temple on ``side``; it grows with ``amount``."""
    size = 0.12 + 0.1 * amount  # sweat_region holds the largest
    bulb = np.stack([_SWEAT_X + size * 0.7 * np.cos(_HALF_TURN), _SWEAT_Y + size * (0.9 + 0.7 * np.sin(_HALF_TURN))], 1)
    mirror = (float(side), 1.0)
    drop = np.concatenate([[(_SWEAT_X, _SWEAT_Y - size * 0.6)], bulb]) * mirror
    paint.polygon(drop, colors.tear, colors.tear_line, 0.02)
    glint = np.array([(_SWEAT_X - 0.3 * size, _SWEAT_Y + 0.6 * size), (_SWEAT_X - 0.25 * size, _SWEAT_Y + 1.1 * size)])
    paint.line(glint * mirror, (255, 255, 255), 0.025)


def sweat_region() -> tuple[float, float, float, float]:
    """Bounds of the largest sweat drop, on the viewer's right."""
    size = 0.22  # at sweat = 1
    return (_SWEAT_X - 0.7 * size - _MARGIN, _SWEAT_X + 0.7 * size + _MARGIN,
            _SWEAT_Y - 0.6 * size - _MARGIN, _SWEAT_Y + 1.6 * size + _MARGIN)


_GLOOM_X = np.linspace(-0.5, 0.5, 7)
_GLOOM_LENGTH = np.array([0.45, 0.6, 0.5, 0.65, 0.5, 0.6, 0.45])
_GLOOM_TOP = -0.55


def draw_gloom(paint: Painter, amount: float, colors: Palette) -> None:
    """Vertical lines hanging over the forehead and bangs, longer and darker with ``amount``."""
    color = mix(colors.hair, colors.gloom, 0.4 + 0.6 * amount)
    for x, length in zip(_GLOOM_X, _GLOOM_LENGTH):
        paint.line(np.array([(x, _GLOOM_TOP), (x, _GLOOM_TOP + length * (0.4 + 0.6 * amount))]), color, 0.022)


def gloom_region() -> tuple[float, float, float, float]:
    """Bounds of the longest gloom lines."""
    return (_GLOOM_X[0] - _MARGIN, _GLOOM_X[-1] + _MARGIN, _GLOOM_TOP - _MARGIN,
            _GLOOM_TOP + float(_GLOOM_LENGTH.max()) + _MARGIN)


def expression_regions(layout: Layout, sides: list[int], sweat: int) -> np.ndarray:
    """Face-surface polygons, shape (R, 32, 2), that hold every expression drawing at any parameter value
    with a margin of about one output pixel, for the visible ``sides`` and the ``sweat`` side; they depend
    on identity and yaw only."""
    per_side = [*eye_regions(layout), brow_region(layout), blush_region(layout)]
    bounds = [mouth_region(layout), sweat_region(), gloom_region(), *(per_side * len(sides))]
    mirror = [1.0, float(sweat), 1.0, *(float(side) for side in sides for _ in per_side)]
    polygons = boxes(np.array(bounds))
    polygons[:, :, 0] *= np.array(mirror)[:, None]
    return polygons
