"""Model cards: the JSON beside a shipped ONNX model (``NAME.json`` for ``NAME.onnx``) that records how
it was made and the sha256 of its bytes, which loaders check."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def card_path(model_path: str | Path) -> Path:
    """Where a model's card lies: beside it, ``NAME.json`` for ``NAME.onnx``."""
    return Path(model_path).with_suffix(".json")
