"""Emotion state of a character (seed 004, eq. 19): a vector in (0,1)^7 with mood and personality layers."""

from __future__ import annotations

#: The seven emotion labels (MELD's), in the order every emotion vector in anisync uses.
EMOTIONS: tuple[str, ...] = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")
