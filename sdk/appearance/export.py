"""Export a trained appearance model to ONNX with its model card (torch; training and tests only).

``NAME.onnx`` is the decoder, what :class:`~anisync.appearance.generator.AppearanceGenerator` runs (inputs
``attributes`` and ``z``, output ``image``; :data:`~anisync.appearance.generator.SIGNATURE`).
``NAME-encoder.onnx`` is the VAE's encoder (inputs ``image``, float32 ``[batch, 4, 64, 64]`` in [-1, 1],
and ``attributes``; outputs ``mu`` and ``logvar``, ``[batch, z_dim]``), which the evaluation's
reconstruction path needs and a game does not. The card ``NAME.json`` records the network, the attribute
vocabulary, the opset and the sha256 of both files. Opset and exporter are the expression editor's
(:func:`anisync.expression.export.export_onnx`); networks are exported in eval mode.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch
from torch import nn

from ..expression.card import card_path, sha256_of
from ..expression.export import OPSET, export_onnx
from .attributes import CODE_SIZE, vocabulary
from .generator import SIGNATURE
from .model import CHANNELS, SIZE, AppearanceConfig, Encoder

ENCODER_INPUTS = ("image", "attributes")
ENCODER_OUTPUTS = ("mu", "logvar")


def encoder_path(path: str | Path) -> Path:
    """Where the encoder of the model at ``path`` lies: ``NAME-encoder.onnx`` beside it."""
    path = Path(path)
    return path.with_name(path.stem + "-encoder.onnx")


def _export(module: nn.Module, examples: tuple, path: Path, inputs: tuple, outputs: tuple) -> None:
    with warnings.catch_warnings():
        # Exported with batch 1 and no initial LSTM state, the graph runs at any batch size (tests check it).
        warnings.filterwarnings("ignore", message="Exporting a model to ONNX with a batch_size other than 1")
        # nn.LSTM's own input-size checks, constant for a fixed network.
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning, module="torch.nn.modules.rnn")
        export_onnx(module, examples, path, inputs, outputs)


def export_models(decoder: nn.Module, encoder: Encoder, path: str | Path, card: dict | None = None) -> Path:
    """Write the decoder to ``path``, the encoder beside it and the card (``card`` plus the network, the
    vocabulary, opset, inputs, outputs and both sha256s); returns ``path``."""
    path = Path(path)
    config: AppearanceConfig = decoder.config
    modes = (decoder.training, encoder.training)
    decoder.eval()
    encoder.eval()
    try:
        code, z = torch.zeros(1, CODE_SIZE), torch.zeros(1, config.z_dim)
        _export(decoder, (code, z), path, tuple(SIGNATURE["inputs"]), tuple(SIGNATURE["outputs"]))
        _export(encoder, (torch.zeros(1, CHANNELS, SIZE, SIZE), code), encoder_path(path), ENCODER_INPUTS,
                ENCODER_OUTPUTS)
    finally:
        decoder.train(modes[0])
        encoder.train(modes[1])
    data = {**(card or {}), "network": config.as_dict(), "attributes": vocabulary(), "opset": OPSET,
            "inputs": list(SIGNATURE["inputs"]), "outputs": list(SIGNATURE["outputs"]),
            "encoder": {"file": encoder_path(path).name, "inputs": list(ENCODER_INPUTS),
                        "outputs": list(ENCODER_OUTPUTS), "sha256": sha256_of(encoder_path(path))},
            "sha256": sha256_of(path)}
    card_path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path
