"""Errors raised by anisync. Every one derives from :class:`AnisyncError`, so game code can catch them all."""

from __future__ import annotations

import difflib
import reprlib
from typing import Iterable

#: How much of a bad value a message quotes: a value from a hostile file may be megabytes long, or nested
#: deep, so messages show a short excerpt (the whole value stays in the error's ``got``).
_EXCERPT = reprlib.Repr()
_EXCERPT.maxlevel, _EXCERPT.maxstring, _EXCERPT.maxother, _EXCERPT.maxlong = 3, 80, 80, 40
_EXCERPT.maxdict = _EXCERPT.maxlist = _EXCERPT.maxtuple = _EXCERPT.maxset = 6


def excerpt(value: object) -> str:
    """A short ``repr`` of ``value`` for an error message (at most a line, whatever the value)."""
    return _EXCERPT.repr(value)


def nearest(name: str, known: Iterable[str], listed: int = 12) -> str:
    """An error message's hint for a misspelled ``name``: the known names closest to it (ignoring case),
    then up to ``listed`` of them all, e.g. ``"did you mean 'mira'? (known: bram, mira, yuki)"``."""
    known = sorted(known)
    by_lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.6)
    shown = ", ".join(known[:listed]) + (f" and {len(known) - listed} more" if len(known) > listed else "")
    hint = f"did you mean {' or '.join(repr(by_lower[c]) for c in close)}? " if close else ""
    return f"{hint}(known: {shown or 'none'})"


class AnisyncError(Exception):
    """Base class of every error anisync raises on purpose."""


class DefinitionError(AnisyncError):
    """A definition (YAML file or parameter set) is malformed.

    Attributes:
        source: the file (or other origin, such as ``"appearance parameters"``) the bad value came from,
            or ``None`` when it did not come from a file.
        key: dotted path of the offending key inside the source (``"appraisal.greet.joy"``).
        expected: what would have been accepted.
        got: the value that was found (``None`` when the key is missing).
    """

    def __init__(self, source: object, key: str, expected: str, got: object = None, *, missing: bool = False):
        self.source = None if source is None else str(source)
        self.key = key
        self.expected = expected
        self.got = got
        found = "it is missing" if missing else f"got {excerpt(got)}"
        where = f"{self.source}: " if self.source else ""
        super().__init__(f"{where}{key or '<top level>'}: expected {expected}, {found}")


class ModelLoadError(AnisyncError):
    """An ONNX model is missing, corrupt, does not match its model card, or has an unexpected signature."""


class ModelInputError(AnisyncError):
    """An argument passed to a model has the wrong shape, dtype, range or value."""


class EventError(AnisyncError):
    """An event is malformed or addressed to nobody the runtime knows."""


class InvalidArgumentError(AnisyncError, ValueError):
    """A function argument is out of range or of the wrong kind; the message names the argument."""


class SnapshotError(InvalidArgumentError):
    """A snapshot handed to :meth:`anisync.Runtime.restore` is malformed; nothing was changed. (An
    InvalidArgumentError too, as restore raised before it existed.)

    Attributes:
        path: where inside the snapshot the bad value is (``"characters.mira.emotion.vector[2]"``).
    """

    def __init__(self, path: str, problem: str):
        self.path, self.problem = path, problem
        super().__init__(f"snapshot {path or '<top level>'}: {problem}")


class CallbackError(AnisyncError):
    """Raised after an update by ``Runtime(raise_callback_errors=True)`` when a subscriber raised; the
    first subscriber's exception is its ``__cause__``."""
