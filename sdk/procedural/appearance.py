"""Everything of a procedural character that does not change with the expression: body, neck, ears, head,
nose, hair and accessories. These layers are identical for every expression of one identity and yaw."""

from __future__ import annotations

import numpy as np

from .features import box, ellipse
from .geometry import Head
from .hair import HairShape, hair_shapes
from .identity import FaceIdentity
from .paint import HEAD_VOLUME, Painter, surface, volume
from .palette import Palette, mix

_LINE = 0.025  # outline width of large shapes, face units
NOSE_DEPTH = 0.06  # how far the nose tip stands off the face surface, face units
_BODY = volume(0.0, -0.2, 0.5)
_NECK = volume(0.0, -0.05)


_SIDES = {"left": -1, "right": 1}


def _turned_away(head: Head, side: int, by: float = 0.25) -> bool:
    """Whether ``side`` (+1: viewer's right) has turned away from the viewer by more than ``by`` (a sine)."""
    return side * head.sin > by


def _turned_towards(head: Head, side: int) -> bool:
    """Whether ``side`` has turned far enough towards the viewer to show in front of the cheek."""
    return side * head.sin < -0.4


def draw_behind_head(paint: Painter, head: Head, identity: FaceIdentity, colors: Palette) -> None:
    """Back hair, body and neck, the ear and headset cup on the far side."""
    for shape in hair_shapes(identity.hair_style):
        if shape.layer == "back" or (shape.layer in _SIDES and _turned_away(head, _SIDES[shape.layer], 0.0)):
            _draw_hair(paint, shape, colors)
    _draw_body(paint, head, identity, colors)
    for side in (-1, 1):
        if identity.accessory == "headset" and _turned_away(head, side):
            _draw_ear_cup(paint, side, colors)
        if not _turned_towards(head, side):
            _draw_ear(paint, side, colors)


def draw_head(paint: Painter, head: Head, colors: Palette) -> None:
    """Head skin, the ear turned towards the viewer, and the nose (its tip stands off the face in profile)."""
    paint.polygon(head.outline_points(), colors.skin, colors.skin_line, _LINE, space=HEAD_VOLUME)
    for side in (-1, 1):
        if _turned_towards(head, side):
            _draw_ear(paint, side, colors)
    nose_y = head.layout.nose_y
    paint.line([(np.array([(0.01, nose_y - 0.05)]), surface()), (np.array([(0.0, nose_y)]), surface(NOSE_DEPTH))],
               colors.skin_line, 0.022)


def draw_over_face(paint: Painter, head: Head, identity: FaceIdentity, colors: Palette) -> None:
    """Front hair (crown, bangs, side locks, shine, ties), then the accessory."""
    for shape in hair_shapes(identity.hair_style):
        if shape.layer == "front" or (shape.layer in _SIDES and not _turned_away(head, _SIDES[shape.layer], 0.0)):
            _draw_hair(paint, shape, colors)
    accessory = identity.accessory
    if accessory == "hair_clip":
        _draw_hair_clip(paint, colors)
    elif accessory == "ribbon":
        _draw_ribbon(paint, colors)
    elif accessory == "glasses":
        _draw_glasses(paint, head, identity, colors)
    elif accessory == "headset":
        _draw_headset(paint, head, colors)


_HAIR_FILL = {"base": "hair", "shade": "hair_shade", "shine": "hair_shine", "tie": "accent"}


def _draw_hair(paint: Painter, shape: HairShape, colors: Palette) -> None:
    if shape.tone == "strand":
        paint.line(shape.parts, colors.hair_line, 0.014)
        return
    fill = getattr(colors, _HAIR_FILL[shape.tone])
    if shape.tone == "shine":
        paint.polygon(shape.parts, fill)
    else:
        paint.polygon(shape.parts, fill, colors.accent_line if shape.tone == "tie" else colors.hair_line, _LINE)


_NECK_POINTS = np.array([(-0.28, 0.6), (0.28, 0.6), (0.3, 1.75), (-0.3, 1.75)])
_SHOULDERS = np.array([(-0.3, 1.6), (-0.8, 1.72), (-1.45, 1.9), (-1.8, 2.15), (1.8, 2.15), (1.45, 1.9), (0.8, 1.72),
                       (0.3, 1.6), (0.0, 1.75)])
_SAILOR_COLLAR = np.array([(-0.32, 1.6), (-1.2, 1.85), (-0.9, 2.15), (0.0, 1.95), (0.9, 2.15), (1.2, 1.85), (0.32, 1.6),
                           (0.0, 1.78)])
_BOW = np.array([(0.0, 1.95), (-0.22, 1.85), (-0.2, 2.08), (0.0, 1.97), (0.2, 2.08), (0.22, 1.85)])
_SHIRT = np.array([(-0.3, 1.62), (0.3, 1.62), (0.0, 2.15)])
_LAPEL = np.array([(-0.32, 1.5), (-0.5, 1.72), (-0.12, 2.05), (-0.3, 1.62)])
_COLLAR_RING = np.array([(-0.34, 1.55), (0.34, 1.55), (0.36, 1.7), (0.0, 1.78), (-0.36, 1.7)])
_SEAM = np.array([(0.36, 1.7), (0.9, 1.85), (1.1, 2.15)])


def _draw_body(paint: Painter, head: Head, identity: FaceIdentity, colors: Palette) -> None:
    """Neck with the jaw's shadow, shoulders, and a collar that tells the style class."""
    chin_y = head.layout.chin_y
    paint.polygon(_NECK_POINTS, colors.skin, colors.skin_line, _LINE, space=_NECK)
    shadow = np.array([(-0.29, 0.6), (0.29, 0.6), (0.29, chin_y + 0.12), (-0.29, chin_y + 0.06)])
    paint.polygon(shadow, colors.skin_shade, space=_NECK)
    paint.polygon(_SHOULDERS, colors.cloth, colors.cloth_line, _LINE, space=_BODY)
    if identity.style == "cute":  # sailor collar and a bow
        paint.polygon(_SAILOR_COLLAR, colors.accent, colors.accent_line, _LINE, space=_BODY)
        paint.polygon(_BOW, (225, 50, 70), (120, 20, 40), _LINE, space=volume(0.0, 0.1, 0.5))
    elif identity.style == "cool":  # open jacket over a white shirt
        paint.polygon(_SHIRT, (240, 240, 244), colors.cloth_line, _LINE, space=_BODY)
        for side in (-1, 1):
            paint.polygon(_LAPEL * [side, 1], colors.cloth, colors.cloth_line, _LINE, space=_BODY)
    else:  # tech: a glowing collar ring and seam
        paint.polygon(_COLLAR_RING, colors.accent, colors.accent_line, _LINE, space=_NECK)
        paint.line(_SEAM, colors.accent, 0.04, space=_BODY)


_EAR_ARC = np.linspace(-np.pi / 2, np.pi / 2, 9)


def _draw_ear(paint: Painter, side: int, colors: Palette) -> None:
    ear = np.stack([side * (0.92 + 0.16 * np.cos(_EAR_ARC)), 0.45 + 0.2 * np.sin(_EAR_ARC)], axis=1)
    paint.polygon(ear, colors.skin, colors.skin_line, _LINE, space=volume(side * 0.92, 0.0, 2.5))


def _draw_ear_cup(paint: Painter, side: int, colors: Palette) -> None:
    space = volume(side * 1.08, 0.0, 1.8)
    paint.polygon(ellipse(side * 1.08, 0.4, 0.13, 0.24), colors.cloth, colors.cloth_line, _LINE, space=space)
    paint.polygon(ellipse(side * 1.08, 0.4, 0.06, 0.14), colors.accent, space=space)


_BAND_ANGLES = np.radians(np.linspace(-96, 96, 15))
_HEADBAND = np.concatenate([
    np.stack([1.22 * np.sin(_BAND_ANGLES), -1.22 * np.cos(_BAND_ANGLES) + 0.05], 1),
    np.stack([1.12 * np.sin(_BAND_ANGLES), -1.12 * np.cos(_BAND_ANGLES) + 0.05], 1)[::-1],
])


def _draw_headset(paint: Painter, head: Head, colors: Palette) -> None:
    paint.polygon(_HEADBAND, colors.cloth, colors.cloth_line, _LINE, space=HEAD_VOLUME)
    for side in (-1, 1):
        if not _turned_away(head, side):
            _draw_ear_cup(paint, side, colors)
    mic = -1 if not _turned_away(head, -1) else 1
    end = (mic * 0.45, head.layout.mouth_y + 0.05)
    paint.line([(np.array([(mic * 1.05, 0.55)]), volume(mic * 1.08, 0.0, 1.8)), (np.array([end]), surface())],
               colors.cloth_line, 0.035)
    paint.polygon(ellipse(end[0], end[1], 0.05, 0.04), colors.accent)


_CLIP_BAR = np.array([(-0.14, -0.03), (0.14, -0.03), (0.14, 0.03), (-0.14, 0.03)])


def _draw_hair_clip(paint: Painter, colors: Palette) -> None:
    for angle in (0.6, -0.6):
        c, s = np.cos(angle), np.sin(angle)
        bar = _CLIP_BAR @ np.array([[c, s], [-s, c]]) + (-0.55, -0.42)
        paint.polygon(bar, colors.accent, colors.accent_line, 0.02)


_RIBBON_AT = (0.55, -0.95)
_RIBBON_LOOPS = (np.array([(0.0, 0.0), (0.34, -0.2), (0.36, 0.16)]) + _RIBBON_AT,
                 np.array([(0.0, 0.0), (-0.34, -0.2), (-0.36, 0.16)]) + _RIBBON_AT)


def _draw_ribbon(paint: Painter, colors: Palette) -> None:
    space = volume(_RIBBON_AT[0], 0.3)
    for loop in _RIBBON_LOOPS:
        paint.polygon(loop, colors.accent, colors.accent_line, _LINE, space=space)
    paint.polygon(ellipse(*_RIBBON_AT, 0.08, 0.07), colors.accent, colors.accent_line, _LINE, space=space)


def _draw_glasses(paint: Painter, head: Head, identity: FaceIdentity, colors: Palette) -> None:
    """Frames round the eyes (round for cute, rectangular otherwise), a bridge and a glint on each lens."""
    layout = head.layout
    ew, eh = layout.eye_half_width, layout.eye_height
    frame = colors.accent if identity.style == "tech" else colors.accent_line
    bridge = []
    for side in (-1, 1):
        cx, cy = side * layout.eye_x, layout.eye_y - 0.04
        if identity.style == "cute":
            lens = ellipse(cx, cy, 1.4 * ew, 0.78 * eh)
        else:
            lens = box(cx - 1.3 * ew, cx + 1.4 * ew, cy - 0.72 * eh, cy + 0.6 * eh)
        paint.polygon(lens, None, frame, 0.03)
        glint = np.array([(cx + 0.6 * ew, cy - 0.4 * eh), (cx + 0.2 * ew, cy + 0.3 * eh)])
        paint.line(glint, mix(colors.eye_white, colors.accent, 0.2), 0.02)
        bridge.append((cx - side * 1.3 * ew, cy - 0.2 * eh))
    paint.line(np.array(bridge), frame, 0.03)
