"""One process against two under torchrun, 500 steps of each trainer on the same global batch:
docs/results/ddp-curves.json and docs/images/ddp_curves.png (docs/scale.md explains both).

    python docs/results/ddp_curves.py            # from the checkout, with anisync[train] installed; about 20 minutes here

Data goes to runs/scale (made once, then reused). The dialogue head needs MELD (../shared/datasets/meld by
default) and its cached features in runs/dialogue; without them it is left out. Each run is compared with
the one-process run on the mean of each loss over the last 50 steps (relative difference), beside a second
one-process run on two threads: the same recipe, its sums added in another order, which says how far runs
drift apart without any distribution. A run whose checkpoint already reached the last step is not run
again (its wall time is kept in runs/scale/walls.json).
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


#: The runs compared: one process on one thread, two processes on one thread each, and the baseline that
#: says how far two runs of the same recipe drift apart anyway: one process on two threads, which only
#: adds up the same numbers in another order.
RUNS_COMPARED = {"one": (ANISYNC, "1"), "two": (TORCHRUN, "1"), "one_two_threads": (ANISYNC, "2")}


def _run(command: list[str], threads: str, out: Path) -> float:
    """Run ``command`` unless ``out``'s checkpoint already reached STEPS; its wall seconds (kept beside it)."""
    walls = RUNS / "walls.json"
    known = json.loads(walls.read_text()) if walls.is_file() else {}
    checkpoint = out.with_suffix(".ckpt")
    if str(out) in known and checkpoint.is_file() and torch.load(checkpoint, weights_only=True)["step"] == STEPS:
        return known[str(out)]
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": threads},
                   stdout=subprocess.DEVNULL)
    known[str(out)] = time.perf_counter() - started
    walls.write_text(json.dumps(known, indent=1))
    return known[str(out)]


def _last_50(values) -> float:
    return float(np.mean(values[-50:]))


def _compare(histories: dict[str, dict[str, list[float]]], weights: dict[str, float]) -> dict:
    """Per loss term and for the objective (the trainer's ``total``, or the weighted sum of its terms):
    the last 50 steps' mean of each run, and its relative difference from the one-process run's."""
    keys = [key for key in histories["one"] if key != "total"]

    def objective(history: dict[str, list[float]]) -> np.ndarray:
        if "total" in history:
            return np.array(history["total"])
        return sum(weights[k] * np.array(history[k]) for k in keys)

    terms = {}
    for key in keys + ["objective"]:
        means = {label: _last_50(objective(h) if key == "objective" else np.array(h[key]))
                 for label, h in histories.items()}
        terms[key] = {"last_50_mean": means,
                      "relative_difference": {label: abs(means[label] - means["one"]) / abs(means["one"])
                                              for label in means if label != "one"}}
    return terms


def main() -> None:
    results, curves = {}, {}
    for name, (make, train) in TRAINERS.items():
        subprocess.run(ANISYNC + make, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        histories, walls = {}, {}
        for label, (launcher, threads) in RUNS_COMPARED.items():
            out = RUNS / label / f"{name}.onnx"
            walls[label] = _run(launcher + train + ["--steps", str(STEPS), "--out", str(out)], threads, out)
            histories[label] = torch.load(out.with_suffix(".ckpt"), weights_only=True)["history"]
        card = json.loads((RUNS / "one" / f"{name}.json").read_text())
        weights = card["training"].get("loss_weights")  # the expression editor's; appearance records its total
        results[name] = {"command": " ".join(["anisync", *train, "--steps", str(STEPS)]), "steps": STEPS,
                         "wall_seconds": walls, "loss_weights": weights, "losses": _compare(histories, weights)}
        curves[name] = ("change" if name == "expression" else "reconstruction", histories)
    meld = ROOT.parent / "shared" / "datasets" / "meld"
    if meld.is_dir() and (ROOT / "runs" / "dialogue").is_dir():
        train = ["train", "dialogue", "--meld", str(meld), "--cache", "runs/dialogue", "--heads", "1", "--steps", str(STEPS)]
        cards = {}
        for label, (launcher, threads) in RUNS_COMPARED.items():
            out = RUNS / label / "dialogue.onnx"
            wall = _run(launcher + train + ["--out", str(out)], threads, out) if not out.is_file() else \
                json.loads((RUNS / "walls.json").read_text()).get(str(out))
            card = json.loads(out.with_suffix(".json").read_text())
            cards[label] = {"wall_seconds": wall, "final_cross_entropy": card["metrics"]["heads"][0]["final_cross_entropy"],
                            "dev_weighted_f1": card["metrics"]["dev_weighted_f1"]}
        results["dialogue"] = {"command": " ".join(["anisync", *train]), "steps": STEPS, "runs": cards,
                               "final_cross_entropy_relative_difference": {
                                   label: abs(run["final_cross_entropy"] - cards["one"]["final_cross_entropy"])
                                   / cards["one"]["final_cross_entropy"] for label, run in cards.items() if label != "one"}}
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
                     f"{name} {key}, two processes": histories["two"][key],
                     f"{name} {key}, one process on two threads": histories["one_two_threads"][key]},
                    ROOT / "docs" / "images" / f"ddp_curves_{name}.png")


if __name__ == "__main__":
    main()
