"""The expression editor's command lines: ``anisync train expression`` (:mod:`anisync.expression.train`),
``anisync train expression-int8`` (:mod:`anisync.expression.quantize`), ``anisync eval expression``
(:mod:`anisync.expression.evaluate`), ``anisync bench expression`` (:mod:`anisync.expression.bench`) and
``anisync train judge`` (:mod:`anisync.expression.judge`). Torch is imported
only when a command that needs it runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..arguments import need_torch, non_negative, non_negative_float, positive, positive_float, seed
from . import ARCHITECTURES
from .judge import JUDGE_ARCHITECTURES, READINGS


def _train_command(args: argparse.Namespace) -> int:
    need_torch(args.device)
    from .train import train

    card = train(args)
    if card is None:
        return 0  # a torchrun process other than 0
    print(f"wrote {args.out} ({card['parameters']['generator']} generator parameters, {card['training']['steps']} steps)")
    return 0


def _eval_command(args: argparse.Namespace) -> int:
    from .evaluate import HELD_OUT_SETS, edit_sheet, emotion_sheet, evaluate, format_report, write_json

    result = evaluate(args.model, args.data, pairs=args.pairs, steps=args.steps, threads=args.threads, seed=args.seed,
                      judge=args.judge, appearance=args.appearance, mouth_judge=args.mouth_judge)
    print(format_report(result))
    if args.json:
        write_json(result, args.json)
    if args.sheet:
        print(f"wrote {edit_sheet(args.model, args.data, args.sheet)}")
    if args.emotion_sheet:
        print(f"wrote {emotion_sheet(args.model, args.data, args.emotion_sheet)}")
    if args.held_out_sheet:
        stem = Path(args.held_out_sheet)
        for name in HELD_OUT_SETS:
            sheet = stem.with_name(f"{stem.stem}-{name}{stem.suffix}")
            print(f"wrote {emotion_sheet(args.model, args.data, sheet, held_out=name)}")
    return 0


def _bench_command(args: argparse.Namespace) -> int:
    if not args.baseline:
        need_torch()
    from .bench import bench, format_report
    from .evaluate import write_json

    result = bench(args.model, args.checkpoint, tuple(args.batches), threads=args.threads, repeats=args.repeats,
                   baseline=args.baseline)
    print(format_report(result))
    if args.json:
        write_json(result, args.json)
    return 0


def _int8_command(args: argparse.Namespace) -> int:
    need_torch()
    from .quantize import build_int8

    card = build_int8(args.model, args.data, args.out, seed=args.seed)
    metrics = card["int8"]["metrics"]
    latency = metrics["latency_batch_1_one_thread_ms"]
    print(f"wrote {args.out}: edits {metrics['psnr_vs_source_db']:.1f} dB from the source model's on "
          f"{metrics['pairs']} validation pairs; batch 1 on one thread {latency['int8']:.2f} ms against "
          f"{latency['source']:.2f} ms")
    return 0


def _judge_command(args: argparse.Namespace) -> int:
    need_torch()
    from .judge import train_judge

    card = train_judge(args.data, args.out, steps=args.steps, seed=args.seed, reading=args.reads, arch=args.arch)
    if args.reads == "mouth":
        print(f"wrote {args.out}: on {card['test_faces']} real test renders, mean absolute error "
              + ", ".join(f"{name} {value:.3f}" for name, value in card["test_mae"].items()) + "; Spearman "
              + ", ".join(f"{name} {value:.3f}" for name, value in card["test_spearman"].items()))
        return 0
    print(f"wrote {args.out}: dominant emotion {100 * card['test_dominant_accuracy']:.1f} % and intensity MAE "
          f"{card['test_intensity_mae']:.3f} on {card['test_faces']} real test renders; clear targets "
          f"{100 * card['test_clear']['dominant_accuracy']:.1f} %, mixtures "
          f"{100 * card['test_mixtures']['dominant_accuracy']:.1f} % (intensity MAE {card['test_mixtures']['intensity_mae']:.3f})")
    return 0


def register(commands) -> None:
    """Add ``anisync train expression``, ``anisync train expression-int8``, ``anisync eval expression``,
    ``anisync bench expression`` and ``anisync train judge``."""
    parser = commands.subcommand("train", "expression", _train_command,
                                 help="train the expression editor (AMEE-GAN) and export it to ONNX")
    parser.add_argument("--data", required=True, help="a procedural dataset (anisync data make) or a folder of labelled images")
    parser.add_argument("--steps", type=positive, required=True, help="training steps (one critic and one generator update each)")
    parser.add_argument("--out", required=True, help="the ONNX file to write; its model card, checkpoint and loss plot go beside it")
    parser.add_argument("--batch", type=positive, default=16, help="faces per step")
    parser.add_argument("--width", type=positive, default=16, help="base channel width of both networks")
    parser.add_argument("--downsampling", type=int, choices=range(1, 6), default=2, metavar="{1..5}",
                        help="encoder convolutions that halve the image, 1 to 5 (default 2: a 32x32 latent at 128 px)")
    parser.add_argument("--arch", choices=ARCHITECTURES, default="amee",
                        help="amee: Peng's AMEE-GAN with its GAN losses; unet: our U-Net with FiLM, trained on "
                             "exact pairs (sdk/expression/paired.py)")
    parser.add_argument("--seed", type=seed, default=0, help="seed of initialisation and batches")
    parser.add_argument("--checkpoint", help="checkpoint file (default: OUT with .ckpt)")
    parser.add_argument("--checkpoint-every", type=positive, default=200, help="steps between checkpoints")
    parser.add_argument("--resume", action="store_true", help="continue from the checkpoint")
    parser.add_argument("--no-supervised", action="store_true", help="no L1 to ground-truth renders (for unpaired real images)")
    parser.add_argument("--lr", type=positive_float, default=2e-4, help="Adam learning rate, falling to 0 over the second half")
    parser.add_argument("--warmup", type=non_negative, default=None, help="first steps without the adversarial term (default: a quarter of --steps)")
    parser.add_argument("--adversarial", type=non_negative_float, default=0.0, metavar="WEIGHT",
                        help="--arch unet: weight of a least-squares PatchGAN term for sharpness, from step --warmup on "
                             "(default 0: none)")
    parser.add_argument("--no-mask", action="store_true", help="ablation: output the decoder's image, no mask composition")
    parser.add_argument("--no-expression-head", action="store_true", help="ablation: no expression-magnitude discriminator")
    parser.add_argument("--classifier-loss", type=non_negative_float, default=0.0, metavar="WEIGHT",
                        help="--arch unet: weight of the expression loss through a frozen reader fitted on the "
                             "training faces (default 0: none)")
    parser.add_argument("--shift", type=non_negative, default=0, metavar="PIXELS",
                        help="--arch unet: move each training pair by a random offset of up to PIXELS (default 0)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where to train")

    evaluate = commands.subcommand("eval", "expression", _eval_command,
                                   help="measure an expression editor on held-out procedural identities")
    evaluate.add_argument("--model", required=True, help="the exported ONNX model")
    evaluate.add_argument("--data", required=True, help="a procedural dataset (its test split is used)")
    evaluate.add_argument("--pairs", type=positive, default=200, help="(source, target) pairs")
    evaluate.add_argument("--steps", type=positive, default=10, help="steps of each expression path")
    evaluate.add_argument("--threads", type=positive, default=1, help="onnxruntime threads")
    evaluate.add_argument("--seed", type=seed, default=0, help="seed of the pair choice")
    evaluate.add_argument("--judge", help="an emotion judge (anisync train judge) for the control and monotonicity figures")
    evaluate.add_argument("--mouth-judge", help="a mouth judge (anisync train judge --reads mouth) for the lip-sync "
                          "figures: mouth parameter sweeps and mouth shapes")
    evaluate.add_argument("--appearance", help="with --judge: also edit 50 faces of this appearance generator model "
                          "(e.g. assets/models/appearance.onnx) and judge them")
    evaluate.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    evaluate.add_argument("--sheet", metavar="PNG", help="also draw held-out sources, edits, true renders and masks")
    evaluate.add_argument("--emotion-sheet", metavar="PNG", help="also draw 8 held-out neutral faces edited to each "
                          "emotion at full intensity, the true renders below, and a row of mouth shapes")
    evaluate.add_argument("--held-out-sheet", metavar="PNG", help="also draw the emotion sheet for each held-out set "
                          "(off-palette colours, heavy lines), as PNG's name with -off_palette and -heavy_lines")
    timing = commands.subcommand("bench", "expression", _bench_command,
                                 help="latency of an exported expression editor against torch eager or another "
                                      "exported editor")
    timing.add_argument("--model", required=True, help="the exported ONNX model (its card gives the network sizes)")
    baselines = timing.add_mutually_exclusive_group()
    baselines.add_argument("--checkpoint", help="the training checkpoint the torch baseline loads (default: MODEL with .ckpt)")
    baselines.add_argument("--baseline", help="instead of torch, another exported editor as the baseline (an int8 "
                                              "model's float32 source)")
    timing.add_argument("--batches", type=positive, nargs="+", default=[1, 16], help="batch sizes")
    timing.add_argument("--threads", type=positive, default=1, help="threads of both runtimes")
    timing.add_argument("--repeats", type=positive, default=50, help="timed calls per batch size")
    timing.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    int8 = commands.subcommand("train", "expression-int8", _int8_command,
                               help="make an int8 copy of a trained U-Net editor for fast CPU inference, calibrated "
                                    "on a face dataset (no retraining)")
    int8.add_argument("--model", required=True, help="the float32 editor exported by anisync train expression --arch unet")
    int8.add_argument("--data", required=True, help="a procedural dataset: its train split calibrates the int8 ranges, "
                                                    "its validation split measures the copy against the source")
    int8.add_argument("--out", required=True, help="the ONNX file to write; its card goes beside it")
    int8.add_argument("--seed", type=seed, default=0, help="seed of the calibration pairs")
    judge = commands.subcommand("train", "judge", _judge_command,
                                help="train a judge (emotions or mouth) that evaluations score edited faces with")
    judge.add_argument("--data", required=True, help="a procedural dataset (train split to learn, test split to score); "
                       "for a mouth judge, one made with --speech")
    judge.add_argument("--reads", choices=READINGS, default="emotions",
                       help="what the judge reads: the seven emotion intensities, or the three mouth parameters")
    judge.add_argument("--arch", choices=JUDGE_ARCHITECTURES, default="strided",
                       help="the network: strided convolutions and average pooling, or 3x3 convolutions with "
                            "BatchNorm and max pooling (a second judge of another design)")
    judge.add_argument("--out", required=True, help="the ONNX file to write; its card goes beside it")
    judge.add_argument("--steps", type=positive, default=1500, help="training steps")
    judge.add_argument("--seed", type=seed, default=0, help="seed")
