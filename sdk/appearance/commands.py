"""``anisync data appearance``, ``anisync train appearance``, ``anisync train appearance-judge``,
``anisync train appearance-refiner``, ``anisync eval appearance`` and ``anisync eval appearance-refiner``
(torch is imported only when a command needs it)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..arguments import add_run_options, at_least_two, need_torch, non_negative_float, positive, positive_float, seed
from .config import ARCHS, AppearanceConfig



def _data_command(args: argparse.Namespace) -> int:
    from .data import make_appearance_dataset

    out = make_appearance_dataset(args.out, args.identities, size=args.size, seed=args.seed,
                                  shard_identities=args.shard_identities)
    print(f"{args.identities} neutral frontal faces in {out}; contact sheet {out / 'sheet.png'}")
    return 0


def _train_command(args: argparse.Namespace) -> int:
    need_torch(args.device)
    from .train import train

    card = train(args)
    if card is None:
        return 0  # a torchrun process other than 0
    print(f"wrote {args.out} ({args.arch}: {card['parameters']['decoder']} decoder parameters, "
          f"{card['training']['steps']} steps, {card['training']['wall_seconds']:.0f} s of training)")
    return 0


def _judge_command(args: argparse.Namespace) -> int:
    need_torch()
    from .judge import train_judge

    card = train_judge(args.data, args.out, steps=args.steps, batch=args.batch, seed=args.seed)
    test = card["test_on_real_renders"]
    print(f"wrote {args.out}: accuracy {100 * test['accuracy']:.1f} %, macro-F1 {test['macro_f1']:.3f} on "
          f"{test['faces']} real test renders (" +
          ", ".join(f"{k} {100 * v['accuracy']:.1f} %" for k, v in test["per_attribute"].items()) + ")")
    return 0


def _refiner_command(args: argparse.Namespace) -> int:
    need_torch()
    from .refiner_train import train_refiner

    card = train_refiner(args.data, args.out, args.steps, batch=args.batch, width=args.width, blocks=args.blocks,
                         lr=args.lr, seed=args.seed, checkpoint_every=args.checkpoint_every, resume=args.resume)
    print(f"wrote {args.out} ({card['network']['parameters']} parameters, {card['training']['steps']} steps, "
          f"{card['training']['wall_seconds']:.0f} s of training)")
    return 0


def _eval_refiner_command(args: argparse.Namespace) -> int:
    need_torch()
    from .refiner_train import evaluate_refiner

    result = evaluate_refiner(args.model, args.data, args.generator, faces=args.faces, seed=args.seed, sheet=args.sheet)
    for level, figures in result["psnr_db_on_held_out"].items():
        print(f"held-out faces, {level}: refined {figures['refined']:.2f} dB, Lanczos {figures['lanczos']:.2f} dB, "
              f"bilinear {figures['bilinear']:.2f} dB")
    print(f"fill noise of real renders {result['fill_noise_real_renders']:.2f}", end="")
    if "generator" in result:
        print(f"; generator faces refined {result['generator']['fill_noise_refined']:.2f}, "
              f"Lanczos-upscaled {result['generator']['fill_noise_lanczos']:.2f}")
    else:
        print()
    if args.json:
        Path(args.json).write_text(json.dumps({"command": "anisync " + " ".join(sys.argv[1:]), **result}, indent=2) + "\n",
                                   encoding="utf-8")
    return 0


def _eval_command(args: argparse.Namespace) -> int:
    from .evaluate import appearance_sheet, evaluate, format_report, write_json

    result = evaluate(args.model, args.data, args.judge, samples=args.samples, sets=args.sets, per_set=args.per_set,
                      threads=args.threads, seed=args.seed, train_faces=args.train_faces)
    print(format_report(result))
    if args.json:
        write_json(result, args.json)
    if args.sheet:
        sheet = Path(args.sheet)
        for model in args.model:
            out = sheet if len(args.model) == 1 else sheet.with_name(f"{sheet.stem}-{Path(model).stem}{sheet.suffix}")
            print(f"wrote {appearance_sheet(model, out, seeds=args.sheet_seeds)}")
    return 0


def register(commands) -> None:
    """Add the appearance generator's subcommands."""
    data = commands.subcommand("data", "appearance", _data_command,
                               help="render neutral frontal faces with independent attributes for the appearance generator")
    data.add_argument("--out", required=True, help="output folder; rerun with the same settings to resume")
    data.add_argument("--identities", type=positive, required=True, help="faces, one per identity")
    data.add_argument("--size", type=positive, default=64,
                      help="side in pixels, 64 to 512 (default 64: what the generator draws; 128 trains the refiner)")
    data.add_argument("--seed", type=seed, default=0, help="random seed")
    data.add_argument("--shard-identities", type=positive, default=256, help="faces per shard file")

    train = commands.subcommand("train", "appearance", _train_command,
                                help="train an appearance generator (conditional VAE) and export it to ONNX")
    train.add_argument("--data", required=True, help="a procedural dataset (anisync data appearance, or data make), or "
                       "a folder of your own portraits with attributes.csv (sdk/appearance/portraits.py)")
    train.add_argument("--arch", choices=ARCHS, default=AppearanceConfig.arch,
                       help="decoder: Zhou's BiLSTM-MA, its baselines, or a DCGAN-style conv decoder")
    train.add_argument("--steps", type=positive, required=True, help="training steps")
    train.add_argument("--out", required=True, help="the ONNX file to write; encoder, card, checkpoint and loss plot go beside it")
    train.add_argument("--batch", type=positive, default=32, help="faces per step")
    train.add_argument("--hidden", type=positive, default=AppearanceConfig.hidden, help="LSTM units per direction")
    train.add_argument("--z-dim", type=positive, default=AppearanceConfig.z_dim, help="latent size")
    train.add_argument("--conv-width", type=positive, default=AppearanceConfig.conv_width,
                       help="base width of the conv decoder")
    train.add_argument("--encoder-width", type=positive, default=AppearanceConfig.encoder_width,
                       help="base width of the encoder")
    # The defaults are the shipped model's recipe (docs/results/appearance.md).
    train.add_argument("--beta", type=non_negative_float, default=16.0,
                       help="weight of the KL term (default 16; 1 is the ELBO, whose latent carries the colours)")
    train.add_argument("--attribute-weight", type=non_negative_float, default=0.01,
                       help="weight of the guide classifier's cross-entropy on faces sampled from the prior "
                            "(default 0.01; 0: no guide; 0.05 already turns some faces to noise)")
    train.add_argument("--guide-steps", type=positive, default=1000,
                       help="steps of 64 faces that fit the guide before training")
    train.add_argument("--lr", type=positive_float, default=1e-3, help="Adam learning rate, falling to 0 over the second half")
    train.add_argument("--seed", type=seed, default=0, help="seed of initialisation and batches")
    train.add_argument("--checkpoint", help="checkpoint file (default: OUT with .ckpt)")
    train.add_argument("--checkpoint-every", type=positive, default=500, help="steps between checkpoints")
    train.add_argument("--resume", action="store_true", help="continue from the checkpoint")
    train.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where to train")

    judge = commands.subcommand("train", "appearance-judge", _judge_command,
                                help="train the attribute judge that appearance evaluations score faces with")
    judge.add_argument("--data", required=True, help="a procedural dataset or a folder of portraits (train split to "
                       "learn, test split to score)")
    judge.add_argument("--out", required=True, help="the ONNX file to write; its card goes beside it")
    judge.add_argument("--steps", type=positive, default=2000, help="training steps")
    judge.add_argument("--batch", type=positive, default=64, help="faces per step")
    judge.add_argument("--seed", type=seed, default=0, help="seed")

    refiner = commands.subcommand("train", "appearance-refiner", _refiner_command,
                                  help="train the 2x refiner that turns generated 64 px faces into clean 128 px ones")
    refiner.add_argument("--data", required=True, help="128 px faces (anisync data appearance --size 128)")
    refiner.add_argument("--out", required=True, help="the ONNX file to write; card and checkpoint go beside it")
    refiner.add_argument("--steps", type=positive, required=True, help="training steps")
    refiner.add_argument("--batch", type=positive, default=16, help="64 px crops per step")
    refiner.add_argument("--width", type=positive, default=48, help="channels of the residual blocks")
    refiner.add_argument("--blocks", type=positive, default=4, help="residual blocks")
    refiner.add_argument("--lr", type=positive_float, default=1e-3, help="Adam learning rate, falling to 0 over the second half")
    add_run_options(refiner, checkpoint_every=500)

    evaluate_refiner = commands.subcommand("eval", "appearance-refiner", _eval_refiner_command,
                                           help="measure the refiner against plain upscales on held-out faces")
    evaluate_refiner.add_argument("--model", required=True, help="the refiner's ONNX file")
    evaluate_refiner.add_argument("--data", required=True, help="128 px faces; the test split is held out")
    evaluate_refiner.add_argument("--generator", help="an appearance generator whose faces to refine too")
    evaluate_refiner.add_argument("--faces", type=positive, default=256, help="faces of each kind")
    evaluate_refiner.add_argument("--seed", type=seed, default=0, help="seed of the spoilt inputs")
    evaluate_refiner.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    evaluate_refiner.add_argument("--sheet", metavar="PATH", help="a sheet of generator faces, Lanczos beside refined")

    evaluate = commands.subcommand("eval", "appearance", _eval_command,
                                   help="measure appearance generators side by side on held-out procedural faces")
    evaluate.add_argument("--model", nargs="+", required=True, help="exported ONNX models (one table row each)")
    evaluate.add_argument("--data", required=True, help="a procedural dataset or a folder of portraits (test split "
                          "held out, train split for nearest neighbours)")
    evaluate.add_argument("--judge", required=True, help="the attribute judge (anisync train appearance-judge)")
    evaluate.add_argument("--samples", type=positive, default=1000, help="generated faces per model")
    evaluate.add_argument("--sets", type=positive, default=20, help="attribute sets of the diversity figure")
    evaluate.add_argument("--per-set", type=at_least_two, default=10, help="faces per attribute set, 2 or more")
    evaluate.add_argument("--train-faces", type=positive, default=None, help="training faces searched for nearest neighbours (default: all)")
    evaluate.add_argument("--threads", type=positive, default=1, help="onnxruntime threads")
    evaluate.add_argument("--seed", type=seed, default=0, help="seed of the generated faces' seeds")
    evaluate.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    evaluate.add_argument("--sheet", metavar="PATH", help="also write a sheet (a row per style, a column per seed); "
                          "with several models, one per model named PATH-MODEL")
    evaluate.add_argument("--sheet-seeds", type=positive, default=8, help="columns of the sheet")
