"""Regenerates ``lipsync_strip.png``: a villager saying a line, as the game draws it.

A shipped character (Mira) feels joy and is told to say a line (``Runtime.say``); every 1/15 s of the
line, the face the plugin would ask for (the emotion's face with the viseme's mouth,
``anisync.panda.faces.speaking_params``) is drawn by the neural face source (top row) and the procedural
renderer (bottom row), with the viseme under each frame.

    python docs/images/lipsync_strip.py [--out PATH] [--line TEXT] [--frames N]
"""

import argparse
from pathlib import Path

import numpy as np
from anisync import EMOTIONS, Runtime, asset_path
from anisync.panda import NeuralFaceSource, ProceduralFaceSource
from anisync.panda.faces import speaking_params
from PIL import Image, ImageDraw

FPS = 15
LABEL = 16  # pixels under each row for the viseme names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(Path(__file__).with_name("lipsync_strip.png")))
    parser.add_argument("--line", default="Hello there! What a lovely day.")
    parser.add_argument("--frames", type=int, default=14)
    args = parser.parse_args()
    runtime = Runtime(seed=0)
    mira = runtime.spawn(asset_path("characters", "mira.yaml"))
    joy = np.eye(len(EMOTIONS))[EMOTIONS.index("joy")]
    track = runtime.say(mira.id, args.line).track
    times = [track.start + k / FPS for k in range(args.frames)]
    visemes = [track.viseme_at(t) for t in times]
    sources = (NeuralFaceSource(), ProceduralFaceSource(size=128))
    size = 128
    sheet = Image.new("RGB", (size * len(times), (size + LABEL) * len(sources)), "white")
    draw = ImageDraw.Draw(sheet)
    for row, source in enumerate(sources):
        for column, viseme in enumerate(visemes):
            face = source.render(mira.id, mira.appearance, speaking_params(joy, viseme))
            tile = Image.fromarray(face, "RGBA").resize((size, size), Image.LANCZOS)
            top = row * (size + LABEL)
            sheet.paste(tile, (column * size, top), tile)
            draw.text((column * size + size // 2, top + size + 2), f"{viseme} {times[column] - track.start:.2f}s",
                      fill="black", anchor="ma")
    sheet.save(args.out)
    print(f"wrote {args.out}: {args.line!r}, visemes " + " ".join(visemes))


if __name__ == "__main__":
    main()
