"""A procedural rigged humanoid, built at runtime as egg data with joints and vertex membership.

The body is stylised to carry the 2D anime faces: about five heads tall, slim limbs, a big head whose
front is a gently curved **face card** showing the face texture (hair, face and expression, drawn by the
face source), with a hair-coloured skull and, for long styles, 3D hair behind it, so the head has volume
from the side. Every part has an inverted-hull ink outline, the usual trick for a cel-shaded look.

The skeleton is the canonical one of :mod:`anisync.panda.actions` (:data:`~anisync.panda.actions.JOINTS`)
with identity rest rotations, standing on Z up and facing +Y. Torso rings are weighted between hips,
spine and chest by height so that the back bends smoothly; limbs move rigidly with their joints, with
spheres at elbows and knees that hide the seams.

Bodies are built once per :class:`~anisync.panda.faces.BodyPalette` and copied per character
(``Actor(model, copy=True)``), so every character owns its joints and face card.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from panda3d.core import CS_zup_right, LColor, Mat4D, NodePath, Point2D, Point3D, Vec3D
from panda3d.egg import EggData, EggGroup, EggPolygon, EggVertex, EggVertexPool, loadEggData

from .actions import JOINTS
from .faces import BodyPalette

#: Rest position of every joint (metres, character space) and its parent.
SKELETON: dict[str, tuple[str | None, tuple[float, float, float]]] = {
    "hips": (None, (0.0, 0.0, 0.78)),
    "spine": ("hips", (0.0, 0.0, 0.88)),
    "chest": ("spine", (0.0, 0.0, 1.00)),
    "neck": ("chest", (0.0, 0.0, 1.12)),
    "head": ("neck", (0.0, 0.0, 1.19)),
    **{f"upper_arm_{s}": ("chest", (x * 0.15, 0.0, 1.07)) for s, x in (("l", -1), ("r", 1))},
    **{f"forearm_{s}": (f"upper_arm_{s}", (x * 0.165, 0.0, 0.86)) for s, x in (("l", -1), ("r", 1))},
    **{f"hand_{s}": (f"forearm_{s}", (x * 0.17, 0.0, 0.67)) for s, x in (("l", -1), ("r", 1))},
    **{f"thigh_{s}": ("hips", (x * 0.07, 0.0, 0.76)) for s, x in (("l", -1), ("r", 1))},
    **{f"shin_{s}": (f"thigh_{s}", (x * 0.07, 0.0, 0.42)) for s, x in (("l", -1), ("r", 1))},
    **{f"foot_{s}": (f"shin_{s}", (x * 0.07, 0.0, 0.08)) for s, x in (("l", -1), ("r", 1))},
}

#: Height of the standing body (top of the face card), metres.
HEIGHT = 1.5
#: The face card: the face image's full side in metres, its top edge's height, how far forward its middle
#: is, and how much its edges curve back (in card sides).
CARD_SIDE, CARD_TOP, CARD_FRONT, CARD_BULGE = 0.40, 1.50, 0.115, 0.88
#: Name of the face card's node in a built body.
FACE_CARD = "face_card"
#: Texture row (from the bottom) just under the chin: face images frame the head above it.
HEAD_BOTTOM_V = 0.18
OUTLINE_WIDTH = 0.007


@dataclass
class _Part:
    """Triangles of one colour; ``weights`` is (vertices, joints) vertex membership."""

    group: str
    positions: np.ndarray
    triangles: np.ndarray
    color: tuple[float, float, float]
    weights: np.ndarray
    uvs: np.ndarray | None = None
    outline: bool = True


def _rigid(n: int, joint: str) -> np.ndarray:
    weights = np.zeros((n, len(JOINTS)))
    weights[:, JOINTS.index(joint)] = 1.0
    return weights


def _grid_triangles(rings: int, segments: int, closed: bool = True) -> np.ndarray:
    """Triangles of a (rings x segments) vertex grid, counter-clockwise seen from outside."""
    cols = segments if closed else segments - 1
    i, j = np.meshgrid(np.arange(rings - 1), np.arange(cols), indexing="ij")
    a = i * segments + j
    b = i * segments + (j + 1) % segments
    c, d = a + segments, b + segments
    return np.concatenate([np.stack([a, b, d], -1).reshape(-1, 3), np.stack([a, d, c], -1).reshape(-1, 3)])


def _lathe(centers: np.ndarray, radii: np.ndarray, depth: float = 1.0, segments: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """A closed tube through ``centers`` (rings bottom to top) with a radius per ring; ``depth`` squashes
    the cross-section front to back. The first and last radius 0 close the ends."""
    angle = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    ring = np.stack([np.cos(angle), depth * np.sin(angle), np.zeros(segments)], -1)
    positions = centers[:, None, :] + radii[:, None, None] * ring[None]
    return positions.reshape(-1, 3), _grid_triangles(len(centers), segments)


def _ellipsoid(center, radii, rings: int = 9, segments: int = 12, z_from: float = -1.0, z_to: float = 1.0):
    """An ellipsoid (or a band of it between normalised heights ``z_from`` and ``z_to``), poles closed."""
    polar = np.linspace(np.arccos(z_from), np.arccos(z_to), rings)
    heights = np.cos(polar)
    centers = np.zeros((rings, 3))
    centers[:, 2] = heights * radii[2]
    positions, triangles = _lathe(centers, np.sin(polar), radii[1] / radii[0], segments)
    positions[:, :2] *= radii[0]
    return positions + np.asarray(center), triangles


def _limb(start, end, r0: float, r1: float, segments: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """A tapered capsule from ``start`` to ``end`` (hemispherical ends)."""
    start, end = np.asarray(start, float), np.asarray(end, float)
    t = np.array([0.0, 0.06, 0.2, 0.5, 0.8, 0.94, 1.0])
    radii = np.array([0.0, 0.7, 1.0, 1.0, 1.0, 0.7, 0.0]) * np.interp(t, [0, 1], [r0, r1])
    # End caps stick out past the joints by about a radius.
    axis = end - start
    length = np.linalg.norm(axis)
    s = (t * (length + r0 + r1) - r0) / length
    centers = start + s[:, None] * axis
    up = axis / length
    side = np.cross(up, [0.0, 1.0, 0.0])
    side = side / np.linalg.norm(side) if np.linalg.norm(side) > 1e-6 else np.array([1.0, 0.0, 0.0])
    front = np.cross(up, side)  # so that rings wind counter-clockwise seen from outside
    angle = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    ring = np.cos(angle)[:, None] * side + np.sin(angle)[:, None] * front
    positions = centers[:, None, :] + radii[:, None, None] * ring[None]
    return positions.reshape(-1, 3), _grid_triangles(len(t), segments)


def _vertex_normals(positions: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    a, b, c = (positions[triangles[:, k]] for k in range(3))
    face = np.cross(b - a, c - a)
    normals = np.zeros_like(positions)
    for k in range(3):
        np.add.at(normals, triangles[:, k], face)
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    return normals / np.where(length > 1e-12, length, 1.0)


def _torso_weights(z: np.ndarray) -> np.ndarray:
    """Hips below 0.80 m, chest above 1.0 m, the spine between, blended linearly across each boundary."""
    weights = np.zeros((len(z), len(JOINTS)))
    hips, spine, chest = (JOINTS.index(n) for n in ("hips", "spine", "chest"))
    weights[:, hips] = np.clip((0.88 - z) / 0.08, 0, 1)
    weights[:, chest] = np.clip((z - 0.94) / 0.08, 0, 1)
    weights[:, spine] = 1.0 - weights[:, hips] - weights[:, chest]
    return weights


def _rgb(color: tuple[int, int, int]) -> tuple[float, float, float]:
    return tuple(c / 255.0 for c in color)  # type: ignore[return-value]


def _face_card(side: float, top: float, front: float, bottom_v: float = 0.0,
               segments: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The face card: the texture's square (``side`` wide, top edge at height ``top``) from texture row
    ``bottom_v`` up, bulging forward to ``front`` at its middle along a parabola, so side views have depth."""
    u, v = np.meshgrid(np.linspace(0, 1, segments), np.linspace(bottom_v, 1, segments), indexing="ij")
    x = (u - 0.5) * side
    z = top - (1.0 - v) * side  # texture v grows upwards
    y = front - CARD_BULGE * x * x / side
    positions = np.stack([x, y, z], -1).reshape(-1, 3)
    uvs = np.stack([u, v], -1).reshape(-1, 2)
    # Grid rows run along v for fixed u: wind the triangles to face +Y.
    i, j = np.meshgrid(np.arange(segments - 1), np.arange(segments - 1), indexing="ij")
    a = i * segments + j
    b, c, d = a + segments, a + 1, a + segments + 1
    triangles = np.concatenate([np.stack([a, c, d], -1).reshape(-1, 3), np.stack([a, d, b], -1).reshape(-1, 3)])
    return positions, triangles, uvs


def _parts(palette: BodyPalette) -> list[_Part]:
    skin, hair, cloth, accent = (_rgb(c) for c in (palette.skin, palette.hair, palette.cloth, palette.accent))
    legwear = cloth if palette.outfit == "pants" else skin
    parts: list[_Part] = []

    def add(group, mesh, color, weights, **kwargs):
        positions, triangles = mesh
        if isinstance(weights, str):
            weights = _rigid(len(positions), weights)
        parts.append(_Part(group, positions, triangles, color, weights, **kwargs))

    # Torso: hips to shoulders, elliptical, with a waist.
    heights = np.array([0.70, 0.72, 0.78, 0.86, 0.92, 1.00, 1.06, 1.10, 1.12])
    radii = np.array([0.0, 0.095, 0.115, 0.09, 0.085, 0.105, 0.12, 0.10, 0.0])
    centers = np.stack([np.zeros_like(heights), np.zeros_like(heights), heights], -1)
    torso = _lathe(centers, radii, depth=0.72)
    add("body", torso, cloth, _torso_weights(torso[0][:, 2]))
    # Collar accent and a skirt or shorts over the hips.
    add("body", _lathe(np.array([[0, 0, 1.07], [0, 0, 1.085], [0, 0, 1.115], [0, 0, 1.125]]),
                       np.array([0.0, 0.105, 0.07, 0.0]), depth=0.8), accent, "chest")
    if palette.outfit == "skirt":
        rings = np.array([[0, 0, 0.655], [0, 0, 0.66], [0, 0, 0.80], [0, 0, 0.88], [0, 0, 0.89]])
        add("body", _lathe(rings, np.array([0.0, 0.185, 0.125, 0.095, 0.0]), depth=0.85, segments=16), accent, "hips")
    else:
        rings = np.array([[0, 0, 0.70], [0, 0, 0.71], [0, 0, 0.80], [0, 0, 0.86], [0, 0, 0.865]])
        add("body", _lathe(rings, np.array([0.0, 0.13, 0.125, 0.1, 0.0]), depth=0.75), accent, "hips")
    add("body", _limb((0, 0, 1.10), (0, 0, 1.22), 0.034, 0.032, 8), skin, "neck", outline=False)
    for side, x in (("l", -1), ("r", 1)):
        add("body", _limb((x * 0.15, 0, 1.07), (x * 0.165, 0, 0.86), 0.042, 0.036), cloth, f"upper_arm_{side}")
        add("body", _limb((x * 0.165, 0, 0.86), (x * 0.17, 0, 0.69), 0.031, 0.026), skin, f"forearm_{side}")
        add("body", _ellipsoid((x * 0.172, 0.005, 0.645), (0.032, 0.024, 0.045), 6, 8), skin, f"forearm_{side}")
        add("body", _limb((x * 0.07, 0, 0.76), (x * 0.07, 0, 0.42), 0.058, 0.045), legwear, f"thigh_{side}")
        add("body", _limb((x * 0.07, 0, 0.42), (x * 0.07, 0, 0.10), 0.045, 0.034), legwear, f"shin_{side}")
        add("body", _limb((x * 0.07, 0, 0.30), (x * 0.07, 0, 0.11), 0.049, 0.039), accent, f"shin_{side}")
        add("body", _ellipsoid((x * 0.07, 0.035, 0.045), (0.048, 0.085, 0.045), 7, 10), accent, f"shin_{side}")

    # Head: the skull sits behind the face card (inside the drawn silhouette, seen from the front).
    add("head", _ellipsoid((0, -0.035, 1.34), (0.118, 0.135, 0.135)), hair, "head")
    add("head", _ellipsoid((0, 0.02, 1.27), (0.085, 0.07, 0.075), 7, 10), skin, "head", outline=False)
    if palette.hair_style in ("long", "hime"):
        add("head", _lathe(np.array([[0, -0.07, 1.015], [0, -0.07, 1.02], [0, -0.075, 1.12], [0, -0.08, 1.30], [0, -0.07, 1.36]]),
                           np.array([0.0, 0.11, 0.125, 0.12, 0.0]), depth=0.45), hair, "head")
    elif palette.hair_style == "twin_tails":
        for x in (-1, 1):
            add("head", _limb((x * 0.15, -0.04, 1.36), (x * 0.19, -0.05, 1.02), 0.055, 0.02), hair, "head")
    elif palette.hair_style == "ponytail":
        add("head", _limb((0, -0.17, 1.38), (0, -0.20, 1.10), 0.05, 0.018), hair, "head")
    elif palette.hair_style == "buns":
        for x in (-1, 1):
            add("head", _ellipsoid((x * 0.10, -0.05, 1.46), (0.055, 0.055, 0.055), 7, 10), hair, "head")
    positions, triangles, uvs = _face_card(CARD_SIDE, CARD_TOP, CARD_FRONT)
    add(FACE_CARD, (positions, triangles), (1.0, 1.0, 1.0), "head", uvs=uvs, outline=False)
    return parts


def _skeleton(root: EggGroup) -> dict[str, EggGroup]:
    groups: dict[str, EggGroup] = {}
    for name, (parent, position) in SKELETON.items():
        joint = EggGroup(name)
        joint.setGroupType(EggGroup.GT_joint)
        offset = np.subtract(position, SKELETON[parent][1]) if parent else np.asarray(position)
        joint.setTransform3d(Mat4D.translateMat(Vec3D(*offset)))
        (groups[parent] if parent else root).addChild(joint)
        groups[name] = joint
    return groups


def _emit(root: EggGroup, pool: EggVertexPool, joints: list[EggGroup], groups: dict[str, EggGroup], part: _Part,
          positions: np.ndarray, triangles: np.ndarray, color: tuple[float, float, float], normals: np.ndarray) -> None:
    if part.group not in groups:
        groups[part.group] = EggGroup(part.group)
        root.addChild(groups[part.group])
    group = groups[part.group]
    vertices = []
    rgba = LColor(*color, 1.0)
    for k, (p, n) in enumerate(zip(positions.tolist(), normals.tolist())):
        vertex = EggVertex()
        vertex.setPos(Point3D(*p))
        vertex.setNormal(Vec3D(*n))
        vertex.setColor(rgba)
        if part.uvs is not None:
            vertex.setUv(Point2D(*part.uvs[k]))
        pool.addVertex(vertex)
        for j in np.flatnonzero(part.weights[k]):
            joints[j].refVertex(vertex, float(part.weights[k, j]))
        vertices.append(vertex)
    for a, b, c in triangles.tolist():
        polygon = EggPolygon()
        for index in (a, b, c):
            polygon.addVertex(vertices[index])
        group.addChild(polygon)


def _new_egg() -> tuple[EggData, EggGroup, EggVertexPool]:
    data = EggData()
    data.setCoordinateSystem(CS_zup_right)
    root = EggGroup("anisync_humanoid")
    data.addChild(root)
    pool = EggVertexPool("vertices")
    root.addChild(pool)
    return data, root, pool


def face_card(side: float) -> NodePath:
    """A lone face card for a game's own model: the head part of the face image (down to just below the
    chin, without the shoulders the image shows under it), ``side`` wide, centred on the origin, facing +Y."""
    data, root, pool = _new_egg()
    positions, triangles, uvs = _face_card(side, side * (1 - HEAD_BOTTOM_V) / 2, 0.0, HEAD_BOTTOM_V)
    part = _Part(FACE_CARD, positions, triangles, (1.0, 1.0, 1.0), np.zeros((len(positions), 0)), uvs, False)
    _emit(root, pool, [], {}, part, positions, triangles, part.color, _vertex_normals(positions, triangles))
    card = NodePath(loadEggData(data))
    card.setName(FACE_CARD)
    return card


@functools.lru_cache(maxsize=32)
def humanoid_model(palette: BodyPalette) -> NodePath:
    """The humanoid body for ``palette``, as a model to copy into Actors (cached per palette).

    Its nodes: a ``Character`` with the canonical joints, geometry groups ``body``, ``head`` and
    :data:`FACE_CARD` (textured with the face; uv (0,0)-(1,1) is the face image), plus ``outline``.
    """
    data, root, pool = _new_egg()
    root.setDartType(EggGroup.DT_structured)
    joint_groups = _skeleton(root)
    joints = [joint_groups[name] for name in JOINTS]
    groups: dict[str, EggGroup] = {}
    ink = _rgb(palette.line)
    for part in _parts(palette):
        normals = _vertex_normals(part.positions, part.triangles)
        _emit(root, pool, joints, groups, part, part.positions, part.triangles, part.color, normals)
        if part.outline:
            # Inverted hull: a slightly fatter copy wound inside out, so only its back faces show, as ink.
            outline = _Part("outline", part.positions, part.triangles, ink, part.weights)
            _emit(root, pool, joints, groups, outline, part.positions + OUTLINE_WIDTH * normals,
                  part.triangles[:, ::-1], ink, -normals)
    return NodePath(loadEggData(data))
