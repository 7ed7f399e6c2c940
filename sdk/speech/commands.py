"""The lip-sync command lines: ``anisync lipsync`` (a line's timed visemes, for a game or an animation
tool), ``anisync data speech`` (:mod:`anisync.speech.data`), ``anisync train durations``
(:mod:`anisync.speech.durations`) and ``anisync eval lipsync`` (:mod:`anisync.speech.evaluate`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..arguments import DefaultsHelpFormatter, add_run_options, at_least_two, need_torch, non_negative, non_negative_float, positive, positive_float, seed, write_json_report
from .audio import METHODS
from .visemes import VISEME_SETS


def _lipsync_command(args: argparse.Namespace) -> int:
    from .audio import wav_visemes
    from .text import text_visemes
    from .visemes import in_set

    visemes = wav_visemes(args.audio, args.text, method=args.method) if args.audio else text_visemes(args.text, args.rate)
    # Named in the chosen set, neighbours that share a name merged, as an animation tool keys them.
    cues: list[dict] = []
    for viseme in visemes:
        name = in_set(viseme.viseme, args.visemes)
        if cues and cues[-1]["viseme"] == name:
            cues[-1]["end"] = round(viseme.end, 4)
        else:
            cues.append({"start": round(viseme.start, 4), "end": round(viseme.end, 4), "viseme": name})
    for cue in cues:
        print(f"{cue['start']:8.3f} {cue['end']:8.3f}  {cue['viseme']}")
    if args.json:
        Path(args.json).write_text(json.dumps({"text": args.text, "audio": args.audio, "visemes": args.visemes,
                                               "cues": cues}, indent=1) + "\n", encoding="utf-8")
    return 0


def _data_command(args: argparse.Namespace) -> int:
    from .data import MANIFEST, make_speech_dataset

    out = make_speech_dataset(args.out, args.sentences, args.seed, args.variants)
    entries = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["entries"]
    seconds = sum(entry["seconds"] for entry in entries)
    print(f"wrote {len(entries)} recordings ({seconds:.0f} s of speech) of {args.sentences} sentences in {out}")
    return 0


def _phoneme_data_command(args: argparse.Namespace) -> int:
    from .data import MANIFEST, make_phoneme_speech

    out = make_phoneme_speech(args.out, args.lines, args.seed)
    entries = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["entries"]
    print(f"wrote {len(entries)} recordings ({sum(e['seconds'] for e in entries):.0f} s of speech) in {out}")
    return 0


def _reader_command(args: argparse.Namespace) -> int:
    need_torch()
    from .reader_train import train_reader

    card = train_reader(args.data, args.out, args.steps, width=args.width, batch=args.batch, lr=args.lr,
                        seed=args.seed, checkpoint_every=args.checkpoint_every, resume=args.resume)
    metrics = card["metrics"]
    print(f"wrote {args.out}: frame accuracy {100 * metrics['held_out_frame_accuracy']:.1f} % on "
          f"{metrics['held_out_recordings']} held-out recordings, {card['training']['wall_seconds'] / 60:.1f} min of training")
    return 0


def _train_command(args: argparse.Namespace) -> int:
    from .durations import fit_durations

    table = fit_durations(args.data, args.out, command="anisync " + " ".join(sys.argv[1:]))
    metrics = table.card["metrics"]
    print(f"wrote {args.out}: {table.card['data']['aligned_phonemes']} aligned phonemes, mean absolute error "
          f"{metrics['train_mean_abs_error_ms']:.1f} ms (the prior table: {metrics['prior_mean_abs_error_ms']:.1f} ms); "
          "factors " + ", ".join(f"{k} {v:.2f}" for k, v in table.factors.items())
          + "; pauses " + ", ".join(f"{k} {1e3 * v:.0f} ms" for k, v in table.pauses.items()))
    return 0


def _eval_command(args: argparse.Namespace) -> int:
    from .evaluate import evaluate, format_report

    result = evaluate(args.data, fps=args.fps, durations=args.durations, reader=args.reader, noise_db=args.noise_db)
    print(format_report(result))
    if args.json:
        write_json_report(args.json, result)
    return 0


def register(commands) -> None:
    """Add ``anisync lipsync``, ``anisync data speech``, ``anisync train durations`` and ``anisync eval lipsync``."""
    lipsync = commands.command("lipsync", _lipsync_command, formatter_class=DefaultsHelpFormatter,
                               help="a line's timed visemes (start, end, viseme), from its text or its recording")
    lipsync.add_argument("text", help="the line's words (with --audio: its transcript)")
    lipsync.add_argument("--audio", metavar="WAV", help="the line's voice recording (mono 16-bit); visemes in its timing")
    lipsync.add_argument("--method", choices=METHODS, default="reader",
                         help="with --audio, how the recording is timed: the phoneme reader or pocketsphinx")
    lipsync.add_argument("--visemes", choices=VISEME_SETS, default="ovr", help="the viseme set to name them in")
    lipsync.add_argument("--rate", type=positive_float, default=1.0, help="speaking rate of the text path (1: the table's pace)")
    lipsync.add_argument("--json", metavar="PATH", help="also write the cues as JSON")
    data = commands.subcommand("data", "speech", _data_command,
                               help="speak sentences with espeak-ng and record each phoneme's time (lip-sync ground truth)")
    data.add_argument("--out", required=True, help="output folder")
    data.add_argument("--sentences", type=at_least_two, default=200, help="sentences; half train, half test")
    data.add_argument("--seed", type=seed, default=0, help="seed of the sentence draw")
    data.add_argument("--variants", type=non_negative, default=20,
                      help="test sentences also spoken by the other voices, speeds and pitches")
    phonemes = commands.subcommand("data", "phonemes", _phoneme_data_command,
                                   help="speak random dictionary words with espeak-ng in many voices: the phoneme reader's training set")
    phonemes.add_argument("--out", required=True, help="output folder")
    phonemes.add_argument("--lines", type=positive, default=3000, help="lines to speak")
    phonemes.add_argument("--seed", type=seed, default=1, help="seed of the words, voices, speeds and pitches")
    reader = commands.subcommand("train", "phonemes", _reader_command,
                                 help="train the phoneme reader of the audio lip-sync path (torch)")
    reader.add_argument("--data", required=True, nargs="+", help="speech sets (anisync data phonemes); their train splits")
    reader.add_argument("--out", required=True, help="the ONNX model to write (shipped: assets/models/phonemes.onnx)")
    reader.add_argument("--steps", type=positive, default=3000, help="training steps")
    reader.add_argument("--width", type=positive, default=96, help="channels of the convolutions")
    reader.add_argument("--batch", type=positive, default=16, help="crops per step")
    reader.add_argument("--lr", type=positive_float, default=2e-3, help="Adam's learning rate")
    add_run_options(reader, checkpoint_every=250)
    durations = commands.subcommand("train", "durations", _train_command,
                                    help="fit the phoneme duration table of text-to-viseme lip sync to a speech set")
    durations.add_argument("--data", required=True, help="a speech set (anisync data speech); its train split is used")
    durations.add_argument("--out", required=True, help="the JSON table to write (shipped: assets/models/durations.json)")
    evaluate = commands.subcommand("eval", "lipsync", _eval_command,
                                   help="text-to-viseme lip sync against a speech set's phoneme times, beside a loudness baseline")
    evaluate.add_argument("--data", required=True, help="a speech set (anisync data speech); its test split is used")
    evaluate.add_argument("--durations", help="a duration table (default: the shipped one)")
    evaluate.add_argument("--reader", help="a phoneme reader, ONNX (default: the shipped one)")
    evaluate.add_argument("--noise-db", type=non_negative_float, metavar="DB",
                          help="add white noise this many decibels below each recording's mean power (robustness)")
    evaluate.add_argument("--fps", type=positive_float, default=60.0, help="frames per second of the comparison")
    evaluate.add_argument("--json", metavar="PATH", help="write the figures as JSON")
