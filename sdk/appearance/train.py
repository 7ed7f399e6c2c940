"""``anisync train appearance``: train one appearance model as a conditional VAE and export it to ONNX.

Data: the neutral frontal faces of a procedural dataset's train split (``anisync data appearance``;
:func:`sdk.appearance.data.load_faces`), with their exact attributes. Images are RGBA in [-1, 1].

Why a conditional VAE rather than a GAN: it trains stably and quickly on a CPU (one optimiser, no critic
to balance, no mode collapse to watch for), every one of the five decoders trains under exactly the same
objective (a GAN's balance would differ per architecture and blur the comparison), and its encoder gives
the evaluation a reconstruction path: a held-out procedural face, encoded with its attributes and decoded,
is compared pixel for pixel with its render (MAE, RMSE). The price is blur, which the evaluation's
Fréchet distance and precision show.

Model: ``q(z | x, a)`` (:class:`~sdk.appearance.model.Encoder`) and a decoder ``p(x | a, z)`` of the chosen
``--arch`` (:mod:`sdk.appearance.model`). Loss per step, over a batch of faces ``x`` with attributes ``a``:

* reconstruction: ``mean |D(a, z) - x|`` over every pixel value, with ``z = mu + sigma * eps`` drawn from
  ``q`` (the reparameterisation);
* KL: ``KL(q(z | x, a) || N(0, I))``, summed over the latent's dimensions, averaged over the batch and
  divided by the pixel values per face (64 * 64 * 4), so that ``beta = 1`` is the ELBO of a unit-scale
  Laplace likelihood; ``--beta`` weighs it;
* total: ``reconstruction + beta * KL``.

Adam (``--lr``, seed 000 uses 1e-3), constant for the first half of the run and falling linearly to 0 over
the second, gradients clipped to norm 1 (LSTMs' gradients spike early). Generation samples ``z ~ N(0, I)``
(:class:`~sdk.appearance.generator.AppearanceGenerator`).

Checkpoints (``--checkpoint-every`` steps) hold both networks, the optimiser, the step, the loss history,
the training time so far and every random generator's state, so ``--resume`` continues the run exactly on
the CPU (cuDNN's LSTM kernels are not deterministic, so a CUDA run resumes only closely);
they also hold the network's configuration, and resuming with another one is refused.
"""

from __future__ import annotations

import argparse
import json
import platform
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
from .data import dataset_fingerprint, load_faces
from .export import export_models
from .model import CHANNELS, SIZE, AppearanceConfig, Encoder, decoder

#: Loss-history keys, in the order the loss plot lists them.
LOSS_KEYS = ("total", "reconstruction", "kl")
PIXEL_VALUES = SIZE * SIZE * CHANNELS


@dataclass
class AppearanceFaces:
    """Training faces in memory: ``images`` (N, 4, 64, 64) uint8 (:meth:`pixels` scales them to [-1, 1]),
    one-hot ``codes`` (N, CODE_SIZE), ``labels`` (N, 5) and identity names."""

    images: torch.Tensor
    codes: torch.Tensor
    labels: np.ndarray
    identities: np.ndarray

    @classmethod
    def load(cls, data: str | Path, split: str = "train", limit: int | None = None) -> "AppearanceFaces":
        faces = load_faces(data, split, limit=limit)
        if len(faces) < 2:
            raise AnisyncError(f"{data}: {len(faces)} neutral frontal {split} faces; training needs at least 2")
        images = torch.from_numpy(faces.images).permute(0, 3, 1, 2).contiguous()
        return cls(images, torch.from_numpy(one_hot(faces.labels)), faces.labels, faces.identities)

    def pixels(self, rows, device: str = "cpu") -> torch.Tensor:
        """The faces at ``rows`` (indices or a slice) as float32 in [-1, 1] on ``device``."""
        return self.images[rows].to(device).float() / 127.5 - 1.0


class Trainer(TrainingRun):
    """One training run: encoder, decoder, optimiser, data, step counter, loss history."""

    def __init__(self, faces: AppearanceFaces, config: AppearanceConfig, batch: int, seed: int, lr: float = 1e-3,
                 beta: float = 1.0, steps: int = 0, device: str = "cpu"):
        super().__init__(seed, lr, steps, LOSS_KEYS, device)
        self.faces, self.config, self.batch, self.beta = faces, config, batch, beta
        self.decoder, self.encoder = decoder(config).to(device), Encoder(config).to(device)
        self.optimizer = torch.optim.Adam(list(self.decoder.parameters()) + list(self.encoder.parameters()), lr=lr)
        self.wall_seconds = 0.0

    def parts(self) -> dict:
        return {"decoder": self.decoder, "encoder": self.encoder, "optimizer": self.optimizer}

    def losses(self, x: torch.Tensor, code: torch.Tensor) -> dict[str, torch.Tensor]:
        """The loss terms (module docstring) of one batch."""
        mu, logvar = self.encoder(x, code)
        eps = torch.randn(mu.shape, generator=self.torch_rng, device=mu.device)
        z = mu + torch.exp(0.5 * logvar) * eps
        reconstruction = (self.decoder(code, z) - x).abs().mean()
        kl = (-0.5 * (1 + logvar - mu ** 2 - logvar.exp())).sum(dim=1).mean() / PIXEL_VALUES
        return {"total": reconstruction + self.beta * kl, "reconstruction": reconstruction, "kl": kl}

    def train_step(self) -> dict[str, float]:
        """One optimiser step on a random batch; returns this step's losses."""
        started = time.perf_counter()
        rows = torch.from_numpy(self.rng.integers(0, len(self.faces.images), self.batch))
        x, code = self.faces.pixels(rows, self.device), self.faces.codes[rows].to(self.device)
        self.set_learning_rate(self.optimizer)
        self.decoder.train()
        self.encoder.train()
        losses = self.losses(x, code)
        self.optimizer.zero_grad(set_to_none=True)
        losses["total"].backward()
        torch.nn.utils.clip_grad_norm_(list(self.decoder.parameters()) + list(self.encoder.parameters()), 1.0)
        self.optimizer.step()
        self.step += 1
        values = {key: float(value.item()) for key, value in losses.items()}
        self.record(values)
        self.wall_seconds += time.perf_counter() - started
        return values

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

    # --- checkpoints: TrainingRun's, with the network's configuration and the training time -----------
    def state(self) -> dict:
        return {**super().state(), "wall_seconds": self.wall_seconds, "config": json.dumps(self.config.as_dict())}

    def settings(self) -> dict:
        return {"batch": self.batch, "lr": self.lr, "beta": self.beta}

    def check_state(self, path: Path, state: dict) -> None:
        super().check_state(path, state)
        saved = json.loads(state["config"])
        if saved != self.config.as_dict():
            differing = sorted(k for k in saved if saved[k] != self.config.as_dict().get(k))
            raise AnisyncError(f"{path}: the checkpoint's network differs ({', '.join(f'{k} {saved[k]!r}' for k in differing)}); "
                               "resume with the same --arch and sizes")

    def load(self, path: Path) -> dict:
        state = super().load(path)
        self.wall_seconds = float(state["wall_seconds"])
        return state


def config_of(args: argparse.Namespace) -> AppearanceConfig:
    return AppearanceConfig(arch=args.arch, hidden=args.hidden, z_dim=args.z_dim, conv_width=args.conv_width,
                            encoder_width=args.encoder_width)


def train(args: argparse.Namespace) -> dict:
    """Run ``anisync train appearance`` (module docstring); returns the model card."""
    started = time.perf_counter()
    out = Path(args.out)
    checkpoint = Path(args.checkpoint) if args.checkpoint else out.with_suffix(".ckpt")
    faces = AppearanceFaces.load(args.data)
    trainer = Trainer(faces, config_of(args), args.batch, args.seed, lr=args.lr, beta=args.beta, steps=args.steps,
                      device=args.device)
    trainer.train_to(args.steps, checkpoint, args.checkpoint_every, args.resume, f"train appearance {args.arch}")
    plot_losses(trainer.history, out.with_name(out.stem + "-losses.png"))
    last = trainer.final_losses()
    try:
        validation = trainer.evaluate(AppearanceFaces.load(args.data, "validation", limit=512))
    except AnisyncError:
        validation = None  # a dataset too small to hold validation identities
    card = {
        "model": f"appearance generator, {args.arch} decoder (seed 000 design and baselines), sdk/appearance/model.py",
        "arch": args.arch,
        "command": "anisync " + " ".join(sys.argv[1:]),
        "data": {"path": str(args.data), "faces": len(faces.images), "identities": int(len(np.unique(faces.identities))),
                 "size": SIZE},
        "data_fingerprint": dataset_fingerprint(args.data),
        "training": {"objective": "conditional VAE: L1 reconstruction + beta * KL / pixel values",
                     "steps": trainer.step, "batch": args.batch, "seed": trainer.seed, "beta": args.beta,
                     "optimizer": f"Adam lr {args.lr:g}, constant then linear decay to 0 over the second half; "
                                  "gradient norm clipped to 1",
                     "wall_seconds": trainer.wall_seconds, "wall_seconds_this_run": time.perf_counter() - started},
        "hardware": {"device": args.device, "processor": platform.processor() or platform.machine(),
                     "torch_threads": torch.get_num_threads(), "torch": torch.__version__},
        "parameters": {"decoder": parameter_count(trainer.decoder), "encoder": parameter_count(trainer.encoder)},
        "metrics": {"final_losses": last, "validation": validation},
    }
    export_models(trainer.decoder, trainer.encoder, out, card)
    return json.loads(out.with_suffix(".json").read_text())
