"""Style pairs: images whose true anime rendering is known, for training and measuring the stylizer.

A pair is an *input* (a realistic, photographic-looking image) and its *target* (the same picture drawn in
anime style: flat fills, banded light, clean lines). Two sources make them exactly, so every output has a
truth to be measured against:

* **faces** (:func:`make_face_pairs`, numpy and Pillow): a procedural face over a flat background is the
  target; the input is the same face lit as a rounded surface (soft Lambert shading and a specular sheen
  from a random light, with skin grain), its background lit by a gradient, then photographed
  (:func:`photograph`);
* **scenes** (``anisync.demo.style_scenes``, Panda3D): the village from random viewpoints and lights, drawn
  once with realistic shading and once with a cel shader and outlines.

On disk a pair set is a folder: ``manifest.json`` (:data:`FORMAT`, the source, the size, the seed and the
counts per split) and ``SPLIT/input/NNNNN.png`` beside ``SPLIT/target/NNNNN.png`` (RGB). The ``test``
split holds identities, layouts, viewpoints and lights never drawn for ``train``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from ..errors import AnisyncError
from ..files import write_atomically
from ..progress import progress

#: ``manifest.json``'s ``format``.
FORMAT = "anisync style pairs 1"
MANIFEST = "manifest.json"
SPLITS = ("train", "test")


def photograph(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``image`` (uint8 RGB) as a camera would record it: white balance off by a few percent, another
    exposure curve, vignetting, lens blur (sigma 0.4-1.3 px), sensor noise (luma and chroma) and JPEG
    compression (quality 55-90), each drawn from ``rng``."""
    side_y, side_x = image.shape[:2]
    pixels = image.astype(np.float32) / 255.0
    pixels = pixels * (1.0 + rng.normal(0.0, 0.05, 3)).astype(np.float32)
    pixels = np.clip(pixels, 0.0, 1.0) ** rng.uniform(0.85, 1.15)
    y, x = np.mgrid[0:side_y, 0:side_x]
    radius2 = ((x - side_x / 2) ** 2 + (y - side_y / 2) ** 2) / (0.5 * max(side_x, side_y)) ** 2
    pixels = pixels * (1.0 - rng.uniform(0.0, 0.3) * radius2)[..., None]
    blurred = Image.fromarray(_to_uint8(pixels)).filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.3)))
    pixels = np.asarray(blurred, dtype=np.float32) / 255.0
    luma = rng.normal(0.0, rng.uniform(0.006, 0.025), (side_y, side_x, 1))
    chroma = rng.normal(0.0, rng.uniform(0.003, 0.012), (side_y, side_x, 3))
    noisy = Image.fromarray(_to_uint8(pixels + luma + chroma))
    return _jpeg(noisy, int(rng.integers(55, 91)))


def _to_uint8(pixels: np.ndarray) -> np.ndarray:
    return (np.clip(pixels, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def _jpeg(image: Image.Image, quality: int) -> np.ndarray:
    from io import BytesIO

    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


def _smooth_noise(rng: np.random.Generator, side: int, cells: int) -> np.ndarray:
    """Value noise in [-1, 1] of about ``cells`` blobs across, ``[side, side]``."""
    coarse = Image.fromarray(((rng.random((cells, cells)) * 255)).astype(np.uint8))
    return np.asarray(coarse.resize((side, side), Image.Resampling.BICUBIC), dtype=np.float32) / 127.5 - 1.0


def lit_face(face: np.ndarray, background: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The face (uint8 RGBA ``[S, S, 4]``) over ``background`` (float RGB in [0, 1]) lit as a rounded
    surface: a height field from the blurred silhouette, with fine grain, shaded by a random light (Lambert
    plus a Blinn specular sheen); the background gets a light gradient and a mottled texture. Float RGB."""
    side = face.shape[0]
    alpha = face[..., 3].astype(np.float32) / 255.0
    albedo = face[..., :3].astype(np.float32) / 255.0
    dome = np.asarray(Image.fromarray(face[..., 3]).filter(ImageFilter.GaussianBlur(side * 0.06)), np.float32) / 255.0
    grain = 0.0006 * _smooth_noise(rng, side, side // 4) + 0.002 * _smooth_noise(rng, side, 16)
    height = dome * side * 0.2 + grain * side
    gy, gx = np.gradient(height)
    normals = np.stack([-gx, -gy, np.ones_like(gx)], axis=-1)
    normals /= np.linalg.norm(normals, axis=-1, keepdims=True)
    azimuth, elevation = rng.uniform(0, 2 * np.pi), rng.uniform(np.radians(35), np.radians(75))
    light = np.array([np.cos(azimuth) * np.cos(elevation), np.sin(azimuth) * np.cos(elevation), np.sin(elevation)])
    tint = 1.0 + rng.normal(0.0, 0.06, 3)
    ambient = rng.uniform(0.35, 0.6)
    lambert = np.clip(normals @ light, 0.0, 1.0) / light[2]  # 1 where the surface faces the viewer
    shading = (ambient + (1.0 - ambient) * lambert)[..., None] * tint
    half = (light + np.array([0.0, 0.0, 1.0])) / np.linalg.norm(light + np.array([0.0, 0.0, 1.0]))
    sheen = rng.uniform(0.08, 0.25) * np.clip(normals @ half, 0.0, 1.0) ** rng.uniform(15, 40)
    skin = albedo * (1.0 + 0.05 * _smooth_noise(rng, side, side // 3))[..., None]
    subject = skin * shading + sheen[..., None]
    ramp = np.linspace(rng.uniform(-0.15, 0.15), rng.uniform(-0.15, 0.15), side, dtype=np.float32)
    backdrop = background * (1.0 + ramp[:, None, None] + 0.04 * _smooth_noise(rng, side, 8)[..., None]) * tint
    return subject * alpha[..., None] + backdrop * (1.0 - alpha[..., None])


def face_pair(number: int, seed: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pair ``number`` of a face pair set drawn with ``seed``: (input, target), uint8 RGB ``[size, size, 3]``."""
    from ..procedural import ExpressionParams, render_face, sample_identity
    from ..procedural.expression import EMOTIONS

    rng = np.random.default_rng([seed, number])
    identity = sample_identity(rng)
    weights = rng.dirichlet(np.full(len(EMOTIONS), 0.3))
    face = render_face(identity, ExpressionParams.from_emotions(dict(zip(EMOTIONS, weights))),
                       yaw=float(rng.uniform(-40, 40)), size=size).rgba
    background = rng.uniform(0.45, 0.95, 3).astype(np.float32)
    alpha = face[..., 3:].astype(np.float32) / 255.0
    target = face[..., :3].astype(np.float32) / 255.0 * alpha + background * (1.0 - alpha)
    return photograph(_to_uint8(lit_face(face, background, rng)), rng), _to_uint8(target)


def write_pairs(out: str | Path, source: str, size: int, seed: int, counts: dict[str, int], make_pair,
                settings: dict | None = None) -> Path:
    """Write a pair set to ``out``: for each split, ``counts[split]`` pairs from ``make_pair(split, number)``
    (-> input, target uint8 RGB), then the manifest, written last so that a folder with one is complete."""
    out = Path(out)
    if (out / MANIFEST).exists():
        raise AnisyncError(f"{out}: already holds a pair set; choose another --out")
    for split in SPLITS:
        for part in ("input", "target"):
            (out / split / part).mkdir(parents=True, exist_ok=True)
        for number in progress(range(counts[split]), desc=f"{source} pairs, {split}"):
            image, target = make_pair(split, number)
            Image.fromarray(image).save(out / split / "input" / f"{number:05d}.png")
            Image.fromarray(target).save(out / split / "target" / f"{number:05d}.png")
    manifest = {"format": FORMAT, "source": source, "size": size, "seed": seed, "counts": counts, **(settings or {})}
    write_atomically(out / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))
    return out


def make_face_pairs(out: str | Path, train: int, test: int, size: int = 256, seed: int = 0) -> Path:
    """Write ``train`` + ``test`` face pairs (:func:`face_pair`) to ``out``; the test split draws its faces
    from another seed stream, so no face, expression, light or camera of it is in training."""
    streams = {"train": [seed, 0], "test": [seed, 1]}
    return write_pairs(out, "faces", size, seed, {"train": train, "test": test},
                       lambda split, number: face_pair(number, streams[split], size))


def load_pairs(path: str | Path, split: str, limit: int | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
    """A split of the pair set at ``path``: inputs and targets (uint8 ``[n, S, S, 3]``) and the manifest.

    Raises:
        AnisyncError: naming ``path`` when it holds no pair set, one of another format, or no pair in ``split``,
            and naming the file when one of its images cannot be read.
    """
    path = Path(path)
    manifest_file = path / MANIFEST
    if not manifest_file.is_file():
        raise AnisyncError(f"{path}: not a style pair set (no {MANIFEST}; make one with anisync data stylize-faces "
                           "or anisync data stylize-scenes)")
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise AnisyncError(f"{manifest_file}: format {manifest.get('format')!r}, expected {FORMAT!r}")
    if not isinstance(manifest.get("counts"), dict):
        raise AnisyncError(f"{manifest_file}: expected 'counts' (pairs per split), got {manifest.get('counts')!r}")
    count = int(manifest["counts"].get(split, 0))
    if limit is not None:
        count = min(count, limit)
    if count == 0:
        raise AnisyncError(f"{path}: no pairs in the {split} split")
    read = [(_read_rgb(path / split / "input" / f"{k:05d}.png"), _read_rgb(path / split / "target" / f"{k:05d}.png"))
            for k in range(count)]
    return np.stack([a for a, _ in read]), np.stack([b for _, b in read]), manifest


def _read_rgb(file: Path) -> np.ndarray:
    """One image of a pair set, or AnisyncError naming the file (a pair set missing some of its images)."""
    try:
        with Image.open(file) as image:
            return np.asarray(image.convert("RGB"))
    except OSError as error:
        raise AnisyncError(f"{file}: an image of the pair set cannot be read ({error}); make the set again") from None
