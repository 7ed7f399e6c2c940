"""``anisync train dialogue``: the classifier's head (:mod:`anisync.dialogue.model`) learned on MELD's train
split over the frozen encoder's cached token features, the checkpoint chosen on the dev split's weighted
F1, exported to ONNX with its card. torch is imported only here.

Recipe: AdamW (weight decay 0.01), batches of 16 dialogues, cross-entropy with label smoothing 0.1, a
tenth of each utterance's tokens dropped at random, the learning rate constant for the first half and then
linearly down to 0 (:class:`~anisync.training.TrainingRun`); the dev split is scored every ``--eval-every``
steps and each head's best state is kept. ``--heads`` heads train this way from consecutive seeds and ship
averaged, as one graph (:class:`~anisync.dialogue.model.HeadEnsemble`). A head takes about two minutes on two
CPU cores, so runs keep no checkpoints; the trained heads' weights are saved in the cache folder
(``STEM-heads.pt`` for ``--out STEM.onnx``), to export them again without training.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..emotion import EMOTIONS
from ..expression.card import card_path, sha256_of
from ..distributed import Ranks
from ..training import TrainingRun
from .meld import LICENCE, cached_features, dialogues, read_split, weighted_f1
from .model import DialogueHead, HeadConfig, HeadEnsemble
from ..timing import cpu_name

#: Token features a training utterance keeps (MELD's 99.9th percentile is about 60); the exported graph
#: takes any length.
TRAIN_TOKENS = 64
#: Share of an utterance's tokens hidden in each training batch.
TOKEN_DROPOUT = 0.1
#: Context slots traced when the head reads none (the exporter then drops the unused context inputs).
EMPTY_SLOTS = 1
OPSET = 17


class MeldSplit:
    """A split's dialogues as padded tensors on demand: token features, masks, speaker ids and labels."""

    def __init__(self, folder: str | Path, split: str, cache: str | Path):
        features = cached_features(folder, split, cache)
        self.utterances = read_split(folder, split)
        self.tokens, self.offsets = features["tokens"], features["offsets"]
        self.labels = features["labels"]
        self.dialogues = dialogues(self.utterances)

    def batch(self, chosen: list[int], rng: np.random.Generator | None = None):
        """Tensors of dialogues ``chosen``: tokens ``[B, L, T, WIDTH]``, mask ``[B, L, T]``, speakers
        ``[B, L]``, labels ``[B, L]`` (-100 on padding turns); with ``rng``, tokens dropped at random."""
        groups = [self.dialogues[i] for i in chosen]
        turns = max(len(group) for group in groups)
        lengths = [[min(TRAIN_TOKENS, self.offsets[u + 1] - self.offsets[u]) for u in group] for group in groups]
        longest = max(max(row) for row in lengths)
        tokens = np.zeros((len(groups), turns, longest, self.tokens.shape[1]), np.float32)
        mask = np.zeros((len(groups), turns, longest), np.float32)
        speakers = np.zeros((len(groups), turns), np.int64)
        labels = np.full((len(groups), turns), -100, np.int64)
        for b, group in enumerate(groups):
            names: dict[str, int] = {}
            for t, u in enumerate(group):
                n = lengths[b][t]
                tokens[b, t, :n] = self.tokens[self.offsets[u]:self.offsets[u] + n]
                mask[b, t, :n] = 1
                speakers[b, t] = names.setdefault(self.utterances[u].speaker, len(names))
                labels[b, t] = self.labels[u]
        if rng is not None:
            dropped = (rng.random(mask.shape) < TOKEN_DROPOUT) & (mask.sum(-1, keepdims=True) > 2)
            mask[dropped] = 0
        return (torch.from_numpy(tokens), torch.from_numpy(mask), torch.from_numpy(speakers),
                torch.from_numpy(labels))

    @torch.no_grad()
    def predict(self, head: DialogueHead | HeadEnsemble, batch: int = 32) -> np.ndarray:
        """The head's probabilities ``[n, 7]`` for every utterance of the split, in its order."""
        head.eval()
        out = np.zeros((len(self.utterances), len(EMOTIONS)), np.float32)
        for start in range(0, len(self.dialogues), batch):
            chosen = list(range(start, min(start + batch, len(self.dialogues))))
            tokens, mask, speakers, _ = self.batch(chosen)
            probabilities = torch.softmax(head.dialogues(tokens, mask, speakers), -1).numpy()
            for b, i in enumerate(chosen):
                out[self.dialogues[i]] = probabilities[b, :len(self.dialogues[i])]
        return out


class _Dialogues(nn.Module):
    """The head's whole-dialogue pass as a module's forward, the call DDP synchronises."""

    def __init__(self, head: DialogueHead):
        super().__init__()
        self.head = head

    def forward(self, tokens, mask, speakers):
        return self.head.dialogues(tokens, mask, speakers)


class HeadTraining(TrainingRun):
    """One run of the recipe in the module docstring."""

    def __init__(self, train: MeldSplit, config: HeadConfig, batch: int, seed: int, lr: float, steps: int):
        super().__init__(seed, lr, steps, ("cross_entropy",))
        self.train, self.config, self.batch = train, config, batch
        self.head = DialogueHead(config)
        self.model = self.ranks.wrap(_Dialogues(self.head))  # the forward pass; DDP under torchrun
        self.optimizer = torch.optim.AdamW(self.head.parameters(), lr=lr, weight_decay=0.01)
        self.loss = nn.CrossEntropyLoss(label_smoothing=0.1, ignore_index=-100, reduction="sum")

    def parts(self) -> dict:
        return {"head": self.head, "optimizer": self.optimizer}

    def settings(self) -> dict:
        return {**self.config.as_dict(), "batch": self.batch, "lr": self.lr}

    def train_step(self) -> dict[str, float]:
        self.head.train()
        self.set_learning_rate(self.optimizer)
        chosen = self.rng.choice(len(self.train.dialogues), self.batch, replace=False).tolist()
        # The whole batch on every process, so that the batch generator stays in step; then this one's share.
        tokens, mask, speakers, labels = self.train.batch(chosen, self.rng)
        share = self.ranks.share(self.batch)
        lines = (labels != -100).sum().clamp(min=1)
        # The mean over the batch's labelled lines: each process's sum over the global count, times the
        # processes, whose gradients DDP averages.
        loss = self.loss(self.model(tokens[share], mask[share], speakers[share]).flatten(0, 1),
                         labels[share].flatten()) * self.ranks.world / lines
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.step += 1
        return self.record({"cross_entropy": loss.item()})


def fit(train: MeldSplit, dev: MeldSplit, config: HeadConfig, steps: int, eval_every: int, seed: int,
        lr: float = 1e-3, batch: int = 16, progress_desc: str = "train dialogue") -> tuple[DialogueHead, dict]:
    """Train a head and return the state that scored best on ``dev``, with the dev history."""
    from ..progress import progress

    run = HeadTraining(train, config, batch, seed, lr, steps)
    best, best_f1, scores = None, -1.0, []
    for _ in progress(range(steps), desc=progress_desc) if run.ranks.is_main else range(steps):
        run.train_step()
        if run.step % eval_every == 0 or run.step == steps:
            f1 = weighted_f1(dev.labels, dev.predict(run.head).argmax(1))
            scores.append((run.step, f1))
            if f1 > best_f1:
                best, best_f1 = copy.deepcopy(run.head.state_dict()), f1
    run.head.load_state_dict(best)
    run.head.eval()
    best_step = max(scores, key=lambda s: s[1])[0]
    return run.head, {"steps": steps, "best_step": best_step, "dev_weighted_f1": round(100 * best_f1, 2),
                      "dev_history": [[s, round(100 * f, 2)] for s, f in scores],
                      "final_cross_entropy": run.final_losses()["cross_entropy"]}


def export_head(head: DialogueHead | HeadEnsemble, path: str | Path, card: dict) -> Path:
    """Write the head as ONNX (inputs ``tokens``, ``mask``, ``context``, ``same_speaker``,
    ``context_mask``; outputs ``logits``, ``vector``; any number of lines) and its card beside it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    slots = head.config.context or EMPTY_SLOTS
    example = (torch.zeros(1, 5, 384), torch.ones(1, 5), torch.zeros(1, slots, head.config.hidden),
               torch.zeros(1, slots), torch.zeros(1, slots))
    torch.onnx.export(head, example, str(path), input_names=["tokens", "mask", "context", "same_speaker",
                                                             "context_mask"],
                      output_names=["logits", "vector"], opset_version=OPSET, dynamo=False,
                      dynamic_axes={"tokens": {0: "lines", 1: "tokens"}, "mask": {0: "lines", 1: "tokens"},
                                    **{name: {0: "lines"} for name in ("context", "same_speaker", "context_mask",
                                                                       "logits", "vector")}})
    card = {**card, "network": head.config.as_dict(), "opset": OPSET, "sha256": sha256_of(path)}
    card_path(path).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return path


def train(args: argparse.Namespace) -> dict | None:
    """Run ``anisync train dialogue`` (the module docstring's recipe); returns the model card (None in a
    torchrun process other than 0, which writes nothing)."""
    started = time.perf_counter()
    ranks = Ranks.from_environment()
    splits = {name: MeldSplit(args.meld, name, args.cache) for name in ("train", "dev")}
    config = HeadConfig(args.context, args.hidden, args.dropout)
    heads, runs = [], []
    for k in range(args.heads):
        head, run = fit(splits["train"], splits["dev"], config, args.steps, args.eval_every, args.seed + k, args.lr,
                        args.batch, progress_desc=f"train dialogue head {k + 1}/{args.heads}")
        heads.append(head)
        runs.append({"seed": args.seed + k, **run})
    if not ranks.is_main:
        return None
    ensemble = HeadEnsemble(heads).eval()
    torch.save(ensemble.state_dict(), Path(args.cache) / f"{Path(args.out).stem}-heads.pt")
    metrics = {"dev_weighted_f1": round(100 * weighted_f1(splits["dev"].labels,
                                                          splits["dev"].predict(ensemble).argmax(1)), 2),
               "heads": runs}
    from .encoder import shipped_encoder_path

    card = {
        "model": "dialogue emotion classifier head on frozen all-MiniLM-L6-v2 (int8 ONNX), sdk/dialogue/model.py",
        "command": "anisync " + " ".join(sys.argv[1:]),
        "data": {"dataset": "MELD text (Poria et al., ACL 2019), train split; checkpoint chosen on the dev split",
                 "licence": f"{LICENCE}: the dataset is not shipped; this head's weights were learned from it",
                 "train_utterances": len(splits["train"].utterances), "dev_utterances": len(splits["dev"].utterances)},
        "encoder": {"file": shipped_encoder_path().name, "sha256": sha256_of(shipped_encoder_path()),
                    "made_by": "anisync train dialogue-encoder, from all-MiniLM-L6-v2 (Apache-2.0)"},
        "training": {"heads": args.heads, "steps": args.steps, "batch": args.batch, "lr": args.lr, "seed": args.seed,
                     "token_dropout": TOKEN_DROPOUT, "label_smoothing": 0.1, "wall_seconds": time.perf_counter() - started},
        "hardware": {"device": "cpu", "processor": cpu_name(),
                     "torch_threads": torch.get_num_threads(), "torch": torch.__version__, **ranks.describe()},
        "labels": list(EMOTIONS),
        "metrics": metrics,
    }
    export_head(ensemble, args.out, card)
    return card
