"""``anisync stylize``, ``anisync data stylize-faces``, ``anisync data stylize-scenes``,
``anisync train stylizer`` and ``anisync eval stylize`` (torch and panda3d are imported only when a command
needs them)."""

from __future__ import annotations

import argparse
import sys

from ..arguments import add_run_options, need_torch, non_negative, positive, positive_float, seed, write_json_report
from ..extras import import_extra


def _faces_command(args: argparse.Namespace) -> int:
    import_extra("PIL", "faces", "anisync data stylize-faces")
    from .pairs import make_face_pairs

    out = make_face_pairs(args.out, args.train, args.test, size=args.size, seed=args.seed)
    print(f"{args.train} + {args.test} face style pairs in {out}")
    return 0


def _scenes_command(args: argparse.Namespace) -> int:
    import_extra("panda3d", "panda", "anisync data stylize-scenes")
    import_extra("PIL", "faces", "anisync data stylize-scenes")
    from ..demo.style_scenes import make_scene_pairs

    out = make_scene_pairs(args.out, args.train, args.test, size=args.size, seed=args.seed)
    print(f"{args.train} + {args.test} scene style pairs in {out}")
    return 0


def _train_command(args: argparse.Namespace) -> int:
    need_torch()
    import_extra("PIL", "faces", "anisync train stylizer")
    from .train import train_stylizer

    card = train_stylizer(args.data, args.out, args.steps, recipe=args.recipe, attention=not args.no_attention,
                          width=args.width, blocks=args.blocks, batch=args.batch, lr=args.lr, seed=args.seed,
                          checkpoint_every=args.checkpoint_every, resume=args.resume)
    print(f"wrote {args.out} ({card['network']['parameters']} parameters, {card['training']['steps']} steps, "
          f"{card['training']['wall_seconds']:.0f} s of training)")
    return 0


def _stylize_command(args: argparse.Namespace) -> int:
    from .stylizer import Stylizer

    written = Stylizer(args.model, threads=args.threads).stylize_files(args.images, args.out, size=args.size)
    for path in written:
        print(path)
    return 0


def _eval_command(args: argparse.Namespace) -> int:
    import_extra("PIL", "faces", "anisync eval stylize")
    from .evaluate import evaluate_stylizers, print_report

    report = evaluate_stylizers(args.model, args.data, baselines=args.baseline or [], pairs=args.pairs, sheet=args.sheet,
                                photos_sheet=args.photos_sheet)
    report = {"command": "anisync " + " ".join(sys.argv[1:]), **report}
    print_report(report)
    if args.json:
        write_json_report(args.json, report)
    return 0


def register(commands) -> None:
    """Add the stylizer's commands."""
    from .stylizer import DEFAULT_MODEL

    stylize = commands.command("stylize", _stylize_command, help="redraw images in anime style (the stylizer model)",
                               description="Redraw each image in anime style and write it as PNG to --out.")
    stylize.add_argument("images", nargs="+", help="image files (PNG, JPEG, ...)")
    stylize.add_argument("--out", required=True, help="folder for the stylized images (NAME.png for each input)")
    stylize.add_argument("--model", default=str(DEFAULT_MODEL), help="stylizer ONNX model (default: the shipped one)")
    stylize.add_argument("--size", type=positive, default=None,
                         help="resize so that the longer side is SIZE px first (default: keep the size; the model "
                              "was trained on 256 px images)")
    stylize.add_argument("--threads", type=non_negative, default=0, help="onnxruntime threads (0: its default)")

    for name, handler, what in (("stylize-faces", _faces_command, "procedural faces, lit and photographed"),
                                ("stylize-scenes", _scenes_command, "the village in Panda3D, realistic and cel-shaded")):
        data = commands.subcommand("data", name, handler, help=f"make style pairs (input, true anime rendering): {what}")
        data.add_argument("--out", required=True, help="new output folder")
        data.add_argument("--train", type=positive, required=True, help="training pairs")
        data.add_argument("--test", type=positive, required=True, help="held-out pairs")
        data.add_argument("--size", type=positive, default=256, help="side in pixels")
        data.add_argument("--seed", type=seed, default=0, help="random seed")

    train = commands.subcommand("train", "stylizer", _train_command,
                                help="train the anime stylizer (residual GAN with CBAM) and export it to ONNX")
    train.add_argument("--data", nargs="+", required=True, help="style pair sets (anisync data stylize-faces / -scenes)")
    train.add_argument("--out", required=True, help="the ONNX file to write; card and checkpoint go beside it")
    train.add_argument("--steps", type=positive, required=True, help="training steps")
    train.add_argument("--recipe", choices=("tan", "cartoongan"), default="tan",
                       help="tan: paired L1 + adversarial (the shipped model); cartoongan: CartoonGAN's unpaired "
                            "objective (the baseline)")
    train.add_argument("--no-attention", action="store_true", help="leave CBAM out of the residual blocks (the ablation)")
    train.add_argument("--width", type=positive, default=48, help="channels at a quarter size")
    train.add_argument("--blocks", type=positive, default=4, help="residual blocks")
    train.add_argument("--batch", type=positive, default=8, help="crops per step")
    train.add_argument("--lr", type=positive_float, default=5e-4, help="Adam learning rate")
    add_run_options(train, checkpoint_every=250)

    evaluate = commands.subcommand("eval", "stylize", _eval_command,
                                   help="PSNR and SSIM against the true anime rendering on held-out pairs, beside "
                                        "the do-nothing and CartoonGAN-style baselines; latency")
    evaluate.add_argument("--model", required=True, help="the stylizer to measure")
    evaluate.add_argument("--data", nargs="+", required=True, help="style pair sets; their test splits are measured")
    evaluate.add_argument("--baseline", nargs="+", metavar="NAME=MODEL",
                          help="other stylizers measured beside it, e.g. cartoongan=cartoongan.onnx")
    evaluate.add_argument("--pairs", type=positive, default=None, help="at most this many test pairs per set (default: all)")
    evaluate.add_argument("--sheet", help="PNG: held-out inputs, outputs of each model, truths")
    evaluate.add_argument("--photos-sheet", help="PNG: the model on the photos shipped with scikit-image (if installed)")
    evaluate.add_argument("--json", help="write the figures here (keys in docs/results/stylize.md)")
