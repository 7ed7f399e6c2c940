"""Export a trained :class:`~anisync.expression.model.Generator` to ONNX, with the model card beside it.

The ONNX graph is what :class:`~anisync.expression.editor.ExpressionEditor` runs: inputs ``image``
(float32, ``[batch, 4, size, size]``, RGBA in [-1, 1]) and ``condition`` (float32, ``[batch, 13]``, the
expression parameters), outputs ``edited`` (like ``image``) and ``mask`` (``[batch, 1, size, size]``, in
[0, 1]); the batch axis is dynamic. Opset :data:`OPSET`. Networks are exported in eval mode (BatchNorm
uses its running statistics).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch
from torch import nn

from .card import card_path, sha256_of
from .model import CONDITION_SIZE, IMAGE_CHANNELS

#: ONNX opset of exported models (onnxruntime 1.17 and later run it).
OPSET = 17
INPUTS = ("image", "condition")
OUTPUTS = ("edited", "mask")


class _Exported(nn.Module):
    """The generator with the outputs the runtime needs."""

    def __init__(self, generator: nn.Module):
        super().__init__()
        self.generator = generator

    def forward(self, image: torch.Tensor, condition: torch.Tensor):
        edited, _, mask = self.generator(image, condition)
        return edited, mask


def export_onnx(module: nn.Module, examples: tuple, path: Path, inputs: tuple[str, ...], outputs: tuple[str, ...],
                spatial: bool = False, frames: bool = False) -> None:
    """Export ``module`` (traced on ``examples``) to ``path`` at :data:`OPSET`, every axis 0 dynamic (and
    axes 2 and 3, an image's height and width, with ``spatial``; axis 2, a sequence's frames, with ``frames``)."""
    axes = {0: "batch", 2: "height", 3: "width"} if spatial else {0: "batch", 2: "frames"} if frames else {0: "batch"}
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # The TorchScript exporter: the torch.export one needs onnxscript, one more dependency, for nothing
        # these plain convolutional graphs need.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(module, examples, str(path), input_names=list(inputs), output_names=list(outputs),
                          opset_version=OPSET, dynamic_axes={name: axes for name in inputs + outputs},
                          dynamo=False)


def export_generator(generator: nn.Module, path: str | Path, card: dict | None = None) -> Path:
    """Write ``generator`` as ONNX to ``path`` and its model card (``card`` plus the network's sizes,
    opset and the file's sha256) beside it; returns the ONNX path."""
    path = Path(path)
    size = generator.config.image_size
    was_training = generator.training
    generator.eval()
    try:
        export_onnx(_Exported(generator), (torch.zeros(1, IMAGE_CHANNELS, size, size), torch.zeros(1, CONDITION_SIZE)),
                    path, INPUTS, OUTPUTS)
    finally:
        generator.train(was_training)
    data = {**(card or {}), "network": generator.config.as_dict(), "opset": OPSET, "inputs": list(INPUTS),
            "outputs": list(OUTPUTS), "sha256": sha256_of(path)}
    card_path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path
