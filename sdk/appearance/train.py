"""``anisync train appearance``: train one appearance model as a conditional VAE and export it to ONNX.

Data: the neutral frontal faces of a procedural dataset's train split (``anisync data appearance``;
:func:`anisync.appearance.data.load_faces`), with their exact attributes. Images are RGBA in [-1, 1].

Why a conditional VAE rather than a GAN: it trains stably and quickly on a CPU (one optimiser, no critic
to balance, no mode collapse to watch for), every one of the five decoders trains under exactly the same
objective (a GAN's balance would differ per architecture and blur the comparison), and its encoder gives
the evaluation a reconstruction path: a held-out procedural face, encoded with its attributes and decoded,
is compared pixel for pixel with its render (MAE, RMSE). The price is blur, which the evaluation's
Fréchet distance and precision show.

Model: ``q(z | x, a)`` (:class:`~anisync.appearance.model.Encoder`) and a decoder ``p(x | a, z)`` of the chosen
``--arch`` (:mod:`anisync.appearance.model`). Loss per step, over a batch of faces ``x`` with attributes ``a``:

* reconstruction: ``mean |D(a, z) - x|`` over every pixel value, with ``z = mu + sigma * eps`` drawn from
  ``q`` (the reparameterisation);
* KL: ``KL(q(z | x, a) || N(0, I))``, summed over the latent's dimensions, averaged over the batch and
  divided by the pixel values per face (64 * 64 * 4), so that ``beta = 1`` is the ELBO of a unit-scale
  Laplace likelihood; ``--beta`` weighs it;
* attribute (with ``--attribute-weight`` above 0): the guide's cross-entropy (summed over the five
  attributes) on faces decoded from the prior, ``D(a, z)`` with ``z ~ N(0, I)``, for the batch's
  attributes ``a``;
* total: ``reconstruction + beta * KL + attribute-weight * attribute``.

The guide is an :class:`~anisync.appearance.classifier.AttributeClassifier` (width 12, embedding 64: smaller
than the evaluation's judge; initialised from ``--seed`` after the two networks, its batches drawn from
``--seed`` + 1) that the run first fits on the same real renders for ``--guide-steps`` steps, then holds frozen. Why: the VAE's
pixel loss is blind to what is small, so at 5,000 steps the sampled faces dropped hair clips and mixed
near eye colours (accessory 64 %, eye colour 90 % by the judge); the guide's loss asks every face sampled
from the prior, not only the reconstructions, to show its attributes (97.9 % with it at 0.01). The judge
stays independent: it is another network, trained apart, that no generator's gradient ever reaches. Too
strong a guide is fooled: at 0.05, or at ``--beta 4`` (the prior then reaches latents the encoder never
used), many sampled faces turn to noise that still carries attribute cues; the evaluation's far rate
counts them (``docs/results/appearance.md``). The command's defaults, ``--beta 16 --attribute-weight
0.01``, are the shipped model's; this class's are the plain VAE's.

Adam (``--lr``, Zhou uses 1e-3), constant for the first half of the run and falling linearly to 0 over
the second, gradients clipped to norm 1 (LSTMs' gradients spike early). Generation samples ``z ~ N(0, I)``
(:class:`~anisync.appearance.generator.AppearanceGenerator`).

Checkpoints (``--checkpoint-every`` steps) hold both networks (and the fitted guide), the optimiser, the
step, the loss history, the training time so far and every random generator's state, so ``--resume``
continues the run exactly on the CPU (cuDNN's LSTM kernels are not deterministic, so a CUDA run resumes
only closely); they also hold the network's configuration and the guide's settings, and resuming with
other ones is refused.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..errors import AnisyncError
from ..expression.model import parameter_count
from ..expression.train import plot_losses
from ..training import TrainingRun
from .attributes import one_hot
from .classifier import AttributeClassifier, attribute_loss, fit_classifier
from .data import dataset_fingerprint, load_faces
from .export import export_models
from .model import CHANNELS, SIZE, AppearanceConfig, Encoder, decoder
from ..timing import cpu_name

#: Loss-history keys, in the order the loss plot lists them ("attribute" only with a guide).
LOSS_KEYS = ("total", "reconstruction", "kl", "attribute")
#: Size of the guide classifier (module docstring).
GUIDE_WIDTH, GUIDE_EMBEDDING = 12, 64
PIXEL_VALUES = SIZE * SIZE * CHANNELS


@dataclass
class AppearanceFaces:
    """Training faces in memory: ``images`` (N, 4, 64, 64) uint8 (:meth:`pixels` scales them to [-1, 1]),
    one-hot ``codes`` (N, CODE_SIZE), value indices ``labels`` (N, 5) and identity names."""

    images: torch.Tensor
    codes: torch.Tensor
    labels: torch.Tensor
    identities: np.ndarray

    @classmethod
    def load(cls, data: str | Path, split: str = "train", limit: int | None = None) -> "AppearanceFaces":
        faces = load_faces(data, split, limit=limit)
        if len(faces) < 2:
            raise AnisyncError(f"{data}: {len(faces)} neutral frontal {split} faces; training needs at least 2")
        images = torch.from_numpy(faces.images).permute(0, 3, 1, 2).contiguous()
        return cls(images, torch.from_numpy(one_hot(faces.labels)), torch.from_numpy(faces.labels).long(),
                   faces.identities)

    def pixels(self, rows, device: str = "cpu") -> torch.Tensor:
        """The faces at ``rows`` (indices or a slice) as float32 in [-1, 1] on ``device``."""
        return self.images[rows].to(device).float() / 127.5 - 1.0


class Trainer(TrainingRun):
    """One training run: encoder, decoder, optimiser, data, step counter, loss history."""

    def __init__(self, faces: AppearanceFaces, config: AppearanceConfig, batch: int, seed: int, lr: float = 1e-3,
                 beta: float = 1.0, steps: int = 0, device: str = "cpu", attribute_weight: float = 0.0,
                 guide_steps: int = 1000):
        keys = LOSS_KEYS if attribute_weight > 0 else LOSS_KEYS[:-1]
        super().__init__(seed, lr, steps, keys, device)
        self.faces, self.config, self.batch, self.beta = faces, config, batch, beta
        self.attribute_weight, self.guide_steps = attribute_weight, guide_steps
        self.decoder, self.encoder = decoder(config).to(device), Encoder(config).to(device)
        # The forward passes; DDP under torchrun (anisync.distributed).
        self.decode, self.encode = self.ranks.wrap(self.decoder), self.ranks.wrap(self.encoder)
        self.optimizer = torch.optim.Adam(list(self.decoder.parameters()) + list(self.encoder.parameters()), lr=lr)
        self.guide = None
        if attribute_weight > 0:
            # Frozen except while fit_guide trains it: BatchNorm's statistics and weights stay the fitted ones.
            self.guide = AttributeClassifier(GUIDE_WIDTH, GUIDE_EMBEDDING).to(device).eval().requires_grad_(False)

    def parts(self) -> dict:
        parts = {"decoder": self.decoder, "encoder": self.encoder, "optimizer": self.optimizer}
        return parts if self.guide is None else {**parts, "guide": self.guide}

    def fit_guide(self) -> None:
        """Fit the guide on the training faces (module docstring) and freeze it."""
        started = time.perf_counter()
        fit_classifier(self.guide.requires_grad_(True), self.faces.images, self.faces.labels, self.guide_steps, 64,
                       self.seed + 1, "train appearance guide", self.device)
        self.guide.eval().requires_grad_(False)
        self.wall_seconds += time.perf_counter() - started

    def train_to(self, steps: int, checkpoint: Path, every: int, resume: bool, desc: str) -> None:
        """TrainingRun's, fitting the guide first on a new run (a resumed one loads it)."""
        if self.guide is not None and not resume:
            self.fit_guide()
        super().train_to(steps, checkpoint, every, resume, desc)

    def losses(self, x: torch.Tensor, code: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        """The loss terms (module docstring) of one batch of faces ``x`` with one-hot ``code`` and value
        indices ``labels``."""
        mu, logvar = self.encode(x, code)
        eps = self._noise(mu)
        z = mu + torch.exp(0.5 * logvar) * eps
        kl = (-0.5 * (1 + logvar - mu ** 2 - logvar.exp())).sum(dim=1).mean() / PIXEL_VALUES
        if self.guide is None:
            reconstruction = (self.decode(code, z) - x).abs().mean()
            return {"total": reconstruction + self.beta * kl, "reconstruction": reconstruction, "kl": kl}
        # One decoder pass over posterior and prior samples, so BatchNorm's statistics cover both.
        prior = self._noise(mu)
        decoded, sampled = self.decode(torch.cat([code, code]), torch.cat([z, prior])).chunk(2)
        reconstruction = (decoded - x).abs().mean()
        attribute = attribute_loss(self.guide(sampled)[0], labels)
        return {"total": reconstruction + self.beta * kl + self.attribute_weight * attribute,
                "reconstruction": reconstruction, "kl": kl, "attribute": attribute}

    def _noise(self, like: torch.Tensor) -> torch.Tensor:
        """Standard normal noise for this process's share of the step's batch (``like``'s rows), drawn for
        the whole batch so that every process's generator stays in step."""
        noise = torch.randn((len(like) * self.ranks.world, *like.shape[1:]), generator=self.torch_rng, device=like.device)
        return noise[self.ranks.share(len(noise))]

    def train_step(self) -> dict[str, float]:
        """One optimiser step on a random batch; returns this step's losses."""
        rows = torch.from_numpy(self.rng.integers(0, len(self.faces.images), self.batch))[self.ranks.share(self.batch)]
        x, code = self.faces.pixels(rows, self.device), self.faces.codes[rows].to(self.device)
        self.set_learning_rate(self.optimizer)
        self.decoder.train()
        self.encoder.train()
        losses = self.losses(x, code, self.faces.labels[rows].to(self.device))
        self.optimizer.zero_grad(set_to_none=True)
        losses["total"].backward()
        torch.nn.utils.clip_grad_norm_(list(self.decoder.parameters()) + list(self.encoder.parameters()), 1.0)
        self.optimizer.step()
        self.step += 1
        return self.record({key: float(value.item()) for key, value in losses.items()})

    @torch.no_grad()
    def evaluate(self, faces: AppearanceFaces, batch: int = 64) -> dict[str, float]:
        """Mean losses over ``faces`` with ``z`` at the posterior mean (eval mode)."""
        self.decoder.eval()
        self.encoder.eval()
        l1, count = 0.0, 0
        for start in range(0, len(faces.images), batch):
            rows = slice(start, start + batch)
            x, code = faces.pixels(rows, self.device), faces.codes[rows].to(self.device)
            mu, _ = self.encoder(x, code)
            l1 += float((self.decoder(code, mu) - x).abs().mean()) * len(x)
            count += len(x)
        return {"reconstruction_l1_at_posterior_mean": l1 / max(count, 1), "faces": count}

    # --- checkpoints: TrainingRun's, with the network's configuration ---------------------------------
    def state(self) -> dict:
        return {**super().state(), "config": json.dumps(self.config.as_dict())}

    def settings(self) -> dict:
        settings = {"batch": self.batch, "lr": self.lr, "beta": self.beta}
        if self.guide is None:
            return settings  # as before the guide existed, so those runs still resume
        return {**settings, "attribute_weight": self.attribute_weight, "guide_steps": self.guide_steps,
                "guide_width": GUIDE_WIDTH, "guide_embedding": GUIDE_EMBEDDING}

    def check_state(self, path: Path, state: dict) -> None:
        super().check_state(path, state)
        saved = json.loads(state["config"])
        if saved != self.config.as_dict():
            differing = sorted(k for k in saved if saved[k] != self.config.as_dict().get(k))
            raise AnisyncError(f"{path}: the checkpoint's network differs ({', '.join(f'{k} {saved[k]!r}' for k in differing)}); "
                               "resume with the same --arch and sizes")


def config_of(args: argparse.Namespace) -> AppearanceConfig:
    return AppearanceConfig(arch=args.arch, hidden=args.hidden, z_dim=args.z_dim, conv_width=args.conv_width,
                            encoder_width=args.encoder_width)


def train(args: argparse.Namespace) -> dict | None:
    """Run ``anisync train appearance`` (module docstring); returns the model card (None in a torchrun
    process other than 0, which writes nothing)."""
    started = time.perf_counter()
    out = Path(args.out)
    checkpoint = Path(args.checkpoint) if args.checkpoint else out.with_suffix(".ckpt")
    faces = AppearanceFaces.load(args.data)
    trainer = Trainer(faces, config_of(args), args.batch, args.seed, lr=args.lr, beta=args.beta, steps=args.steps,
                      device=args.device, attribute_weight=args.attribute_weight, guide_steps=args.guide_steps)
    trainer.train_to(args.steps, checkpoint, args.checkpoint_every, args.resume, f"train appearance {args.arch}")
    if not trainer.ranks.is_main:
        return None  # process 0 writes the models, their card and the plot
    plot_losses(trainer.history, out.with_name(out.stem + "-losses.png"))
    last = trainer.final_losses()
    try:
        validation = trainer.evaluate(AppearanceFaces.load(args.data, "validation", limit=512))
    except AnisyncError:
        validation = None  # a dataset too small to hold validation identities
    card = {
        "model": f"appearance generator, {args.arch} decoder (Zhou's design and baselines), sdk/appearance/model.py",
        "arch": args.arch,
        "command": "anisync " + " ".join(sys.argv[1:]),
        "data": {"path": str(args.data), "faces": len(faces.images), "identities": int(len(np.unique(faces.identities))),
                 "size": SIZE},
        "data_fingerprint": dataset_fingerprint(args.data),
        "training": {"objective": "conditional VAE: L1 reconstruction + beta * KL / pixel values"
                                  + (" + attribute_weight * guide cross-entropy on prior samples"
                                     if trainer.guide is not None else ""),
                     "steps": trainer.step, "batch": args.batch, "seed": trainer.seed, "beta": args.beta,
                     "attribute_weight": args.attribute_weight,
                     "guide": {"steps": args.guide_steps, "width": GUIDE_WIDTH, "embedding": GUIDE_EMBEDDING,
                               "batch_seed": trainer.seed + 1} if trainer.guide is not None else None,
                     "optimizer": f"Adam lr {args.lr:g}, constant then linear decay to 0 over the second half; "
                                  "gradient norm clipped to 1",
                     "wall_seconds": trainer.wall_seconds, "wall_seconds_this_run": time.perf_counter() - started},
        "hardware": {"device": args.device, "processor": cpu_name(),
                     "torch_threads": torch.get_num_threads(), "torch": torch.__version__, **trainer.ranks.describe()},
        "parameters": {"decoder": parameter_count(trainer.decoder), "encoder": parameter_count(trainer.encoder)},
        "metrics": {"final_losses": last, "validation": validation},
    }
    export_models(trainer.decoder, trainer.encoder, out, card)
    return json.loads(out.with_suffix(".json").read_text())
