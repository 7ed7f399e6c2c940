"""``anisync eval stylize``: how close a stylizer comes to the true anime rendering of held-out pairs, beside
the do-nothing baseline (the input itself) and other stylizers (the CartoonGAN-style baseline, the ablation).

For each pair set's test split (faces and scenes apart, then all pairs together), each row (``input``: the
do-nothing baseline; then every model) gets, against the truth:

* ``psnr_db``: PSNR over all pixels and channels;
* ``ssim``: SSIM of the grey images (7x7 uniform window, the usual constants), averaged over pixels;
* ``edge_psnr_db``: PSNR over the truth's lines and edges (where its grey gradient exceeds 0.1 of the
  range, grown by one pixel): are lines drawn where they belong;
* ``flat_psnr_db``: PSNR over the truth's flat fills (no gradient over 0.02 in a 5x5 neighbourhood);
* ``flat_roughness``: the mean absolute difference of neighbouring pixels inside those fills, 0-255
  (the truth's own is about 0; grain, noise and JPEG blocks raise it).

Latency: one 256x256 image on one onnxruntime thread, median and 99th percentile of
:data:`LATENCY_RUNS` runs after a warm-up, for each model (the target is 50 ms).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import AnisyncError
from ..expression.evaluate import psnr
from .pairs import load_pairs
from .stylizer import Stylizer

LATENCY_RUNS = 50
#: The scikit-image photos of the qualitative sheet (they ship inside its wheel).
PHOTOS = ("astronaut", "chelsea", "coffee", "rocket")


def _grey(images: np.ndarray) -> np.ndarray:
    return images.astype(np.float64).mean(axis=-1) / 255.0


def _box(images: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a (2 radius + 1) square window of ``[n, H, W]``, edges mirrored."""
    size = 2 * radius + 1
    padded = np.pad(images, ((0, 0), (radius + 1, radius), (radius + 1, radius)), mode="symmetric")
    summed = padded.cumsum(axis=1).cumsum(axis=2)
    window = summed[:, size:, size:] - summed[:, :-size, size:] - summed[:, size:, :-size] + summed[:, :-size, :-size]
    return window / size ** 2


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of the grey images of two uint8 RGB batches ``[n, H, W, 3]`` (7x7 uniform window), as
    scikit-image's ``structural_similarity`` computes it (borders of 3 px left out of the mean)."""
    x, y = _grey(a), _grey(b)
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    mx, my = _box(x, 3), _box(y, 3)
    cov = 49 / 48  # the window's sample covariance, as scikit-image computes it
    vx, vy, vxy = cov * (_box(x * x, 3) - mx * mx), cov * (_box(y * y, 3) - my * my), cov * (_box(x * y, 3) - mx * my)
    index = ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(np.mean(index[:, 3:-3, 3:-3]))


def _gradient(images: np.ndarray) -> np.ndarray:
    grey = _grey(images)
    gx = np.abs(np.diff(grey, axis=2, append=grey[:, :, -1:]))
    gy = np.abs(np.diff(grey, axis=1, append=grey[:, -1:, :]))
    return np.maximum(gx, gy)


def regions(truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(edges, flat fills) of the true renderings, bool ``[n, H, W]`` (module docstring)."""
    gradient = _gradient(truth)
    edges = _box((gradient > 0.1).astype(np.float64), 1) > 0
    flat = _box((gradient > 0.02).astype(np.float64), 2) == 0
    return edges, flat


def figures(images: np.ndarray, truth: np.ndarray) -> dict:
    """The row of figures of ``images`` against ``truth`` (module docstring)."""
    edges, flat = regions(truth)
    grey = _grey(images) * 255.0
    steps = np.abs(np.diff(grey, axis=2))
    inside = flat[:, :, 1:] & flat[:, :, :-1]
    row = {"psnr_db": psnr(images, truth), "ssim": ssim(images, truth), "edge_psnr_db": psnr(images, truth, edges),
           "flat_psnr_db": psnr(images, truth, flat), "flat_roughness": float(steps[inside].mean()) if inside.any() else np.nan}
    # JSON has no infinity (images equal to the truth) or NaN (a truth with no edges or no fills): null.
    return {key: value if np.isfinite(value) else None for key, value in row.items()}


def latency_ms(stylizer: Stylizer, side: int = 256, runs: int = LATENCY_RUNS) -> dict:
    """Median and 99th percentile (ms) of stylizing one ``side`` px image."""
    image = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
    for _ in range(3):
        stylizer.stylize(image)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        stylizer.stylize(image)
        times.append(1000 * (time.perf_counter() - started))
    return {"median": float(np.median(times)), "p99": float(np.percentile(times, 99)), "runs": runs, "side": side}


def evaluate_stylizers(model: str | Path, data: list[str | Path], baselines: list[str] = (), pairs: int | None = None,
                       sheet: str | Path | None = None, photos_sheet: str | Path | None = None) -> dict:
    """Figures of ``model`` and each ``NAME=MODEL`` of ``baselines`` on the test splits of ``data`` (module
    docstring), and optionally the two sheets."""
    models = {"model": Stylizer(model, threads=1)}
    for spec in baselines:
        name, _, path = spec.partition("=")
        if not name or not path or name in models or name == "input":
            raise AnisyncError(f"--baseline: expected NAME=MODEL with a new NAME, got {spec!r}")
        models[name] = Stylizer(path, threads=1)
    sets, outputs, truths = {}, {}, {}
    for path in data:
        inputs, truth, manifest = load_pairs(path, "test", pairs)
        source = manifest["source"]
        if source in sets:
            raise AnisyncError(f"--data: two pair sets of {source}; give one of each source")
        if truths and next(iter(truths.values())).shape[1:] != truth.shape[1:]:
            raise AnisyncError(f"--data: {path} holds {truth.shape[1]} px pairs, {data[0]} "
                               f"{next(iter(truths.values())).shape[1]} px; give pair sets of one size")
        outputs[source] = {"input": inputs, **{name: m.stylize(inputs) for name, m in models.items()}}
        sets[source], truths[source] = {"path": str(path), "pairs": len(inputs)}, truth
    report = {"model": str(model), "baselines": dict(s.partition("=")[::2] for s in baselines), "sets": {}}
    for source, found in sets.items():
        report["sets"][source] = {**found, **{row: figures(images, truths[source]) for row, images in outputs[source].items()}}
    every = list(outputs)
    report["all"] = {row: figures(np.concatenate([outputs[s][row] for s in every]), np.concatenate(list(truths.values())))
                     for row in outputs[every[0]]}
    report["latency_ms_256px_one_thread"] = {name: latency_ms(m) for name, m in models.items()}
    if sheet is not None:
        write_sheet(sheet, truths, outputs, models)
    if photos_sheet is not None:
        write_photos_sheet(photos_sheet, models["model"])
    return report


def write_sheet(path: str | Path, truths: dict, outputs: dict, models: dict, per_source: int = 3) -> None:
    """Held-out pairs, one per row: the input, each model's output, the truth."""
    from ..procedural.sheet import grid

    columns = ["input", *models, "truth"]
    cells = []
    for source, truth in truths.items():
        for k in range(min(per_source, len(truth))):
            row = [outputs[source][name][k] for name in ["input", *models]] + [truth[k]]
            cells += [Image.fromarray(image).convert("RGBA").resize((192, 192), Image.Resampling.LANCZOS) for image in row]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    grid(cells, len(columns), 192, columns).save(path)


def write_photos_sheet(path: str | Path, stylizer: Stylizer) -> None:
    """scikit-image's photos (:data:`PHOTOS`, shrunk to 256 px on the longer side) and their stylized forms;
    qualitative only: they have no true anime rendering."""
    from ..procedural.sheet import grid

    try:
        from skimage import data
    except ImportError:
        raise AnisyncError("--photos-sheet: needs scikit-image, whose wheel ships the photos: pip install scikit-image") from None
    cells = []
    for name in PHOTOS:
        photo = Image.fromarray(getattr(data, name)()).convert("RGB")
        photo.thumbnail((256, 256), Image.Resampling.LANCZOS)
        square = Image.new("RGB", (256, 256), (255, 255, 255))
        square.paste(photo, ((256 - photo.width) // 2, (256 - photo.height) // 2))
        stylized = Image.fromarray(stylizer.stylize(np.asarray(photo)))
        anime = square.copy()
        anime.paste(stylized, ((256 - photo.width) // 2, (256 - photo.height) // 2))
        cells += [square.convert("RGBA"), anime.convert("RGBA")]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    grid(cells, 4, 256, ["photo", "stylized", "photo", "stylized"]).save(path)


def print_report(report: dict) -> None:
    """The figures as a short table on stdout."""
    for name, rows in [*report["sets"].items(), ("all", report["all"])]:
        print(f"{name}:")
        for row, f in rows.items():
            if isinstance(f, dict):
                f = {key: float("nan") if value is None else value for key, value in f.items()}
                print(f"  {row:12s} PSNR {f['psnr_db']:6.2f} dB  SSIM {f['ssim']:.3f}  edges {f['edge_psnr_db']:6.2f} dB  "
                      f"flat {f['flat_psnr_db']:6.2f} dB  roughness {f['flat_roughness']:.2f}")
    for name, timing in report["latency_ms_256px_one_thread"].items():
        print(f"latency {name}: median {timing['median']:.1f} ms, p99 {timing['p99']:.1f} ms (256 px, one thread)")
