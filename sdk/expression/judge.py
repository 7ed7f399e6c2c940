"""Judges: independent regressors that score edited faces (StarGAN's evaluation protocol).

A judge is trained only on real procedural renders (the dataset's train split) to read a face, then
judges the editor's outputs. It reads one of :data:`READINGS`:

* ``emotions``: the seven emotion intensities; the evaluation compares the dominant emotion it reads with
  the one asked for, and its intensities with the asked ones;
* ``mouth``: the three lip-sync parameters (``mouth_open``, ``mouth_width``, ``mouth_form``), learned
  from a dataset whose faces speak (``anisync data make --speech``); the evaluation compares the mouth it
  reads with the one asked for.

Its own figures on real test renders are in its card and reported beside its verdicts, so an editor is
never credited with more than the judge can see.

Networks (:data:`JUDGE_ARCHITECTURES`), so that two judges of different design can certify one figure
(an editor that pleases one network's quirks does not please both):

* ``strided``: 4 convolutions (4x4, stride 2, LeakyReLU) from RGBA, global average pooling, a linear layer;
* ``pooled``: 5 blocks of a 3x3 convolution, BatchNorm, ReLU and 2x2 max pooling, global max pooling, two
  linear layers.

Emotions end in a sigmoid, the mouth in nothing (its parameters span [-1, 1]); both train with MSE
against the labels, on faces augmented with a random shift (up to 1/32 of the image), a blur (half of
them, 3x3 box) and Gaussian noise (sigma up to 0.05 of the range): a judge that only knows crisp, centred
renders can be pleased by an editor's quirks, or fail on a soft but right edit. An emotion judge's card
reports the dominant-emotion accuracy on clear test faces (one emotion at intensity >= 0.6, :data:`CLEAR`)
and on mixtures apart, and the intensity error on mixtures; a mouth judge's, the error and Spearman's
correlation per parameter. Exported to ONNX (input ``image``, float32 ``[batch, 4, size, size]`` in
[-1, 1]; output named after the reading, ``[batch, 7]`` or ``[batch, 3]``) and run with onnxruntime by
:class:`Judge`, so evaluation needs no torch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..emotion import EMOTIONS
from ..errors import ModelLoadError
from ..procedural.expression import EXPRESSION_PARAMS
from ..progress import progress
from ..sessions import checked_signature, open_session

if TYPE_CHECKING:
    import torch

#: A face is a clear target when one emotion but neutral has at least this intensity.
CLEAR = 0.6
#: What a judge reads: the output's name, and the names of its columns.
READINGS = {"emotions": tuple(EMOTIONS), "mouth": ("mouth_open", "mouth_width", "mouth_form")}
#: The judges' network designs (module docstring).
JUDGE_ARCHITECTURES = ("strided", "pooled")


class Judge:
    """An exported judge behind onnxruntime: what it reads (:attr:`reading`) off uint8 RGBA faces."""

    def __init__(self, path: str | Path, threads: int = 1):
        self.path = Path(path)
        self.session = open_session(self.path, threads, ["CPUExecutionProvider"])
        outputs = [node.name for node in self.session.get_outputs()]
        #: ``emotions`` or ``mouth`` (:data:`READINGS`), from the graph's output.
        self.reading = next((name for name in READINGS if name in outputs), "emotions")
        signature = {"inputs": {"image": 4}, "outputs": {self.reading: 2}}
        #: Side in pixels of the faces it reads.
        self.size = checked_signature(self.session, self.path, signature)["inputs"]["image"][2]

    def read(self, faces: np.ndarray, batch: int = 64) -> np.ndarray:
        """What the judge reads off each uint8 RGBA face ``[n, size, size, 4]``: ``[n, len(READINGS[reading])]``."""
        out = []
        for start in range(0, len(faces), batch):
            chunk = faces[start:start + batch].astype(np.float32).transpose(0, 3, 1, 2) / 127.5 - 1.0
            out.append(self.session.run([self.reading], {"image": np.ascontiguousarray(chunk)})[0])
        return np.concatenate(out) if out else np.zeros((0, len(READINGS[self.reading])), np.float32)

    def emotions(self, faces: np.ndarray, batch: int = 64) -> np.ndarray:
        """The seven intensities an emotion judge reads off each face; ModelLoadError for a mouth judge."""
        return self._reading("emotions").read(faces, batch)

    def mouth(self, faces: np.ndarray, batch: int = 64) -> np.ndarray:
        """The mouth parameters (``READINGS["mouth"]`` order) a mouth judge reads; ModelLoadError otherwise."""
        return self._reading("mouth").read(faces, batch)

    def _reading(self, wanted: str) -> "Judge":
        if self.reading != wanted:
            raise ModelLoadError(f"{self.path}: a judge of {self.reading}, expected one of {wanted} "
                                 f"(anisync train judge --reads {wanted})")
        return self


def _labels(item: dict, reading: str) -> np.ndarray:
    if reading == "emotions":
        return item["emotions"]
    return np.asarray(item["expression"])[[EXPRESSION_PARAMS.index(name) for name in READINGS["mouth"]]]


def judge_network(arch: str, reading: str, width: int):
    """The torch network of a judge (module docstring)."""
    from torch import nn

    outputs = len(READINGS[reading])
    if arch == "strided":
        layers: list[nn.Module] = []
        for cin, cout in zip((4, width, 2 * width, 4 * width), (width, 2 * width, 4 * width, 8 * width)):
            layers += [nn.Conv2d(cin, cout, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
        head: list[nn.Module] = [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8 * width, outputs)]
    elif arch == "pooled":
        layers = []
        for cin, cout in zip((4, width, 2 * width, 4 * width, 8 * width), (width, 2 * width, 4 * width, 8 * width, 8 * width)):
            layers += [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2)]
        head = [nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(8 * width, 8 * width), nn.ReLU(), nn.Linear(8 * width, outputs)]
    else:
        raise ValueError(f"arch: expected one of {', '.join(JUDGE_ARCHITECTURES)}, got {arch!r}")
    if reading == "emotions":
        head.append(nn.Sigmoid())
    return nn.Sequential(*layers, *head)


def train_judge(data: str | Path, out: str | Path, steps: int = 1500, batch: int = 64, width: int = 16,
                seed: int = 0, reading: str = "emotions", arch: str = "strided") -> dict:
    """Train a judge of ``reading`` on the dataset's train split, export it to ``out``, write its card
    beside it with its figures on the test split; returns the card."""
    import torch
    import torch.nn.functional as F

    from ..procedural.loader import FaceDataset
    from .card import card_path, sha256_of
    from .export import export_onnx

    if reading not in READINGS:
        raise ValueError(f"reading: expected one of {', '.join(READINGS)}, got {reading!r}")

    def faces_of(split: str):
        dataset = FaceDataset(data, split=split)
        images = np.stack([item["image"] for item in dataset])
        labels = np.stack([_labels(item, reading) for item in dataset]).astype(np.float32)
        return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1.0, torch.from_numpy(labels)

    torch.manual_seed(seed)
    images, labels = faces_of("train")
    network = judge_network(arch, reading, width)
    optimizer = torch.optim.Adam(network.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(seed)

    network.train()
    for _ in progress(range(steps), desc=f"train {reading} judge"):
        rows = torch.randint(0, len(images), (batch,), generator=generator)
        loss = F.mse_loss(network(augmented(images[rows], generator)), labels[rows])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    network.eval()
    test_images, test_labels = faces_of("test")
    with torch.no_grad():
        read = torch.cat([network(test_images[s:s + 256]) for s in range(0, len(test_images), 256)]).numpy()
    out = Path(out)
    export_onnx(network, (torch.zeros(1, 4, images.shape[-1], images.shape[-1]),), out, ("image",), (reading,))
    card = {"model": f"{reading} judge, {arch} network (sdk/expression/judge.py)", "reads": reading, "arch": arch,
            "data": str(data), "train_faces": len(images), "test_faces": len(test_images), "steps": steps,
            "batch": batch, "width": width, "seed": seed,
            "augmentation": f"shift up to {augmentation_shift(images.shape[-1])} px, 3x3 blur on half, "
                            "Gaussian noise sigma up to 0.05",
            **(_emotion_figures if reading == "emotions" else _mouth_figures)(read, test_labels.numpy()),
            "sha256": sha256_of(out)}
    card_path(out).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card


def augmentation_shift(size: int) -> int:
    """The largest shift, in pixels, of :func:`augmented` on faces of ``size`` pixels: 1/32 of the image."""
    return max(1, size // 32)


def augmented(faces: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A judge's training augmentation of a batch ``[n, C, S, S]`` in [-1, 1] (module docstring): one random
    shift of up to :func:`augmentation_shift` pixels for the batch, a 3x3 blur on half the faces, Gaussian
    noise of a random sigma per face; drawn from the torch ``generator``."""
    import torch
    import torch.nn.functional as F

    shift = augmentation_shift(faces.shape[-1])
    dx, dy = (int(v) for v in torch.randint(-shift, shift + 1, (2,), generator=generator))
    faces = torch.roll(faces, (dy, dx), dims=(2, 3))
    blurred = F.avg_pool2d(faces, 3, stride=1, padding=1, count_include_pad=False)
    blur = (torch.rand(len(faces), 1, 1, 1, generator=generator) < 0.5).float()
    faces = blur * blurred + (1 - blur) * faces
    sigma = 0.1 * torch.rand(len(faces), 1, 1, 1, generator=generator)  # up to 0.05 of the [0, 1] range
    return (faces + sigma * torch.randn(faces.shape, generator=generator)).clamp(-1, 1)


def _emotion_figures(read: np.ndarray, truth: np.ndarray) -> dict:
    """An emotion judge's figures on real renders: dominant accuracy and intensity error, overall, on
    clear targets and on mixtures."""
    right = read.argmax(1) == truth.argmax(1)
    clear = clear_targets(truth)
    return {"test_dominant_accuracy": float(right.mean()), "test_intensity_mae": float(np.abs(read - truth).mean()),
            "test_clear": {"faces": int(clear.sum()), "dominant_accuracy": float(right[clear].mean())},
            "test_mixtures": {"faces": int((~clear).sum()), "dominant_accuracy": float(right[~clear].mean()),
                              "intensity_mae": float(np.abs(read - truth)[~clear].mean())}}


def _mouth_figures(read: np.ndarray, truth: np.ndarray) -> dict:
    """A mouth judge's figures on real renders: mean absolute error and Spearman per parameter."""
    return {"test_mae": dict(zip(READINGS["mouth"], np.abs(read - truth).mean(0).astype(float).tolist())),
            "test_spearman": {name: spearman(truth[:, k], read[:, k]) for k, name in enumerate(READINGS["mouth"])}}


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
