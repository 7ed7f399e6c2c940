"""Regenerates ``neural_faces.png``: six villagers of the demo, each as the neural face source draws them
(the appearance generator's neutral face, then the expression editor's joy, anger and surprise), beside the
procedural renderer's drawing of the same character (same attributes and seed), at the size each source
puts in the game's textures.

    python docs/images/neural_faces.py
"""

from pathlib import Path

import numpy as np
from anisync import EMOTIONS
from anisync.demo.village import villager_definitions
from anisync.panda.neural import NeuralFaceSource
from anisync.panda.procedural import ProceduralFaceSource
from anisync.procedural.sheet import grid
from PIL import Image

COLUMNS = ("neutral", "joy", "anger", "surprise")
CELL = 128


def main() -> None:
    neural, procedural = NeuralFaceSource(), ProceduralFaceSource(CELL)
    cells, rows = [], []
    for definition in villager_definitions(6):
        for source in (neural, procedural):
            for emotion in COLUMNS:
                face = source.render(definition.id, definition.appearance, np.eye(len(EMOTIONS))[EMOTIONS.index(emotion)])
                cells.append(Image.fromarray(face, "RGBA").resize((CELL, CELL), Image.Resampling.LANCZOS))
        rows.append(definition.name)
    labels = [f"{kind} {emotion}" for kind in ("neural", "procedural") for emotion in COLUMNS]
    out = Path(__file__).with_suffix(".png")
    grid(cells, len(labels), CELL, labels, rows).save(out)
    print(out)


if __name__ == "__main__":
    main()
