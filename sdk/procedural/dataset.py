"""``make_dataset``: shards of procedural faces with exact labels, split into train / validation / test by identity.

Folder layout (format ``anisync-procedural-faces``, version 1)::

    OUT/manifest.json           settings, label names and the planned shards (written first)
    OUT/train-00000.npz ...     shards, each holding whole identities of one split
    OUT/sheet.png               contact sheet of the first training identities

Every shard is an ``.npz`` with, for its ``n`` samples:

=====================  ======================  ===============================================================
key                    shape, dtype            content
=====================  ======================  ===============================================================
images                 (n, S, S, 4) uint8      RGBA faces, transparent background
masks                  (n, ceil(S*S/8)) uint8  ``np.packbits`` of the (S, S) expression mask, row-major
landmarks              (n, 30, 2) float32      landmark (x, y) in pixels, rows named by ``landmark_names``
landmark_visible       (n, 30) bool            False where the head's turn hides the landmark
emotions               (n, 7) float32          emotion vector, order ``emotions``
expression             (n, P) float32          expression parameters, order ``expression_params``
yaw                    (n,) float32            head yaw in degrees
identity               (n,) int32              identity number (0 .. identities-1)
identity_params        () str                  JSON: identity number -> :meth:`FaceIdentity.to_dict`
=====================  ======================  ===============================================================

What is drawn (all from ``numpy.random.default_rng([seed, identity])``, so any shard can be remade alone):

* identity: :func:`~anisync.procedural.identity.sample_identity` (style uniform);
* yaw, one per identity: 0 with probability 1/4, else uniform in [0, 80] degrees;
* expressions, ``K`` per identity: the first is neutral (the reference an expression editor starts from);
  each other is, with probability 1/2, one non-neutral emotion at intensity ``t ~ U(0.4, 1)`` with neutral
  ``1 - t``, else a mixture ``Dirichlet(0.3, ..., 0.3)`` over all seven;
* speech (``speech`` > 0): each face but the first, with probability ``speech``, speaks: its mouth is
  drawn anew (``mouth_open ~ U(0, 1)``, ``mouth_width`` and ``mouth_form ~ U(-1, 1)``), and half of these
  faces feel nothing (emotion vector neutral), so that mouth shapes appear on their own as a lip-sync
  track asks for them. Their ``expression`` label is what was drawn, not the emotion's mapping. The speech
  draws come from a stream of their own, ``default_rng([seed, identity, 2])``, so a dataset without speech
  is the same face for face whatever this setting's default.

Split: identities are shuffled with ``default_rng([seed, 1 << 20])``; the first 10 % (at least one when there
are three or more identities) are validation, the next 10 % test, the rest train. No identity is in two
splits. A second run with the same settings skips the shards already written (they are written under a
temporary name and renamed, so a shard file is always complete); other settings are refused.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image

from ..emotion import EMOTIONS
from ..errors import AnisyncError, DefinitionError
from ..files import write_atomically
from ..progress import progress as progress_bar
from ._checks import check_number
from .expression import EXPRESSION_PARAMS, ExpressionParams
from .identity import FaceIdentity, sample_identity
from .render import LANDMARK_NAMES, MAX_SIZE, MIN_SIZE, render_face
from .sheet import grid

FORMAT = "anisync-procedural-faces"
VERSION = 1
SPLITS = ("train", "validation", "test")
MANIFEST = "manifest.json"
SHEET = "sheet.png"
_SPLIT_STREAM = 1 << 20
_SPEECH_STREAM = 2
#: The mouth parameters a speaking face draws anew, with their ranges.
SPEECH_MOUTH = {"mouth_open": (0.0, 1.0), "mouth_width": (-1.0, 1.0), "mouth_form": (-1.0, 1.0)}
#: Settings added after version 1's first datasets, with the value those datasets were made with.
_SETTING_DEFAULTS = {"speech": 0.0}


@dataclass(frozen=True)
class Sample:
    """One planned face: who, how turned, feeling what, and the mouth it speaks with (None: the emotion's)."""

    identity_number: int
    identity: FaceIdentity
    yaw: float
    emotions: np.ndarray
    mouth: dict[str, float] | None = None

    def expression(self) -> ExpressionParams:
        """The face's expression parameters: its emotions' mapping, with the speaking mouth if it has one."""
        params = ExpressionParams.from_emotions(self.emotions)
        return params if self.mouth is None else replace(params, **self.mouth)


def identity_samples(seed: int, identity_number: int, expressions: int, speech: float = 0.0) -> list[Sample]:
    """The identity, yaw and ``expressions`` faces of one identity (module docstring)."""
    rng = np.random.default_rng([seed, identity_number])
    identity = sample_identity(rng)
    yaw = 0.0 if rng.random() < 0.25 else float(rng.uniform(0.0, 80.0))
    vectors = [np.eye(len(EMOTIONS))[EMOTIONS.index("neutral")]]
    others = [i for i, name in enumerate(EMOTIONS) if name != "neutral"]
    for _ in range(expressions - 1):
        if rng.random() < 0.5:
            vector = np.zeros(len(EMOTIONS))
            intensity = rng.uniform(0.4, 1.0)
            vector[others[int(rng.integers(len(others)))]] = intensity
            vector[EMOTIONS.index("neutral")] = 1.0 - intensity
        else:
            vector = rng.dirichlet(np.full(len(EMOTIONS), 0.3))
        vectors.append(vector)
    samples = [Sample(identity_number, identity, yaw, v.astype(np.float32)) for v in vectors]
    if speech > 0:
        speaking = np.random.default_rng([seed, identity_number, _SPEECH_STREAM])
        for k in range(1, len(samples)):
            if speaking.random() >= speech:
                continue
            mouth = {name: float(speaking.uniform(lo, hi)) for name, (lo, hi) in SPEECH_MOUTH.items()}
            emotions = vectors[0].astype(np.float32) if speaking.random() < 0.5 else samples[k].emotions
            samples[k] = replace(samples[k], emotions=emotions, mouth=mouth)
    return samples


def split_identities(identities: int, seed: int) -> dict[str, list[int]]:
    """Identity numbers of each split, sorted; every identity is in exactly one split."""
    order = np.random.default_rng([seed, _SPLIT_STREAM]).permutation(identities)
    held_out = max(1, round(0.1 * identities)) if identities >= 3 else 0
    parts = {"validation": order[:held_out], "test": order[held_out:2 * held_out], "train": order[2 * held_out:]}
    return {name: sorted(int(i) for i in parts[name]) for name in SPLITS}


def plan_shards(identities: int, shard_identities: int, seed: int) -> list[dict]:
    """The manifest's shard list: each split's identities in files of ``shard_identities``, in split order."""
    shards = []
    for split, members in split_identities(identities, seed).items():
        for index, start in enumerate(range(0, len(members), shard_identities)):
            shards.append({"file": f"{split}-{index:05d}.npz", "split": split,
                           "identities": members[start:start + shard_identities]})
    return shards


def write_manifest(out: Path, settings: dict, manifest: dict) -> None:
    """Write ``manifest`` into ``out``, or, where one is already there (a run being resumed), check that it
    was made with the same ``settings``; raises AnisyncError naming the settings that differ."""
    manifest_path = out / MANIFEST
    if manifest_path.exists():
        existing = json.loads(manifest_path.read_text())
        differing = [k for k in settings if existing.get(k, _SETTING_DEFAULTS.get(k)) != settings[k]]
        if differing:
            raise AnisyncError(f"{out} holds a dataset made with other settings ({', '.join(differing)}); "
                               "use another folder or the same settings to resume it")
    else:
        write_atomically(manifest_path, json.dumps(manifest, indent=1).encode())


def make_dataset(out: str | os.PathLike, identities: int, expressions: int, size: int = 128, seed: int = 0,
                 shard_identities: int = 32, show_progress: bool = True, speech: float = 0.0) -> Path:
    """Render ``identities`` x ``expressions`` labelled faces into shards under ``out`` (see the module
    docstring); ``speech`` is the fraction of faces after each identity's first that speak. Resumes a run
    with the same settings. Returns the folder.

    Raises:
        DefinitionError: a count, size, seed or speech fraction out of range.
        AnisyncError: ``out`` holds a dataset made with other settings.
    """
    for key, value, low, high in (("identities", identities, 1, 10**7), ("expressions", expressions, 1, 10**4),
                                  ("size", size, MIN_SIZE, MAX_SIZE), ("seed", seed, 0, 2**63 - 1),
                                  ("shard_identities", shard_identities, 1, 10**6)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
            raise DefinitionError("make_dataset", key, f"an integer from {low} to {high}", value)
    speech = check_number("make_dataset", "speech", speech, 0.0, 1.0)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    settings = {"format": FORMAT, "version": VERSION, "identities": int(identities), "expressions": int(expressions),
                "size": int(size), "seed": int(seed), "shard_identities": int(shard_identities), "speech": speech}
    manifest = {**settings, "emotions": list(EMOTIONS), "expression_params": list(EXPRESSION_PARAMS),
                "landmark_names": list(LANDMARK_NAMES), "splits": split_identities(identities, seed),
                "shards": plan_shards(identities, shard_identities, seed)}
    write_manifest(out, settings, manifest)
    todo = [shard for shard in manifest["shards"] if not (out / shard["file"]).exists()]
    work = [(shard, number) for shard in todo for number in shard["identities"]]
    rendered: dict[str, list] = {}
    items = progress_bar(work, desc="rendering identities") if show_progress else work
    for shard, number in items:
        rendered.setdefault(shard["file"], []).append(identity_samples(seed, number, expressions, speech))
        if len(rendered[shard["file"]]) == len(shard["identities"]):
            write_shard(out / shard["file"], rendered.pop(shard["file"]), size)
    write_sheet(out, manifest)
    return out


def write_shard(path: Path, per_identity: list[list[Sample]], size: int) -> None:
    """Render ``per_identity``'s samples at ``size`` px and write them as one shard (through a partial file)."""
    samples = [sample for group in per_identity for sample in group]
    expressions = [s.expression() for s in samples]
    renders = [render_face(s.identity, e, s.yaw, size) for s, e in zip(samples, expressions)]
    params = {str(group[0].identity_number): group[0].identity.to_dict() for group in per_identity}
    arrays = {
        "images": np.stack([r.rgba for r in renders]),
        "masks": np.packbits(np.stack([r.mask.ravel() for r in renders]), axis=1),
        "landmarks": np.stack([r.landmarks for r in renders]),
        "landmark_visible": np.stack([r.visible for r in renders]),
        "emotions": np.stack([s.emotions for s in samples]),
        "expression": np.stack([e.to_vector() for e in expressions]),
        "yaw": np.array([s.yaw for s in samples], dtype=np.float32),
        "identity": np.array([s.identity_number for s in samples], dtype=np.int32),
        "identity_params": np.array(json.dumps(params)),
    }
    write_atomically(path, lambda f: np.savez_compressed(f, **arrays))


def write_sheet(out: Path, manifest: dict, identities: int = 8, expressions: int = 8) -> Path:
    """Contact sheet of the first ``identities`` identities of the first shard, up to ``expressions`` faces each."""
    with np.load(out / manifest["shards"][0]["file"]) as shard:
        images, numbers = shard["images"], shard["identity"]
    columns = min(expressions, manifest["expressions"])
    cells = []
    for number in list(dict.fromkeys(numbers.tolist()))[:identities]:
        cells += [Image.fromarray(rgba, "RGBA") for rgba in images[numbers == number][:columns]]
    sheet = grid(cells, columns, manifest["size"])
    sheet.save(out / SHEET)
    return out / SHEET
