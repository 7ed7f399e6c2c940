"""The attributes a designer asks the appearance generator for, in one place: names, allowed values, the
one-hot code the networks read, and how each value is recovered exactly from a procedural identity.

=============  ==============================================================================================
attribute      values
=============  ==============================================================================================
style          :data:`anisync.procedural.STYLES` (cute, cool, tech)
hair_style     :data:`anisync.procedural.HAIR_STYLES`
hair_color     the names of :data:`HAIR_COLORS` (black, brown, ginger, ... silver)
eye_color      the names of :data:`EYE_COLORS` (blue, dark_blue, cyan, ... grey)
accessory      :data:`anisync.procedural.ACCESSORIES`
=============  ==============================================================================================

Colours are categorical. A procedural identity's hair and eye colours are one of the base colours of
:data:`anisync.procedural.identity.STYLE_PALETTES`, jittered in HSV (hue +-0.02, saturation and value +-0.08).
Each colour name stands for one or more of those base colours: base colours whose jitter boxes overlap (or
all but touch, so that no picture could tell them apart) share a name, e.g. the five near-whites are all
``silver``; every other pair of names is apart by more than the jitter in hue (for saturated colours),
saturation or value. :func:`color_name` maps a ``#rrggbb`` colour back to its name by the nearest base
colour in jitter units, which recovers the name of every jittered draw exactly (``tests/test_appearance.py``
checks thousands of draws), so the labels of any procedural face (this package's datasets or
``anisync data make``'s) are exact.

The networks read the attributes as one concatenated one-hot row (:func:`one_hot`), in the order of
:data:`ATTRIBUTES` and of each attribute's values; :func:`check_attributes` names an unknown attribute or
value and lists the allowed ones.
"""

from __future__ import annotations

import colorsys
import dataclasses
import json
import zlib
from collections.abc import Mapping
from numbers import Integral

import numpy as np

from ..errors import ModelInputError
from ..procedural.identity import (ACCESSORIES, HAIR_STYLES, STYLES, FaceIdentity, hex_to_rgb, jittered_color,
                                   sample_identity)

#: Hair colour names and the palette base colours each stands for.
HAIR_COLORS: dict[str, tuple[str, ...]] = {
    "black": ("#2a2a35", "#3b4048"),
    "brown": ("#4a3228",),
    "ginger": ("#c98b5a", "#f39a4a"),
    "blonde": ("#f7d774",),
    "pink": ("#f49ac1",),
    "red": ("#8e2433",),
    "lavender": ("#b9a2e8",),
    "purple": ("#4b2e6b",),
    "violet": ("#7a6cf0",),
    "navy": ("#2c3a6b",),
    "light_blue": ("#8cc8f0",),
    "cyan": ("#3fc7d8",),
    "teal": ("#2a9d8f",),
    "dark_teal": ("#1f4f55",),
    "mint": ("#8fdcc2",),
    "silver": ("#9fb4d0", "#b8bcc8", "#d6dbe3", "#ece8f2", "#f2f4f8"),
}

#: Eye colour names and the palette base colours each stands for.
EYE_COLORS: dict[str, tuple[str, ...]] = {
    "blue": ("#3a8ee6", "#3060f0"),
    "dark_blue": ("#3b6ea8",),
    "cyan": ("#20c0e0",),
    "green": ("#3cb371", "#1f8a5a"),
    "lime": ("#70d040",),
    "amber": ("#e0a030", "#c8a030", "#f0a020"),
    "red": ("#c0303a",),
    "pink": ("#e05a9a",),
    "purple": ("#9b59d0", "#6a3fb0", "#8a50f0"),
    "grey": ("#6a7080",),
}

#: Every attribute and its allowed values, in the order of the one-hot code.
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "style": STYLES,
    "hair_style": HAIR_STYLES,
    "hair_color": tuple(HAIR_COLORS),
    "eye_color": tuple(EYE_COLORS),
    "accessory": ACCESSORIES,
}

#: Width of the one-hot code (the sum of the attributes' value counts).
CODE_SIZE = sum(len(values) for values in ATTRIBUTES.values())

#: Where each attribute's values start in the one-hot code.
OFFSETS: dict[str, int] = dict(zip(ATTRIBUTES, np.cumsum([0] + [len(v) for v in ATTRIBUTES.values()])[:-1].tolist()))

#: The HSV jitter of :func:`anisync.procedural.identity.sample_identity`: hue, saturation, value.
JITTER = (0.02, 0.08, 0.08)
#: Below this saturation hue is not told apart (a grey's hue is noise once written as 8-bit RGB).
_GREY = 0.15


#: The largest seed of a face (numpy's generators take any non-negative integer; ONNX and JSON readers
#: want it to fit a signed 64-bit integer).
MAX_SEED = 2**63 - 1


def vocabulary() -> dict[str, list[str]]:
    """The attributes and their values as plain data (what model cards record)."""
    return {name: list(values) for name, values in ATTRIBUTES.items()}


def check_attributes(attributes: object, argument: str = "attributes", complete: bool = True) -> dict[str, str]:
    """``attributes`` as a dict, checked: a mapping from attribute names to allowed values (all of them when
    ``complete``). Raises ModelInputError naming ``argument``, the attribute and the allowed names or values."""
    if not isinstance(attributes, Mapping):
        raise ModelInputError(f"{argument}: expected a mapping of attribute names to values "
                              f"({', '.join(ATTRIBUTES)}), got {type(attributes).__name__}")
    for name, value in attributes.items():
        if name not in ATTRIBUTES:
            raise ModelInputError(f"{argument}: unknown attribute {name!r}; the attributes are {', '.join(ATTRIBUTES)}")
        if value not in ATTRIBUTES[name]:
            raise ModelInputError(f"{argument}: {name} {value!r} is not one of the allowed values: "
                                  + ", ".join(ATTRIBUTES[name]))
    missing = [name for name in ATTRIBUTES if name not in attributes]
    if complete and missing:
        raise ModelInputError(f"{argument}: missing {', '.join(missing)} (every one of {', '.join(ATTRIBUTES)} is needed)")
    return dict(attributes)


def check_seed(seed: object, argument: str = "seed") -> int:
    """``seed`` as an int if it is an integer from 0 to :data:`MAX_SEED`; else ModelInputError naming
    ``argument``."""
    if isinstance(seed, bool) or not isinstance(seed, Integral) or not 0 <= int(seed) <= MAX_SEED:
        raise ModelInputError(f"{argument}: expected an integer from 0 to 2**63 - 1, got {seed!r}")
    return int(seed)


def complete(attributes: Mapping[str, str], seed: int) -> dict[str, str]:
    """``attributes`` with the missing ones drawn from ``seed``: every attribute is drawn uniformly, in
    :data:`ATTRIBUTES` order, from ``numpy.random.default_rng([seed, 1])``, and the given ones replace their
    draws (so fixing one attribute leaves the seed's draws of the others as they were). Raises
    ModelInputError naming an unknown attribute or value and listing the allowed ones."""
    given = check_attributes(attributes, complete=False)
    rng = np.random.default_rng([check_seed(seed), 1])
    drawn = {name: values[int(rng.integers(len(values)))] for name, values in ATTRIBUTES.items()}
    return {**drawn, **given}


def appearance_seed(appearance: Mapping) -> int:
    """The face seed of a character's ``appearance`` (see :data:`anisync.character.CHARACTER_SCHEMA`): its
    ``seed`` when given, else a hash of its attributes, so that copies of one definition look alike."""
    if appearance.get("seed") is not None:
        return check_seed(appearance["seed"], "appearance.seed")
    given = {name: appearance[name] for name in ATTRIBUTES if appearance.get(name) is not None}
    return zlib.crc32(json.dumps(given, sort_keys=True).encode())


def character_attributes(appearance: Mapping) -> tuple[dict[str, str], int]:
    """Every attribute of a character's ``appearance`` (the missing ones drawn by :func:`complete`) and its
    seed (:func:`appearance_seed`): what both face sources draw, so that they agree on who it is. Raises
    ModelInputError naming an unknown key or value."""
    seed = appearance_seed(appearance)
    given = {name: value for name, value in appearance.items() if name not in ("seed", "portrait") and value is not None}
    return complete(given, seed), seed


def indices(attributes: Mapping[str, str]) -> np.ndarray:
    """The value index of each attribute, in :data:`ATTRIBUTES` order (int64 ``[5]``)."""
    checked = check_attributes(attributes)
    return np.array([ATTRIBUTES[name].index(checked[name]) for name in ATTRIBUTES], np.int64)


def one_hot(rows: np.ndarray) -> np.ndarray:
    """The networks' code (float32 ``[n, CODE_SIZE]``) of value indices ``rows`` (``[n, 5]``)."""
    rows = np.asarray(rows, np.int64).reshape(-1, len(ATTRIBUTES))
    code = np.zeros((len(rows), CODE_SIZE), np.float32)
    for k, name in enumerate(ATTRIBUTES):
        code[np.arange(len(rows)), OFFSETS[name] + rows[:, k]] = 1.0
    return code


def from_indices(row) -> dict[str, str]:
    """The attribute dict of one row of value indices."""
    return {name: ATTRIBUTES[name][int(i)] for name, i in zip(ATTRIBUTES, row)}


def _hsv(color: str) -> tuple[float, float, float]:
    return colorsys.rgb_to_hsv(*(c / 255 for c in hex_to_rgb(color)))


def _distance(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """How far colour ``a`` lies from base colour ``b`` in units of the jitter (Chebyshev; hue is left
    out where either is nearly grey)."""
    dh = abs(a[0] - b[0])
    terms = [abs(a[1] - b[1]) / JITTER[1], abs(a[2] - b[2]) / JITTER[2]]
    if min(a[1], b[1]) >= _GREY:
        terms.append(min(dh, 1.0 - dh) / JITTER[0])
    return max(terms)


_BASES = {kind: [(name, _hsv(base)) for name, bases in table.items() for base in bases]
          for kind, table in (("hair_color", HAIR_COLORS), ("eye_color", EYE_COLORS))}


def color_name(color: str, kind: str) -> str:
    """The name (``kind`` "hair_color" or "eye_color") of the base colour nearest ``#rrggbb`` ``color``."""
    hsv = _hsv(color)
    return min(_BASES[kind], key=lambda entry: _distance(hsv, entry[1]))[0]


def attributes_of(identity: FaceIdentity | Mapping) -> dict[str, str]:
    """The attributes of a procedural identity (a :class:`FaceIdentity` or its ``to_dict()``)."""
    data = identity.to_dict() if isinstance(identity, FaceIdentity) else dict(identity)
    return {"style": data["style"], "hair_style": data["hair_style"],
            "hair_color": color_name(data["hair_color"], "hair_color"),
            "eye_color": color_name(data["eye_color"], "eye_color"), "accessory": data["accessory"]}


def sample_appearance(rng: np.random.Generator, attributes: dict[str, str] | None = None) -> FaceIdentity:
    """A procedural identity with ``attributes`` (the missing ones drawn uniformly from
    ``rng``); everything else of the identity is ``sample_identity``'s for the style, and the hair (eye) colour is
    one of its name's base colours, uniform, jittered as ``sample_identity`` jitters palette colours."""
    given = check_attributes(attributes or {}, complete=False)
    chosen = {name: given[name] if name in given else values[int(rng.integers(len(values)))]
              for name, values in ATTRIBUTES.items()}
    identity = sample_identity(rng, style=chosen["style"])
    hair = HAIR_COLORS[chosen["hair_color"]]
    eye = EYE_COLORS[chosen["eye_color"]]
    return dataclasses.replace(identity, hair_style=chosen["hair_style"], accessory=chosen["accessory"],
                               hair_color=jittered_color(rng, (hair[int(rng.integers(len(hair)))],)),
                               eye_color=jittered_color(rng, (eye[int(rng.integers(len(eye)))],)))
