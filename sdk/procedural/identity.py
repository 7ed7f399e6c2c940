"""Who a procedural character is: :class:`FaceIdentity` and the distribution :func:`sample_identity` draws from.

Identity parameters never change with the expression. Numbers are in ``[0, 1]`` so that a random draw, a
slider in an editor and a learned appearance model all speak the same units; colours are ``#rrggbb``.

Distribution of :func:`sample_identity` (``Beta(a, b)`` has mean ``a / (a + b)``):

=================  ==================  ==================  ==================
parameter          cute                cool                tech
=================  ==================  ==================  ==================
skin_tone          Beta(2, 5)          Beta(2, 5)          Beta(2, 5)
face_width         Beta(5, 2)          Beta(2, 4)          Beta(3, 3)
chin               Beta(2, 5)          Beta(5, 2)          Beta(3, 3)
eye_size           Beta(5, 2)          Beta(2, 3)          Beta(3, 3)
eye_shape          Beta(2, 5)          Beta(5, 2)          Beta(3, 3)
eye_spacing        Beta(3, 3)          Beta(3, 3)          Beta(3, 3)
brow_thickness     Beta(2, 4)          Beta(4, 2)          Beta(3, 3)
hair_style         :data:`STYLE_HAIR`  weights per style
accessory          :data:`STYLE_ACCESSORIES` weights per style
hair/eye/accent    uniform over :data:`STYLE_PALETTES`, then jittered in HSV (hue ±0.02, saturation and
                   value ±0.08)
=================  ==================  ==================  ==================

The style itself is uniform over :data:`STYLES` unless the caller fixes it.
"""

from __future__ import annotations

import colorsys
from dataclasses import asdict, dataclass, fields

import numpy as np

from ..errors import DefinitionError
from ._checks import check_choice, check_color, check_keys, check_number

#: Style classes of Zhou, figure 11; a style biases palette, hair and accessories.
STYLES: tuple[str, ...] = ("cute", "cool", "tech")

#: Hair silhouettes; each has its own back layer, bangs and side locks (see :mod:`anisync.procedural.hair`).
HAIR_STYLES: tuple[str, ...] = ("bob", "long", "twin_tails", "ponytail", "spiky", "hime", "buns", "short")

#: Accessories, drawn over the hair.
ACCESSORIES: tuple[str, ...] = ("none", "hair_clip", "ribbon", "glasses", "headset")

#: Relative weight of each hair style within a style class.
STYLE_HAIR: dict[str, dict[str, float]] = {
    "cute": {"bob": 2, "long": 2, "twin_tails": 3, "ponytail": 1, "spiky": 0, "hime": 1, "buns": 2, "short": 0.5},
    "cool": {"bob": 1, "long": 3, "twin_tails": 0, "ponytail": 2, "spiky": 2, "hime": 2, "buns": 0, "short": 1},
    "tech": {"bob": 2, "long": 1, "twin_tails": 1, "ponytail": 2, "spiky": 2, "hime": 0, "buns": 0.5, "short": 3},
}

#: Relative weight of each accessory within a style class.
STYLE_ACCESSORIES: dict[str, dict[str, float]] = {
    "cute": {"none": 1, "hair_clip": 3, "ribbon": 3, "glasses": 0.3, "headset": 0.2},
    "cool": {"none": 3, "hair_clip": 1, "ribbon": 0.3, "glasses": 2, "headset": 0.5},
    "tech": {"none": 1, "hair_clip": 0.5, "ribbon": 0, "glasses": 2, "headset": 3},
}

#: Base colours each style draws hair, eye and accent (clothing, accessory) colours from.
STYLE_PALETTES: dict[str, dict[str, tuple[str, ...]]] = {
    "cute": {
        "hair": ("#f49ac1", "#f7d774", "#c98b5a", "#b9a2e8", "#ece8f2", "#f39a4a", "#8fdcc2", "#8cc8f0"),
        "eye": ("#3a8ee6", "#e05a9a", "#3cb371", "#e0a030", "#9b59d0"),
        "accent": ("#ff8fb1", "#8ec9ff", "#fff1c9", "#e8394d", "#b8f0c8"),
    },
    "cool": {
        "hair": ("#2a2a35", "#2c3a6b", "#4b2e6b", "#8e2433", "#b8bcc8", "#4a3228", "#1f4f55"),
        "eye": ("#c0303a", "#3b6ea8", "#6a3fb0", "#c8a030", "#1f8a5a", "#6a7080"),
        "accent": ("#24242c", "#7a1f2b", "#1e2a4a", "#f0f0f0", "#3d3d46"),
    },
    "tech": {
        "hair": ("#d6dbe3", "#9fb4d0", "#3fc7d8", "#2a9d8f", "#f2f4f8", "#3b4048", "#7a6cf0"),
        "eye": ("#20c0e0", "#3060f0", "#8a50f0", "#70d040", "#f0a020"),
        "accent": ("#20d0f0", "#60f080", "#e8ecf4", "#ff4fa0", "#3a3f4a"),
    },
}

#: Beta(a, b) parameters of the numeric identity parameters, per style (see the module docstring).
STYLE_SHAPE: dict[str, dict[str, tuple[float, float]]] = {
    "cute": {"face_width": (5, 2), "chin": (2, 5), "eye_size": (5, 2), "eye_shape": (2, 5), "brow_thickness": (2, 4)},
    "cool": {"face_width": (2, 4), "chin": (5, 2), "eye_size": (2, 3), "eye_shape": (5, 2), "brow_thickness": (4, 2)},
    "tech": {"face_width": (3, 3), "chin": (3, 3), "eye_size": (3, 3), "eye_shape": (3, 3), "brow_thickness": (3, 3)},
}

_SOURCE = "face identity"


@dataclass(frozen=True)
class FaceIdentity:
    """Identity parameters of a procedural face; constructing one validates it.

    Attributes:
        style: ``"cute"``, ``"cool"`` or ``"tech"``; only :func:`sample_identity` and clothing use it.
        skin_tone: 0 fair to 1 tan.
        face_width: 0 narrow to 1 wide cheeks.
        chin: 0 round to 1 pointed.
        hair_style: one of :data:`HAIR_STYLES`.
        hair_color, eye_color, accent_color: ``#rrggbb``; the accent colours clothing and accessories.
        eye_shape: 0 round and drooping outer corners to 1 narrow with raised outer corners.
        eye_size: 0 small to 1 large.
        eye_spacing: 0 close to 1 wide apart.
        brow_thickness: 0 thin to 1 thick.
        accessory: one of :data:`ACCESSORIES`.
    """

    style: str = "cute"
    skin_tone: float = 0.2
    face_width: float = 0.5
    chin: float = 0.5
    hair_style: str = "bob"
    hair_color: str = "#c98b5a"
    eye_color: str = "#3a8ee6"
    eye_shape: float = 0.5
    eye_size: float = 0.5
    eye_spacing: float = 0.5
    brow_thickness: float = 0.5
    accessory: str = "none"
    accent_color: str = "#ff8fb1"

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`~anisync.errors.DefinitionError` naming the first bad parameter; colours are lower-cased."""
        check_choice(_SOURCE, "style", self.style, STYLES)
        check_choice(_SOURCE, "hair_style", self.hair_style, HAIR_STYLES)
        check_choice(_SOURCE, "accessory", self.accessory, ACCESSORIES)
        for name in ("skin_tone", "face_width", "chin", "eye_shape", "eye_size", "eye_spacing", "brow_thickness"):
            object.__setattr__(self, name, check_number(_SOURCE, name, getattr(self, name), 0.0, 1.0))
        for name in ("hair_color", "eye_color", "accent_color"):
            object.__setattr__(self, name, check_color(_SOURCE, name, getattr(self, name)))

    def to_dict(self) -> dict:
        """The parameters as a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object, source: str = _SOURCE) -> "FaceIdentity":
        """Build an identity from a dict such as :meth:`to_dict` returns; missing keys take the defaults."""
        data = check_keys(source, data, (f.name for f in fields(cls)), "identity parameter")
        try:
            return cls(**data)
        except DefinitionError as error:
            raise DefinitionError(source, error.key, error.expected, error.got) from None


def sample_identity(rng: np.random.Generator, style: str | None = None) -> FaceIdentity:
    """Draw a random identity from the distribution in this module's docstring.

    Args:
        rng: the generator to draw from; the same generator state gives the same identity.
        style: fix the style class, or ``None`` to draw it uniformly.
    """
    if not isinstance(rng, np.random.Generator):
        raise DefinitionError("sample_identity", "rng", "a numpy.random.Generator", rng)
    if style is None:
        style = STYLES[int(rng.integers(len(STYLES)))]
    check_choice("sample_identity", "style", style, STYLES)
    shape = {name: float(rng.beta(a, b)) for name, (a, b) in STYLE_SHAPE[style].items()}
    palette = STYLE_PALETTES[style]
    return FaceIdentity(
        style=style,
        skin_tone=float(rng.beta(2, 5)),
        hair_style=_weighted_choice(rng, STYLE_HAIR[style]),
        hair_color=jittered_color(rng, palette["hair"]),
        eye_color=jittered_color(rng, palette["eye"]),
        eye_spacing=float(rng.beta(3, 3)),
        accessory=_weighted_choice(rng, STYLE_ACCESSORIES[style]),
        accent_color=jittered_color(rng, palette["accent"]),
        **shape,
    )


def _weighted_choice(rng: np.random.Generator, weights: dict[str, float]) -> str:
    names = list(weights)
    p = np.array([weights[name] for name in names], dtype=float)
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def jittered_color(rng: np.random.Generator, palette: tuple[str, ...]) -> str:
    """One of ``palette``'s ``#rrggbb`` colours, uniform, jittered in HSV as the module docstring says."""
    base = hex_to_rgb(palette[int(rng.integers(len(palette)))])
    h, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in base))
    dh, ds, dv = rng.uniform(-1, 1, 3) * (0.02, 0.08, 0.08)
    r, g, b = colorsys.hsv_to_rgb((h + dh) % 1.0, min(max(s + ds, 0), 1), min(max(v + dv, 0), 1))
    return "#{:02x}{:02x}{:02x}".format(round(r * 255), round(g * 255), round(b * 255))


#: How far (hue, saturation, value) an off-palette colour stays from every palette colour: twice the jitter.
_OFF_PALETTE_MARGIN = (0.04, 0.16, 0.16)


def off_palette_color(rng: np.random.Generator, role: str) -> str:
    """A ``#rrggbb`` colour for ``role`` (``hair``, ``eye`` or ``accent``) that :func:`sample_identity` never
    draws: uniform in HSV (saturation and value 0.25 to 0.95), refused while it lies within twice the
    jitter of any style's palette colour for that role. Faces in these colours test a model on palettes
    held out of its training."""
    check_choice("off_palette_color", "role", role, ("hair", "eye", "accent"))
    bases = [colorsys.rgb_to_hsv(*(c / 255 for c in hex_to_rgb(color)))
             for palette in STYLE_PALETTES.values() for color in palette[role]]
    while True:
        h, s, v = rng.uniform(0, 1), rng.uniform(0.25, 0.95), rng.uniform(0.25, 0.95)
        near = [min(abs(h - bh), 1 - abs(h - bh)) <= _OFF_PALETTE_MARGIN[0] and abs(s - bs) <= _OFF_PALETTE_MARGIN[1]
                and abs(v - bv) <= _OFF_PALETTE_MARGIN[2] for bh, bs, bv in bases]
        if not any(near):
            r, g, b = colorsys.hsv_to_rgb(h, s, v)
            return "#{:02x}{:02x}{:02x}".format(round(r * 255), round(g * 255), round(b * 255))


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    """``"#rrggbb"`` to an ``(r, g, b)`` tuple of 0-255 ints."""
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)
