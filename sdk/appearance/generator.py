"""``AppearanceGenerator``: runs an exported appearance generator with onnxruntime (no torch).

    generator = AppearanceGenerator("assets/models/appearance.onnx", threads=2)
    face = generator.generate({"style": "cute", "hair_color": "pink"}, seed=7)   # uint8 RGBA [64, 64, 4]
    town = generator.generate_many([{"style": "tech"}] * 20, seeds=range(20))    # [20, 64, 64, 4]

A face is a function of its attributes and its seed alone: ``z`` is ``numpy.random.default_rng(seed)``'s
first ``z_dim`` standard normals (float32), and attributes left out are the seed's: every attribute is
drawn uniformly, in :data:`~anisync.appearance.attributes.ATTRIBUTES` order, from ``default_rng([seed, 1])``,
and the given ones replace their draws (so fixing one leaves the others as the seed had them). The same call gives
the same face on every run (on one machine and onnxruntime build; batches of other sizes may differ by
one level of 255 where onnxruntime picks other kernels).

The graph (:data:`SIGNATURE`; :mod:`anisync.appearance.train` writes it): inputs ``attributes`` (float32
``[batch, CODE_SIZE]``, the one-hot code) and ``z`` (float32 ``[batch, z_dim]``), output ``image``
(float32 ``[batch, 4, 64, 64]``, RGBA in [-1, 1]); the batch axis is dynamic.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..errors import ModelInputError, ModelLoadError
from ..expression.card import checked_card
from ..sessions import PROVIDER_ORDER, checked_signature, model_file, open_session, run_in_chunks
from .attributes import CODE_SIZE, check_seed, complete, indices, one_hot, vocabulary

log = logging.getLogger("anisync.appearance")

#: The graph the generator expects: input and output names with their ranks.
SIGNATURE = {"inputs": {"attributes": 2, "z": 2}, "outputs": {"image": 4}}
#: Side in pixels of the faces the generator draws.
SIZE = 64
#: Faces per onnxruntime run, so that a big batch does not hold all its activations at once.
_CHUNK = 256


class AppearanceGenerator:
    """An exported appearance generator behind onnxruntime.

    Args:
        path: the ``.onnx`` file. Its model card (``NAME.json`` beside it), when present, must carry the
            file's sha256, and the attribute vocabulary it records must be this SDK's.
        threads: onnxruntime intra-op threads (0: onnxruntime's default).
        providers: execution providers to try, in order (default: CUDA, then CPU); the one used is logged.

    Raises:
        ModelLoadError: naming the path for a missing or corrupt file, a card whose sha256 or vocabulary
            differs, and the input or output for a graph whose names, ranks, sizes or element types (float32) are
            not the generator's.

    Thread-safe: several threads may call :meth:`generate` at once (onnxruntime sessions allow concurrent runs).
    """

    def __init__(self, path: str | Path, threads: int = 0, providers: tuple[str, ...] = PROVIDER_ORDER):
        self.path = model_file(path, threads)
        self.card = checked_card(self.path)
        if self.card is not None and "attributes" in self.card and self.card["attributes"] != vocabulary():
            raise ModelLoadError(f"{self.path}: its model card's attributes {self.card['attributes']} are not this "
                                 f"SDK's {vocabulary()}")
        self.session = open_session(self.path, threads, list(providers))
        self.provider = self.session.get_providers()[0]
        self.z_dim = self._check_signature()
        log.info("AppearanceGenerator %s on %s, z %d, %s threads", self.path.name, self.provider, self.z_dim,
                 threads or "default")

    def _check_signature(self) -> int:
        found = checked_signature(self.session, self.path, SIGNATURE)
        code, z, image = found["inputs"]["attributes"], found["inputs"]["z"], found["outputs"]["image"]
        if code[1] != CODE_SIZE:
            raise ModelLoadError(f"{self.path}: input 'attributes' has shape {code}, expected [batch, {CODE_SIZE}] "
                                 "(the one-hot code of anisync.appearance.ATTRIBUTES)")
        if not isinstance(z[1], int) or z[1] < 1:
            raise ModelLoadError(f"{self.path}: input 'z' has shape {z}, expected [batch, z_dim]")
        if image[1:] != [4, SIZE, SIZE]:
            raise ModelLoadError(f"{self.path}: output 'image' has shape {image}, expected [batch, 4, {SIZE}, {SIZE}]")
        return int(z[1])

    # --- the seed's draws --------------------------------------------------------------------------------
    def latent(self, seed: int) -> np.ndarray:
        """The seed's ``z`` (float32 ``[z_dim]``; module docstring)."""
        return np.random.default_rng(check_seed(seed)).standard_normal(self.z_dim).astype(np.float32)

    #: ``attributes`` with the missing ones drawn from the seed (:func:`anisync.appearance.attributes.complete`).
    resolve = staticmethod(complete)

    # --- generation ----------------------------------------------------------------------------------------
    def generate(self, attributes: Mapping[str, str], seed: int) -> np.ndarray:
        """One face, uint8 RGBA ``[64, 64, 4]``, of ``attributes`` (any subset of
        :data:`~anisync.appearance.attributes.ATTRIBUTES`) and ``seed``.

        Raises:
            ModelInputError: naming ``attributes`` (an unknown attribute or value, with the allowed ones)
                or ``seed`` (not an integer from 0 to 2**63 - 1).
        """
        return self.generate_many([attributes], [check_seed(seed)])[0]

    def generate_many(self, attributes: Mapping[str, str] | Sequence[Mapping[str, str]], seeds: Sequence[int]) -> np.ndarray:
        """Faces ``[n, 64, 64, 4]`` for ``seeds`` (n of them), with one attribute mapping for all or one per
        seed; face ``i`` is ``generate(attributes[i], seeds[i])`` (to within one level of 255,
        module docstring)."""
        if isinstance(seeds, (str, bytes)) or not isinstance(seeds, (Sequence, range, np.ndarray)):
            raise ModelInputError(f"seeds: expected a sequence of integers, got {type(seeds).__name__}")
        seeds = [check_seed(s, "seeds") for s in seeds]
        if not seeds:
            raise ModelInputError("seeds: an empty sequence")
        if isinstance(attributes, Mapping):
            attributes = [attributes] * len(seeds)
        elif not isinstance(attributes, Sequence) or isinstance(attributes, (str, bytes)):
            raise ModelInputError(f"attributes: expected a mapping or a sequence of mappings, got {type(attributes).__name__}")
        if len(attributes) != len(seeds):
            raise ModelInputError(f"attributes: {len(attributes)} mappings for {len(seeds)} seeds")
        rows = np.stack([indices(self.resolve(a, s)) for a, s in zip(attributes, seeds)])
        z = np.stack([self.latent(s) for s in seeds])
        return self.decode(one_hot(rows), z)

    def decode(self, codes: np.ndarray, z: np.ndarray) -> np.ndarray:
        """The graph itself on one-hot ``codes`` ``[n, CODE_SIZE]`` and latents ``z`` ``[n, z_dim]``: uint8
        RGBA ``[n, 64, 64, 4]``, run :data:`_CHUNK` faces at a time; raises ModelInputError naming ``codes``
        or ``z``."""
        for name, value, width in (("codes", codes, CODE_SIZE), ("z", z, self.z_dim)):
            if not isinstance(value, np.ndarray) or value.ndim != 2 or value.shape[1] != width or value.dtype.kind not in "fiu":
                shape = list(value.shape) if isinstance(value, np.ndarray) else type(value).__name__
                raise ModelInputError(f"{name}: expected numbers of shape [n, {width}], got {shape}")
            if not np.isfinite(value).all():
                raise ModelInputError(f"{name}: NaN or infinite values")
        if len(codes) != len(z):
            raise ModelInputError(f"z: {len(z)} rows for {len(codes)} codes")
        if not len(codes):
            return np.zeros((0, SIZE, SIZE, 4), np.uint8)
        feed = {"attributes": np.ascontiguousarray(codes, np.float32), "z": np.ascontiguousarray(z, np.float32)}
        return to_uint8(run_in_chunks(self.session, ["image"], feed, _CHUNK)[0])


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Network images (float ``[n, 4, S, S]`` in [-1, 1]) as uint8 RGBA ``[n, S, S, 4]``."""
    return np.clip(np.rint((images.transpose(0, 2, 3, 1) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def to_network(faces: np.ndarray) -> np.ndarray:
    """uint8 RGBA faces ``[n, S, S, 4]`` as network images (float32 ``[n, 4, S, S]`` in [-1, 1])."""
    return np.ascontiguousarray(faces.astype(np.float32).transpose(0, 3, 1, 2) / 127.5 - 1.0)
