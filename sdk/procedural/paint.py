"""A display list of polygons and lines in face units, projected through a :class:`~sdk.procedural.geometry.Head`
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

#: Where a shape's points live: on the face surface (standing off it by ``depth``), or in a volume.
Space = tuple


def surface(depth: float = 0.0) -> Space:
    """Points on the face surface; ``depth`` lifts them off it towards the viewer (the nose tip)."""
    return ("surface", depth)


def volume(xc: float = 0.0, zc: float = 0.0, r: float = 1.0) -> Space:
    """Points of a volume centred at ``(xc, zc)`` with depth-to-width ratio ``r`` (see :meth:`Head.volume`)."""
    return ("volume", xc, zc, r)


SURFACE = surface()
HEAD_VOLUME = volume()


class Painter:
    """Records shapes for one head, then projects and draws them all in :meth:`draw`.

    Besides shapes the record holds two kinds of markers: :meth:`target` switches the image drawn on, and
    :meth:`clip` / :meth:`unclip` bracket shapes whose pixels are kept only where a 1-bit clip image is 0.
    """

    def __init__(self, head: Head):
        self.head = head
        self._points: list[np.ndarray] = []
        self._spaces: list[Space] = []
        self._ops: list[tuple] = []

    def width(self, units: float) -> int:
        """A line width in face units as whole canvas pixels, at least one."""
        return max(1, round(units * self.head.scale))

    def polygon(self, points: np.ndarray | Sequence[tuple[np.ndarray, Space]], fill: RGB | int | None,
                line: RGB | None = None, line_width: float = 0.0, space: Space = SURFACE) -> None:
        """Fill a polygon, then stroke its outline ``line_width`` face units wide if ``line`` is given.

        ``points`` is an (N, 2) array in ``space``, or a sequence of ``(array, space)`` parts joined in order.
        """
        first, last = self.add_points(points, space)
        self._ops.append(("polygon", first, last, fill, line, self.width(line_width) if line else 0))

    def line(self, points: np.ndarray | Sequence[tuple[np.ndarray, Space]], color: RGB, width: float,
             space: Space = SURFACE) -> None:
        """Stroke an open polyline ``width`` face units wide."""
        first, last = self.add_points(points, space)
        self._ops.append(("line", first, last, None, color, self.width(width)))

    def target(self, image: Image.Image) -> None:
        """Draw the shapes recorded after this on ``image``."""
        self._ops.append(("target", image))

    def clip(self) -> None:
        """Start shapes whose drawing is undone outside the clip given to the matching :meth:`unclip`."""
        self._ops.append(("clip",))

    def unclip(self, outside: Image.Image) -> None:
        """Restore the pixels where the 1-bit ``outside`` is 1 to what they were at :meth:`clip`."""
        self._ops.append(("unclip", outside))

    def add_points(self, points: np.ndarray | Sequence[tuple[np.ndarray, Space]], space: Space = SURFACE) -> tuple[int, int]:
        """Record points without a shape (e.g. landmarks); returns the part range to look up after :meth:`draw`."""
        parts = [(points, space)] if isinstance(points, np.ndarray) else points
        first = len(self._points)
        for pts, part_space in parts:
            self._points.append(pts)
            self._spaces.append(part_space)
        return first, len(self._points)

    def _project(self) -> list[np.ndarray]:
        """Canvas-pixel coordinates of every recorded part, in recording order."""
        head = self.head
        sizes = np.array([len(p) for p in self._points])
        pts = np.concatenate(self._points)
        # Per part: 1 for surface, else 0; then depth (surface) or xc, zc, r (volume).
        params = np.array([(1.0, s[1], 0.0, 1.0) if s[0] == "surface" else (0.0, *s[1:]) for s in self._spaces])
        per_point = np.repeat(params, sizes, axis=0)
        on_surface = per_point[:, 0] == 1.0
        X = head.volume_x(pts[:, 0], per_point[:, 1], per_point[:, 2], per_point[:, 3])
        xs, _ = head.surface_x(pts[on_surface, 0], pts[on_surface, 1])
        X[on_surface] = xs + per_point[on_surface, 1] * head.sin
        px = head.pixels(X, pts[:, 1])
        ends = np.cumsum(sizes).tolist()
        return [px[start:end] for start, end in zip([0] + ends[:-1], ends)]

    def draw(self) -> list[np.ndarray]:
        """Project every recorded point, draw every shape, and return the projected parts (canvas pixels)."""
        projected = self._project()
        draw = before = image = None
        for op in self._ops:
            kind = op[0]
            if kind == "target":
                image = op[1]
                draw = ImageDraw.Draw(image)
            elif kind == "clip":
                before = image.copy()
            elif kind == "unclip":
                image.paste(before, (0, 0), op[1])
            else:
                _, first, last, fill, line, width = op
                px = projected[first] if last == first + 1 else np.concatenate(projected[first:last])
                if kind == "polygon":
                    if fill is not None:
                        draw.polygon(px.ravel().tolist(), fill=fill)
                    if line is None:
                        continue
                    px = np.concatenate([px, px[:1]])
                _stroke(draw, px, line, width)
        return projected


def _stroke(draw: ImageDraw.ImageDraw, px: np.ndarray, color: RGB, width: int) -> None:
    """Polyline ``width`` pixels wide. Pillow's 1-pixel lines are ten times cheaper than wide ones, so a
    2-pixel line is three 1-pixel lines shifted right and down (the common case at 128 px output)."""
    if width > 2:
        draw.line(px.ravel().tolist(), fill=color, width=width, joint="curve")
        return
    for shift in ((0, 0), (1, 0), (0, 1))[: 1 if width == 1 else 3]:
        draw.line((px + shift).ravel().tolist(), fill=color, width=1)
