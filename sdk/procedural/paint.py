"""A display list of polygons and lines in face units, projected through a :class:`~anisync.procedural.geometry.Head`
in one batch and then drawn with Pillow.

Rendering one face takes about a hundred shapes; projecting them one by one costs more than drawing them,
so every shape of a face is recorded first and all points are projected with two vectorised calls.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw

from .geometry import Head
from .palette import RGB

#: Where a shape's points live, as ``(on_surface, a, b, c)``: on the face surface standing off it by depth
#: ``a`` (``on_surface`` 1), or in a volume centred at ``(a, b)`` with depth-to-width ratio ``c`` (0).
#: Build them with :func:`surface` and :func:`volume`.
Space = tuple[float, float, float, float]


def surface(depth: float = 0.0) -> Space:
    """Points on the face surface; ``depth`` lifts them off it towards the viewer (the nose tip)."""
    return (1.0, depth, 0.0, 1.0)


def volume(xc: float = 0.0, zc: float = 0.0, r: float = 1.0) -> Space:
    """Points of a volume centred at ``(xc, zc)`` with depth-to-width ratio ``r`` (see :meth:`Head.volume_x`)."""
    return (0.0, xc, zc, r)


SURFACE = surface()
HEAD_VOLUME = volume()


class Painter:
    """Records shapes for one head, then projects and draws them all in :meth:`draw`.

    Besides shapes the record holds two kinds of markers: :meth:`target` switches the image drawn on, and
    :meth:`clip` / :meth:`unclip` bracket shapes whose pixels are kept only where a 1-bit clip image is 0.
    Shapes refer to their points by range in the record, so the points of a shape are one slice of the
    projected array.
    """

    def __init__(self, head: Head, line_weight: float = 1.0):
        self.head = head
        #: Every stroke's width is multiplied by this (1: the house style).
        self.line_weight = line_weight
        self._points: list[np.ndarray] = []
        self._spaces: list[Space] = []
        self._sizes: list[int] = []
        self._count = 0
        self._ops: list[tuple] = []

    def width(self, units: float) -> int:
        """A line width in face units as whole canvas pixels, at least one."""
        return max(1, round(units * self.line_weight * self.head.scale))

    def polygon(self, points: np.ndarray | Sequence[tuple[np.ndarray, Space]], fill: RGB | int | None,
                line: RGB | None = None, line_width: float = 0.0, space: Space = SURFACE) -> None:
        """Fill a polygon, then stroke its outline ``line_width`` face units wide if ``line`` is given.

        ``points`` is an (N, 2) array in ``space``, or a sequence of ``(array, space)`` parts joined in order.
        """
        start, end = self.add_points(points, space)
        self._ops.append(("polygon", start, end, fill, line, self.width(line_width) if line else 0))

    def polygons(self, points: np.ndarray, fill: RGB | int, space: Space = SURFACE) -> tuple[int, int]:
        """Fill each of the (R, N, 2) polygons ``points``; returns their point range (see :meth:`add_points`)."""
        start, end = self.add_points(points.reshape(-1, 2), space)
        n = points.shape[1]
        self._ops += [("polygon", i, i + n, fill, None, 0) for i in range(start, end, n)]
        return start, end

    def line(self, points: np.ndarray | Sequence[tuple[np.ndarray, Space]], color: RGB, width: float,
             space: Space = SURFACE) -> None:
        """Stroke an open polyline ``width`` face units wide."""
        start, end = self.add_points(points, space)
        self._ops.append(("line", start, end, None, color, self.width(width)))

    def target(self, image: Image.Image) -> None:
        """Draw the shapes recorded after this on ``image``."""
        self._ops.append(("target", image))

    def clip(self, outside: Image.Image, inside: tuple[int, int]) -> None:
        """Start shapes whose drawing is undone, at :meth:`unclip`, where the 1-bit ``outside`` is 1.

        ``inside`` is the point range (see :meth:`add_points`) the complement of ``outside`` was drawn from;
        only its bounding box is saved and restored.
        """
        self._ops.append(("clip", outside, inside))

    def unclip(self) -> None:
        """End the shapes started by :meth:`clip`."""
        self._ops.append(("unclip",))

    def add_points(self, points: np.ndarray | Sequence[tuple[np.ndarray, Space]], space: Space = SURFACE) -> tuple[int, int]:
        """Record points without a shape (e.g. landmarks); returns their range ``(start, end)`` in the
        projected array that :meth:`draw` returns."""
        parts = [(points, space)] if isinstance(points, np.ndarray) else points
        start = self._count
        for pts, part_space in parts:
            self._points.append(pts)
            self._spaces.append(part_space)
            self._sizes.append(len(pts))
            self._count += len(pts)
        return start, self._count

    def _project(self) -> np.ndarray:
        """Canvas-pixel coordinates of every recorded point, in recording order."""
        head = self.head
        pts = np.concatenate(self._points)
        per_point = np.repeat(np.array(self._spaces), self._sizes, axis=0)
        on_surface = per_point[:, 0] == 1.0
        X = head.volume_x(pts[:, 0], per_point[:, 1], per_point[:, 2], per_point[:, 3])
        xs, _ = head.surface_x(pts[on_surface, 0], pts[on_surface, 1])
        X[on_surface] = xs + per_point[on_surface, 1] * head.sin
        return head.pixels(X, pts[:, 1])

    def draw(self) -> np.ndarray:
        """Project every recorded point and draw every shape. Returns the projected points (canvas pixels),
        for reading back points recorded with :meth:`add_points`."""
        px = self._project()
        flat = px.ravel().tolist()
        draw = image = saved = None
        for op in self._ops:
            kind = op[0]
            if kind == "target":
                image = op[1]
                draw = ImageDraw.ImageDraw(image)
            elif kind == "clip":
                _, outside, (start, end) = op
                inside = px[start:end]
                low = np.maximum(np.floor(inside.min(axis=0)).astype(int) - 2, 0)
                high = np.minimum(np.ceil(inside.max(axis=0)).astype(int) + 3, image.size)
                box = (int(low[0]), int(low[1]), int(high[0]), int(high[1]))
                saved = (box, image.crop(box), outside.crop(box))
            elif kind == "unclip":
                box, before, outside = saved
                image.paste(before, box, outside)
            else:
                _, start, end, fill, line, width = op
                xy = flat[2 * start:2 * end]  # slicing a list beats numpy per shape
                if kind == "polygon":
                    if fill is not None:
                        draw.polygon(xy, fill=fill)
                    if line is None:
                        continue
                    xy = xy + xy[:2]
                _stroke(draw, xy, line, width)
        return px


def _stroke(draw: ImageDraw.ImageDraw, xy: list[float], color: RGB, width: int) -> None:
    """Polyline (flat x, y list) ``width`` pixels wide. Pillow's 1-pixel lines are ten times cheaper than
    wide ones, so a 2-pixel line (the common case at 128 px output) is two 1-pixel lines, the second
    shifted one pixel diagonally."""
    if width > 2:
        draw.line(xy, fill=color, width=width, joint="curve")
        return
    draw.line(xy, fill=color, width=1)
    if width == 2:
        draw.line([v + 1.0 for v in xy], fill=color, width=1)
