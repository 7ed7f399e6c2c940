"""MELD's text (Poria et al., ACL 2019; GPL-3.0): the dialogues the classifier learns from and is measured
on, read from the dataset's CSV files, and their token features cached once for training.

The files live outside the package (``../shared/datasets/meld/`` in the development checkout, or any
folder given with ``--meld``) and never go into it: only a model trained on them ships, and its card names
the dataset and its licence.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..emotion import EMOTION_INDEX, EMOTIONS
from ..errors import InvalidArgumentError
from ..expression.card import sha256_of
from ..progress import progress
from .encoder import SentenceEncoder, shared_encoder

#: MELD's splits and their files.
SPLITS = {"train": "train_sent_emo.csv", "dev": "dev_sent_emo.csv", "test": "test_sent_emo.csv"}
#: The dataset's folder in the development checkout (beside the repository).
DEFAULT_MELD = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "meld"
#: Its licence, for model cards.
LICENCE = "GPL-3.0"


@dataclass(frozen=True)
class Utterance:
    """One line of a MELD dialogue: who said what, with which emotion (an index into EMOTIONS)."""

    dialogue: int
    turn: int
    speaker: str
    text: str
    emotion: int


def read_split(folder: str | Path, split: str) -> list[Utterance]:
    """The utterances of one split, in dialogue and turn order; InvalidArgumentError naming the file when
    it is missing or lacks a column."""
    if split not in SPLITS:
        raise InvalidArgumentError(f"split: expected one of {', '.join(SPLITS)}, got {split!r}")
    path = Path(folder) / SPLITS[split]
    if not path.is_file():
        raise InvalidArgumentError(f"{path}: no such file; --meld names the folder of MELD's CSV files "
                                   f"({', '.join(SPLITS.values())})")
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    try:
        utterances = [Utterance(int(row["Dialogue_ID"]), int(row["Utterance_ID"]), row["Speaker"],
                                row["Utterance"], EMOTION_INDEX[row["Emotion"]]) for row in rows]
    except KeyError as error:
        raise InvalidArgumentError(f"{path}: a row lacks {error}; expected MELD's columns Utterance, Speaker, "
                                   "Emotion, Dialogue_ID, Utterance_ID") from None
    return sorted(utterances, key=lambda u: (u.dialogue, u.turn))


def dialogues(utterances: list[Utterance]) -> list[list[int]]:
    """Indices of ``utterances`` grouped by dialogue, each in turn order."""
    groups: dict[int, list[int]] = {}
    for index, utterance in enumerate(utterances):
        groups.setdefault(utterance.dialogue, []).append(index)
    return list(groups.values())


def weighted_f1(labels: np.ndarray, predicted: np.ndarray) -> float:
    """MELD's measure: F1 per emotion, averaged with each emotion's share of the true labels as weight."""
    from sklearn.metrics import f1_score

    return float(f1_score(labels, predicted, labels=range(len(EMOTIONS)), average="weighted", zero_division=0))


def cached_features(folder: str | Path, split: str, cache: str | Path,
                    encoder: SentenceEncoder | None = None) -> dict[str, np.ndarray]:
    """Token features of a split's utterances, computed once by ``encoder`` (default: the shipped one) and
    kept in ``cache/meld-SPLIT-SHA.npz``, SHA naming the encoder's file.

    Ragged: ``tokens`` holds every utterance's token features one after another (float16), utterance i
    owning rows ``offsets[i]:offsets[i + 1]``; ``labels`` are the emotion indices. Texts are the files'
    own (the speakers' words as written, including MELD's stray encoding marks).
    """
    encoder = encoder or shared_encoder()
    path = Path(cache) / f"meld-{split}-{sha256_of(encoder.path)[:12]}.npz"
    if path.is_file():
        return dict(np.load(path))
    utterances = read_split(folder, split)
    pieces = [encoder.encode(u.text).astype(np.float16) for u in progress(utterances, desc=f"encoding MELD {split}")]
    lengths = np.array([len(piece) for piece in pieces])
    features = {"tokens": np.concatenate(pieces), "offsets": np.concatenate([[0], np.cumsum(lengths)]),
                "labels": np.array([u.emotion for u in utterances], np.int64)}
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **features)
    return features
