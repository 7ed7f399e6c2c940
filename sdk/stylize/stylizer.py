"""``Stylizer``: redraw any image in anime style (onnxruntime; no torch).

    stylizer = Stylizer()                                   # the shipped model, assets/models/stylizer.onnx
    anime = stylizer.stylize(photo)                         # uint8 RGB [H, W, 3] or a batch [n, H, W, 3]

The model is a residual GAN with CBAM attention after Tan, "AI Digital Anime Style Generation Algorithm
Based on Adversarial Generative Network", trained by :mod:`anisync.stylize.train` on pairs whose true anime
rendering is known (:mod:`anisync.stylize.pairs`); its figures are in ``docs/results/stylize.md``. It was
trained on 256 px images: it keeps details of about that scale, so a large photo is best shrunk first
(``anisync stylize --size 256``). A stylized face can be a character's portrait for the expression editor
(``anisync.portrait``).

The graph (:data:`SIGNATURE`): input ``image`` (float32 ``[batch, 3, H, W]``, RGB in [-1, 1]), output
``stylized`` (the same shape); batch, height and width are dynamic, height and width multiples of 4
(:meth:`Stylizer.stylize` pads any other size by reflection and crops the result back).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..errors import ModelInputError, ModelLoadError
from ..expression.card import checked_card
from ..extras import import_extra
from ..resources import asset_path
from ..sessions import PROVIDER_ORDER, checked_signature, model_file, open_session, run_in_chunks

log = logging.getLogger("anisync.stylize")

#: The shipped stylizer.
DEFAULT_MODEL = asset_path("models") / "stylizer.onnx"
#: The graph the stylizer expects: input and output names with their ranks.
SIGNATURE = {"inputs": {"image": 4}, "outputs": {"stylized": 4}}
#: Height and width must be multiples of this (two stride-2 convolutions).
MULTIPLE = 4
#: Images per onnxruntime run.
_CHUNK = 8


class Stylizer:
    """An exported stylizer behind onnxruntime: :meth:`stylize` of uint8 RGB or RGBA images.

    Args:
        path: the ``.onnx`` file (default: the shipped model); its model card (``NAME.json`` beside it), when
            present, must carry the file's sha256.
        threads: onnxruntime intra-op threads (0: onnxruntime's default).
        providers: execution providers to try, in order (default: CUDA, then CPU).

    Raises:
        ModelLoadError: naming the path for a missing or corrupt file or card, and the input or output for a
            graph whose names, ranks or element types are not the stylizer's, or that is not RGB in and out.

    Thread-safe (onnxruntime sessions allow concurrent runs).
    """

    def __init__(self, path: str | Path = DEFAULT_MODEL, threads: int = 0, providers: tuple[str, ...] = PROVIDER_ORDER):
        self.path = model_file(path, threads)
        self.card = checked_card(self.path)
        self.session = open_session(self.path, threads, list(providers))
        found = checked_signature(self.session, self.path, SIGNATURE)
        if found["inputs"]["image"][1] != 3 or found["outputs"]["stylized"][1] != 3:
            raise ModelLoadError(f"{self.path}: expected RGB in and out ([batch, 3, H, W]), got "
                                 f"{found['inputs']['image']} -> {found['outputs']['stylized']}")
        log.info("Stylizer %s on %s", self.path.name, self.session.get_providers()[0])

    def stylize(self, images: np.ndarray) -> np.ndarray:
        """``images`` redrawn in anime style, in the same shape and dtype.

        Args:
            images: uint8, one image ``[H, W, C]`` or a batch ``[n, H, W, C]``, C = 3 (RGB) or 4 (RGBA: the
                colour is stylized and the alpha kept; fully transparent pixels are first given the mean
                visible colour); any height and width of at least 4.

        Raises:
            ModelInputError: naming ``images`` for another shape or dtype, or an empty batch.
        """
        batch = _checked_images(images)
        height, width = batch.shape[1:3]
        pad_y, pad_x = -height % MULTIPLE, -width % MULTIPLE
        colour = np.pad(_visible_colour(batch), ((0, 0), (0, pad_y), (0, pad_x), (0, 0)), mode="reflect")
        network = colour.transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1.0
        out = run_in_chunks(self.session, ["stylized"], {"image": network}, _CHUNK)[0][:, :, :height, :width]
        stylized = (np.clip(out, -1.0, 1.0).transpose(0, 2, 3, 1) * 127.5 + 127.5 + 0.5).astype(np.uint8)
        if batch.shape[-1] == 4:
            stylized = np.concatenate([stylized, batch[..., 3:]], axis=-1)
        return stylized if images.ndim == 4 else stylized[0]

    def stylize_files(self, paths: list[str | Path], out: str | Path, size: int | None = None) -> list[Path]:
        """Stylize image files into the folder ``out`` as ``NAME.png``, one at a time (images may differ in
        size); with ``size``, each is first resized so that its longer side is ``size`` px. A file's EXIF
        orientation is applied, and transparency (an alpha channel or a palette's) is kept. Returns the
        written paths.

        Raises:
            ModelInputError: naming the file that cannot be read as an image, or two inputs that would both
                be written as the same ``NAME.png``, or one that would be overwritten (before anything is
                written).
        """
        Image = import_extra("PIL.Image", "faces", "reading image files")
        from PIL import ImageOps

        out = Path(out)
        targets: dict[Path, Path] = {}
        for path in map(Path, paths):
            target = out / f"{path.stem}.png"
            if target in targets:
                raise ModelInputError(f"{path}: would be written as {target}, like {targets[target]}; "
                                      "stylize files of the same name into different folders")
            if target.resolve() == path.resolve():
                raise ModelInputError(f"{path}: would be overwritten by its stylized copy; choose another --out")
            targets[target] = path
        images = []
        for target, path in targets.items():
            try:
                with Image.open(path) as opened:
                    transparent = "A" in opened.getbands() or "transparency" in opened.info
                    image = ImageOps.exif_transpose(opened).convert("RGBA" if transparent else "RGB")
            except (Image.UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as error:
                raise ModelInputError(f"{path}: not a readable image ({error})") from None
            if size is not None:
                scale = size / max(image.size)
                image = image.resize((max(MULTIPLE, round(image.width * scale)), max(MULTIPLE, round(image.height * scale))),
                                     Image.Resampling.LANCZOS)
            images.append((target, np.asarray(image)))
        out.mkdir(parents=True, exist_ok=True)
        for target, image in images:
            Image.fromarray(self.stylize(image)).save(target)
        return list(targets)

def _visible_colour(batch: np.ndarray) -> np.ndarray:
    """The RGB of ``batch`` with each RGBA image's fully transparent pixels given the mean colour of its
    visible ones: what hides under alpha 0 is often black, and the network would draw it as dark edges."""
    colour = batch[..., :3]
    if batch.shape[-1] == 3:
        return colour
    colour = colour.copy()
    for image, alpha in zip(colour, batch[..., 3]):
        hidden = alpha == 0
        if hidden.any() and not hidden.all():
            image[hidden] = image[~hidden].mean(axis=0).round().astype(np.uint8)
    return colour


def _checked_images(images: object) -> np.ndarray:
    """``images`` as a batch ``[n, H, W, C]``, or ModelInputError naming ``images``."""
    if not isinstance(images, np.ndarray) or images.ndim not in (3, 4) or images.shape[-1] not in (3, 4):
        shape = list(images.shape) if isinstance(images, np.ndarray) else type(images).__name__
        raise ModelInputError(f"images: expected uint8 [H, W, 3 or 4] or [batch, H, W, 3 or 4] (RGB or RGBA), got {shape}")
    if images.dtype != np.uint8:
        raise ModelInputError(f"images: expected uint8, got {images.dtype}")
    batch = images if images.ndim == 4 else images[None]
    if not len(batch) or min(batch.shape[1:3]) < MULTIPLE:
        raise ModelInputError(f"images: expected at least one image of at least {MULTIPLE}x{MULTIPLE} px, "
                              f"got shape {list(images.shape)}")
    return batch
