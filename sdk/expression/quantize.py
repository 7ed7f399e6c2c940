"""``anisync train expression-int8``: the U-Net expression editor about twice as fast on a CPU, without
retraining.

Three steps on an exported float32 editor (:class:`~anisync.expression.model.UNetGenerator`):

1. **Weights back into torch.** The exported graph keeps torch's parameter names on its initializers, so
   the generator is rebuilt from the card's network sizes and loaded from the ONNX file itself: no
   training checkpoint is needed.
2. **An exactly equivalent inference form** (:class:`InferenceForm`). onnxruntime has int8 kernels for
   convolutions but not for transposed ones, which took a quarter of a float32 run. Each 4x4, stride-2
   transposed convolution becomes a 3x3 convolution to four times the channels followed by a pixel shuffle
   (the sub-pixel convolution of Shi et al., 2016): output pixel ``(2i + a, 2j + b)`` of the transposed
   convolution reads the same input taps as phase ``(a, b)`` of the 3x3 one (:func:`sub_pixel`). The
   image and mask heads become one convolution. Outputs agree with the source to about 1e-6.
3. **Static int8 quantisation** (onnxruntime, QDQ format): weights per output channel, activations with
   ranges calibrated on (source, target) pairs of a dataset's train split, percentiles rather than
   extremes so that a few bright pixels do not coarsen every step. The head convolution stays float32:
   its output is the mask that decides which pixels stay the source's, and an 8-bit head moved edits
   visibly at mask edges (about 5 dB less fidelity to the float32 model in a probe).

The card keeps the source's (data, training command, identities trained on, so the evaluation's split
guard still holds) and adds ``int8``: the command, the source's sha256, the calibration data, and the
fidelity (PSNR of int8 edits against the source's on validation pairs) and speed of both models.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ..errors import AnisyncError
from ..procedural.loader import FaceDataset
from ..timing import call_seconds, cpu_name
from .card import card_path, sha256_of
from .editor import ExpressionEditor
from .evaluate import identity_pairs

#: (source, target) pairs whose activations set the int8 ranges.
CALIBRATION_PAIRS = 64
#: Validation pairs the card's fidelity figure is measured on.
FIDELITY_PAIRS = 64
#: Percentile of each activation's magnitude that becomes its int8 range.
PERCENTILE = 99.999


def sub_pixel(transposed):
    """A 3x3 convolution plus pixel shuffle equal to ``transposed`` (a 4x4, stride-2, padding-1
    ``nn.ConvTranspose2d``), as ``nn.Sequential(conv, nn.PixelShuffle(2))``.

    Output row ``2i + a`` of the transposed convolution sums input rows ``i + d`` through kernel row
    ``TAPS[a][d]``; the 3x3 convolution reads offset ``d`` at its kernel row ``d + 1``. Columns alike.
    """
    import torch
    from torch import nn

    weight = transposed.weight.detach()  # [in, out, 4, 4]
    channels_in, channels_out = weight.shape[:2]
    if weight.shape[2:] != (4, 4) or transposed.stride != (2, 2) or transposed.padding != (1, 1):
        raise AnisyncError("sub_pixel: only 4x4 transposed convolutions of stride 2 and padding 1")
    taps = {0: {-1: 3, 0: 1}, 1: {0: 2, 1: 0}}  # phase -> {input offset: kernel index}
    kernel = torch.zeros(channels_out, 2, 2, channels_in, 3, 3)
    for a in (0, 1):
        for b in (0, 1):
            for dy, ky in taps[a].items():
                for dx, kx in taps[b].items():
                    kernel[:, a, b, :, dy + 1, dx + 1] = weight[:, :, ky, kx].T
    conv = nn.Conv2d(channels_in, 4 * channels_out, 3, padding=1)
    with torch.no_grad():
        conv.weight.copy_(kernel.reshape(4 * channels_out, channels_in, 3, 3))
        conv.bias.copy_(transposed.bias.detach().repeat_interleave(4))
    return nn.Sequential(conv, nn.PixelShuffle(2))


def inference_form(generator):
    """The exported editor's graph for ``generator`` (a masked :class:`UNetGenerator`), rewritten as
    :class:`InferenceForm` with the same outputs ``(edited, mask)``."""
    import torch
    from torch import nn

    from .model import UNetGenerator

    if not isinstance(generator, UNetGenerator) or generator.mask_head is None:
        raise AnisyncError("expression-int8: only the masked U-Net editor (--arch unet) has an int8 form")

    class InferenceForm(nn.Module):
        """:class:`UNetGenerator`'s forward pass with sub-pixel upsampling and one head (module docstring)."""

        def __init__(self):
            super().__init__()
            self.generator = generator
            self.up = nn.ModuleList(sub_pixel(up) for up in generator.up)
            image_head, mask_head = generator.image_head[0], generator.mask_head[0]
            self.head = nn.Conv2d(image_head.in_channels, image_head.out_channels + 1, 3, padding=1)
            with torch.no_grad():
                self.head.weight.copy_(torch.cat([image_head.weight, mask_head.weight]))
                self.head.bias.copy_(torch.cat([image_head.bias, mask_head.bias]))

        def forward(self, image, condition):
            heads = self.head(self.generator.trunk(image, condition, up=self.up))
            intermediate, mask = torch.tanh(heads[:, :-1]), torch.sigmoid(heads[:, -1:])
            return mask * intermediate + (1 - mask) * image, mask

    return InferenceForm().eval()


def generator_from_onnx(path: str | Path):
    """The torch generator of an exported editor, its weights read from the ONNX initializers."""
    import onnx
    import torch
    from onnx import numpy_helper

    from .model import NetworkConfig, build_generator

    editor = ExpressionEditor(path, threads=1)
    if not editor.card or "network" not in editor.card:
        raise AnisyncError(f"--model: {path} has no model card with the network sizes")
    generator = build_generator(NetworkConfig(**editor.card["network"]))
    weights = {tensor.name.removeprefix("generator."): torch.from_numpy(numpy_helper.to_array(tensor).copy())
               for tensor in onnx.load(str(path)).graph.initializer if tensor.name.startswith("generator.")}
    try:
        generator.load_state_dict(weights)
    except RuntimeError as error:
        raise AnisyncError(f"--model: {path}'s weights do not fit its card's network ({error}; the ONNX exporter "
                           "stores equal tensors once, so an untrained model may not read back)") from None
    return generator.eval(), editor.card


def _pair_batch(data: str | Path, split: str, pairs: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``pairs`` (source face, target expression parameters) of one identity each, from ``split``."""
    chosen = identity_pairs(FaceDataset(data, split=split), pairs, np.random.default_rng(seed))
    return np.stack([s["image"] for s, _ in chosen]), np.stack([t["expression"] for _, t in chosen]).astype(np.float32)


def _quantize(fp32: Path, out: Path, feeds: list[dict], head: str) -> None:
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Feeds(CalibrationDataReader):
        def __init__(self):
            self.remaining = iter(feeds)

        def get_next(self):
            return next(self.remaining, None)

    prepared = fp32.with_name("prepared.onnx")
    quant_pre_process(str(fp32), str(prepared))
    with contextlib.redirect_stdout(io.StringIO()):  # the calibrator prints its progress on stdout
        quantize_static(str(prepared), str(out), Feeds(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.Percentile, nodes_to_exclude=[head],
                        extra_options={"CalibPercentile": PERCENTILE})


def _fidelity(source: ExpressionEditor, quantized: ExpressionEditor, faces: np.ndarray, params: np.ndarray) -> dict:
    reference, reference_mask = source.edit_with_mask(faces, params)
    edited, mask = quantized.edit_with_mask(faces, params)
    error = (edited.astype(np.float64) - reference) ** 2
    return {"pairs": len(faces), "psnr_vs_source_db": float(10 * np.log10(255 ** 2 / max(error.mean(), 1e-12))),
            "mean_abs_grey_levels": float(np.abs(edited.astype(np.float64) - reference).mean()),
            "mask_mean_abs": float(np.abs(mask - reference_mask).mean())}


def _latency_ms(editor: ExpressionEditor, faces: np.ndarray, params: np.ndarray, repeats: int = 50) -> float:
    return float(np.median(call_seconds(lambda: editor.edit(faces[:1], params[:1]), repeats)) * 1e3)


def build_int8(model: str | Path, data: str | Path, out: str | Path, seed: int = 0) -> dict:
    """Write the int8 form of the editor ``model``, calibrated on ``data`` (module docstring), to ``out``
    with its card beside it; returns the card."""
    import torch

    from .export import INPUTS, OUTPUTS, export_onnx

    started = time.perf_counter()
    out = Path(out)
    if out.resolve() == Path(model).resolve():
        raise AnisyncError(f"--out: {out} is the source model; write the int8 model beside it")
    generator, card = generator_from_onnx(model)
    form = inference_form(generator)
    faces, params = _pair_batch(data, "train", CALIBRATION_PAIRS, seed)
    image = torch.from_numpy((faces.astype(np.float32) / 127.5 - 1).transpose(0, 3, 1, 2).copy())
    condition = torch.from_numpy(params)
    with torch.inference_mode():
        edited, _, mask = generator(image, condition)
        form_edited, form_mask = form(image, condition)
    difference = max(float((edited - form_edited).abs().max()), float((mask - form_mask).abs().max()))
    out.parent.mkdir(parents=True, exist_ok=True)
    card_path(out).unlink(missing_ok=True)  # a stale card would refuse the new file
    with tempfile.TemporaryDirectory() as scratch:
        fp32 = Path(scratch) / "inference.onnx"
        export_onnx(form, (image[:1], condition[:1]), fp32, INPUTS, OUTPUTS)
        feeds = [{"image": image[k:k + 1].numpy(), "condition": params[k:k + 1]} for k in range(len(faces))]
        _quantize(fp32, out, feeds, head=_head_node(fp32))
    source, quantized = ExpressionEditor(model, threads=1), ExpressionEditor(out, threads=1)
    check_faces, check_params = _pair_batch(data, "validation", FIDELITY_PAIRS, seed + 1)
    metrics = {**_fidelity(source, quantized, check_faces, check_params), "largest_form_difference": difference,
               "latency_batch_1_one_thread_ms": {"source": _latency_ms(source, check_faces, check_params),
                                                 "int8": _latency_ms(quantized, check_faces, check_params),
                                                 "processor": cpu_name()}}
    manifest = FaceDataset(data).manifest
    card = {key: value for key, value in card.items() if key != "sha256"}
    card["model"] = f"{card.get('model', 'expression editor')}, int8 (sdk/expression/quantize.py)"
    card["int8"] = {
        "command": "anisync " + " ".join(sys.argv[1:]),
        "source": {"path": str(model), "sha256": sha256_of(model)},
        "recipe": "transposed convolutions as 3x3 convolutions + pixel shuffle, heads fused; static QDQ int8 "
                  f"(per-channel weights, activations at the {PERCENTILE} percentile), head convolution float32",
        "calibration": {"data": str(data), "split": "train", "pairs": len(faces), "pair_seed": seed,
                        "dataset": {key: manifest.get(key) for key in ("identities", "expressions", "seed", "speech")}},
        "metrics": metrics,
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    card["sha256"] = sha256_of(out)
    card_path(out).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card


def _head_node(path: Path) -> str:
    """The name of the fused head's convolution: the last convolution of the graph."""
    import onnx

    return [node.name for node in onnx.load(str(path)).graph.node if node.op_type == "Conv"][-1]
