"""Validation of procedural-face parameters; every failure is a :class:`~anisync.errors.DefinitionError`."""

from __future__ import annotations

import math
import re
from numbers import Real
from typing import Iterable

from ..errors import DefinitionError

_HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def check_number(source: str, key: str, value: object, lo: float, hi: float) -> float:
    """Return ``value`` as a float if it is a finite real number in ``[lo, hi]``."""
    if isinstance(value, bool) or not isinstance(value, Real) or math.isnan(value) or not lo <= value <= hi:
        raise DefinitionError(source, key, f"a number in [{lo:g}, {hi:g}]", value)
    return float(value)


def check_choice(source: str, key: str, value: object, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        raise DefinitionError(source, key, "one of " + ", ".join(choices), value)
    return value  # type: ignore[return-value]


def check_color(source: str, key: str, value: object) -> str:
    """Return a ``#rrggbb`` colour string, lower-cased."""
    if not isinstance(value, str) or not _HEX_COLOR.match(value):
        raise DefinitionError(source, key, "a colour written #rrggbb", value)
    return value.lower()


def check_keys(source: str, data: object, known: Iterable[str], what: str) -> dict:
    """Check that ``data`` is a mapping whose keys are all in ``known``; return it as a dict."""
    if not isinstance(data, dict):
        raise DefinitionError(source, "", f"a mapping of {what}", data)
    known = tuple(known)
    for key in data:
        if key not in known:
            raise DefinitionError(source, str(key), f"a known {what} name (" + ", ".join(known) + ")", key)
    return dict(data)
