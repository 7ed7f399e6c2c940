"""One process against two under torchrun, 500 steps of each trainer on the same global batch:
docs/results/ddp-curves.json and docs/images/ddp_curves.png (docs/scale.md explains both).

    python docs/results/ddp_curves.py            # from the checkout, with anisync[train] installed; about 20 minutes here

Data goes to runs/scale (made once, then reused). The dialogue head needs MELD (../shared/datasets/meld by
default) and its cached features in runs/dialogue; without them it is left out. Each pair of runs is
compared on its loss history: the largest difference at any step, and the difference of the means over the
last 50 steps, each relative to the one-process run's mean there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
RUNS = ROOT / "runs" / "scale"
STEPS = 500
ANISYNC = [sys.executable, "-m", "anisync.cli"]
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "anisync.cli"]

TRAINERS = {
    "expression": (["data", "make", "--out", str(RUNS / "faces"), "--identities", "64", "--expressions", "10",
                    "--size", "128", "--seed", "0", "--speech", "0.4"],
                   ["train", "expression", "--arch", "unet", "--data", str(RUNS / "faces"), "--width", "16",
                    "--downsampling", "4", "--batch", "8", "--lr", "1e-3", "--checkpoint-every", "100"]),
    "appearance": (["data", "appearance", "--out", str(RUNS / "appearance"), "--identities", "2000"],
                   ["train", "appearance", "--data", str(RUNS / "appearance"), "--arch", "conv", "--batch", "32",
                    "--beta", "16", "--checkpoint-every", "100"]),
}


def _run(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"},
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def _compare(one: dict[str, list[float]], two: dict[str, list[float]], key: str) -> dict:
    a, b = np.array(one[key]), np.array(two[key])
    scale = abs(a[-50:].mean())
    return {"loss": key, "one_last_50_mean": float(a[-50:].mean()), "two_last_50_mean": float(b[-50:].mean()),
            "last_50_mean_relative_difference": float(abs(a[-50:].mean() - b[-50:].mean()) / scale),
            "largest_step_relative_difference": float(np.abs(a - b).max() / scale)}


def main() -> None:
    results, curves = {}, {}
    for name, (make, train) in TRAINERS.items():
        subprocess.run(ANISYNC + make, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        histories, walls = {}, {}
        for label, launcher in (("one", ANISYNC), ("two", TORCHRUN)):
            out = RUNS / label / f"{name}.onnx"
            walls[label] = _run(launcher + train + ["--steps", str(STEPS), "--out", str(out)])
            histories[label] = torch.load(out.with_suffix(".ckpt"), weights_only=True)["history"]
        key = "change" if name == "expression" else "reconstruction"
        results[name] = {"command": " ".join(["anisync", *train, "--steps", str(STEPS)]), "steps": STEPS,
                         "wall_seconds": walls, **_compare(histories["one"], histories["two"], key)}
        curves[name] = (key, histories)
    meld = ROOT.parent / "shared" / "datasets" / "meld"
    if meld.is_dir() and (ROOT / "runs" / "dialogue").is_dir():
        train = ["train", "dialogue", "--meld", str(meld), "--cache", "runs/dialogue", "--heads", "1", "--steps", str(STEPS)]
        cards = {}
        for label, launcher in (("one", ANISYNC), ("two", TORCHRUN)):
            out = RUNS / label / "dialogue.onnx"
            wall = _run(launcher + train + ["--out", str(out)])
            card = json.loads(out.with_suffix(".json").read_text())
            cards[label] = {"wall_seconds": wall, "final_cross_entropy": card["metrics"]["heads"][0]["final_cross_entropy"],
                            "dev_weighted_f1": card["metrics"]["dev_weighted_f1"]}
        results["dialogue"] = {"command": " ".join(["anisync", *train]), "steps": STEPS, **cards,
                               "final_cross_entropy_relative_difference":
                                   abs(cards["one"]["final_cross_entropy"] - cards["two"]["final_cross_entropy"])
                                   / cards["one"]["final_cross_entropy"]}
    results["processor"] = _cpu()
    (ROOT / "docs" / "results" / "ddp-curves.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    _plot(curves)


def _cpu() -> str:
    from anisync.timing import cpu_name

    return cpu_name()


def _plot(curves: dict) -> None:
    from anisync.expression.train import plot_losses

    for name, (key, histories) in curves.items():
        plot_losses({f"{name} {key}, one process": histories["one"][key],
                     f"{name} {key}, two processes": histories["two"][key]},
                    ROOT / "docs" / "images" / f"ddp_curves_{name}.png")


if __name__ == "__main__":
    main()
