"""``anisync bench expression``: onnxruntime against a baseline on one exported editor, in one process.

The ONNX graph runs through :class:`~anisync.expression.editor.ExpressionEditor`'s session on the CPU
provider (the runtime's path, no image conversion); the torch baseline is the same generator rebuilt from the training
checkpoint (``NAME.ckpt`` beside ``NAME.onnx`` by default) with the network sizes of the model card, in
eval mode under ``torch.inference_mode``. Both use the same thread count and the same inputs; each
batch size is timed ``repeats`` times after a warm-up call, alternating the two runtimes so that neither
gets a quieter machine. Reported: median and 95th percentile per call, and torch's median over
onnxruntime's (how many times faster the runtime path is).

With ``baseline`` the other runtime is another exported editor on the same onnxruntime path (keys
``baseline_onnxruntime`` and ``baseline_over_onnxruntime``): the int8 editor against its float32 source.
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
          threads: int = 1, repeats: int = 50, baseline: str | Path | None = None) -> dict:
    """Latency of the ONNX model and of its baseline at each batch size (module docstring): the torch
    generator of ``checkpoint``, or with ``baseline`` another exported editor (an int8 model's float32
    source, say) on the same onnxruntime path."""
    editor = ExpressionEditor(model, threads=threads, providers=("CPUExecutionProvider",))  # torch runs on the CPU too
    outputs = list(SIGNATURE["outputs"])
    if baseline:
        other = ExpressionEditor(baseline, threads=threads, providers=("CPUExecutionProvider",))
        if other.size != editor.size:
            raise AnisyncError(f"--baseline: {baseline} edits {other.size} px faces, {model} {editor.size} px")
        name, described, run_baseline = "baseline_onnxruntime", {"baseline": str(baseline)}, \
            lambda feed: other.session.run(outputs, feed)
    else:
        name, described, run_baseline = "torch_eager", *_torch_baseline(editor, model, checkpoint, threads)
    rng = np.random.default_rng(0)
    results = {}
    for batch in batches:
        image = rng.uniform(-1, 1, (batch, 4, editor.size, editor.size)).astype(np.float32)
        condition = np.tile(editor.conditions(np.full((1, 7), 1 / 7)), (batch, 1))
        feed = {"image": image, "condition": condition}
        timings: dict[str, list[float]] = {"onnxruntime": [], name: []}
        editor.session.run(outputs, feed)
        run_baseline(feed)
        for _ in range(repeats):
            started = time.perf_counter()
            editor.session.run(outputs, feed)
            timings["onnxruntime"].append(time.perf_counter() - started)
            started = time.perf_counter()
            run_baseline(feed)
            timings[name].append(time.perf_counter() - started)
        row = {key: _stats(times) for key, times in timings.items()}
        row[f"{name.split('_')[0]}_over_onnxruntime"] = row[name]["p50_ms"] / row["onnxruntime"]["p50_ms"]
        results[f"batch_{batch}"] = row
    return {"model": str(model), **described, "size": editor.size, "threads": threads, "repeats": repeats,
            "provider": editor.provider, "processor": cpu_name(), "batches": results}


def _torch_baseline(editor: ExpressionEditor, model: str | Path, checkpoint: str | Path | None, threads: int):
    """The torch generator rebuilt from the training checkpoint: what the JSON says of it, and a call that
    runs it on a feed."""
    import torch

    from .model import NetworkConfig, build_generator

    checkpoint = Path(checkpoint) if checkpoint else Path(model).with_suffix(".ckpt")
    if not checkpoint.is_file():
        raise AnisyncError(f"--checkpoint: no training checkpoint at {checkpoint} (the torch baseline is built from "
                           "it; or give --baseline, another exported editor)")
    if not editor.card or "network" not in editor.card:
        raise AnisyncError(f"{model}: no model card with the network sizes; the torch baseline needs them")
    generator = build_generator(NetworkConfig(**editor.card["network"]))
    try:
        generator.load_state_dict(torch.load(checkpoint, map_location="cpu", weights_only=True)["generator"])
    except (KeyError, RuntimeError, OSError) as error:
        raise AnisyncError(f"--checkpoint: {checkpoint} holds no generator of {model}'s network ({error})") from None
    generator.eval()
    torch.set_num_threads(threads)

    def run(feed: dict) -> None:
        with torch.inference_mode():
            generator(torch.from_numpy(feed["image"]), torch.from_numpy(feed["condition"]))

    return {"checkpoint": str(checkpoint), "torch": torch.__version__}, run


def format_report(result: dict) -> str:
    """The figures as one line per batch size."""
    lines = [f"{result['model']} at {result['size']} px, {result['threads']} thread(s), {result['repeats']} calls each"]
    name, label = ("baseline_onnxruntime", "baseline") if "baseline" in result else ("torch_eager", "torch eager")
    ratio = f"{name.split('_')[0]}_over_onnxruntime"
    for batch, row in result["batches"].items():
        lines.append(f"  {batch}: onnxruntime p50 {row['onnxruntime']['p50_ms']:.2f} ms (p95 {row['onnxruntime']['p95_ms']:.2f}); "
                     f"{label} p50 {row[name]['p50_ms']:.2f} ms (p95 {row[name]['p95_ms']:.2f}); "
                     f"{label} / onnxruntime {row[ratio]:.2f}x")
    return "\n".join(lines)
