"""Errors raised by anisync. Every one derives from :class:`AnisyncError`, so game code can catch them all."""

from __future__ import annotations


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
        found = "it is missing" if missing else f"got {got!r}"
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
