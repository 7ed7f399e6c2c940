"""``anisync train expression --arch unet``: the U-Net editor trained on exact pairs.

The procedural renderer draws any identity with any expression, so every training edit has its truth:
source ``x`` (an identity's face, its neutral face half the time, as a game asks) and target ``y`` (the
same identity and yaw with another expression ``c_t``). The losses say where the change is, since with a
masked output and a plain L1 doing nothing is a deep local minimum (the expression-probe note: a first
probe's mask went to zero and its output equalled its input):

* ``whole``: L1 between the edit and ``y`` over the whole face;
* ``change``: L1 over the pixels where ``x`` and ``y`` differ (any channel by more than
  :data:`CHANGE_THRESHOLD`), averaged over those pixels: the mouth, the brows, a tear, a blush;
* ``mask``: binary cross-entropy of the mask against that change map, so the mask opens where the face
  must change and stays shut elsewhere (outside it the input passes untouched);
* ``intermediate``: the ``change`` term on the image under the mask, so the decoder learns to draw the
  target even where the mask is still shut.

Weights in :class:`PairedWeights`. No critic: the adversarial term for sharpness is a later step (see
docs/results/expression.md). Checkpoints and ``--resume`` as in :mod:`anisync.expression.train`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..training import TrainingRun
from .model import NetworkConfig, build_generator

#: How far apart (in [-1, 1] units, per channel) a source and target pixel must be to count as changed:
#: a step of about 5 grey levels, above the renderer's anti-aliasing noise between two expressions.
CHANGE_THRESHOLD = 0.04
#: Loss-history keys.
PAIRED_LOSS_KEYS = ("whole", "change", "mask", "intermediate")


@dataclass(frozen=True)
class PairedWeights:
    """Weights of the paired losses (module docstring)."""

    whole: float = 1.0
    change: float = 10.0
    mask: float = 1.0
    intermediate: float = 5.0


class PairedTrainer(TrainingRun):
    """One paired training run of a generator (``config.arch``), for faces from :class:`~anisync.expression.train.Faces`."""

    def __init__(self, faces, config: NetworkConfig, batch: int, seed: int, lr: float = 1e-3, steps: int = 0,
                 weights: PairedWeights = PairedWeights(), device: str = "cpu"):
        super().__init__(seed, lr, steps, PAIRED_LOSS_KEYS, device)
        self.faces, self.batch, self.weights = faces, batch, weights
        self.generator = build_generator(config).to(device)
        self.model = self.ranks.wrap(self.generator)  # the forward pass; DDP under torchrun
        self.optimizer = torch.optim.Adam(self.generator.parameters(), lr=lr, betas=(0.9, 0.999))
        groups: dict[int, list[int]] = {}
        for index, identity in enumerate(faces.identities.tolist()):
            groups.setdefault(identity, []).append(index)
        # An identity's faces in dataset order: the first is its neutral face (anisync.procedural.dataset).
        self._groups = [np.array(members) for members in groups.values() if len(members) > 1]
        if not self._groups:
            raise ValueError("faces: no identity has two faces; paired training needs the same identity twice")

    def parts(self) -> dict:
        return {"generator": self.generator, "optimizer": self.optimizer}

    def settings(self) -> dict:
        return {"network": self.generator.config.as_dict(), "batch": self.batch, "lr": self.lr,
                "weights": asdict(self.weights)}

    def _batch(self):
        """This process's share of the step's batch of pairs (every process draws the whole batch)."""
        source, target = [], []
        for group in (self._groups[i] for i in self.rng.integers(0, len(self._groups), self.batch)):
            first = group[0] if self.rng.random() < 0.5 else self.rng.choice(group)
            source.append(first)
            target.append(self.rng.choice(group[group != first]))
        share = self.ranks.share(self.batch)
        source, target = source[share], target[share]
        pick = lambda t, idx: t[torch.from_numpy(np.array(idx))].to(self.device)  # noqa: E731
        return pick(self.faces.images, source), pick(self.faces.images, target), pick(self.faces.conditions, target)

    def train_step(self) -> dict[str, float]:
        """One generator update on a batch of pairs; returns this step's losses."""
        x, y, c_t = self._batch()
        self.set_learning_rate(self.optimizer)
        self.generator.train()
        edited, intermediate, mask = self.model(x, c_t)
        changed = ((x - y).abs().amax(dim=1, keepdim=True) > CHANGE_THRESHOLD).float()
        losses = {
            "whole": (edited - y).abs().mean(),
            "change": region_l1(edited, y, changed).mean(),
            "mask": F.binary_cross_entropy(mask.clamp(1e-6, 1 - 1e-6), changed),
            "intermediate": region_l1(intermediate, y, changed).mean(),
        }
        total = sum(getattr(self.weights, key) * value for key, value in losses.items())
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        self.optimizer.step()
        self.step += 1
        return self.record({key: value.item() for key, value in losses.items()})


def region_l1(image: torch.Tensor, truth: torch.Tensor, region: torch.Tensor) -> torch.Tensor:
    """Per face, the L1 over the pixels of its ``region`` (``[n, 1, S, S]``), averaged over them (0 for a
    face whose region is empty)."""
    return ((image - truth).abs() * region).sum(dim=(1, 2, 3)) / (region.sum(dim=(1, 2, 3)) * image.shape[1]).clamp(min=1)
