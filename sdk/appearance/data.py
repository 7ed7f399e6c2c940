"""Training data of the appearance generator: neutral, frontal procedural faces whose attributes are drawn
independently of each other (``anisync data appearance``), and the loader that turns any procedural
dataset into images and attribute labels.

Why a dataset of its own: ``anisync data make`` turns three heads in four away from the camera and, as
:func:`~anisync.procedural.identity.sample_identity` does, ties hair and eye colours, hair styles and
accessories to the style (no pink-haired ``cool`` character, ever). A designer asks for any combination,
so here every attribute is uniform over its values and independent of the others; everything else of the
identity (face shape, skin, accent colour) is drawn by ``sample_identity`` for the chosen style:

* style, hair style, hair colour name, eye colour name, accessory: each uniform over
  :data:`~anisync.appearance.attributes.ATTRIBUTES`;
* the hair (eye) colour: one of the name's base colours, uniform, jittered exactly as ``sample_identity``
  jitters palette colours;
* neutral expression, yaw 0.

The folder is an ordinary ``anisync-procedural-faces`` dataset (one face per identity, the same shards,
splits by identity and manifest, plus ``generator`` and ``attributes`` keys), so
:class:`~anisync.procedural.loader.FaceDataset` reads it and a second run with the same settings resumes it.
Its labels are the identities themselves; :func:`~anisync.appearance.attributes.attributes_of` reads the
attributes back exactly. :func:`load_faces` also takes a dataset of ``anisync data make`` and keeps its
neutral faces at yaw 0.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
from PIL import Image

from ..emotion import EMOTIONS
from ..errors import AnisyncError, DefinitionError, ModelLoadError
from ..expression.card import sha256_of
from ..procedural.dataset import (FORMAT, MANIFEST, SHEET, SPLITS, VERSION, Sample, plan_shards, write_shard,
                                  split_identities, write_manifest)
from ..procedural.loader import FaceDataset
from ..procedural.render import MAX_SIZE, MIN_SIZE
from ..procedural.sheet import grid
from ..progress import progress as progress_bar
from .attributes import attributes_of, indices, sample_appearance, vocabulary
from .portraits import PORTRAIT_CSV, is_portrait_folder, load_portraits, portrait_fingerprint

#: The ``generator`` key of the manifest of an appearance dataset.
GENERATOR = "anisync data appearance"
_NEUTRAL = np.eye(len(EMOTIONS), dtype=np.float32)[EMOTIONS.index("neutral")]


def make_appearance_dataset(out: str | os.PathLike, identities: int, size: int = 64, seed: int = 0,
                            shard_identities: int = 256, show_progress: bool = True) -> Path:
    """Render ``identities`` neutral frontal faces (module docstring) into ``out``; resumes a run with the
    same settings. Returns the folder.

    Raises:
        DefinitionError: a count, size or seed out of range.
        AnisyncError: ``out`` holds a dataset made with other settings or by another generator.
    """
    for key, value, low, high in (("identities", identities, 1, 10**7), ("size", size, MIN_SIZE, MAX_SIZE),
                                  ("seed", seed, 0, 2**63 - 1), ("shard_identities", shard_identities, 1, 10**6)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
            raise DefinitionError("make_appearance_dataset", key, f"an integer from {low} to {high}", value)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    settings = {"format": FORMAT, "version": VERSION, "generator": GENERATOR, "identities": int(identities),
                "expressions": 1, "size": int(size), "seed": int(seed), "shard_identities": int(shard_identities),
                "attributes": vocabulary()}
    manifest = {**settings, "emotions": list(EMOTIONS), "splits": split_identities(identities, seed),
                "shards": plan_shards(identities, shard_identities, seed)}
    write_manifest(out, settings, manifest)
    todo = [shard for shard in manifest["shards"] if not (out / shard["file"]).exists()]
    work = progress_bar(todo, desc="rendering shards") if show_progress else todo
    for shard in work:
        groups = [[Sample(number, sample_appearance(np.random.default_rng([seed, number])), 0.0, _NEUTRAL)]
                  for number in shard["identities"]]
        write_shard(out / shard["file"], groups, size)
    write_appearance_sheet(out, manifest)
    return out


def write_appearance_sheet(out: Path, manifest: dict, faces: int = 64, columns: int = 8) -> Path:
    """A contact sheet of the first ``faces`` faces of the first shard."""
    with np.load(out / manifest["shards"][0]["file"]) as shard:
        images = shard["images"][:faces]
    sheet = grid([Image.fromarray(rgba, "RGBA") for rgba in images], columns, manifest["size"])
    sheet.save(out / SHEET)
    return out / SHEET


@dataclasses.dataclass
class LabelledFaces:
    """Faces with their attributes: uint8 RGBA ``images`` (n, S, S, 4), ``labels`` (n, 5) value indices in
    :data:`ATTRIBUTES` order, ``identities`` (n,) identity names."""

    images: np.ndarray
    labels: np.ndarray
    identities: np.ndarray

    def __len__(self) -> int:
        return len(self.images)


def dataset_fingerprint(data: str | os.PathLike) -> str:
    """The sha256 of a procedural dataset's manifest: the same faces in the same splits have the same one.
    Model and judge cards record it, and the evaluation refuses a model or judge trained on another
    dataset (the split of an identity depends on the dataset's size, so another dataset's training faces
    can be this one's held-out faces)."""
    if is_portrait_folder(data):
        return portrait_fingerprint(data)
    manifest = Path(data) / MANIFEST
    if not manifest.is_file():
        raise AnisyncError(f"{data}: not a procedural dataset (no {MANIFEST}) nor a folder of portraits (no {PORTRAIT_CSV})")
    return sha256_of(manifest)


def check_fingerprint(name: str, card: dict | None, data: str | os.PathLike, fingerprint: str) -> None:
    """ModelLoadError naming ``name`` unless its model card records the dataset ``fingerprint`` of ``data``."""
    recorded = (card or {}).get("data_fingerprint")
    if recorded != fingerprint:
        raise ModelLoadError(f"{name}: trained on another dataset than {data} (its card's data_fingerprint is "
                             f"{recorded}, the dataset's is {fingerprint}); evaluate on the data it was trained on")


def load_faces(data: str | os.PathLike, split: str, size: int | None = 64, limit: int | None = None) -> LabelledFaces:
    """The neutral faces at yaw 0 of a procedural dataset's ``split``, with their attributes (at most
    ``limit``); or, for a folder of portraits (:mod:`anisync.appearance.portraits`), its rows of that split.
    Raises AnisyncError naming the folder when it is neither, its faces are not ``size`` pixels, or the
    split holds no such face, and DefinitionError for a bad portrait folder."""
    if split not in SPLITS:
        raise DefinitionError("load_faces", "split", "one of " + ", ".join(SPLITS), split)
    if is_portrait_folder(data):
        return load_portraits(data, split, size or 64, limit)
    root = Path(data)
    if not (root / MANIFEST).exists():
        raise AnisyncError(f"{root}: not a procedural dataset (no {MANIFEST}); make one with `anisync data appearance`; "
                           "the appearance models learn attributes that only procedural identities label exactly")
    dataset = FaceDataset(root, split=split)
    if size is not None and dataset.manifest["size"] != size:
        raise AnisyncError(f"{root}: faces of {dataset.manifest['size']} px; the appearance models draw {size} px "
                           f"(make them with `anisync data appearance`, or `anisync data make --size {size}`)")
    neutral = EMOTIONS.index("neutral")
    images, labels, identities = [], [], []
    for item in dataset:
        if item["yaw"] != 0.0 or item["emotions"][neutral] != 1.0:
            continue
        attributes = attributes_of(item["identity_params"])
        images.append(item["image"])
        labels.append(indices(attributes))
        identities.append(item["identity"])
        if limit is not None and len(images) >= limit:
            break
    if not images:
        raise AnisyncError(f"{root}: no neutral frontal face in the {split} split")
    return LabelledFaces(np.stack(images), np.array(labels, np.int64), np.array(identities))
