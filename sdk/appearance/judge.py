"""The attribute judge: an independent classifier of the five attributes, trained only on procedural renders.

It reads style, hair style, hair colour, eye colour and accessory off a 64x64 RGBA face, and its
penultimate layer is the embedding the evaluation measures distributions in (Fréchet distance,
precision and recall, diversity, nearest neighbours). It never sees a generated face in training, so it
credits a generator only with what a procedural render of those attributes would show; its own accuracy
on held-out real renders is reported beside its verdicts (``anisync train appearance-judge`` prints it,
its card records it, ``anisync eval appearance`` repeats it).

Network: :class:`anisync.appearance.classifier.AttributeClassifier`, trained with the sum of the five
cross-entropies, Adam 1e-3, on the train split; exported to ONNX (input ``image``, float32
``[batch, 4, 64, 64]`` in [-1, 1]; outputs ``logits`` and ``embedding``) and run with onnxruntime by
:class:`AttributeJudge`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import ModelLoadError
from ..expression.card import checked_card
from ..sessions import checked_signature, open_session
from .attributes import ATTRIBUTES, OFFSETS, vocabulary
from .generator import to_network

#: The judge's graph: input and output names with their ranks, all float32 (see checked_signature).
SIGNATURE = {"inputs": {"image": 4}, "outputs": {"logits": 2, "embedding": 2}}


class AttributeJudge:
    """An exported attribute judge behind onnxruntime (CPU)."""

    def __init__(self, path: str | Path, threads: int = 1):
        self.path = Path(path)
        if not self.path.is_file():
            raise ModelLoadError(f"{self.path}: no such model file")
        self.card = checked_card(self.path)
        if self.card is not None and self.card.get("attributes", vocabulary()) != vocabulary():
            raise ModelLoadError(f"{self.path}: judges other attributes than this SDK's {vocabulary()}")
        self.session = open_session(self.path, threads, ["CPUExecutionProvider"])
        checked_signature(self.session, self.path, SIGNATURE)

    def read(self, faces: np.ndarray, batch: int = 128) -> tuple[np.ndarray, np.ndarray]:
        """Value indices ``[n, 5]`` (ATTRIBUTES order) and embeddings ``[n, E]`` of uint8 RGBA faces."""
        logits, embeddings = [], []
        for start in range(0, len(faces), batch):
            out = self.session.run(["logits", "embedding"], {"image": to_network(faces[start:start + batch])})
            logits.append(out[0])
            embeddings.append(out[1])
        return predictions(np.concatenate(logits)), np.concatenate(embeddings)


def predictions(logits: np.ndarray) -> np.ndarray:
    """The most likely value of each attribute from logits laid out as the one-hot code."""
    return np.stack([logits[:, OFFSETS[name]:OFFSETS[name] + len(values)].argmax(1)
                     for name, values in ATTRIBUTES.items()], axis=1)


def macro_f1(truth: np.ndarray, predicted: np.ndarray, classes: int) -> float:
    """Macro-averaged F1 over the classes that occur in ``truth`` or ``predicted``."""
    scores = []
    for k in range(classes):
        tp = int(((predicted == k) & (truth == k)).sum())
        fp = int(((predicted == k) & (truth != k)).sum())
        fn = int(((predicted != k) & (truth == k)).sum())
        if tp + fp + fn:
            scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else float("nan")


def scores(truth: np.ndarray, predicted: np.ndarray) -> dict:
    """Accuracy and macro-F1 per attribute, their means, and the share of faces with every attribute right."""
    per = {name: {"accuracy": float((predicted[:, k] == truth[:, k]).mean()),
                  "macro_f1": macro_f1(truth[:, k], predicted[:, k], len(values))}
           for k, (name, values) in enumerate(ATTRIBUTES.items())}
    return {"per_attribute": per,
            "accuracy": float(np.mean([v["accuracy"] for v in per.values()])),
            "macro_f1": float(np.mean([v["macro_f1"] for v in per.values()])),
            "all_correct": float((predicted == truth).all(axis=1).mean()), "faces": int(len(truth))}


def train_judge(data: str | Path, out: str | Path, steps: int = 2000, batch: int = 64, width: int = 16,
                embedding: int = 128, seed: int = 0) -> dict:
    """Train the judge on the dataset's train split, export it to ``out`` and write its card beside it
    with its scores on the test split's real renders; returns the card."""
    import torch

    from ..expression.card import card_path, sha256_of
    from .classifier import AttributeClassifier, fit_classifier
    from .data import dataset_fingerprint, load_faces
    from .export import _export

    torch.manual_seed(seed)
    train_faces = load_faces(data, "train")
    images = torch.from_numpy(train_faces.images).permute(0, 3, 1, 2).contiguous()  # uint8; scaled per batch
    network = fit_classifier(AttributeClassifier(width, embedding), images, torch.from_numpy(train_faces.labels),
                             steps, batch, seed, "train appearance judge")
    out = Path(out)
    _export(network, (torch.zeros(1, 4, 64, 64),), out, ("image",), ("logits", "embedding"))
    test = load_faces(data, "test")
    with torch.no_grad():
        logits = torch.cat([network(torch.from_numpy(to_network(test.images[s:s + 256])))[0]
                            for s in range(0, len(test), 256)]).numpy()
    card = {"model": "appearance attribute judge (sdk/appearance/judge.py)", "data": str(data),
            "data_fingerprint": dataset_fingerprint(data),
            "train_faces": len(train_faces), "steps": steps, "batch": batch, "width": width, "embedding": embedding,
            "seed": seed, "attributes": vocabulary(), "test_on_real_renders": scores(test.labels, predictions(logits)),
            "sha256": sha256_of(out)}
    card_path(out).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card
