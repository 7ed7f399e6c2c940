"""Flat-shaded meshes for the village, written straight into Panda3D vertex data (no model files).

Every mesh is one Geom of triangles with a per-vertex colour and a face normal per triangle, so
Panda3D's fixed-function lighting gives the faceted, hand-painted look of a low-poly village and the
whole scenery renders cheaply on software OpenGL. :class:`MeshBuilder` collects the triangles of one
object (any number of parts); :meth:`MeshBuilder.node` makes the NodePath.
"""

from __future__ import annotations

import math

from panda3d.core import Geom, GeomNode, GeomTriangles, GeomVertexData, GeomVertexFormat, GeomVertexWriter, NodePath

Vec = tuple[float, float, float]
Color = tuple[float, float, float, float]


def _sub(a: Vec, b: Vec) -> Vec:
    return a[0] - b[0], a[1] - b[1], a[2] - b[2]


def _normal(a: Vec, b: Vec, c: Vec) -> Vec:
    u, v = _sub(b, a), _sub(c, a)
    n = (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])
    length = math.sqrt(sum(x * x for x in n)) or 1.0
    return n[0] / length, n[1] / length, n[2] / length


class MeshBuilder:
    """Triangles with colours, flat normals and optional texture coordinates (Z up, counter-clockwise
    seen from outside)."""

    def __init__(self, name: str):
        self.name = name
        self.triangles: list[tuple[tuple[Vec, Vec, Vec], Color, tuple | None]] = []

    def triangle(self, a: Vec, b: Vec, c: Vec, color: Color, uvs=None) -> None:
        self.triangles.append(((a, b, c), color, uvs))

    def quad(self, a: Vec, b: Vec, c: Vec, d: Vec, color: Color, uvs=None) -> None:
        """A four-cornered face a-b-c-d (counter-clockwise)."""
        self.triangle(a, b, c, color, None if uvs is None else (uvs[0], uvs[1], uvs[2]))
        self.triangle(a, c, d, color, None if uvs is None else (uvs[0], uvs[2], uvs[3]))

    def box(self, center: Vec, size: Vec, color: Color) -> None:
        """An axis-aligned box."""
        (x, y, z), (sx, sy, sz) = center, (size[0] / 2, size[1] / 2, size[2] / 2)
        p = [(x + dx * sx, y + dy * sy, z + dz * sz) for dz in (-1, 1) for dy in (-1, 1) for dx in (-1, 1)]
        # corners: index = dx + 2 dy + 4 dz with -1 -> 0, 1 -> 1
        faces = [(0, 1, 5, 4), (1, 3, 7, 5), (3, 2, 6, 7), (2, 0, 4, 6), (4, 5, 7, 6), (2, 3, 1, 0)]
        for face in faces:
            self.quad(*(p[k] for k in face), color)

    def gable_roof(self, center: Vec, size: tuple[float, float], height: float, color: Color, gable: Color) -> None:
        """A pitched roof over a ``size`` (x, y) footprint whose ridge runs along X."""
        (x, y, z), (sx, sy) = center, (size[0] / 2, size[1] / 2)
        a, b, c, d = (x - sx, y - sy, z), (x + sx, y - sy, z), (x + sx, y + sy, z), (x - sx, y + sy, z)
        r1, r2 = (x - sx, y, z + height), (x + sx, y, z + height)
        self.quad(a, b, r2, r1, color)
        self.quad(c, d, r1, r2, color)
        self.triangle(b, c, r2, gable)
        self.triangle(d, a, r1, gable)

    def cylinder(self, base: Vec, radius: float, height: float, color: Color, sides: int = 8,
                 top_radius: float | None = None, cap: Color | None = None) -> None:
        """A (truncated) cone or cylinder standing on ``base``; ``top_radius=0`` makes a cone."""
        top_radius = radius if top_radius is None else top_radius
        x, y, z = base
        ring = [(math.cos(2 * math.pi * i / sides), math.sin(2 * math.pi * i / sides)) for i in range(sides)]
        for i in range(sides):
            (c0, s0), (c1, s1) = ring[i], ring[(i + 1) % sides]
            b0, b1 = (x + radius * c0, y + radius * s0, z), (x + radius * c1, y + radius * s1, z)
            t0, t1 = (x + top_radius * c0, y + top_radius * s0, z + height), (x + top_radius * c1, y + top_radius * s1, z + height)
            if top_radius > 0:
                self.quad(b0, b1, t1, t0, color)
                if cap is not None:
                    self.triangle((x, y, z + height), t0, t1, cap)
            else:
                self.triangle(b0, b1, (x, y, z + height), color)

    def ground(self, half: float, z: float, color: Color, repeat: float) -> None:
        """A square at height ``z`` with texture coordinates repeating ``repeat`` times across it."""
        self.quad((-half, -half, z), (half, -half, z), (half, half, z), (-half, half, z), color,
                  uvs=((0, 0), (repeat, 0), (repeat, repeat), (0, repeat)))

    def node(self) -> NodePath:
        """The triangles as one GeomNode."""
        textured = any(uvs is not None for _, _, uvs in self.triangles)
        fmt = GeomVertexFormat.getV3n3c4t2() if textured else GeomVertexFormat.getV3n3c4()
        data = GeomVertexData(self.name, fmt, Geom.UHStatic)
        data.setNumRows(3 * len(self.triangles))
        vertex, normal, color = (GeomVertexWriter(data, column) for column in ("vertex", "normal", "color"))
        texcoord = GeomVertexWriter(data, "texcoord") if textured else None
        primitive = GeomTriangles(Geom.UHStatic)
        for i, (points, rgba, uvs) in enumerate(self.triangles):
            n = _normal(*points)
            for k, point in enumerate(points):
                vertex.addData3(*point)
                normal.addData3(*n)
                color.addData4(*rgba)
                if texcoord is not None:
                    texcoord.addData2(*(uvs[k] if uvs else (0.0, 0.0)))
            primitive.addVertices(3 * i, 3 * i + 1, 3 * i + 2)
        geom = Geom(data)
        geom.addPrimitive(primitive)
        node = GeomNode(self.name)
        node.addGeom(geom)
        return NodePath(node)
