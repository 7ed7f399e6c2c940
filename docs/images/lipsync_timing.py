"""Regenerates ``lipsync_timing.png``: how open the mouth is over one held-out line, as espeak-ng timed it
(the truth) and as each audio path and the loudness baseline time it.

The line is the first ``test`` recording of a speech set (``anisync data speech``); each track is sampled at
60 frames a second, as ``anisync eval lipsync`` samples it.

    python docs/images/lipsync_timing.py --data speech-eval [--out PATH] [--recording K]
"""

import argparse
import json
from pathlib import Path

import numpy as np
from anisync.plot import line_plot
from anisync.speech.audio import audio_visemes
from anisync.speech.data import read_wav
from anisync.speech.evaluate import LOUD, loudness, truth_visemes
from anisync.speech.track import VisemeTrack
from anisync.speech.visemes import mouth_of

FPS = 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="a speech set (anisync data speech)")
    parser.add_argument("--recording", type=int, default=0, help="which test recording, in order")
    parser.add_argument("--out", default=str(Path(__file__).with_name("lipsync_timing.png")))
    args = parser.parse_args()
    root = Path(args.data)
    entries = [e for e in json.loads((root / "manifest.json").read_text())["entries"] if e["split"] == "test"]
    entry = entries[args.recording]
    samples, rate = read_wav(root / entry["wav"])
    frames = int(np.ceil(entry["seconds"] * FPS))
    times = np.arange(frames) / FPS
    tracks = {
        "truth (espeak-ng's phoneme events)": VisemeTrack(truth_visemes(entry["phonemes"], entry["seconds"])),
        "audio path, phoneme reader": VisemeTrack(audio_visemes(samples, rate, entry["text"])),
        "audio path, pocketsphinx": VisemeTrack(audio_visemes(samples, rate, entry["text"], method="pocketsphinx")),
    }
    series = {name: (times, [track.mouth_at(t)["mouth_open"] for t in times]) for name, track in tracks.items()}
    flap = loudness(samples, rate, FPS, frames)
    series[f"loudness flap (aa above {LOUD:g})"] = (times, flap * mouth_of("aa")["mouth_open"])
    line_plot(series, args.out, f'seconds into "{entry["text"]}" (mouth_open, 60 frames a second)', size=(1200, 380))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
