"""The judge: an independent emotion regressor that scores edited faces (StarGAN's evaluation protocol).

It is trained only on real procedural renders (the dataset's train split) to read the seven emotion
intensities off a face, then judges the editor's outputs: the dominant emotion it reads against the one
asked for, and its intensities. Its own accuracy on real test renders is reported beside its verdicts,
so an editor is never credited with more than the judge can see.

Network: 4 convolutions (4x4, stride 2, LeakyReLU) from RGBA, global average pooling, a linear layer to 7
sigmoid outputs; trained with MSE against the labelled emotion vector, on faces augmented with a random
shift (up to 1/32 of the image), a blur (half of them, 3x3 box) and Gaussian noise (sigma up to 0.05 of
the range): a judge that only knows crisp, centred renders can be pleased by an editor's quirks, or fail
on a soft but right edit. The card reports the dominant-emotion accuracy on clear test faces (one emotion
at intensity >= 0.6, :data:`CLEAR`) and on mixtures apart, and the intensity error on mixtures. Exported
to ONNX (input ``image``, float32 ``[batch, 4, size, size]`` in [-1, 1]; output ``emotions``,
``[batch, 7]``) and run with onnxruntime by :class:`Judge`, so evaluation needs no torch.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..emotion import EMOTIONS
from ..progress import progress
from ..sessions import checked_signature, open_session

#: A face is a clear target when one emotion but neutral has at least this intensity.
CLEAR = 0.6
#: The judge's graph: input and output names with their ranks, all float32 (see checked_signature).
SIGNATURE = {"inputs": {"image": 4}, "outputs": {"emotions": 2}}


class Judge:
    """An exported judge behind onnxruntime: :meth:`emotions` of uint8 RGBA faces."""

    def __init__(self, path: str | Path, threads: int = 1):
        self.path = Path(path)
        self.session = open_session(self.path, threads, ["CPUExecutionProvider"])
        #: Side in pixels of the faces it reads.
        self.size = checked_signature(self.session, self.path, SIGNATURE)["inputs"]["image"][2]

    def emotions(self, faces: np.ndarray, batch: int = 64) -> np.ndarray:
        """The seven intensities the judge reads off each uint8 RGBA face ``[n, size, size, 4]``."""
        out = []
        for start in range(0, len(faces), batch):
            chunk = faces[start:start + batch].astype(np.float32).transpose(0, 3, 1, 2) / 127.5 - 1.0
            out.append(self.session.run(["emotions"], {"image": np.ascontiguousarray(chunk)})[0])
        return np.concatenate(out) if out else np.zeros((0, len(EMOTIONS)), np.float32)


def train_judge(data: str | Path, out: str | Path, steps: int = 1500, batch: int = 64, width: int = 16,
                seed: int = 0) -> dict:
    """Train the judge on the dataset's train split, export it to ``out``, write its card beside it with
    its accuracy on the test split; returns the card."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    from ..procedural.loader import FaceDataset
    from .card import card_path, sha256_of
    from .export import export_onnx

    def faces_of(split: str):
        dataset = FaceDataset(data, split=split)
        images = np.stack([item["image"] for item in dataset])
        emotions = np.stack([item["emotions"] for item in dataset]).astype(np.float32)
        return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1.0, torch.from_numpy(emotions)

    torch.manual_seed(seed)
    images, emotions = faces_of("train")
    layers: list[nn.Module] = []
    for cin, cout in zip((4, width, 2 * width, 4 * width), (width, 2 * width, 4 * width, 8 * width)):
        layers += [nn.Conv2d(cin, cout, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
    network = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8 * width, len(EMOTIONS)),
                            nn.Sigmoid())
    optimizer = torch.optim.Adam(network.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(seed)
    shift = max(1, images.shape[-1] // 32)

    def augmented(faces: torch.Tensor) -> torch.Tensor:
        dx, dy = (int(v) for v in torch.randint(-shift, shift + 1, (2,), generator=generator))
        faces = torch.roll(faces, (dy, dx), dims=(2, 3))
        blurred = F.avg_pool2d(faces, 3, stride=1, padding=1, count_include_pad=False)
        blur = (torch.rand(len(faces), 1, 1, 1, generator=generator) < 0.5).float()
        faces = blur * blurred + (1 - blur) * faces
        sigma = 0.1 * torch.rand(len(faces), 1, 1, 1, generator=generator)  # up to 0.05 of the [0, 1] range
        return (faces + sigma * torch.randn(faces.shape, generator=generator)).clamp(-1, 1)

    for _ in progress(range(steps), desc="train judge"):
        rows = torch.randint(0, len(images), (batch,), generator=generator)
        loss = F.mse_loss(network(augmented(images[rows])), emotions[rows])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    network.eval()
    test_images, test_emotions = faces_of("test")
    with torch.no_grad():
        read = torch.cat([network(test_images[s:s + 256]) for s in range(0, len(test_images), 256)])
    right = read.argmax(1) == test_emotions.argmax(1)
    clear = clear_targets(test_emotions.numpy())
    accuracy, mae = float(right.float().mean()), float((read - test_emotions).abs().mean())
    out = Path(out)
    export_onnx(network, (torch.zeros(1, 4, images.shape[-1], images.shape[-1]),), out, ("image",), ("emotions",))
    card = {"model": "emotion judge (sdk/expression/judge.py)", "data": str(data), "train_faces": len(images),
            "test_faces": len(test_images), "steps": steps, "batch": batch, "width": width, "seed": seed,
            "augmentation": f"shift up to {shift} px, 3x3 blur on half, Gaussian noise sigma up to 0.05",
            "test_dominant_accuracy": accuracy, "test_intensity_mae": mae,
            "test_clear": {"faces": int(clear.sum()), "dominant_accuracy": float(right[clear].float().mean())},
            "test_mixtures": {"faces": int((~clear).sum()), "dominant_accuracy": float(right[~clear].float().mean()),
                              "intensity_mae": float((read - test_emotions)[~clear].abs().mean())},
            "sha256": sha256_of(out)}
    card_path(out).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card


def clear_targets(emotions: np.ndarray) -> np.ndarray:
    """Which emotion vectors ``[n, 7]`` are clear targets: one emotion but neutral at :data:`CLEAR` or more."""
    others = np.delete(emotions, EMOTIONS.index("neutral"), axis=1)
    return others.max(axis=1) >= CLEAR


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation of two samples (average ranks for ties)."""
    def ranks(values: np.ndarray) -> np.ndarray:
        order = np.argsort(values, kind="stable")
        ranked = np.empty(len(values))
        ranked[order] = np.arange(len(values))
        for value in np.unique(values):  # ties share their mean rank
            tied = values == value
            ranked[tied] = ranked[tied].mean()
        return ranked

    rx, ry = ranks(np.asarray(x, np.float64)), ranks(np.asarray(y, np.float64))
    if rx.std() == 0 or ry.std() == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])
