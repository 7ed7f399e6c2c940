"""Training the stylizer (torch; imported only to train): ``anisync train stylizer``.

Two objectives, one per ``--recipe``, on the same data, networks and budget:

* ``tan`` (Tan's GAN, the shipped model): the generator learns from exact pairs, an L1 content loss
  between its output and the true anime rendering (Tan replaces CartoonGAN's L2 by L1) plus
  :data:`ADVERSARIAL_WEIGHT` times a least-squares adversarial loss from a conditional PatchGAN, which sees
  the input beside the true or the generated rendering;
* ``cartoongan`` (the baseline): CartoonGAN's objective, which needs no pairs: a PatchGAN that learns to
  tell anime images (targets of *other* pairs) from generated ones *and* from anime images with their
  edges smoothed (CartoonGAN's edge-promoting loss, so that clear lines count as anime), and a content
  loss that keeps the output's content that of its input, :data:`CONTENT_WEIGHT` times the L1 distance
  between the two at a quarter of the size (CartoonGAN compares VGG features; no pretrained network may
  be downloaded here, and a 4x4 average keeps layout and colour while leaving lines and texture free).

Both: random :data:`CROP` px crops of 256 px pairs (flipped at random), Adam (lr 5e-4, betas 0.5/0.999)
for both networks, the learning rate constant then decaying linearly to 0 over the second half; the
generator is exported with dynamic height and width (multiples of 4) and its card. Checkpoints resume
exactly (:class:`anisync.training.TrainingRun`).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import AnisyncError
from ..expression.card import card_path, sha256_of
from ..expression.export import OPSET, export_onnx
from ..timing import cpu_name
from ..training import TrainingRun
from .model import PatchDiscriminator, StyleGenerator
from .pairs import load_pairs

RECIPES = ("tan", "cartoongan")
#: Side of a training crop.
CROP = 128
ADVERSARIAL_WEIGHT = 0.01
CONTENT_WEIGHT = 10.0
LOSS_KEYS = ("generator", "content", "adversarial", "discriminator")


def _to_network(images: torch.Tensor) -> torch.Tensor:
    return images.float() / 127.5 - 1.0


def smoothed_edges(images: torch.Tensor) -> torch.Tensor:
    """CartoonGAN's negatives: ``images`` (``[n, 3, H, W]`` in [-1, 1]) blurred where they have edges
    (gradient over 0.2, grown by 2 px), unchanged elsewhere."""
    gray = images.mean(dim=1, keepdim=True)
    gradient = (F.pad(gray[..., :, 1:] - gray[..., :, :-1], (0, 1)).abs()
                + F.pad(gray[..., 1:, :] - gray[..., :-1, :], (0, 0, 0, 1)).abs())
    edges = F.max_pool2d((gradient > 0.2).float(), 5, 1, 2)
    blurred = F.avg_pool2d(F.pad(images, (2, 2, 2, 2), mode="replicate"), 5, 1)
    return edges * blurred + (1 - edges) * images


class StylizerTrainer(TrainingRun):
    """One training run: generator, discriminator, their optimisers and the pairs (uint8 ``[n, 3, S, S]``)."""

    def __init__(self, inputs: torch.Tensor, targets: torch.Tensor, recipe: str, attention: bool, width: int,
                 blocks: int, batch: int, seed: int, lr: float, steps: int):
        super().__init__(seed, lr, steps, LOSS_KEYS)
        self.inputs, self.targets, self.recipe, self.batch = inputs, targets, recipe, batch
        self.generator = StyleGenerator(width, blocks, attention)
        self.discriminator = PatchDiscriminator(6 if recipe == "tan" else 3)
        betas = (0.5, 0.999)
        self.g_optimizer = torch.optim.Adam(self.generator.parameters(), lr=lr, betas=betas)
        self.d_optimizer = torch.optim.Adam(self.discriminator.parameters(), lr=lr, betas=betas)

    def parts(self) -> dict:
        return {"generator": self.generator, "discriminator": self.discriminator,
                "g_optimizer": self.g_optimizer, "d_optimizer": self.d_optimizer}

    def settings(self) -> dict:
        return {"recipe": self.recipe, "attention": self.generator.attention, "width": self.generator.width,
                "blocks": self.generator.blocks, "batch": self.batch, "lr": self.lr,
                "pairs": len(self.inputs)}  # resuming on other data would go on silently

    def _crops(self, images: torch.Tensor, rows: np.ndarray, corners: np.ndarray, flips: np.ndarray) -> torch.Tensor:
        crops = torch.stack([images[r, :, t:t + CROP, l:l + CROP] for r, (t, l) in zip(rows, corners)])
        crops = torch.where(torch.from_numpy(flips)[:, None, None, None], crops.flip(-1), crops)
        return _to_network(crops)

    def _batch(self):
        side = self.inputs.shape[-1]
        rows = self.rng.integers(0, len(self.inputs), self.batch)
        corners = self.rng.integers(0, side - CROP + 1, (self.batch, 2))
        flips = self.rng.random(self.batch) < 0.5
        inputs, targets = self._crops(self.inputs, rows, corners, flips), self._crops(self.targets, rows, corners, flips)
        if self.recipe == "cartoongan":  # anime images that are not these inputs' renderings
            targets = self._crops(self.targets, self.rng.integers(0, len(self.targets), self.batch), corners, flips)
        return inputs, targets

    def _judged(self, inputs: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
        return self.discriminator(torch.cat([inputs, images], dim=1) if self.recipe == "tan" else images)

    def train_step(self) -> dict[str, float]:
        self.set_learning_rate(self.g_optimizer, self.d_optimizer)
        inputs, targets = self._batch()
        generated = self.generator(inputs)

        # Discriminator: anime images are real; generated ones (and, for CartoonGAN, edge-smoothed anime) fake.
        fakes = [generated.detach()] + ([smoothed_edges(targets)] if self.recipe == "cartoongan" else [])
        real = self._judged(inputs, targets)
        d_loss = ((real - 1) ** 2).mean() + sum((self._judged(inputs, f) ** 2).mean() for f in fakes) / len(fakes)
        self.d_optimizer.zero_grad()
        d_loss.backward()
        self.d_optimizer.step()

        # Generator: fool the discriminator, keep the content.
        adversarial = ((self._judged(inputs, generated) - 1) ** 2).mean()
        if self.recipe == "tan":
            content = F.l1_loss(generated, targets)
            g_loss = content + ADVERSARIAL_WEIGHT * adversarial
        else:
            content = F.l1_loss(F.avg_pool2d(generated, 4), F.avg_pool2d(inputs, 4))
            g_loss = adversarial + CONTENT_WEIGHT * content
        self.g_optimizer.zero_grad()
        g_loss.backward()
        self.g_optimizer.step()
        self.step += 1
        values = self.record({"generator": g_loss.item(), "content": content.item(),
                              "adversarial": adversarial.item(), "discriminator": d_loss.item()})
        return values



def load_training_pairs(data: list[str | Path]) -> tuple[torch.Tensor, torch.Tensor, list[dict]]:
    """The train splits of the pair sets ``data``, joined: inputs and targets uint8 ``[n, 3, S, S]``, and
    each set's manifest; AnisyncError when their sizes differ."""
    loaded = [load_pairs(path, "train") for path in data]
    sizes = {manifest["size"] for _, _, manifest in loaded}
    if len(sizes) > 1:
        raise AnisyncError(f"--data: pair sets of different sizes ({sorted(sizes)}); make them at one --size")
    if min(sizes) < CROP:
        raise AnisyncError(f"--data: pairs of {min(sizes)} px; training crops {CROP} px, so make them at --size {CROP} or more")
    inputs = torch.from_numpy(np.concatenate([a for a, _, _ in loaded])).permute(0, 3, 1, 2).contiguous()
    targets = torch.from_numpy(np.concatenate([b for _, b, _ in loaded])).permute(0, 3, 1, 2).contiguous()
    return inputs, targets, [manifest for _, _, manifest in loaded]


def train_stylizer(data: list[str | Path], out: str | Path, steps: int, recipe: str = "tan", attention: bool = True,
                   width: int = 48, blocks: int = 4, batch: int = 8, lr: float = 5e-4, seed: int = 0,
                   checkpoint_every: int = 250, resume: bool = False) -> dict:
    """Train a stylizer on the train splits of ``data`` and export it to ``out`` with its card; returns the card."""
    if recipe not in RECIPES:
        raise AnisyncError(f"--recipe: expected one of {', '.join(RECIPES)}, got {recipe!r}")
    started = time.perf_counter()
    out = Path(out)
    inputs, targets, manifests = load_training_pairs(data)
    trainer = StylizerTrainer(inputs, targets, recipe, attention, width, blocks, batch, seed, lr, steps)
    if trainer.ranks.distributed:
        raise AnisyncError("anisync train stylizer runs in one process only (its networks are not wrapped for "
                           "DistributedDataParallel); run it without torchrun")
    trainer.train_to(steps, out.with_suffix(".ckpt"), checkpoint_every, resume, f"train stylizer ({recipe})")
    trainer.generator.eval()
    export_onnx(trainer.generator, (torch.zeros(1, 3, 256, 256),), out, ("image",), ("stylized",), spatial=True)
    objective = ("L1 to the true anime rendering + "
                 f"{ADVERSARIAL_WEIGHT:g} x least-squares adversarial (conditional PatchGAN)" if recipe == "tan" else
                 f"least-squares adversarial (PatchGAN, edge-smoothed anime as negatives) + {CONTENT_WEIGHT:g} x L1 "
                 "to the input at a quarter size (unpaired)")
    card = {
        "model": f"anime stylizer, recipe {recipe}, {'with' if attention else 'without'} CBAM (sdk/stylize)",
        "command": "anisync " + " ".join(sys.argv[1:]),
        "data": [{"path": str(path), "source": m["source"], "train_pairs": m["counts"]["train"], "size": m["size"],
                  "seed": m["seed"]} for path, m in zip(data, manifests)],
        "training": {"objective": objective, "crops": f"random {CROP} px, flipped at random", "steps": trainer.step,
                     "batch": batch, "seed": trainer.seed,
                     "optimizer": f"Adam lr {lr:g} betas 0.5/0.999, constant then linear decay to 0 over the second half",
                     "wall_seconds": trainer.wall_seconds, "wall_seconds_this_run": time.perf_counter() - started},
        "network": {"width": width, "blocks": blocks, "attention": attention,
                    "parameters": sum(p.numel() for p in trainer.generator.parameters())},
        "hardware": {"device": "cpu", "processor": cpu_name(), "torch_threads": torch.get_num_threads(),
                     "torch": torch.__version__},
        "metrics": {"final_losses": trainer.final_losses()},
        "opset": OPSET, "inputs": ["image"], "outputs": ["stylized"], "sha256": sha256_of(out),
    }
    card_path(out).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card
