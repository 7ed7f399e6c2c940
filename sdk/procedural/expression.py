"""Expression parameters of a procedural face and the mapping from the seven-emotion vector to them.

The expression parameters are the facial actions the renderer draws. A game can set them directly (blink,
lip sync, a VRM preset) or derive them from an emotion vector with :meth:`ExpressionParams.from_emotions`.

==================  ========  =====  =========================================================  ==========================
parameter           range     rest   what it does                                               known as
==================  ========  =====  =========================================================  ==========================
eye_open            0..1      0.75   upper lids: 0 closed, 0.75 relaxed, 1 wide open            Live2D ParamEyeL/ROpen
eye_smile           0..1      0      lower lids rise; 1 closes the eyes into ^ ^ arcs           Live2D ParamEyeL/RSmile
brow_raise          0..1      0      both brows lift (FACS AU1+2)                               Live2D ParamBrowL/RY > 0
brow_lower          0..1      0      brows drop, inner ends pull down and together (AU4)        Live2D ParamBrowL/RY < 0
brow_inner_up       0..1      0      inner brow ends rise, the worried slant (AU1)              Live2D ParamBrowL/RAngle
mouth_open          0..1      0      jaw drop                                                   Live2D ParamMouthOpenY
mouth_form          -1..1     0      mouth corners down (-1) or up (+1)                         Live2D ParamMouthForm
mouth_width         -1..1     0      rounded and narrow (-1) to stretched wide (+1)             VRM ou / ee visemes
upper_lip_raise     0..1      0      one side of the upper lip lifts and bares teeth            FACS AU10 (sneer)
blush               0..1      0      cheek blush                                                Live2D ParamCheek
tears               0..1      0      tears well on the lower lids, then run down the cheeks
sweat               0..1      0      the anime sweat drop at the temple (the side facing you)
gloom               0..1      0      dark vertical lines over the forehead (anime dread, 'ugh')
==================  ========  =====  =========================================================  ==========================

Emotion to expression mapping (:data:`EMOTION_TABLE`, one row per emotion at full intensity; the neutral
row is the rest pose):

=========  ====  =====  =====  =====  =======  =====  =====  =====  =====  =====  =====  =====  =====
emotion    eye_  eye_   brow_  brow_  brow_    mouth  mouth  mouth  upper  blush  tears  sweat  gloom
           open  smile  raise  lower  inner_up _open  _form  _width _lip
=========  ====  =====  =====  =====  =======  =====  =====  =====  =====  =====  =====  =====  =====
anger      0.55  0      0      1      0        0.45   -0.8   0.5    0.6    0      0      0      0
disgust    0.4   0.3    0      0.6    0.2      0.15   -0.6   0.4    1      0      0      0      1
fear       1     0      0.6    0.1    1        0.35   -0.6   0.6    0      0      0.25   1      0.5
joy        0.75  1      0.3    0      0        0.7    1      0.3    0      0.8    0      0      0
neutral    0.75  0      0      0      0        0      0      0      0      0      0      0      0
sadness    0.45  0      0      0.2    1        0.15   -1     -0.1   0      0      1      0      0
surprise   1     0      1      0      0.15     0.55   0      -0.5   0      0.2    0      0      0
=========  ====  =====  =====  =====  =======  =====  =====  =====  =====  =====  =====  =====  =====

Blending: with emotion intensities ``e`` (each in [0, 1]) and ``s = max(1, sum(e))``, every parameter is
``rest + sum_i (e_i / s) * (row_i - rest)``. A single emotion at intensity ``t`` moves the face ``t`` of the way
from rest to its row; a mixture whose intensities sum to at most 1 (a probability vector, for example) is a
convex combination of the rows and the rest pose, so it always lies between the pure expressions; larger sums
are scaled down to keep it so. Neutral adds nothing but dilutes the others.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Iterable, Mapping, NamedTuple

import numpy as np

from ..emotion import EMOTIONS
from ..errors import DefinitionError
from ._checks import check_keys, check_number

_SOURCE = "expression parameters"


class ParamSpec(NamedTuple):
    """Range and rest value of one expression parameter."""

    name: str
    lo: float
    hi: float
    rest: float


#: Every expression parameter, in the order of :meth:`ExpressionParams.to_vector`.
PARAM_SPECS: tuple[ParamSpec, ...] = (
    ParamSpec("eye_open", 0.0, 1.0, 0.75),
    ParamSpec("eye_smile", 0.0, 1.0, 0.0),
    ParamSpec("brow_raise", 0.0, 1.0, 0.0),
    ParamSpec("brow_lower", 0.0, 1.0, 0.0),
    ParamSpec("brow_inner_up", 0.0, 1.0, 0.0),
    ParamSpec("mouth_open", 0.0, 1.0, 0.0),
    ParamSpec("mouth_form", -1.0, 1.0, 0.0),
    ParamSpec("mouth_width", -1.0, 1.0, 0.0),
    ParamSpec("upper_lip_raise", 0.0, 1.0, 0.0),
    ParamSpec("blush", 0.0, 1.0, 0.0),
    ParamSpec("tears", 0.0, 1.0, 0.0),
    ParamSpec("sweat", 0.0, 1.0, 0.0),
    ParamSpec("gloom", 0.0, 1.0, 0.0),
)

#: Names of the expression parameters, in vector order.
EXPRESSION_PARAMS: tuple[str, ...] = tuple(spec.name for spec in PARAM_SPECS)


@dataclass(frozen=True)
class ExpressionParams:
    """Facial action parameters (see the module docstring for ranges and meaning); constructing one validates it.

    The defaults are the rest (neutral) pose.
    """

    eye_open: float = 0.75
    eye_smile: float = 0.0
    brow_raise: float = 0.0
    brow_lower: float = 0.0
    brow_inner_up: float = 0.0
    mouth_open: float = 0.0
    mouth_form: float = 0.0
    mouth_width: float = 0.0
    upper_lip_raise: float = 0.0
    blush: float = 0.0
    tears: float = 0.0
    sweat: float = 0.0
    gloom: float = 0.0

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`~anisync.errors.DefinitionError` naming the first parameter out of its range or not a number."""
        for spec in PARAM_SPECS:
            object.__setattr__(self, spec.name, check_number(_SOURCE, spec.name, getattr(self, spec.name), spec.lo, spec.hi))

    def to_vector(self, dtype: type = np.float32) -> np.ndarray:
        """The parameters as a vector in :data:`EXPRESSION_PARAMS` order."""
        return np.array([getattr(self, name) for name in EXPRESSION_PARAMS], dtype=dtype)

    @classmethod
    def from_vector(cls, vector: Iterable[float]) -> "ExpressionParams":
        """Inverse of :meth:`to_vector`."""
        values = [float(v) for v in np.asarray(vector, dtype=np.float64).ravel()]
        if len(values) != len(EXPRESSION_PARAMS):
            raise DefinitionError(_SOURCE, "vector", f"{len(EXPRESSION_PARAMS)} values", len(values))
        return cls(*values)

    def to_dict(self) -> dict[str, float]:
        """The parameters as a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object, source: str = _SOURCE) -> "ExpressionParams":
        """Build parameters from a dict; missing keys keep their rest value, unknown keys are an error."""
        data = check_keys(source, data, EXPRESSION_PARAMS, "expression parameter")
        try:
            return cls(**data)
        except DefinitionError as error:
            raise DefinitionError(source, error.key, error.expected, error.got) from None

    @classmethod
    def from_emotions(cls, emotions: Mapping[str, float] | Iterable[float]) -> "ExpressionParams":
        """The documented emotion-to-expression mapping (module docstring, :data:`EMOTION_TABLE`).

        Args:
            emotions: seven intensities in :data:`~anisync.emotion.EMOTIONS` order, or a mapping from emotion
                names to intensities (missing names are 0). Each intensity must lie in [0, 1].
        """
        intensities = emotion_vector(emotions)
        weights = intensities / max(1.0, float(intensities.sum()))
        rest = REST.to_vector(np.float64)
        table = np.stack([EMOTION_TABLE[name].to_vector(np.float64) for name in EMOTIONS])
        values = rest + weights @ (table - rest)
        # Convex combination of in-range rows: clip only float rounding.
        lo = np.array([s.lo for s in PARAM_SPECS])
        hi = np.array([s.hi for s in PARAM_SPECS])
        return cls.from_vector(np.clip(values, lo, hi))

    @staticmethod
    def blend(weighted: Iterable[tuple["ExpressionParams", float]]) -> "ExpressionParams":
        """Weighted mix of parameter sets, e.g. VRM presets: ``rest + sum w_i (p_i - rest)``, weights scaled to sum <= 1."""
        pairs = list(weighted)
        weights = np.array([check_number("blend", f"weight[{i}]", w, 0.0, 1.0) for i, (_, w) in enumerate(pairs)])
        weights = weights / max(1.0, float(weights.sum()))
        rest = REST.to_vector(np.float64)
        values = rest + sum(w * (p.to_vector(np.float64) - rest) for (p, _), w in zip(pairs, weights))
        return ExpressionParams.from_vector(values)

    def with_mouth_shape(self, shape: str, weight: float = 1.0) -> "ExpressionParams":
        """Move the mouth ``weight`` of the way to a lip-sync shape of :data:`MOUTH_SHAPES`; the rest stays."""
        if shape not in MOUTH_SHAPES:
            raise DefinitionError(_SOURCE, "mouth shape", "one of " + ", ".join(MOUTH_SHAPES), shape)
        weight = check_number(_SOURCE, "mouth shape weight", weight, 0.0, 1.0)
        target = MOUTH_SHAPES[shape]
        return replace(self, **{k: (1 - weight) * getattr(self, k) + weight * v for k, v in target.items()})


def emotion_vector(emotions: Mapping[str, float] | Iterable[float]) -> np.ndarray:
    """Validate an emotion vector (sequence in :data:`EMOTIONS` order or name mapping) into a float64 array."""
    if isinstance(emotions, Mapping):
        check_keys("emotions", dict(emotions), EMOTIONS, "emotion")
        values = [emotions.get(name, 0.0) for name in EMOTIONS]
    else:
        values = None if isinstance(emotions, (str, bytes)) else list(np.asarray(emotions, dtype=object).ravel())
        if values is None or len(values) != len(EMOTIONS):
            raise DefinitionError("emotions", "", f"{len(EMOTIONS)} intensities ({', '.join(EMOTIONS)})", emotions)
    return np.array([check_number("emotions", name, v, 0.0, 1.0) for name, v in zip(EMOTIONS, values)])


#: The rest pose; every blend starts here.
REST = ExpressionParams()

#: Each emotion at full intensity (the table in the module docstring).
EMOTION_TABLE: dict[str, ExpressionParams] = {
    "anger": ExpressionParams(eye_open=0.55, brow_lower=1, mouth_open=0.45, mouth_form=-0.8, mouth_width=0.5,
                              upper_lip_raise=0.6),
    "disgust": ExpressionParams(eye_open=0.4, eye_smile=0.3, brow_lower=0.6, brow_inner_up=0.2, mouth_open=0.15,
                                mouth_form=-0.6, mouth_width=0.4, upper_lip_raise=1, gloom=1),
    "fear": ExpressionParams(eye_open=1, brow_raise=0.6, brow_lower=0.1, brow_inner_up=1, mouth_open=0.35,
                             mouth_form=-0.6, mouth_width=0.6, tears=0.25, sweat=1, gloom=0.5),
    "joy": ExpressionParams(eye_smile=1, brow_raise=0.3, mouth_open=0.7, mouth_form=1, mouth_width=0.3, blush=0.8),
    "neutral": REST,
    "sadness": ExpressionParams(eye_open=0.45, brow_lower=0.2, brow_inner_up=1, mouth_open=0.15, mouth_form=-1,
                                mouth_width=-0.1, tears=1),
    "surprise": ExpressionParams(eye_open=1, brow_raise=1, brow_inner_up=0.15, mouth_open=0.55, mouth_width=-0.5,
                                 blush=0.2),
}

#: VRM 1.0 emotion presets as expression parameters; mix them with :meth:`ExpressionParams.blend`.
VRM_PRESETS: dict[str, ExpressionParams] = {
    "neutral": REST,
    "happy": EMOTION_TABLE["joy"],
    "angry": EMOTION_TABLE["anger"],
    "sad": EMOTION_TABLE["sadness"],
    "surprised": EMOTION_TABLE["surprise"],
    # VRM's "relaxed" has no MELD emotion: soft smile, lowered lids.
    "relaxed": ExpressionParams(eye_open=0.45, eye_smile=0.35, mouth_form=0.5, blush=0.2),
}

#: Lip-sync mouth shapes (rest and the vowels A, I, U, E, O; VRM visemes aa, ih, ou, ee, oh) as mouth parameters.
MOUTH_SHAPES: dict[str, dict[str, float]] = {
    "rest": {"mouth_open": 0.0, "mouth_width": 0.0},
    "A": {"mouth_open": 0.9, "mouth_width": 0.2},
    "I": {"mouth_open": 0.25, "mouth_width": 0.9},
    "U": {"mouth_open": 0.3, "mouth_width": -1.0},
    "E": {"mouth_open": 0.5, "mouth_width": 0.6},
    "O": {"mouth_open": 0.7, "mouth_width": -0.7},
}
