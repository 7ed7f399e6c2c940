"""The dialogue command lines: ``anisync dialogue TEXT`` (the seven probabilities of a line),
``anisync train dialogue`` (:mod:`anisync.dialogue.train`) and ``anisync eval dialogue``
(:mod:`anisync.dialogue.evaluate`)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..arguments import positive, positive_float, seed, write_json_report


def _dialogue_command(args: argparse.Namespace) -> int:
    from ..emotion import EMOTIONS
    from .classifier import EmotionClassifier

    classifier = EmotionClassifier(args.model)
    probabilities = classifier.classify(args.text, args.context or (), args.speaker)
    for name, p in sorted(zip(EMOTIONS, probabilities), key=lambda item: -item[1]):
        print(f"{name:9s} {p:.3f} {'#' * round(40 * float(p))}")
    if args.json:
        Path(args.json).write_text(json.dumps({"text": args.text, "context": args.context or [],
                                               "probabilities": dict(zip(EMOTIONS, map(float, probabilities)))},
                                              indent=1) + "\n", encoding="utf-8")
    return 0


def _train_command(args: argparse.Namespace) -> int:
    from .train import train

    card = train(args)
    if card is None:
        return 0  # a torchrun process other than 0
    print(f"wrote {args.out}: {args.heads} head(s), dev weighted F1 {card['metrics']['dev_weighted_f1']:.2f} "
          f"({card['training']['wall_seconds']:.0f} s)")
    return 0


def _eval_command(args: argparse.Namespace) -> int:
    from .evaluate import evaluate, print_table

    report = evaluate(args)
    print_table(report)
    if args.json:
        write_json_report(args.json, report)
    return 0


def register(commands) -> None:
    """Add ``anisync dialogue``, ``anisync train dialogue`` and ``anisync eval dialogue``."""
    from ..arguments import DefaultsHelpFormatter
    from .evaluate import add_arguments

    line = commands.command("dialogue", _dialogue_command, formatter_class=DefaultsHelpFormatter,
                            help="the seven emotion probabilities of a line of dialogue")
    line.add_argument("text", help="the line")
    line.add_argument("--context", action="append", metavar="LINE",
                      help="an earlier line of the dialogue (repeat, oldest first)")
    line.add_argument("--speaker", help="who says the line (earlier lines are unattributed here)")
    line.add_argument("--model", help="the head's ONNX file (default: the shipped one)")
    line.add_argument("--json", metavar="PATH", help="also write the probabilities as JSON")

    train = commands.subcommand("train", "dialogue", _train_command,
                                help="train the dialogue emotion classifier's head on MELD (needs torch, scikit-learn)")
    add_arguments(train)
    train.add_argument("--out", type=Path, default=Path("runs/dialogue/dialogue.onnx"), help="the ONNX file to write")
    train.add_argument("--context", type=int, default=8, help="earlier lines the head reads (0: none)")
    train.add_argument("--hidden", type=positive, default=256, help="the head's width")
    train.add_argument("--dropout", type=positive_float, default=0.5, help="dropout in the head")
    train.add_argument("--heads", type=positive, default=5, help="heads trained from seeds SEED, SEED+1, ... and "
                       "averaged in the shipped graph")
    train.add_argument("--steps", type=positive, default=800, help="batches of dialogues each head trains on")
    train.add_argument("--eval-every", type=positive, default=50, help="steps between scorings of the dev split")
    train.add_argument("--batch", type=positive, default=16, help="dialogues per batch")
    train.add_argument("--lr", type=positive_float, default=1e-3, help="AdamW's learning rate")
    train.add_argument("--seed", type=seed, default=0, help="seeds the first head's weights and batches")

    evaluate = commands.subcommand("eval", "dialogue", _eval_command,
                                   help="weighted F1 on MELD's test split beside the baselines, and speed")
    add_arguments(evaluate)
    evaluate.add_argument("--model", help="the head's ONNX file (default: the shipped one)")
    evaluate.add_argument("--no-context-model", metavar="PATH", help="a head trained with --context 0, for the table")
    evaluate.add_argument("--json", metavar="PATH", help="write the report as JSON")
    evaluate.add_argument("--confusion", metavar="PNG", help="draw the classifier's confusion matrix on the test split")
