"""Training and evaluation of the face refiner (torch; imported only to train or evaluate).

``anisync train appearance-refiner`` fits :class:`RefinerNet` on a 128 px appearance dataset
(``anisync data appearance --size 128``):

* **pairs**: a random 64 px crop of a training face is the target; the input is that crop shrunk to half
  (2x2 box average), then spoilt as the generator spoils its faces: a Gaussian blur (sigma 0.3-1.0 px) on
  half of them and Gaussian noise (sigma up to :data:`MAX_NOISE` of the range), per pixel and in 2x2
  blotches, on every one;
* **network**: a 3x3 convolution to ``width`` channels, ``blocks`` residual blocks at the input's size, and
  a 3x3 convolution to 16 channels rearranged into a 2x larger RGBA image (pixel shuffle), added to the
  bilinear upscale of the input;
* **loss**: L1 on the pixels plus L1 on their horizontal and vertical differences (the lines' sharpness);
  Adam, the learning rate constant then decaying linearly to 0 over the second half; checkpoints resume
  exactly (:class:`anisync.training.TrainingRun`).

``anisync eval appearance-refiner`` measures it (:func:`evaluate_refiner`, keys in
``docs/results/appearance.md``): on held-out faces (the dataset's test split) spoilt at fixed noise levels,
the PSNR of the refined face against the true 128 px render beside the plain upscales of the same input
(bilinear and Lanczos, the do-nothing baselines); on generator faces, which have no true render, the
fill noise (:func:`fill_noise`: speckle inside the skin and hair fills) of the refined faces, of their
Lanczos upscale, and of real 128 px renders.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from ..errors import AnisyncError
from ..expression.card import card_path, sha256_of
from ..expression.export import OPSET, export_onnx
from ..procedural.loader import FaceDataset
from ..procedural.sheet import grid
from ..training import TrainingRun
from .generator import to_network
from ..timing import cpu_name

#: Largest noise sigma of the spoilt inputs, in units of the [-1, 1] range.
MAX_NOISE = 0.12
#: Side of a training target crop (the input crop is half of it).
CROP = 64
LOSS_KEYS = ("total", "pixels", "edges")
#: Noise levels of the evaluation's spoilt inputs.
EVAL_NOISE = (0.0, 0.05, 0.10)


class RefinerNet(nn.Module):
    """Input-size residual blocks and a pixel-shuffle head, added to the bilinear 2x upscale (module docstring)."""

    def __init__(self, width: int = 24, blocks: int = 4):
        super().__init__()
        self.width, self.blocks = width, blocks
        self.head = nn.Conv2d(4, width, 3, padding=1)
        self.body = nn.ModuleList(nn.Sequential(nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
                                                nn.Conv2d(width, width, 3, padding=1)) for _ in range(blocks))
        self.tail = nn.Sequential(nn.Conv2d(width, 16, 3, padding=1), nn.PixelShuffle(2))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        features = F.relu(self.head(image))
        for block in self.body:
            features = features + block(features)
        upscaled = F.interpolate(image, scale_factor=2, mode="bilinear", align_corners=False)
        return torch.clamp(upscaled + self.tail(features), -1.0, 1.0)


def spoil(targets: torch.Tensor, generator: torch.Generator, blur: torch.Tensor | None = None,
          noise: torch.Tensor | None = None) -> torch.Tensor:
    """The refiner's inputs for ``targets`` (``[n, 4, 2S, 2S]`` in [-1, 1]): shrunk to half, blurred
    (``blur`` sigmas, 0 for none) and noised (``noise`` sigmas); both drawn from ``generator`` when None."""
    n = len(targets)
    small = F.avg_pool2d(targets, 2)
    if blur is None:
        blur = torch.where(torch.rand(n, generator=generator) < 0.5, 0.3 + 0.7 * torch.rand(n, generator=generator),
                           torch.zeros(n))
    if noise is None:
        noise = MAX_NOISE * torch.rand(n, generator=generator)
    offsets = torch.arange(-2, 3, dtype=torch.float32)
    kernels = torch.exp(-offsets[None] ** 2 / (2 * blur.clamp(min=1e-3)[:, None] ** 2))
    kernels = torch.where(blur[:, None] > 0, kernels, (offsets[None] == 0).float())
    kernels = kernels / kernels.sum(dim=1, keepdim=True)  # [n, 5], one separable kernel per face
    side = small.shape[-1]
    flat = small.reshape(1, n * 4, side, side)
    rows = kernels.repeat_interleave(4, dim=0)
    flat = F.conv2d(F.pad(flat, (2, 2, 0, 0), mode="replicate"), rows[:, None, None, :], groups=n * 4)
    flat = F.conv2d(F.pad(flat, (0, 0, 2, 2), mode="replicate"), rows[:, None, :, None], groups=n * 4)
    spoilt = flat.reshape(n, 4, side, side)
    sigma = noise[:, None, None, None] * torch.tensor([1.0, 1.0, 1.0, 0.5])[None, :, None, None]
    # Half of the noise is per pixel, half in blotches of about 2x2 pixels, as the generator's speckle is.
    blotches = F.interpolate(torch.randn((n, 4, side // 2, side // 2), generator=generator), size=(side, side),
                             mode="bilinear", align_corners=False)
    speckle = (torch.randn(spoilt.shape, generator=generator) + 1.5 * blotches) / np.hypot(1.0, 1.5 * 0.5)
    spoilt = spoilt + sigma * speckle
    return spoilt.clamp(-1.0, 1.0)


def _edges(image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return image[..., :, 1:] - image[..., :, :-1], image[..., 1:, :] - image[..., :-1, :]


class RefinerTrainer(TrainingRun):
    """One training run of the refiner: network, optimiser, the training faces (uint8 ``[n, 4, 128, 128]``)."""

    def __init__(self, faces: torch.Tensor, width: int, blocks: int, batch: int, seed: int, lr: float, steps: int):
        super().__init__(seed, lr, steps, LOSS_KEYS)
        self.faces, self.batch = faces, batch
        self.net = RefinerNet(width, blocks)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=lr)

    def parts(self) -> dict:
        return {"net": self.net, "optimizer": self.optimizer}

    def settings(self) -> dict:
        return {"width": self.net.width, "blocks": self.net.blocks, "batch": self.batch, "lr": self.lr}

    def train_step(self) -> dict[str, float]:
        self.set_learning_rate(self.optimizer)
        rows = self.rng.integers(0, len(self.faces), self.batch)
        side = self.faces.shape[-1]
        tops, lefts = (2 * self.rng.integers(0, (side - CROP) // 2 + 1, self.batch) for _ in range(2))
        targets = torch.stack([self.faces[r, :, t:t + CROP, l:l + CROP] for r, t, l in zip(rows, tops, lefts)])
        targets = targets.float() / 127.5 - 1.0
        refined = self.net(spoil(targets, self.torch_rng))
        pixels = F.l1_loss(refined, targets)
        edges = sum(F.l1_loss(a, b) for a, b in zip(_edges(refined), _edges(targets)))
        total = pixels + edges
        self.optimizer.zero_grad()
        total.backward()
        self.optimizer.step()
        self.step += 1
        values = {"total": total.item(), "pixels": pixels.item(), "edges": edges.item()}
        self.record(values)
        return values



def _faces(data: str | Path, split: str, limit: int | None = None) -> np.ndarray:
    """uint8 RGBA faces ``[n, S, S, 4]`` of a dataset split (the appearance datasets hold one per identity)."""
    images = []
    for item in FaceDataset(data, split=split):
        images.append(item["image"])
        if limit is not None and len(images) >= limit:
            break
    if not images:
        raise AnisyncError(f"{data}: no faces in the {split} split")
    return np.stack(images)


class _Exported(nn.Module):
    def __init__(self, net: RefinerNet):
        super().__init__()
        self.net = net

    def forward(self, image):
        return self.net(image)


def train_refiner(data: str | Path, out: str | Path, steps: int, batch: int = 16, width: int = 24, blocks: int = 4,
                  lr: float = 1e-3, seed: int = 0, checkpoint_every: int = 500, resume: bool = False) -> dict:
    """Train the refiner on ``data``'s train split, export it to ``out`` with its card; returns the card."""
    started = time.perf_counter()
    out = Path(out)
    faces = _faces(data, "train")
    if faces.shape[1] != 2 * 64:
        raise AnisyncError(f"{data}: faces of {faces.shape[1]} px; the refiner learns 64 -> 128 from 128 px faces "
                           "(anisync data appearance --size 128)")
    trainer = RefinerTrainer(torch.from_numpy(faces).permute(0, 3, 1, 2).contiguous(), width, blocks, batch, seed, lr, steps)
    trainer.train_to(steps, out.with_suffix(".ckpt"), checkpoint_every, resume, "train appearance-refiner")
    trainer.net.eval()
    export_onnx(_Exported(trainer.net), (torch.zeros(1, 4, 64, 64),), out, ("image",), ("refined",))
    card = {
        "model": "appearance refiner, 64 -> 128 px (sdk/appearance/refiner_train.py)",
        "command": "anisync " + " ".join(sys.argv[1:]),
        "data": {"path": str(data), "faces": len(faces), "size": int(faces.shape[1])},
        "training": {"pairs": f"random {CROP} px crops; input shrunk 2x, blurred (sigma 0.3-1 px) on half, "
                              f"noised (sigma up to {MAX_NOISE}, per pixel and in 2x2 blotches)",
                     "objective": "L1 on pixels + L1 on horizontal and vertical differences",
                     "steps": trainer.step, "batch": batch, "seed": trainer.seed,
                     "optimizer": f"Adam lr {lr:g}, constant then linear decay to 0 over the second half",
                     "wall_seconds": trainer.wall_seconds, "wall_seconds_this_run": time.perf_counter() - started},
        "network": {"width": width, "blocks": blocks, "parameters": sum(p.numel() for p in trainer.net.parameters())},
        "hardware": {"device": "cpu", "processor": cpu_name(),
                     "torch_threads": torch.get_num_threads(), "torch": torch.__version__},
        "metrics": {"final_losses": trainer.final_losses()},
        "opset": OPSET, "inputs": ["image"], "outputs": ["refined"], "sha256": sha256_of(out),
    }
    card_path(out).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two uint8 image batches (all channels)."""
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0 ** 2 / max(mse, 1e-12)))


#: Patches inside the skin and hair fills of a face framed like the models' (top, bottom, left, right
#: fractions of the side): both cheeks under the eyes and the crown.
FILL_PATCHES = ((0.56, 0.66, 0.26, 0.38), (0.56, 0.66, 0.62, 0.74), (0.06, 0.16, 0.40, 0.60))
#: A pixel this far (0-255, any channel) from its patch's median is a line or highlight, not fill noise.
_FEATURE = 48


def fill_noise(faces: np.ndarray) -> float:
    """Speckle in flat fills (0-255): over :data:`FILL_PATCHES`, the mean absolute difference of each opaque
    pixel's RGB from its patch's median, leaving out lines and highlights (:data:`_FEATURE`); averaged over
    patches and faces. Real 128 px renders score about 3 (blush and shading), noise adds to it."""
    values = []
    for face in faces:
        side = face.shape[0]
        for top, bottom, left, right in FILL_PATCHES:
            patch = face[int(top * side):int(bottom * side), int(left * side):int(right * side)].reshape(-1, 4)
            pixels = patch[patch[:, 3] == 255, :3].astype(np.float64)
            if len(pixels) < 4:
                continue
            deviation = np.abs(pixels - np.median(pixels, axis=0))
            values.append(deviation[deviation.max(axis=1) < _FEATURE].mean())
    return float(np.mean(values))


def _upscaled(faces: np.ndarray, method) -> np.ndarray:
    return np.stack([np.asarray(Image.fromarray(f, "RGBA").resize((2 * f.shape[0],) * 2, method)) for f in faces])


def evaluate_refiner(model: str | Path, data: str | Path, generator: str | Path | None = None, faces: int = 256,
                     seed: int = 0, sheet: str | Path | None = None) -> dict:
    """The figures of the module docstring (and a sheet: generator faces upscaled, then refined)."""
    from .generator import AppearanceGenerator, to_uint8
    from .refiner import FaceRefiner

    refiner = FaceRefiner(model, threads=1)
    truth = _faces(data, "test", faces)
    generator_rng = torch.Generator().manual_seed(seed)
    held_out = {}
    for noise in EVAL_NOISE:
        inputs = to_uint8(spoil(torch.from_numpy(to_network(truth)), generator_rng,
                                blur=torch.zeros(len(truth)), noise=torch.full((len(truth),), noise)).numpy())
        held_out[f"noise_{noise:g}"] = {"refined": psnr(refiner.refine(inputs), truth),
                                        "bilinear": psnr(_upscaled(inputs, Image.Resampling.BILINEAR), truth),
                                        "lanczos": psnr(_upscaled(inputs, Image.Resampling.LANCZOS), truth)}
    result = {"model": str(model), "data": str(data), "faces": len(truth), "seed": seed,
              "psnr_db_on_held_out": held_out, "fill_noise_real_renders": fill_noise(truth)}
    if generator is not None:
        drawn = AppearanceGenerator(generator).generate_many({}, list(range(faces)))
        refined, lanczos = refiner.refine(drawn), _upscaled(drawn, Image.Resampling.LANCZOS)
        result["generator"] = {"model": str(generator), "faces": faces,
                               "fill_noise_refined": fill_noise(refined), "fill_noise_lanczos": fill_noise(lanczos)}
        if sheet is not None:
            cells = [Image.fromarray(face, "RGBA") for pair in zip(lanczos[:8], refined[:8]) for face in pair]
            grid(cells, 4, 128, ["Lanczos", "refined", "Lanczos", "refined"]).save(sheet)
    return result
