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
  target even where the mask is still shut;
* ``expression`` (``--classifier-loss WEIGHT``; 0, the default, leaves it out): the mean squared error
  between the 13 expression parameters that a frozen reader sees on the edit and the asked ones. The
  reader (:func:`reader_network`) is fitted on the training faces before the first step, with the
  judges' augmentation; it is a third design, apart from both judges (:mod:`anisync.expression.judge`),
  so that the editor cannot pass the evaluation by pleasing the network it was trained against.

* ``adversarial`` (``--adversarial WEIGHT``; 0, the default, leaves it out): from step ``--warmup`` on,
  once the paired terms have done most of their work, a least-squares adversarial term for sharpness. A
  PatchGAN (:class:`anisync.stylize.model.PatchDiscriminator`) sees the source beside either the true
  target or the edit and learns to tell them apart; the editor is pushed to make its edits pass. One
  process only (the critic is not wrapped for DistributedDataParallel).

``--shift PIXELS`` moves each pair by one random offset of up to that many pixels (the same for source
and target), so the editor also sees faces that are not centred as the renderer centres them. Weights in
:class:`PairedWeights`. Checkpoints and ``--resume`` as in :mod:`anisync.expression.train`; a checkpoint
holds the fitted reader and the critic.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..progress import progress
from ..stylize.model import PatchDiscriminator
from ..training import TrainingRun
from .judge import augmented
from .model import NetworkConfig, build_generator

#: How far apart (in [-1, 1] units, per channel) a source and target pixel must be to count as changed:
#: a step of about 5 grey levels, above the renderer's anti-aliasing noise between two expressions.
CHANGE_THRESHOLD = 0.04
#: Loss-history keys.
PAIRED_LOSS_KEYS = ("whole", "change", "mask", "intermediate")
#: The history key of the ``expression`` loss, kept only when its weight is not 0.
EXPRESSION_KEY = "expression"
#: The history keys of the adversarial term and its critic, kept only when its weight is not 0 (0 before
#: the term starts).
ADVERSARIAL_KEYS = ("adversarial", "critic")
#: Steps and batch of the reader's fit (a few minutes on a 2-core CPU at 128 px).
READER_STEPS, READER_BATCH = 600, 32


@dataclass(frozen=True)
class PairedWeights:
    """Weights of the paired losses (module docstring)."""

    whole: float = 1.0
    change: float = 10.0
    mask: float = 1.0
    intermediate: float = 5.0
    expression: float = 0.0
    adversarial: float = 0.0


class PairedTrainer(TrainingRun):
    """One paired training run of a generator (``config.arch``), for faces from :class:`~anisync.expression.train.Faces`."""

    def __init__(self, faces, config: NetworkConfig, batch: int, seed: int, lr: float = 1e-3, steps: int = 0,
                 weights: PairedWeights = PairedWeights(), device: str = "cpu", shift: int = 0,
                 reader_steps: int = READER_STEPS, adversarial_start: int = 0):
        keys = PAIRED_LOSS_KEYS + ((EXPRESSION_KEY,) if weights.expression else ()) + (ADVERSARIAL_KEYS if weights.adversarial else ())
        super().__init__(seed, lr, steps, keys, device)
        self.faces, self.batch, self.weights, self.shift = faces, batch, weights, shift
        self.reader_steps, self.adversarial_start = reader_steps, adversarial_start
        self.generator = build_generator(config).to(device)
        self.model = self.ranks.wrap(self.generator)  # the forward pass; DDP under torchrun
        self.optimizer = torch.optim.Adam(self.generator.parameters(), lr=lr, betas=(0.9, 0.999))
        # Fitted before the first step (or loaded from a checkpoint), then frozen.
        self.reader = reader_network(faces.conditions.shape[1]).to(device) if weights.expression else None
        self._reader_ready = False
        self.critic = PatchDiscriminator(8).to(device) if weights.adversarial else None
        self.critic_optimizer = (torch.optim.Adam(self.critic.parameters(), lr=lr, betas=(0.5, 0.999))
                                 if self.critic is not None else None)
        groups: dict[int, list[int]] = {}
        for index, identity in enumerate(faces.identities.tolist()):
            groups.setdefault(identity, []).append(index)
        # An identity's faces in dataset order: the first is its neutral face (anisync.procedural.dataset).
        self._groups = [np.array(members) for members in groups.values() if len(members) > 1]
        if not self._groups:
            raise ValueError("faces: no identity has two faces; paired training needs the same identity twice")

    def parts(self) -> dict:
        reader = {"reader": self.reader} if self.reader is not None else {}
        critic = {"critic": self.critic, "critic_optimizer": self.critic_optimizer} if self.critic is not None else {}
        return {"generator": self.generator, "optimizer": self.optimizer, **reader, **critic}

    def load(self, path):
        state = super().load(path)
        if self.reader is not None:
            _freeze(self.reader)
            self._reader_ready = True
        return state

    def settings(self) -> dict:
        # The options this step added appear only when used, so older checkpoints still resume.
        weights = {key: value for key, value in asdict(self.weights).items()
                   if key not in (EXPRESSION_KEY, "adversarial") or value}
        return {"network": self.generator.config.as_dict(), "batch": self.batch, "lr": self.lr, "weights": weights,
                **({"shift": self.shift} if self.shift else {}),
                **({"reader_steps": self.reader_steps} if self.reader is not None else {}),
                **({"warmup": self.adversarial_start} if self.critic is not None else {})}

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
        x, y = pick(self.faces.images, source), pick(self.faces.images, target)
        if self.shift:
            dy, dx = (int(v) for v in self.rng.integers(-self.shift, self.shift + 1, 2))
            x, y = torch.roll(x, (dy, dx), dims=(2, 3)), torch.roll(y, (dy, dx), dims=(2, 3))
        return x, y, pick(self.faces.conditions, target)

    def train_step(self) -> dict[str, float]:
        """One generator update on a batch of pairs; returns this step's losses."""
        if self.reader is not None and not self._reader_ready:
            fit_reader(self.reader, self.faces, self.seed, self.reader_steps, show=self.ranks.is_main)
            self._reader_ready = True
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
        if self.reader is not None:
            losses[EXPRESSION_KEY] = F.mse_loss(self.reader(edited), c_t)
        critic_on = self.critic is not None and self.step >= self.adversarial_start
        if critic_on:
            losses["adversarial"] = ((self.critic(torch.cat([x, edited], dim=1)) - 1) ** 2).mean()
        total = sum(getattr(self.weights, key) * value for key, value in losses.items())
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        self.optimizer.step()
        values = {key: value.item() for key, value in losses.items()}
        if critic_on:
            self.set_learning_rate(self.critic_optimizer)
            real, fake = self.critic(torch.cat([x, y], dim=1)), self.critic(torch.cat([x, edited.detach()], dim=1))
            critic_loss = ((real - 1) ** 2).mean() + (fake ** 2).mean()
            self.critic_optimizer.zero_grad(set_to_none=True)
            critic_loss.backward()
            self.critic_optimizer.step()
            values["critic"] = critic_loss.item()
        elif self.critic is not None:
            values.update(dict.fromkeys(ADVERSARIAL_KEYS, 0.0))
        self.step += 1
        return self.record(values)


def region_l1(image: torch.Tensor, truth: torch.Tensor, region: torch.Tensor) -> torch.Tensor:
    """Per face, the L1 over the pixels of its ``region`` (``[n, 1, S, S]``), averaged over them (0 for a
    face whose region is empty)."""
    return ((image - truth).abs() * region).sum(dim=(1, 2, 3)) / (region.sum(dim=(1, 2, 3)) * image.shape[1]).clamp(min=1)


def reader_network(parameters: int) -> nn.Module:
    """The frozen reader of the ``expression`` loss: four 3x3 convolutions of stride 2 with GroupNorm and
    SiLU, global average pooling and a linear layer to the expression parameters (a design apart from
    both judges')."""
    layers: list[nn.Module] = []
    for cin, cout in ((4, 16), (16, 32), (32, 64), (64, 128)):
        layers += [nn.Conv2d(cin, cout, 3, stride=2, padding=1), nn.GroupNorm(8, cout), nn.SiLU()]
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, parameters))


def fit_reader(reader: nn.Module, faces, seed: int, steps: int = READER_STEPS, batch: int = READER_BATCH,
               show: bool = True) -> None:
    """Fit ``reader`` to the training faces' expression parameters (MSE, the judges' augmentation, a
    generator of its own so that the editor's batches do not depend on it), then freeze it; ``show``
    draws a progress bar. Under torchrun every process fits its own from the same seed (on a GPU,
    non-deterministic kernels may make them differ slightly; process 0's is the one checkpointed)."""
    generator = torch.Generator().manual_seed(seed + 1)
    optimizer = torch.optim.Adam(reader.parameters(), lr=1e-3)
    device = next(reader.parameters()).device
    reader.train()
    for _ in progress(range(steps), desc="fit the expression reader") if show else range(steps):
        rows = torch.randint(0, len(faces.images), (batch,), generator=generator)
        loss = F.mse_loss(reader(augmented(faces.images[rows], generator).to(device)), faces.conditions[rows].to(device))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    _freeze(reader)


def _freeze(reader: nn.Module) -> None:
    reader.eval()
    reader.requires_grad_(False)
