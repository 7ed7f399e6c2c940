"""Training the phoneme reader (torch; imported only to train): ``anisync train phonemes``.

The data are speech sets in the ``anisync-speech`` layout (:mod:`anisync.speech.data`; their ``train``
split): ``anisync data phonemes`` lines, spoken by espeak-ng with each phoneme's time. Each recording
becomes its log-mel frames (:func:`anisync.speech.reader.log_mel`) and, per frame, the class espeak-ng
says sounds at the frame's middle (an event of two phonemes splits its time evenly; before the first
event, and in pauses, ``""``). :data:`HELD_OUT` of the recordings are kept apart to report the frame
accuracy of a run on lines it never saw (the model card's metric).

The network (:class:`PhonemeNetwork`) is a stack of 1-D convolutions over time: a 5-frame stem, then
residual dilated 3-frame convolutions (dilations :data:`DILATIONS`, so a frame sees 0.34 s either side),
then a per-frame linear read-out to the classes. It trains on random 2.56 s crops of the recordings run
end to end, with cross-entropy, Adam, and the learning rate constant then falling linearly to 0 over the
second half. Half the recordings carry white noise (10 to 40 dB below the mean power), and each crop's bands
get a random tilt (a microphone's colour), a masked run of up to 6 bands (a missing frequency range) and
a little noise. Exported with dynamic batch and frame axes, with its card.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import AnisyncError
from ..expression.card import card_path, sha256_of
from ..expression.export import OPSET, export_onnx
from ..progress import progress
from ..timing import cpu_name
from ..training import TrainingRun
from .data import MANIFEST, read_wav
from .espeak import ipa_phonemes
from .evaluate import with_noise
from .reader import BINS, CLASSES, FRAME, log_mel

#: Dilations of the residual convolutions.
DILATIONS = (1, 2, 4, 8, 16, 1)
#: Frames per training crop.
CROP = 256
#: Share of the recordings kept apart for the card's held-out frame accuracy.
HELD_OUT = 0.05
#: Signal-to-noise ratios (dB) of the noise half the training recordings get.
NOISE_SNR_DB = (10.0, 40.0)
_INDEX = {name: k for k, name in enumerate(CLASSES)}


class PhonemeNetwork(nn.Module):
    """Per-frame class logits ``[batch, classes, frames]`` of log-mel ``features`` ``[batch, BINS, frames]``."""

    def __init__(self, width: int = 96):
        super().__init__()
        self.stem = nn.Conv1d(BINS, width, 5, padding=2)
        self.blocks = nn.ModuleList(nn.Conv1d(width, width, 3, padding=d, dilation=d) for d in DILATIONS)
        self.head = nn.Conv1d(width, len(CLASSES), 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = self.stem(features)
        for block in self.blocks:
            x = x + block(F.relu(x))
        return self.head(F.relu(x))


def frame_labels(phonemes: list, frames: int, seconds: float) -> np.ndarray:
    """Per frame, the index in :data:`CLASSES` of what espeak-ng's events ``[[seconds, ipa], ...]`` of a
    recording ``seconds`` long say sounds at the frame's middle (the last event lasts to the end)."""
    starts, names = [0.0], [""]
    for k, (start, ipa) in enumerate(phonemes):
        end = phonemes[k + 1][0] if k + 1 < len(phonemes) else max(seconds, start)
        arpabet = ipa_phonemes(ipa) or ("",)
        step = (end - start) / len(arpabet)
        for j, phoneme in enumerate(arpabet):
            starts.append(start + j * step)
            names.append(phoneme)
    middles = (np.arange(frames) + 0.5) * FRAME
    return np.array([_INDEX[n] for n in names])[np.searchsorted(starts, middles, side="right") - 1]


def load_frames(data: list[str | Path], noise_rng: np.random.Generator | None = None,
                show_progress: bool = True) -> tuple[list[np.ndarray], list[np.ndarray], list[dict]]:
    """Each ``train`` recording of ``data`` as features ``[BINS, frames]`` and labels ``[frames]``, and
    each set's manifest; AnisyncError naming a folder that is not a speech set. With ``noise_rng``, half
    the recordings, drawn by it, get white noise at a signal-to-noise ratio drawn from :data:`NOISE_SNR_DB`."""
    features, labels, manifests = [], [], []
    for root in map(Path, data):
        if not (root / MANIFEST).is_file():
            raise AnisyncError(f"--data: {root} has no {MANIFEST}; make it with anisync data phonemes")
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        manifests.append(manifest)
        entries = [e for e in manifest["entries"] if e["split"] == "train"]
        for entry in progress(entries, desc=f"reading {root.name}") if show_progress else entries:
            samples, rate = read_wav(root / entry["wav"])
            if noise_rng is not None and noise_rng.random() < 0.5:
                samples = with_noise(samples, noise_rng.uniform(*NOISE_SNR_DB), int(noise_rng.integers(2 ** 31)))
            mel = log_mel(samples, rate)
            features.append(mel)
            labels.append(frame_labels(entry["phonemes"], mel.shape[1], entry["seconds"]))
    if not features:
        raise AnisyncError(f"--data: no train recordings in {', '.join(map(str, data))}")
    return features, labels, manifests


class ReaderTrainer(TrainingRun):
    """The phoneme reader's run (module docstring) on ``features``/``labels`` streams (recordings end to end)."""

    def __init__(self, features: np.ndarray, labels: np.ndarray, width: int, batch: int, seed: int, lr: float, steps: int,
                 split: dict | None = None):
        super().__init__(seed, lr, steps, ("cross_entropy", "accuracy"))
        self.split = split or {}  # what chose the recordings and their noise: a resumed run must share it
        if features.shape[1] < CROP:
            raise AnisyncError(f"--data: {features.shape[1]} frames in all; a crop takes {CROP}")
        self.features, self.labels = torch.from_numpy(features), torch.from_numpy(labels)
        self.width, self.batch = width, batch
        self.network = PhonemeNetwork(width)
        self.optimizer = torch.optim.Adam(self.network.parameters(), lr=lr)

    def parts(self) -> dict:
        return {"network": self.network, "optimizer": self.optimizer}

    def settings(self) -> dict:
        return {"width": self.width, "batch": self.batch, "lr": self.lr, **self.split}

    def _crops(self) -> tuple[torch.Tensor, torch.Tensor]:
        starts = self.rng.integers(0, self.features.shape[1] - CROP + 1, size=self.batch)
        features = torch.stack([self.features[:, s:s + CROP] for s in starts])
        labels = torch.stack([self.labels[s:s + CROP] for s in starts])
        bands = torch.linspace(-1.0, 1.0, BINS)[None, :, None]
        tilt = 0.3 * torch.randn(self.batch, 1, 1, generator=self.torch_rng) * bands
        noise = 0.05 * torch.randn(features.shape, generator=self.torch_rng)
        features = features + tilt + noise
        for row, (first, width) in enumerate(zip(self.rng.integers(0, BINS, self.batch), self.rng.integers(0, 7, self.batch))):
            features[row, first:first + width] = 0.0
        return features, labels

    def train_step(self) -> dict[str, float]:
        self.network.train()
        self.set_learning_rate(self.optimizer)
        features, labels = self._crops()
        logits = self.network(features)
        loss = F.cross_entropy(logits, labels)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.step += 1
        return self.record({"cross_entropy": loss.item(), "accuracy": float((logits.argmax(1) == labels).float().mean())})

    @torch.no_grad()
    def accuracy(self, features: list[np.ndarray], labels: list[np.ndarray]) -> float:
        """Frame accuracy (likeliest class) over whole recordings."""
        self.network.eval()
        right = sum(int((self.network(torch.from_numpy(f)[None])[0].argmax(0).numpy() == y).sum())
                    for f, y in zip(features, labels))
        return right / sum(len(y) for y in labels)


def train_reader(data: list[str | Path], out: str | Path, steps: int, width: int = 96, batch: int = 16,
                 lr: float = 2e-3, seed: int = 0, checkpoint_every: int = 250, resume: bool = False) -> dict:
    """Train a phoneme reader on the train splits of ``data`` and export it to ``out`` with its card;
    returns the card."""
    started = time.perf_counter()
    out = Path(out)
    features, labels, manifests = load_frames(data, np.random.default_rng([seed, 2]))
    held = np.random.default_rng(seed).permutation(len(features))[:max(1, int(HELD_OUT * len(features)))]
    kept = sorted(set(range(len(features))) - set(held.tolist()))
    if not kept:
        raise AnisyncError("--data: too few recordings to keep some apart; make more with anisync data phonemes")
    trainer = ReaderTrainer(np.concatenate([features[k] for k in kept], axis=1),
                            np.concatenate([labels[k] for k in kept]), width, batch, seed, lr, steps,
                            split={"data": [str(path) for path in data], "split_seed": seed})
    if trainer.ranks.distributed:
        raise AnisyncError("anisync train phonemes runs in one process only; run it without torchrun")
    trainer.train_to(steps, out.with_suffix(".ckpt"), checkpoint_every, resume, "train phonemes")
    held_accuracy = trainer.accuracy([features[k] for k in held], [labels[k] for k in held])
    trainer.network.eval()
    export_onnx(trainer.network, (torch.zeros(1, BINS, 300),), out, ("features",), ("logits",), frames=True)
    card = {
        "model": "phoneme reader: per-10-ms-frame silence and ARPAbet phonemes from log-mel features (sdk/speech/reader.py)",
        "command": "anisync " + " ".join(sys.argv[1:]),
        "data": [{"path": str(path), "recordings": sum(e["split"] == "train" for e in m["entries"]),
                  "seconds": round(sum(e["seconds"] for e in m["entries"] if e["split"] == "train"), 1),
                  "seed": m["seed"], "voices": m["recordings"]} for path, m in zip(data, manifests)],
        "training": {"steps": trainer.step, "batch": batch, "crop_frames": CROP, "seed": trainer.seed,
                     "optimizer": f"Adam lr {lr:g}, constant then linear decay to 0 over the second half",
                     "augmentation": "white noise at 10-40 dB SNR on half the recordings; per crop: random band tilt, "
                                     "one masked run of up to 6 bands, feature noise 0.05",
                     "wall_seconds": trainer.wall_seconds, "wall_seconds_this_run": time.perf_counter() - started},
        "network": {"width": width, "dilations": list(DILATIONS), "classes": list(CLASSES),
                    "parameters": sum(p.numel() for p in trainer.network.parameters())},
        "hardware": {"device": "cpu", "processor": cpu_name(), "torch_threads": torch.get_num_threads(),
                     "torch": torch.__version__},
        "metrics": {"final_losses": trainer.final_losses(), "held_out_recordings": len(held),
                    "held_out_frame_accuracy": held_accuracy},
        "opset": OPSET, "inputs": ["features"], "outputs": ["logits"], "sha256": sha256_of(out),
    }
    card_path(out).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card
