"""``FaceDataset``: one interface over procedural shards (:func:`~anisync.procedural.dataset.make_dataset`) and
over a folder of the user's own images, so the same training code reads both.

Every item is a dict:

=================  =========================================  ==================================================
key                procedural shards                          user folder (without a label: None)
=================  =========================================  ==================================================
image              (S, S, 4) uint8 RGBA                       the image as RGBA (resized to ``size`` if given)
emotions           (7,) float32                               ``emotions`` label
expression         (P,) float32 expression parameters         ``expression`` label (dict or vector)
yaw                float, degrees                             ``yaw`` label
landmarks          (30, 2) float32, pixels                    ``landmarks`` label, (N, 2) pixels
landmark_visible   (30,) bool                                 all True when landmarks are given
mask               (S, S) bool expression mask                ``mask`` label: a mask image's path
identity           ``"procedural-<number>"``                  ``identity`` label, else the sub-folder, else the
                                                              file name
split              ``"train"``, ``"validation"``, ``"test"``  ``split`` label, else drawn from the identity
identity_params    dict (:meth:`FaceIdentity.to_dict`)        None
source             shard file name and row                    image path
=================  =========================================  ==================================================

The labels file of a folder is JSON: ``{"relative/path.png": {"emotions": {"joy": 1.0}, "identity": "mira",
...}, ...}`` with any subset of the keys above (paths relative to the folder, mask paths too); images without
an entry get no labels. When a split is not
labelled for any image of an identity it applies to all of them (conflicting labels are an error); otherwise
it is chosen from a hash of the identity (80 % train, 10 % validation, 10 % test), so no identity is in two
splits and the choice is the same on every machine. Images named as masks in the labels are not faces.
"""

from __future__ import annotations

import json
import os
import zlib
from collections import OrderedDict
from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import Image

from ..errors import AnisyncError, DefinitionError
from .dataset import FORMAT, MANIFEST, SPLITS
from .expression import ExpressionParams, emotion_vector

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
LABEL_KEYS = ("emotions", "expression", "yaw", "landmarks", "mask", "identity", "split")


class FaceDataset:
    """Faces with labels, from procedural shards or (:meth:`from_folder`) from a folder of images.

    Args:
        path: a folder written by :func:`~anisync.procedural.dataset.make_dataset`.
        split: keep only ``"train"``, ``"validation"`` or ``"test"``; None keeps all.
        cached_shards: how many decoded shards to keep in memory. Shards are compressed and decode whole,
            so read in order, or shuffle within a few shards at a time, rather than across all of them.
    """

    def __init__(self, path: str | os.PathLike, split: str | None = None, cached_shards: int = 4):
        root = Path(path)
        manifest_path = root / MANIFEST
        if not manifest_path.exists():
            raise AnisyncError(f"{root} is not a procedural dataset (no {MANIFEST}); "
                               "for a folder of images use FaceDataset.from_folder")
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("format") != FORMAT:
            raise AnisyncError(f"{manifest_path}: not an {FORMAT} manifest")
        _check_split(split)
        rows = []
        for shard in manifest["shards"]:
            if split is not None and shard["split"] != split:
                continue
            if not (root / shard["file"]).exists():
                raise AnisyncError(f"{root / shard['file']} is missing; rerun the same `anisync data make` to finish it")
            rows += [(shard, row) for row in range(len(shard["identities"]) * manifest["expressions"])]
        self._init(root, manifest, split, rows=rows, folder=None, size=None, cached_shards=cached_shards)

    def _init(self, root: Path, manifest: dict | None, split: str | None, rows: list[tuple[dict, int]],
              folder: list[tuple[Path, dict]] | None, size: int | None, cached_shards: int) -> None:
        """Set the state both sources share: shard rows for a procedural dataset, records for a folder."""
        self.root, self.manifest, self.split = root, manifest, split
        self._rows, self._folder, self._size = rows, folder, size
        self._cache: OrderedDict[str, dict] = OrderedDict()
        self._cached_shards = max(1, int(cached_shards))

    @classmethod
    def from_folder(cls, folder: str | os.PathLike, labels: str | os.PathLike | dict | None = None,
                    split: str | None = None, size: int | None = None) -> "FaceDataset":
        """A dataset over the images under ``folder`` (searched recursively, sorted by path).

        Args:
            folder: where the images are.
            labels: a JSON labels file (or its parsed dict), keyed by image path relative to ``folder``.
            split: keep only this split.
            size: resize every image (and its landmarks and mask) to ``size`` x ``size``.
        """
        root = Path(folder)
        if not root.is_dir():
            raise AnisyncError(f"{root} is not a folder")
        source = "labels"
        if labels is not None and not isinstance(labels, dict):
            source = str(labels)
            labels = json.loads(Path(labels).read_text())
        labels = labels or {}
        if not isinstance(labels, dict):
            raise DefinitionError(source, "", "a mapping from image paths to labels", type(labels).__name__)
        _check_split(split)
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
            raise DefinitionError("from_folder", "size", "a positive integer or None", size)
        masks = {str(label.get("mask")) for label in labels.values() if isinstance(label, dict) and label.get("mask")}
        images = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
                        and p.relative_to(root).as_posix() not in masks)
        checked = [(path, _check_label(source, root, path.relative_to(root).as_posix(),
                                       labels.get(path.relative_to(root).as_posix(), {}))) for path in images]
        # An identity's split is the one its labels name (they must agree), else a hash of its name.
        named: dict[str, tuple[str, str]] = {}
        for path, label in checked:
            if label["split"] is None:
                continue
            relative = path.relative_to(root).as_posix()
            first = named.setdefault(label["identity"], (label["split"], relative))
            if first[0] != label["split"]:
                raise DefinitionError(source, f"{relative}.split", f"{first[0]!r} as for {first[1]} (one split per "
                                      f"identity, here {label['identity']!r})", label["split"])
        records = []
        for path, label in checked:
            label["split"] = named[label["identity"]][0] if label["identity"] in named else split_of(label["identity"])
            if split is None or label["split"] == split:
                records.append((path, label))
        dataset = cls.__new__(cls)
        dataset._init(root, None, split, rows=[], folder=records, size=size, cached_shards=1)
        return dataset

    def __len__(self) -> int:
        return len(self._folder) if self._folder is not None else len(self._rows)

    def __iter__(self) -> Iterator[dict]:
        for i in range(len(self)):
            yield self[i]

    def __getitem__(self, index: int) -> dict:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not -len(self) <= index < len(self):
            raise IndexError(f"index {index!r} out of range for {len(self)} faces")
        index = int(index) % len(self)
        if self._folder is not None:
            return self._folder_item(*self._folder[index])
        shard, row = self._rows[index]
        return self._shard_item(shard, row)

    @property
    def identities(self) -> list[str]:
        """Identity names in this dataset, in order of first appearance."""
        if self._folder is not None:
            return list(dict.fromkeys(label["identity"] for _, label in self._folder))
        per_identity = self.manifest["expressions"]
        return list(dict.fromkeys(f"procedural-{shard['identities'][row // per_identity]}" for shard, row in self._rows))

    def _shard(self, shard: dict) -> dict:
        """A shard's arrays, decoded once and kept in a small least-recently-used cache."""
        name = shard["file"]
        if name in self._cache:
            self._cache.move_to_end(name)
            return self._cache[name]
        with np.load(self.root / name) as data:
            arrays = {key: data[key] for key in data.files}
        arrays["identity_params"] = json.loads(str(arrays["identity_params"]))
        self._cache[name] = arrays
        if len(self._cache) > self._cached_shards:
            self._cache.popitem(last=False)
        return arrays

    def _shard_item(self, shard: dict, row: int) -> dict:
        data = self._shard(shard)
        size = self.manifest["size"]
        number = int(data["identity"][row])
        return {
            "image": data["images"][row],
            "emotions": data["emotions"][row],
            "expression": data["expression"][row],
            "yaw": float(data["yaw"][row]),
            "landmarks": data["landmarks"][row],
            "landmark_visible": data["landmark_visible"][row],
            "mask": np.unpackbits(data["masks"][row])[: size * size].reshape(size, size).astype(bool),
            "identity": f"procedural-{number}",
            "split": shard["split"],
            "identity_params": data["identity_params"][str(number)],
            "source": f"{shard['file']}#{row}",
        }

    def _folder_item(self, path: Path, label: dict) -> dict:
        image = Image.open(path).convert("RGBA")
        scale = None
        if self._size is not None and image.size != (self._size, self._size):
            scale = (self._size / image.size[0], self._size / image.size[1])
            image = image.resize((self._size, self._size), Image.Resampling.LANCZOS)
        landmarks = label["landmarks"]
        if landmarks is not None and scale is not None:
            landmarks = ((landmarks + 0.5) * np.array(scale, dtype=np.float32) - 0.5).astype(np.float32)
        mask = None
        if label["mask"] is not None:
            mask_image = Image.open(label["mask"]).convert("L")
            if mask_image.size != image.size:
                mask_image = mask_image.resize(image.size, Image.Resampling.NEAREST)
            mask = np.asarray(mask_image) > 127
        return {
            "image": np.asarray(image),
            "emotions": label["emotions"],
            "expression": label["expression"],
            "yaw": label["yaw"],
            "landmarks": landmarks,
            "landmark_visible": None if landmarks is None else np.ones(len(landmarks), bool),
            "mask": mask,
            "identity": label["identity"],
            "split": label["split"],
            "identity_params": None,
            "source": str(path),
        }


def _check_split(split: str | None) -> None:
    if split is not None and split not in SPLITS:
        raise DefinitionError("FaceDataset", "split", "None or one of " + ", ".join(SPLITS), split)


def split_of(identity: str) -> str:
    """The split a folder identity falls in when its labels name none: 80 / 10 / 10 by a stable hash."""
    bucket = zlib.crc32(identity.encode("utf-8")) % 10
    return "validation" if bucket == 0 else "test" if bucket == 1 else "train"


def _check_label(source: str, root: Path, key: str, label: object) -> dict:
    """Validate the labels of the image at ``root / key``; missing labels are None (the split is filled in later)."""
    if not isinstance(label, dict):
        raise DefinitionError(source, key, "a mapping of labels", label)
    for name in label:
        if name not in LABEL_KEYS:
            raise DefinitionError(source, f"{key}.{name}", "a label key (" + ", ".join(LABEL_KEYS) + ")", name)
    out: dict = {name: None for name in LABEL_KEYS}
    if label.get("emotions") is not None:
        try:
            out["emotions"] = emotion_vector(label["emotions"]).astype(np.float32)
        except DefinitionError as error:
            raise DefinitionError(source, f"{key}.emotions.{error.key}".rstrip("."), error.expected, error.got) from None
    if label.get("expression") is not None:
        value = label["expression"]
        try:
            params = ExpressionParams.from_dict(value) if isinstance(value, dict) else ExpressionParams.from_vector(value)
        except (DefinitionError, ValueError, TypeError) as error:
            expected = error.expected if isinstance(error, DefinitionError) else "a dict or vector of expression parameters"
            raise DefinitionError(source, f"{key}.expression", expected, value) from None
        out["expression"] = params.to_vector()
    if label.get("yaw") is not None:
        yaw = label["yaw"]
        if isinstance(yaw, bool) or not isinstance(yaw, (int, float)) or not -180 <= yaw <= 180:
            raise DefinitionError(source, f"{key}.yaw", "degrees from -180 to 180", yaw)
        out["yaw"] = float(yaw)
    if label.get("landmarks") is not None:
        points = np.asarray(label["landmarks"], dtype=np.float32)
        if points.ndim != 2 or points.shape[1] != 2 or not np.isfinite(points).all():
            raise DefinitionError(source, f"{key}.landmarks", "a list of finite [x, y] pairs", label["landmarks"])
        out["landmarks"] = points
    if label.get("mask") is not None:
        mask = root / str(label["mask"])
        if not mask.exists():
            raise DefinitionError(source, f"{key}.mask", "the path of an existing mask image", label["mask"])
        out["mask"] = mask
    identity = label.get("identity")
    if identity is not None and not isinstance(identity, str):
        raise DefinitionError(source, f"{key}.identity", "a string", identity)
    parts = Path(key).parts
    out["identity"] = identity or (parts[-2] if len(parts) > 1 else Path(key).stem)
    split = label.get("split")
    if split is not None and split not in SPLITS:
        raise DefinitionError(source, f"{key}.split", "one of " + ", ".join(SPLITS), split)
    out["split"] = split
    return out
