"""Colours of a procedural character, derived from its identity: fills, shading and line colours."""

from __future__ import annotations

from dataclasses import dataclass

from .identity import FaceIdentity, hex_to_rgb

RGB = tuple[int, int, int]

_FAIR = (255, 236, 224)
_TAN = (196, 140, 102)


#: The dark the line art mixes into each fill's colour.
INK: RGB = (40, 26, 38)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """``a`` moved a fraction ``t`` towards ``b``."""
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))  # type: ignore[return-value]


@dataclass(frozen=True)
class Palette:
    """Every colour the renderer paints with. Line colours are dark, saturated shades of their fill, as in
    cel-shaded anime art. Blush and tears are mixed into the skin colour by their intensity when drawn
    (Pillow does not blend translucent fills on RGBA images)."""

    skin: RGB
    skin_shade: RGB
    skin_line: RGB
    hair: RGB
    hair_shade: RGB
    hair_shine: RGB
    hair_line: RGB
    brow: RGB
    lash: RGB
    eye_white: RGB
    eye_white_shade: RGB
    iris: RGB
    iris_dark: RGB
    iris_light: RGB
    mouth_line: RGB
    mouth_inside: RGB
    tongue: RGB
    teeth: RGB
    blush: RGB
    blush_line: RGB
    tear: RGB
    tear_line: RGB
    gloom: RGB
    accent: RGB
    accent_line: RGB
    cloth: RGB
    cloth_line: RGB

    @classmethod
    def of(cls, identity: FaceIdentity) -> "Palette":
        """The palette of an identity."""
        skin = mix(_FAIR, _TAN, identity.skin_tone)
        hair = hex_to_rgb(identity.hair_color)
        iris = hex_to_rgb(identity.eye_color)
        accent = hex_to_rgb(identity.accent_color)
        cloth = {"cute": (246, 246, 250), "cool": mix(accent, (20, 20, 26), 0.5), "tech": (58, 62, 74)}[identity.style]
        return cls(
            skin=skin,
            skin_shade=mix(skin, (200, 110, 120), 0.28),
            skin_line=mix(skin, (110, 50, 50), 0.6),
            hair=hair,
            hair_shade=mix(hair, (30, 20, 50), 0.28),
            hair_shine=mix(hair, (255, 255, 255), 0.4),
            hair_line=mix(hair, INK, 0.7),
            brow=mix(hair, INK, 0.6),
            lash=mix(hair, INK, 0.85),
            eye_white=(252, 252, 255),
            eye_white_shade=(214, 218, 236),
            iris=iris,
            iris_dark=mix(iris, INK, 0.6),
            iris_light=mix(iris, (255, 255, 255), 0.45),
            mouth_line=(110, 40, 48),
            mouth_inside=(150, 45, 60),
            tongue=(236, 120, 130),
            teeth=(255, 255, 255),
            blush=(255, 120, 140),
            blush_line=(230, 70, 100),
            tear=(160, 215, 255),
            tear_line=(70, 140, 220),
            # Gloom lines hang over the bangs: light on dark hair, dark on light hair.
            gloom=(170, 165, 240) if sum(hair) < 330 else (70, 60, 140),
            accent=accent,
            accent_line=mix(accent, INK, 0.65),
            cloth=cloth,
            cloth_line=mix(cloth, INK, 0.7),
        )
