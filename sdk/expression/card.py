"""Model cards: the JSON beside a shipped ONNX model (``NAME.json`` for ``NAME.onnx``) that records how it
was made and the sha256 of its bytes, which every runtime checks at load. The onnxruntime sessions
themselves are :mod:`anisync.sessions`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..errors import ModelLoadError

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


def checked_card(model_path: str | Path) -> dict | None:
    """The model card beside ``model_path`` (None when there is none), after checking that it records the
    file's sha256; raises ModelLoadError naming the file when the card is unreadable or does not match."""
    model_path = Path(model_path)
    card_file = card_path(model_path)
    if not card_file.is_file():
        return None
    try:
        card = json.loads(card_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ModelLoadError(f"{card_file}: unreadable model card ({error})") from None
    expected = card.get("sha256") if isinstance(card, dict) else None
    actual = sha256_of(model_path)
    if expected != actual:
        raise ModelLoadError(f"{model_path}: sha256 {actual} does not match its model card {card_file} ({expected})")
    return card
