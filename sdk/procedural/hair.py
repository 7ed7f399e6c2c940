"""Hair silhouettes: for every hair style, the polygons of its back layer, crown, side hair, bangs and locks.

Shapes are in face units (see :mod:`anisync.procedural.geometry`), each made of parts in a projection space
(:mod:`anisync.procedural.paint`): the crown and back hair turn rigidly as volumes, bang tips and side locks sit
on the face surface and follow it, and the side hair's edge is a chain of 3D points that wraps round the
ear when the head turns. ``back`` shapes are drawn behind the head, ``front`` shapes over the face in list
order, and ``left`` / ``right`` shapes in front unless their side has turned away (then behind the head,
which hides them). Nothing here depends on the expression, which keeps hair out of the expression mask.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .identity import HAIR_STYLES
from .paint import SURFACE, Space, volume

CROWN_RADIUS = 1.16
#: Height of the crown's front hairline; every style's hair covers the skull above it.
HAIRLINE_Y = -0.35
_HEAD = volume()


@dataclass(frozen=True)
class HairShape:
    """One hair polygon.

    Attributes:
        parts: ``(points, space)`` pairs joined in order into one polygon; points are (N, 2) face units.
        layer: ``"back"``, ``"front"``, or the side it belongs to, ``"left"`` / ``"right"`` (viewer's).
        tone: ``"base"``, ``"shade"`` (darker, hair further back), ``"shine"`` (highlight), ``"tie"``
            (a hair tie in the accent colour) or ``"strand"`` (an open line between strands, not a polygon).
    """

    parts: tuple[tuple[np.ndarray, Space], ...]
    layer: str = "front"
    tone: str = "base"


def _arc(radius: float, start_deg: float, end_deg: float, n: int, cx: float = 0.0, cy: float = 0.0) -> np.ndarray:
    """Points on a circle; angles are measured from straight up, clockwise on screen."""
    a = np.radians(np.linspace(start_deg, end_deg, n))
    return np.stack([cx + radius * np.sin(a), cy - radius * np.cos(a)], axis=1)


def _notches(tips: list[tuple[float, float]], notch_rise: float) -> list[tuple[float, float]]:
    """The notch between each pair of neighbouring bang tips, ``notch_rise`` above the higher tip."""
    return [((x0 + x1) / 2, min(y0, y1) - notch_rise) for (x0, y0), (x1, y1) in zip(tips, tips[1:])]


def _strands(tips: list[tuple[float, float]], notch_rise: float, curl: float) -> np.ndarray:
    """Bang edge from the viewer's right to left. Each strand runs notch, shoulder, tip, shoulder, notch;
    a shoulder sits 60 % of the way from notch to tip, pushed out towards its notch, which rounds the strand.
    ``curl`` swings every tip sideways (positive: towards the viewer's left), as hair combed to one side."""
    def shoulder(notch: tuple[float, float], tip: tuple[float, float]) -> tuple[float, float]:
        return (notch[0] + 0.6 * (tip[0] - notch[0]) + 0.03 * np.sign(notch[0] - tip[0]),
                notch[1] + 0.6 * (tip[1] - notch[1]))

    notches = _notches(tips, notch_rise)
    points = []
    for i, (x, y) in enumerate(tips):
        tip = (x - curl, y)
        if i > 0:
            points += [notches[i - 1], shoulder(notches[i - 1], tip)]
        points.append(tip)
        if i < len(notches):
            points.append(shoulder(notches[i], tip))
    return np.array(points)


def _bangs(tips: list[tuple[float, float]], notch_rise: float, curl: float = 0.0) -> list[HairShape]:
    """The fringe (its top on the crown, its strands on the forehead) and a strand line up from each notch."""
    edge = np.concatenate([[(1.02, 0.05)], _strands(tips, notch_rise, curl), [(-1.02, 0.05)]])
    fringe = HairShape(((_arc(CROWN_RADIUS, -100, 100, 15), _HEAD), (edge, SURFACE)))
    lines = [HairShape(((np.array([(x, y), (1.04 * x, y - 0.22)]), SURFACE),), tone="strand")
             for x, y in _notches(tips, notch_rise)]
    return [fringe, *lines]


def _crown() -> HairShape:
    """The hair over the skull, down to the temples; the bangs cover its forehead edge."""
    hairline = np.array([(0.92, -0.05), (0.7, HAIRLINE_Y), (-0.7, HAIRLINE_Y), (-0.92, -0.05)])
    return HairShape(((_arc(CROWN_RADIUS, -100, 100, 15), _HEAD), (hairline, SURFACE)))


def _side_hair(side: int, length: float) -> HairShape:
    """Hair over the side of the head: along the face's edge from the temple to a sideburn, round the front
    and back of the ear and up behind it (the nape layer covers the back of the skull). ``length`` (0 short
    to 1 long) lowers the sideburn and covers the ear."""
    edge_y = np.linspace(-0.2, 0.3 + 0.25 * length, 4)
    face_edge = np.stack([side * np.full(4, 0.9), edge_y], 1)
    # 3D points (x, y, z) on the side of the head; each becomes a volume centred on itself.
    ear_y = 0.55 * length
    side_points = [(0.99, 0.22 + ear_y, 0.08), (1.0, 0.3 + ear_y, -0.18), (1.02, -0.25, -0.35)]
    parts = [(face_edge, SURFACE)]
    for x, y, z in side_points:
        parts.append((np.array([(side * x, y)]), volume(side * x, z)))
    return HairShape(tuple(parts), layer="right" if side > 0 else "left")


def _shine() -> HairShape:
    """The glossy band across the crown (the 'angel ring')."""
    top = _arc(0.98, 50, -50, 9, cy=0.05)
    x = np.linspace(-0.72, 0.72, 9)
    bottom = np.stack([x, -0.52 + 0.1 * (np.arange(9) % 2) - 0.25 * x**2], axis=1)
    return HairShape(((np.concatenate([top, bottom]), SURFACE),), tone="shine")


def _side_lock(side: int, bottom_y: float, tip_x: float, blunt: bool) -> HairShape:
    """A lock hanging in front of the ear on ``side`` (+1 viewer's right), ending in two strand tips near
    ``tip_x`` (or cut straight if ``blunt``)."""
    t = np.linspace(0.0, 1.0, 6)
    y = -0.1 + (bottom_y + 0.1) * t
    outer = 1.12 + 0.04 * np.sin(np.pi * t)
    inner = 0.88 - 0.05 * np.sin(np.pi * t * 0.8)
    if blunt:
        end = [(outer[-1], bottom_y), (inner[-1], bottom_y)]
    else:
        outer = outer + (tip_x + 0.08 - outer) * t**2.5
        inner = inner + (tip_x - 0.06 - inner) * t**2.5
        mid = 0.5 * (outer[-2] + inner[-2])
        end = [(tip_x + 0.1, bottom_y - 0.1), (mid, bottom_y - 0.22), (tip_x - 0.04, bottom_y)]
    pts = np.concatenate([np.stack([outer[:-1], y[:-1]], 1), end, np.stack([inner[-2::-1], y[-2::-1]], 1)])
    return HairShape(((pts * (side, 1.0), SURFACE),))


def _back(half_width: float, bottom_y: float, flare: float, ragged: bool, zc: float = -0.4) -> HairShape:
    """Hair hanging behind the head and shoulders, its sides bowing out as they fall."""
    top = _arc(1.2, -110, 110, 13)
    t = np.linspace(0.0, 1.0, 5)[1:]
    side_x = half_width + flare * t**1.5 + 0.06 * np.sin(np.pi * t)
    side_y = 0.45 + (bottom_y - 0.45) * t
    x = np.linspace(side_x[-1], -side_x[-1], 9)
    bottom = np.stack([x, bottom_y - (0.16 * (np.arange(9) % 2) if ragged else 0.04 * (1 - (x / x[0]) ** 2))], axis=1)
    pts = np.concatenate([top, np.stack([side_x, side_y], 1), bottom[1:-1], np.stack([-side_x, side_y], 1)[::-1]])
    return HairShape(((pts, volume(0.0, zc, 0.7)),), layer="back", tone="shade")


def _nape() -> HairShape:
    """The back of the skull down to the nape, behind the head; it shows where the head turns away."""
    pts = np.concatenate([[(-0.55, 0.85), (-1.02, 0.55)], _arc(CROWN_RADIUS, -95, 95, 13), [(1.02, 0.55), (0.55, 0.85)]])
    return HairShape(((pts, _HEAD),), layer="back", tone="shade")


def _tail(root: tuple[float, float], tip: tuple[float, float], width: float, bend: float, zc: float) -> HairShape:
    """A tail (ponytail or twin tail) from ``root`` to ``tip`` bulging by ``bend``."""
    t = np.linspace(0.0, 1.0, 9)
    rx, ry = root
    tx, ty = tip
    cx = rx + (tx - rx) * t + bend * np.sin(np.pi * t)
    cy = ry + (ty - ry) * t
    half = width * np.sin(np.pi * np.clip(t * 0.9 + 0.1, 0, 1)) ** 0.6 * (1.0 - 0.5 * t)
    pts = np.concatenate([np.stack([cx + half, cy], 1), np.stack([cx - half, cy], 1)[::-1]])
    return HairShape(((pts, volume(rx, zc)),), layer="back", tone="shade")


def _tie(x: float, y: float, zc: float) -> HairShape:
    """The hair tie where a tail leaves the head."""
    return HairShape(((_arc(0.09, 0, 360, 10, cx=x, cy=y), volume(x, zc)),), tone="tie")


def _bun(side: int) -> HairShape:
    return HairShape(((_arc(0.34, 0, 360, 14, cx=0.66 * side, cy=-0.9), volume(0.66 * side, -0.1)),), layer="back")


def _spiky_crown() -> HairShape:
    """A crown whose silhouette breaks into spikes."""
    a = np.radians(np.linspace(-115, 115, 17))
    radius = np.where(np.arange(17) % 2 == 0, 1.1, 1.34)
    outer = np.stack([radius * np.sin(a), -radius * np.cos(a) * 1.02], axis=1)
    hairline = np.array([(0.92, -0.05), (0.7, HAIRLINE_Y), (-0.7, HAIRLINE_Y), (-0.92, -0.05)])
    return HairShape(((outer, _HEAD), (hairline, SURFACE)))


def _ahoge() -> HairShape:
    """The single antenna strand on top."""
    pts = np.array([(0.05, -1.1), (0.2, -1.38), (0.42, -1.48), (0.3, -1.36), (0.2, -1.1)])
    return HairShape(((pts, _HEAD),))


# Bang tips from the viewer's right to left, (x, y) in face units.
_STRAIGHT = [(float(x), 0.02 + 0.03 * (i % 2)) for i, x in enumerate(np.linspace(0.85, -0.85, 8))]
_PARTED = [(0.9, 0.2), (0.66, 0.1), (0.42, 0.02), (0.18, -0.12), (-0.18, -0.12), (-0.42, 0.02), (-0.66, 0.1), (-0.9, 0.2)]
_SWEPT = [(0.9, 0.22), (0.62, 0.16), (0.34, 0.08), (0.06, 0.0), (-0.24, -0.1), (-0.55, -0.2), (-0.85, -0.1)]
_SPIKY = [(0.9, 0.25), (0.55, 0.12), (0.2, 0.2), (-0.15, 0.05), (-0.5, 0.18), (-0.88, 0.22)]
_WISPY = [(0.88, 0.18), (0.55, 0.05), (0.25, 0.12), (-0.05, 0.0), (-0.35, 0.1), (-0.62, 0.02), (-0.9, 0.16)]
_MESSY = [(0.9, 0.1), (0.6, -0.05), (0.32, 0.06), (0.02, -0.1), (-0.3, 0.0), (-0.6, -0.1), (-0.88, 0.08)]


def _locks(bottom_y: float, tip_x: float, blunt: bool = False) -> list[HairShape]:
    return [_side_lock(1, bottom_y, tip_x, blunt), _side_lock(-1, bottom_y, tip_x, blunt)]


def _sides(length: float) -> list[HairShape]:
    return [_side_hair(1, length), _side_hair(-1, length)]


_STYLE_SHAPES = {
    "bob": lambda: [_back(1.22, 1.2, 0.02, False, zc=-0.2), _crown(), *_sides(1.0), *_bangs(_STRAIGHT, 0.14),
                    *_locks(1.1, 0.74), _shine()],
    "long": lambda: [_back(1.28, 2.2, 0.18, True), _crown(), *_sides(1.0), *_bangs(_PARTED, 0.12),
                     *_locks(1.35, 0.95), _shine()],
    "twin_tails": lambda: [_tail((0.9, -0.6), (1.6, 1.9), 0.32, 0.45, -0.1), _tail((-0.9, -0.6), (-1.6, 1.9), 0.32, -0.45, -0.1),
                           _crown(), *_sides(0.5), *_bangs(_WISPY, 0.2), *_locks(0.95, 0.9), _shine(),
                           _tie(0.93, -0.58, -0.1), _tie(-0.93, -0.58, -0.1)],
    "ponytail": lambda: [_tail((0.3, -0.95), (1.45, 1.5), 0.3, 0.5, -0.6), _crown(), *_sides(0.3),
                         *_bangs(_SWEPT, 0.16, curl=0.05), _side_lock(-1, 1.0, 0.9, False), _shine(), _tie(0.55, -0.9, -0.4)],
    "spiky": lambda: [_spiky_crown(), *_sides(0.0), *_bangs(_SPIKY, 0.3), _shine()],
    "hime": lambda: [_back(1.28, 1.95, 0.0, False), _crown(), *_sides(1.0), *_bangs(_STRAIGHT, 0.06),
                     *_locks(1.05, 0.84, True), _shine()],
    "buns": lambda: [_bun(1), _bun(-1), _crown(), *_sides(0.3), *_bangs(_WISPY, 0.2), *_locks(0.9, 0.92), _shine()],
    "short": lambda: [_crown(), *_sides(0.0), *_bangs(_MESSY, 0.18, curl=-0.04), _ahoge(), _shine()],
}
assert set(_STYLE_SHAPES) == set(HAIR_STYLES)


@functools.cache
def hair_shapes(style: str) -> tuple[HairShape, ...]:
    """All polygons of a hair style, back layer first; see :data:`~anisync.procedural.identity.HAIR_STYLES`."""
    shapes = (_nape(), *_STYLE_SHAPES[style]())
    for shape in shapes:  # shared between renders through the cache
        for points, _ in shape.parts:
            points.flags.writeable = False
    return shapes
