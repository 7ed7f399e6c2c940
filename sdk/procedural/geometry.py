"""The head as a 2.5D solid: where features sit on a face and how a head yaw moves them.

Face units: the skull is a sphere of radius 1 centred at the origin, x points to the viewer's right, y down.
Below the skull the head continues as a stack of elliptical cross-sections (half-width ``w(y)``, depth
``d(y)``, centre pushed forward by ``z0(y)``) that narrows into the jaw and chin. A yaw of ``theta`` turns the
head about the vertical axis through the skull centre and projects orthographically:

* points on the face surface (:meth:`Head.surface_x`) sit on their cross-section's front half; a point that the
  turn carries behind the visible edge is clamped onto that edge, so features fold away instead of mirroring;
  points beyond the cross-section (hair over the temples) keep their sideways offset from its edge;
* hair volumes, the neck and the body (:meth:`Head.volume_x`) turn rigidly about their own centre ``(xc, zc)``
  with a depth-to-width ratio ``r``, so a lock of hair narrows to ``sqrt(cos^2 + r^2 sin^2)`` of its width.

This is the 2D approximation of yaw 0-80 degrees that Peng evaluates at 0, 40 and 80.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .identity import FaceIdentity

#: Vertical extent of the canvas in face units; the portrait shows hair, face, neck and shoulders.
VIEW_TOP, VIEW_BOTTOM = -1.5, 1.95
#: Size of one face unit as a fraction of the canvas side.
UNIT = 1.0 / (VIEW_BOTTOM - VIEW_TOP)

_CHEEK_Y = 0.45  # where the jaw starts narrowing
_PROFILE_SAMPLES = 48


@dataclass(frozen=True)
class Layout:
    """Anchor points of the expression-bearing features in face units (frontal view, before yaw)."""

    chin_y: float
    face_half_width: float
    eye_x: float
    eye_y: float
    eye_half_width: float
    eye_height: float
    eye_tilt: float
    brow_y: float
    brow_length: float
    brow_thickness: float
    nose_y: float
    mouth_y: float
    mouth_half_width: float
    cheek_x: float
    cheek_y: float

    @classmethod
    def of(cls, identity: FaceIdentity) -> "Layout":
        """Feature placement for an identity (the numbers are proportions of a typical anime face)."""
        chin_y = 1.2 + 0.1 * identity.chin
        eye_y = 0.42
        eye_height = 0.42 + 0.14 * identity.eye_size - 0.1 * identity.eye_shape
        eye_half_width = 0.24 + 0.08 * identity.eye_size
        return cls(
            chin_y=chin_y,
            face_half_width=0.86 + 0.12 * identity.face_width,
            eye_x=0.4 + 0.08 * identity.eye_spacing + 0.6 * (eye_half_width - 0.28),
            eye_y=eye_y,
            eye_half_width=eye_half_width,
            eye_height=eye_height,
            eye_tilt=(identity.eye_shape - 0.4) * 0.16,
            brow_y=eye_y - 0.62 * eye_height - 0.1,
            brow_length=0.34 + 0.06 * identity.eye_size,
            brow_thickness=0.03 + 0.035 * identity.brow_thickness,
            nose_y=0.5 * (eye_y + chin_y) + 0.04,
            mouth_y=chin_y - 0.3,
            mouth_half_width=0.13 + 0.03 * identity.face_width,
            cheek_x=0.4 + 0.1 * identity.eye_spacing + 0.06,
            cheek_y=eye_y + 0.33,
        )


class Head:
    """Projection of face-unit points onto a canvas of ``canvas`` pixels for one identity and yaw."""

    def __init__(self, identity: FaceIdentity, yaw_degrees: float, canvas: int):
        self.layout = Layout.of(identity)
        self.cos = math.cos(math.radians(yaw_degrees))
        self.sin = math.sin(math.radians(yaw_degrees))
        self.canvas = canvas
        self.scale = canvas * UNIT  # pixels per face unit
        self.origin = (canvas / 2.0, -VIEW_TOP * self.scale)
        self._profile(identity)

    def _profile(self, identity: FaceIdentity) -> None:
        layout = self.layout
        y = np.linspace(-1.0, layout.chin_y, _PROFILE_SAMPLES)
        skull = np.sqrt(np.clip(1.0 - y**2, 0.0, 1.0))
        fw = layout.face_half_width
        # From the skull's equator the sides ease into the cheek width, then the jaw narrows to the chin.
        upper = np.where(y < 0, skull, 1.0 + (fw - 1.0) * np.clip(y / _CHEEK_Y, 0, 1))
        t = np.clip((y - _CHEEK_Y) / (layout.chin_y - _CHEEK_Y), 0.0, 1.0)
        p = 2.2 - 0.7 * identity.chin
        q = 0.55 + 0.45 * identity.chin
        jaw = fw * (1.0 - t**p) ** q
        w = np.where(y <= _CHEEK_Y, upper, jaw)
        self._y = y
        self._w = np.maximum(w, 0.02)
        self._d = np.maximum(np.where(y <= _CHEEK_Y, np.maximum(skull, upper), jaw * 1.05), 0.02)
        self._z0 = 0.75 * t**1.4

    def _section(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.interp(y, self._y, self._w), np.interp(y, self._y, self._d), np.interp(y, self._y, self._z0)

    def _fold(self, w: np.ndarray, d: np.ndarray) -> np.ndarray:
        """Largest |x / w| that stays in front on the side turning away (1 when facing the viewer)."""
        # x/w where d(X)/dx = 0; cos > 0 for |yaw| <= 80, so this cannot divide by zero.
        return 1.0 / np.sqrt(1.0 + (d * abs(self.sin) / (w * self.cos)) ** 2)

    def surface_x(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Projected x (face units) of face-surface points, and whether each is in front of the fold."""
        w, d, z0 = self._section(y)
        s = x / w
        fold = self._fold(w, d)
        away = np.sign(self.sin) * s  # > 0 on the side turning away
        visible = away <= fold
        s_clamped = np.clip(s, -1.0, 1.0)
        s_clamped = np.where(away > fold, np.sign(self.sin) * fold, s_clamped)
        X = w * s_clamped * self.cos + (z0 + d * np.sqrt(1.0 - s_clamped**2)) * self.sin
        # Hair beyond the cheek keeps its sideways offset from the edge, foreshortened like a lateral step.
        X = X + np.sign(s) * np.maximum(np.abs(x) - w, 0.0) * self.cos
        return X, visible

    def volume_x(self, x: np.ndarray, xc, zc, r) -> np.ndarray:
        """Projected x (face units) of volume points; the volume is centred at ``(xc, zc)`` with depth/width
        ratio ``r`` (scalars or arrays like ``x``)."""
        squeeze = np.sqrt(self.cos**2 + (r * self.sin) ** 2)
        return xc * self.cos + zc * self.sin + (x - xc) * squeeze

    def silhouette(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Left and right edges (face units) of the turned head at heights ``y``."""
        w, d, z0 = self._section(y)
        centre = z0 * self.sin
        half = np.sqrt((w * self.cos) ** 2 + (d * self.sin) ** 2)
        return centre - half, centre + half

    def pixels(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """Projected face-unit coordinates to canvas pixels, shape (N, 2)."""
        return np.stack([self.origin[0] + X * self.scale, self.origin[1] + Y * self.scale], axis=1)

    def outline_points(self, top: float) -> np.ndarray:
        """Polygon of the front half of the head from height ``top`` to the chin, already projected (x in
        projected face units, so draw it as an unturned volume): the skin that faces the viewer. The back
        half of the skull is left to the hair, which is what shows there once the head turns."""
        levels = self._y[self._y >= top]
        y = np.concatenate([levels, levels[::-1]])
        x, _ = self.surface_x(np.concatenate([-self._w[-len(levels):], self._w[::-1][:len(levels)]]), y)
        return np.stack([x, y], axis=1)
