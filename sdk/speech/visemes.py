"""Visemes: the mouth shapes of speech, in the three sets game developers use, and what each draws.

One table, per viseme of OVR LipSync's 15 (the most detailed set; every phoneme maps to one): the ARPAbet
phonemes it shows, the Rhubarb Lip Sync shape (A-H and X) and the VRM 1.0 mouth expression (aa, ih, ou,
ee, oh; ``rest`` for a closed or resting mouth) it becomes in the smaller sets, and the expression
parameters it draws (``mouth_open`` 0 to 1, ``mouth_width`` -1 rounded to 1 stretched; ``mouth_form``,
the corners, is left to the emotion):

======  ==========================  =======  =====  ==========  ===========
OVR     ARPAbet phonemes            Rhubarb  VRM    mouth_open  mouth_width
======  ==========================  =======  =====  ==========  ===========
sil     (silence, pauses)           X        rest   0.00         0.0
PP      P B M                       A        rest   0.00        -0.1
FF      F V                         G        ih     0.10         0.2
TH      TH DH                       B        ih     0.20         0.2
DD      T D                         B        ih     0.25         0.3
kk      K G NG HH                   B        ih     0.30         0.2
CH      CH JH SH ZH                 B        ou     0.20        -0.5
SS      S Z                         B        ee     0.15         0.6
nn      N L                         B        ih     0.20         0.2
RR      R ER                        E        ou     0.25        -0.4
aa      AA AE AH (AY, AW: start)    D        aa     0.90         0.2
E       EH (EY: start)              C        ee     0.50         0.6
ih      IH IY Y (AY, OY, EY: end)   B        ih     0.25         0.9
oh      AO (OW, OY: start)          E        oh     0.70        -0.7
ou      UW UH W (AW, OW: end)       F        ou     0.30        -1.0
======  ==========================  =======  =====  ==========  ===========

The vowel rows draw exactly the mouth shapes of :data:`anisync.procedural.expression.MOUTH_SHAPES` (aa = A,
E = E, ih = I, oh = O, ou = U), the shapes the expression editor is trained and measured on. Diphthongs
(AY, AW, EY, OW, OY) are two visemes, their first half and their second. Rhubarb's H (a long L) is not
used: OVR folds L into ``nn`` with N.
"""

from __future__ import annotations

from typing import NamedTuple

from ..errors import InvalidArgumentError


class TimedViseme(NamedTuple):
    """One viseme of a line: from ``start`` to ``end`` seconds after the line begins, the OVR ``viseme``
    and the ``phoneme`` it shows (``""`` for a pause)."""

    start: float
    end: float
    viseme: str
    phoneme: str


class VisemeRow(NamedTuple):
    """One row of the table in the module docstring."""

    phonemes: tuple[str, ...]
    rhubarb: str
    vrm: str
    mouth_open: float
    mouth_width: float


#: The table of the module docstring, keyed by OVR viseme.
VISEMES: dict[str, VisemeRow] = {
    "sil": VisemeRow((), "X", "rest", 0.0, 0.0),
    "PP": VisemeRow(("P", "B", "M"), "A", "rest", 0.0, -0.1),
    "FF": VisemeRow(("F", "V"), "G", "ih", 0.1, 0.2),
    "TH": VisemeRow(("TH", "DH"), "B", "ih", 0.2, 0.2),
    "DD": VisemeRow(("T", "D"), "B", "ih", 0.25, 0.3),
    "kk": VisemeRow(("K", "G", "NG", "HH"), "B", "ih", 0.3, 0.2),
    "CH": VisemeRow(("CH", "JH", "SH", "ZH"), "B", "ou", 0.2, -0.5),
    "SS": VisemeRow(("S", "Z"), "B", "ee", 0.15, 0.6),
    "nn": VisemeRow(("N", "L"), "B", "ih", 0.2, 0.2),
    "RR": VisemeRow(("R", "ER"), "E", "ou", 0.25, -0.4),
    "aa": VisemeRow(("AA", "AE", "AH"), "D", "aa", 0.9, 0.2),
    "E": VisemeRow(("EH",), "C", "ee", 0.5, 0.6),
    "ih": VisemeRow(("IH", "IY", "Y"), "B", "ih", 0.25, 0.9),
    "oh": VisemeRow(("AO",), "E", "oh", 0.7, -0.7),
    "ou": VisemeRow(("UW", "UH", "W"), "F", "ou", 0.3, -1.0),
}

#: Diphthongs: the two visemes of their first and second half.
DIPHTHONGS: dict[str, tuple[str, str]] = {
    "AY": ("aa", "ih"), "AW": ("aa", "ou"), "EY": ("E", "ih"), "OW": ("oh", "ou"), "OY": ("oh", "ih"),
}

#: Each monophthong's OVR viseme.
PHONEME_VISEME: dict[str, str] = {phoneme: name for name, row in VISEMES.items() for phoneme in row.phonemes}

#: The viseme sets: their names, in a fixed order (OVR's as in its documentation).
VISEME_SETS: dict[str, tuple[str, ...]] = {
    "ovr": tuple(VISEMES),
    "rhubarb": ("A", "B", "C", "D", "E", "F", "G", "H", "X"),
    "vrm": ("rest", "aa", "ih", "ou", "ee", "oh"),
}


def check_viseme_set(name: object) -> str:
    """``name`` if it names a viseme set; InvalidArgumentError otherwise."""
    if name not in VISEME_SETS:
        raise InvalidArgumentError(f"viseme set: expected one of {', '.join(VISEME_SETS)}, got {name!r}")
    return name  # type: ignore[return-value]


def in_set(viseme: str, viseme_set: str) -> str:
    """The name an OVR ``viseme`` goes by in ``viseme_set`` (``ovr``, ``rhubarb`` or ``vrm``)."""
    check_viseme_set(viseme_set)
    if viseme not in VISEMES:
        raise InvalidArgumentError(f"viseme: expected an OVR viseme ({', '.join(VISEMES)}), got {viseme!r}")
    return viseme if viseme_set == "ovr" else getattr(VISEMES[viseme], viseme_set)


def phoneme_visemes(phoneme: str, start: float, end: float) -> list[TimedViseme]:
    """One ARPAbet ``phoneme`` sounding from ``start`` to ``end`` seconds as visemes (a diphthong as its
    two halves)."""
    halves = DIPHTHONGS.get(phoneme)
    if halves is None:
        return [TimedViseme(start, end, PHONEME_VISEME[phoneme], phoneme)]
    middle = (start + end) / 2
    return [TimedViseme(start, middle, halves[0], phoneme), TimedViseme(middle, end, halves[1], phoneme)]


def mouth_of(viseme: str) -> dict[str, float]:
    """The mouth parameters an OVR ``viseme`` draws (the table's last two columns)."""
    row = VISEMES[viseme]
    return {"mouth_open": row.mouth_open, "mouth_width": row.mouth_width}
