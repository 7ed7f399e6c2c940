"""``anisync bench expression``: onnxruntime against torch eager on one exported editor, in one process.

The ONNX graph runs through :class:`~anisync.expression.editor.ExpressionEditor`'s session on the CPU
provider (the runtime's path, no image conversion); the torch baseline is the same generator rebuilt from the training
checkpoint (``NAME.ckpt`` beside ``NAME.onnx`` by default) with the network sizes of the model card, in
eval mode under ``torch.inference_mode``. Both use the same thread count and the same inputs; each
batch size is timed ``repeats`` times after a warm-up call, alternating the two runtimes so that neither
gets a quieter machine. Reported: median and 95th percentile per call, and torch's median over
onnxruntime's (how many times faster the runtime path is).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..errors import AnisyncError
from ..timing import cpu_name
from .editor import SIGNATURE, ExpressionEditor


def _stats(times: list[float]) -> dict:
    ms = np.array(times) * 1e3
    return {"p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95))}


def bench(model: str | Path, checkpoint: str | Path | None = None, batches: tuple[int, ...] = (1, 16),
          threads: int = 1, repeats: int = 50) -> dict:
    """Latency of the ONNX model and of its torch generator at each batch size (module docstring)."""
    import torch

    from .model import NetworkConfig, build_generator

    editor = ExpressionEditor(model, threads=threads, providers=("CPUExecutionProvider",))  # torch runs on the CPU too
    checkpoint = Path(checkpoint) if checkpoint else Path(model).with_suffix(".ckpt")
    if not checkpoint.is_file():
        raise AnisyncError(f"--checkpoint: no training checkpoint at {checkpoint} (the torch baseline is built from it)")
    if not editor.card or "network" not in editor.card:
        raise AnisyncError(f"{model}: no model card with the network sizes; the torch baseline needs them")
    generator = build_generator(NetworkConfig(**editor.card["network"]))
    try:
        generator.load_state_dict(torch.load(checkpoint, map_location="cpu", weights_only=True)["generator"])
    except (KeyError, RuntimeError, OSError) as error:
        raise AnisyncError(f"--checkpoint: {checkpoint} holds no generator of {model}'s network ({error})") from None
    generator.eval()
    torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    results = {}
    for batch in batches:
        image = rng.uniform(-1, 1, (batch, 4, editor.size, editor.size)).astype(np.float32)
        condition = np.tile(editor.conditions(np.full((1, 7), 1 / 7)), (batch, 1))
        feed = {"image": image, "condition": condition}
        tensors = (torch.from_numpy(image), torch.from_numpy(condition))
        outputs = list(SIGNATURE["outputs"])
        timings: dict[str, list[float]] = {"onnxruntime": [], "torch_eager": []}
        with torch.inference_mode():
            editor.session.run(outputs, feed)
            generator(*tensors)
            for _ in range(repeats):
                started = time.perf_counter()
                editor.session.run(outputs, feed)
                timings["onnxruntime"].append(time.perf_counter() - started)
                started = time.perf_counter()
                generator(*tensors)
                timings["torch_eager"].append(time.perf_counter() - started)
        row = {name: _stats(times) for name, times in timings.items()}
        row["torch_over_onnxruntime"] = row["torch_eager"]["p50_ms"] / row["onnxruntime"]["p50_ms"]
        results[f"batch_{batch}"] = row
    return {"model": str(model), "checkpoint": str(checkpoint), "size": editor.size, "threads": threads,
            "repeats": repeats, "provider": editor.provider, "torch": torch.__version__,
            "processor": cpu_name(), "batches": results}


def format_report(result: dict) -> str:
    """The figures as one line per batch size."""
    lines = [f"{result['model']} at {result['size']} px, {result['threads']} thread(s), {result['repeats']} calls each"]
    for name, row in result["batches"].items():
        lines.append(f"  {name}: onnxruntime p50 {row['onnxruntime']['p50_ms']:.2f} ms (p95 {row['onnxruntime']['p95_ms']:.2f}); "
                     f"torch eager p50 {row['torch_eager']['p50_ms']:.2f} ms (p95 {row['torch_eager']['p95_ms']:.2f}); "
                     f"torch / onnxruntime {row['torch_over_onnxruntime']:.2f}x")
    return "\n".join(lines)
