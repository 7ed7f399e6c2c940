"""``anisync train expression``: train AMEE-GAN on faces with expression labels, export it to ONNX.

Data: a procedural dataset (``anisync data make``) or a folder of the user's images with a labels file
(:class:`anisync.procedural.loader.FaceDataset`, the same interface); the train split is used. Each item needs
an ``expression`` (or ``emotions``) label; the condition is the 13 expression parameters.

Each step draws a batch of source faces ``x`` with their expressions ``c_s`` and a target expression
``c_t`` from another face; when that face is the same identity (procedural data is paired: every
identity is drawn with several expressions at one yaw), its image ``y`` is the ground truth of the edit.

Losses (GANimation's recipe on Peng's networks; weights in :class:`LossWeights`):

* adversarial: Wasserstein with gradient penalty (WGAN-GP). The critic minimises
  ``D(G(x, c_t)) - D(x) + w_gp * GP``; the generator minimises ``-D(G(x, c_t))``, but not during the
  first ``warmup`` steps: an untrained critic's score is large and meaningless, and left in from step 0
  it swamped the other terms and taught the generator to copy its input (the first CPU run,
  docs/results/expression.md);
* expression: the discriminator's expression head regresses ``c_s`` on real faces (MSE, in the critic's
  loss) and the generator is pushed so that the head reads ``c_t`` on its edits;
* reconstruction (Peng's ``rec_x1``, ``rec_x2``, L1): ``|G(x, c_s) - x|`` (editing to its own
  expression changes nothing) and the cycle ``|G(G(x, c_t), c_s) - x|``;
* mask: L1 size ``mean(M)`` and total variation of ``M`` (a small, smooth mask);
* supervised (optional, paired data only): ``|G(x, c_t) - y|`` and ``|I_a^m - y|`` averaged over the
  pixels either face's expression mask marks (the whole face where no mask is labelled): the expression
  regions are a small part of a face, and averaged over all of it the term is too weak to move the edit
  away from a copy of the input, which reconstruction and the mask size reward. The term on the
  intermediate image teaches the decoder to draw the target expression even where the mask is still
  shut (through the mask alone its gradient is scaled by ``M``, and a small mask starves it).
  ``--no-supervised`` switches it off, for folders of real images without pairs; training still works on
  the other losses.

Ablations (Peng's table): ``--no-mask`` trains a generator whose output is ``I_a^m`` itself (no
mask losses), ``--no-expression-head`` drops the discriminator's expression-magnitude head from both
losses. The learning rate is constant for the first half of the run and falls linearly to 0 over the
second (GANimation's schedule).

Checkpoints (``--checkpoint-every`` steps; :class:`anisync.training.TrainingRun`) hold both networks, both
optimisers, the step, the seed, the loss history and every random generator's state, so ``--resume``
continues the run exactly.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import AnisyncError
from ..procedural.expression import ExpressionParams
from ..procedural.loader import FaceDataset
from ..progress import progress
from ..timing import cpu_name
from ..training import TrainingRun
from .export import export_generator
from .model import Discriminator, Generator, NetworkConfig, parameter_count
from .paired import READER_STEPS, PairedTrainer, PairedWeights, region_l1

#: Loss-history keys, in the order the loss plot lists them.
LOSS_KEYS = ("critic", "adversarial", "expression", "reconstruction", "cycle", "mask", "supervised")


@dataclass(frozen=True)
class LossWeights:
    """Weights of the generator's and critic's loss terms (module docstring)."""

    gradient_penalty: float = 10.0
    adversarial: float = 1.0
    expression: float = 10.0
    reconstruction: float = 10.0
    cycle: float = 10.0
    mask: float = 0.1
    mask_tv: float = 0.01
    supervised: float = 10.0


@dataclass
class Faces:
    """The training faces in memory: images in [-1, 1] (N, 4, S, S), conditions (N, 13), identity ids and
    expression masks (N, 1, S, S; all ones where none is labelled)."""

    images: torch.Tensor
    conditions: torch.Tensor
    identities: np.ndarray
    masks: torch.Tensor

    @classmethod
    def load(cls, data: str | Path, split: str = "train") -> "Faces":
        root = Path(data)
        dataset = FaceDataset(root, split=split) if (root / "manifest.json").exists() else FaceDataset.from_folder(root)
        images, conditions, identities, masks = [], [], [], []
        for item in progress(dataset, desc="loading faces"):
            if dataset.split is None and item["split"] != split:
                continue
            if item["expression"] is not None:
                condition = np.asarray(item["expression"], np.float32)
            elif item["emotions"] is not None:
                condition = ExpressionParams.from_emotions(item["emotions"].astype(np.float64)).to_vector()
            else:
                raise AnisyncError(f"{item['source']}: no expression or emotions label; the editor learns from labelled faces")
            images.append(item["image"])
            conditions.append(condition)
            identities.append(item["identity"])
            masks.append(np.ones(item["image"].shape[:2], bool) if item["mask"] is None else item["mask"])
        if len(images) < 2:
            raise AnisyncError(f"{root}: {len(images)} labelled {split} faces; training needs at least 2")
        sizes = {image.shape for image in images}
        if len(sizes) != 1:
            raise AnisyncError(f"{root}: faces of several sizes {sorted(sizes)}; give the folder one size")
        pixels = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 127.5 - 1.0
        _, ids = np.unique(np.array(identities), return_inverse=True)
        return cls(pixels.contiguous(), torch.from_numpy(np.stack(conditions)), ids,
                   torch.from_numpy(np.stack(masks))[:, None].float())

    @property
    def size(self) -> int:
        return int(self.images.shape[-1])


def _tv(mask: torch.Tensor) -> torch.Tensor:
    return (mask[..., 1:, :] - mask[..., :-1, :]).abs().mean() + (mask[..., :, 1:] - mask[..., :, :-1]).abs().mean()


def _gradient_penalty(critic: Discriminator, real: torch.Tensor, fake: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    alpha = torch.rand(real.shape[0], 1, 1, 1, generator=rng, device=real.device)
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    score, _ = critic(mixed)
    (grad,) = torch.autograd.grad(score.sum(), mixed, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


class Trainer(TrainingRun):
    """One training run: networks, optimisers, data, step counter and loss history."""

    def __init__(self, faces: Faces, width: int, batch: int, seed: int, supervised: bool = True,
                 weights: LossWeights = LossWeights(), lr: float = 2e-4, device: str = "cpu", downsampling: int = 2,
                 steps: int = 0, warmup: int = 0, use_mask: bool = True, expression_head: bool = True):
        super().__init__(seed, lr, steps, LOSS_KEYS, device)
        self.faces, self.batch, self.supervised, self.weights = faces, batch, supervised, weights
        self.warmup, self.expression_head = warmup, expression_head
        config = NetworkConfig(faces.size, width, downsampling, use_mask)
        self.generator, self.critic = Generator(config).to(device), Discriminator(config).to(device)
        self.g_optimizer = torch.optim.Adam(self.generator.parameters(), lr=lr, betas=(0.5, 0.999))
        self.d_optimizer = torch.optim.Adam(self.critic.parameters(), lr=lr, betas=(0.5, 0.999))
        by_identity: dict[int, list[int]] = {}
        for index, identity in enumerate(faces.identities.tolist()):
            by_identity.setdefault(identity, []).append(index)
        self._partners = [np.array(by_identity[i]) for i in faces.identities.tolist()]

    def parts(self) -> dict:
        return {"generator": self.generator, "critic": self.critic, "g_optimizer": self.g_optimizer,
                "d_optimizer": self.d_optimizer}

    def settings(self) -> dict:
        return {"network": self.generator.config.as_dict(), "batch": self.batch, "lr": self.lr,
                "supervised": self.supervised, "expression_head": self.expression_head, "weights": asdict(self.weights)}

    def _batch(self):
        n = len(self.faces.images)
        source = self.rng.integers(0, n, self.batch)
        # The target: another face of the same identity where there is one (a paired edit), else any face.
        target = np.array([self.rng.choice(self._partners[s]) if len(self._partners[s]) > 1 else self.rng.integers(0, n)
                           for s in source])
        paired = torch.from_numpy(self.faces.identities[target] == self.faces.identities[source]).to(self.device)
        pick = lambda t, idx: t[torch.from_numpy(idx)].to(self.device)  # noqa: E731
        region = torch.maximum(pick(self.faces.masks, source), pick(self.faces.masks, target))
        return (pick(self.faces.images, source), pick(self.faces.conditions, source),
                pick(self.faces.images, target), pick(self.faces.conditions, target), paired, region)

    def train_step(self) -> dict[str, float]:
        """One critic update and one generator update; returns this step's losses."""
        w = self.weights
        x, c_s, y, c_t, paired, region = self._batch()
        self.set_learning_rate(self.g_optimizer, self.d_optimizer)
        self.generator.train()
        self.critic.train()
        critic_loss = self._critic_step(x, c_s, c_t)
        losses = self._generator_losses(x, c_s, y, c_t, paired, region)
        adversarial = 0.0 if self.step < self.warmup else w.adversarial
        total = sum(weight * losses[key] for key, weight in (
            ("adversarial", adversarial), ("expression", w.expression), ("reconstruction", w.reconstruction),
            ("cycle", w.cycle), ("mask", w.mask), ("supervised", w.supervised)) if key in losses)
        self.g_optimizer.zero_grad(set_to_none=True)
        total.backward()
        self.g_optimizer.step()
        self.step += 1
        values = {"critic": critic_loss, **{k: v.item() for k, v in losses.items()}}
        self.record(values)
        return values

    def _critic_step(self, x: torch.Tensor, c_s: torch.Tensor, c_t: torch.Tensor) -> float:
        """Update the critic: Wasserstein distance with gradient penalty, and the expression head on real
        faces; returns its loss."""
        w = self.weights
        with torch.no_grad():
            fake, _, _ = self.generator(x, c_t)
        real_score, real_expression = self.critic(x)
        fake_score, _ = self.critic(fake)
        critic_loss = (fake_score.mean() - real_score.mean()
                       + w.gradient_penalty * _gradient_penalty(self.critic, x, fake, self.torch_rng))
        if self.expression_head:
            critic_loss = critic_loss + w.expression * F.mse_loss(real_expression, c_s)
        self.d_optimizer.zero_grad(set_to_none=True)
        critic_loss.backward()
        self.d_optimizer.step()
        return critic_loss.item()

    def _generator_losses(self, x, c_s, y, c_t, paired, region) -> dict[str, torch.Tensor]:
        """The generator's loss terms on one batch (module docstring), before weighting."""
        w = self.weights
        edited, intermediate, mask = self.generator(x, c_t)
        score, expression = self.critic(edited)
        back, _, back_mask = self.generator(edited, c_s)
        same, _, _ = self.generator(x, c_s)
        losses = {
            "adversarial": -score.mean(),
            "reconstruction": (same - x).abs().mean(),
            "cycle": (back - x).abs().mean(),
        }
        if self.expression_head:
            losses["expression"] = F.mse_loss(expression, c_t)
        if self.generator.config.use_mask:
            losses["mask"] = mask.mean() + back_mask.mean() + w.mask_tv / max(w.mask, 1e-12) * (_tv(mask) + _tv(back_mask))
        if self.supervised:
            losses["supervised"] = self._supervised(edited, y, region, paired)
            if self.generator.config.use_mask:
                losses["supervised"] = losses["supervised"] + self._supervised(intermediate, y, region, paired)
        return losses

    @staticmethod
    def _supervised(image: torch.Tensor, truth: torch.Tensor, region: torch.Tensor, paired: torch.Tensor) -> torch.Tensor:
        """L1 to the ground truth over ``region``, averaged over the paired faces of the batch."""
        return (region_l1(image, truth, region) * paired).sum() / paired.sum().clamp(min=1)


def convergence_step(values: list[float], tolerance: float = 0.05) -> int | None:
    """The first step after which ``values`` (smoothed over 2 % of the run) stay within ``tolerance`` of
    their final level (the mean of the last 2 %); None for an empty history."""
    if not values:
        return None
    window = max(1, len(values) // 50)
    smooth = np.convolve(np.asarray(values, np.float64), np.ones(window) / window, mode="valid")
    above = np.nonzero(smooth > smooth[-1] * (1 + tolerance))[0]
    return int(above[-1] + 1 + window if len(above) else window)


def plot_losses(history: dict[str, list[float]], path: Path) -> None:
    """The loss curves (each smoothed over 1 % of the run) as a PNG, on a logarithmic axis."""
    from ..plot import line_plot

    series = {}
    for key, values in history.items():
        values = np.abs(np.asarray(values, np.float64))  # the Wasserstein terms are signed: plot their size
        if not len(values):
            continue
        window = max(1, len(values) // 100)
        smooth = np.convolve(values, np.ones(window) / window, mode="valid")
        series[key] = (np.arange(len(smooth)) + window, smooth)
    line_plot(series, path, "training step; |loss| smoothed over 1 % of the steps", log_y=True)


def trained_on(data: str | Path) -> dict:
    """What the evaluation's split guard reads from a card: a procedural dataset's seed and the numbers of
    the identities trained on (identity n is drawn from the seed and n, so these name the faces exactly);
    and the share of speaking faces (``anisync data make --speech``)."""
    manifest = Path(data) / "manifest.json"
    if not manifest.is_file():
        return {}
    settings = json.loads(manifest.read_text(encoding="utf-8"))
    return {"dataset_seed": settings["seed"], "train_identity_numbers": settings["splits"]["train"],
            "speech": settings.get("speech", 0.0)}


def _edit_loss(trainer: TrainingRun) -> str:
    """The history key that measures the edit itself."""
    if isinstance(trainer, PairedTrainer):
        return "change"
    return "supervised" if trainer.history["supervised"] else "cycle"


def train(args: argparse.Namespace) -> dict | None:
    """Run ``anisync train expression`` (see the module docstring); returns the model card (None in a
    torchrun process other than 0, which writes nothing)."""
    started = time.perf_counter()
    out = Path(args.out)
    checkpoint = Path(args.checkpoint) if args.checkpoint else out.with_suffix(".ckpt")
    if args.arch != "unet" and (args.classifier_loss or args.shift or args.adversarial):
        raise AnisyncError("--classifier-loss, --shift and --adversarial train the U-Net (--arch unet); AMEE-GAN has "
                           "its own expression head and critic (--arch amee)")
    faces = Faces.load(args.data)
    if 2 * args.shift >= faces.size:
        raise AnisyncError(f"--shift: {args.shift} pixels; expected less than half the faces' {faces.size} pixels")
    warmup = args.steps // 4 if args.warmup is None else args.warmup
    if args.arch == "unet":
        config = NetworkConfig(faces.size, args.width, args.downsampling, not args.no_mask, "unet")
        weights = PairedWeights(expression=args.classifier_loss, adversarial=args.adversarial)
        trainer = PairedTrainer(faces, config, args.batch, args.seed, lr=args.lr, steps=args.steps, weights=weights,
                                device=args.device, shift=args.shift, adversarial_start=warmup,
                                reader_steps=READER_STEPS)  # read at call time, so a test can shorten the fit
    else:
        trainer = Trainer(faces, args.width, args.batch, args.seed, supervised=not args.no_supervised,
                          device=args.device, downsampling=args.downsampling, lr=args.lr, steps=args.steps,
                          warmup=warmup, use_mask=not args.no_mask, expression_head=not args.no_expression_head)
    if trainer.ranks.distributed and args.arch != "unet":
        raise AnisyncError("--arch amee: the AMEE-GAN trainer runs in one process only (its gradient penalty "
                           "differentiates the critic twice, which DistributedDataParallel does not support)")
    if trainer.ranks.distributed and args.adversarial:
        raise AnisyncError("--adversarial: the critic trains in one process only; run it without torchrun")
    trainer.train_to(args.steps, checkpoint, args.checkpoint_every, args.resume, "train expression")
    if not trainer.ranks.is_main:
        return None  # process 0 writes the model, its card and the plot
    plot_losses(trainer.history, out.with_name(out.stem + "-losses.png"))
    last = trainer.final_losses()
    if args.arch == "unet":
        reader = (f", MSE of the expression parameters a frozen reader sees (fitted {trainer.reader_steps} steps on the "
                  "training faces)" if args.classifier_loss else "")
        reader += (f", least-squares PatchGAN term from step {warmup} (critic sees source and target or edit)"
                   if args.adversarial else "")
        recipe = {"losses": "paired L1 (whole face, changed pixels), mask BCE against the change map" + reader
                            + " (sdk/expression/paired.py)", "loss_weights": asdict(trainer.weights),
                  "shift_pixels": args.shift,
                  "optimizer": f"Adam lr {args.lr:g} betas (0.9, 0.999), linear decay to 0 over the second half"}
    else:
        recipe = {"loss_weights": asdict(trainer.weights), "adversarial": "WGAN-GP", "adversarial_warmup_steps": warmup,
                  "optimizer": f"Adam lr {args.lr:g} betas (0.5, 0.999), linear decay to 0 over the second half",
                  "expression_head": not args.no_expression_head}
    card = {
        "model": ("U-Net expression editor with FiLM conditioning" if args.arch == "unet"
                  else "AMEE-GAN expression editor (Peng)") + ", sdk/expression/model.py",
        "command": "anisync " + " ".join(sys.argv[1:]),
        "data": {"path": str(args.data), "faces": len(faces.images), "identities": int(len(np.unique(faces.identities))),
                 "size": faces.size, "supervised": not args.no_supervised, **trained_on(args.data)},
        "training": {"steps": trainer.step, "batch": args.batch, "seed": trainer.seed, "wall_seconds_this_run":
                     time.perf_counter() - started, "mask": not args.no_mask, **recipe},
        "hardware": {"device": args.device, "processor": cpu_name(),
                     "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
                     **trainer.ranks.describe()},
        "parameters": {"generator": parameter_count(trainer.generator),
                       "discriminator": parameter_count(trainer.critic) if trainer.critic is not None else 0},
        # The supervised (paired: change) term measures the edit itself; without it the cycle term stands in.
        "metrics": {"final_losses": last, "convergence_step": convergence_step(trainer.history[_edit_loss(trainer)]),
                    "convergence_rule": f"first step after which the {_edit_loss(trainer)} loss, smoothed over 2 % "
                                        "of the run, stays within 5 % of its final level"},
    }
    export_generator(trainer.generator, out, card)
    return card
