"""Regenerates ``faces_as_drawn.png``: what the plugin draws for three feelings a villager has in the demo,
before commit f3b7783 and now (:func:`anisync.panda.faces.quantise`: a dominant emotion other than neutral
drawn at least at 0.75, the second at most at half the dominant), on four villagers' neural faces.

    python docs/images/faces_as_drawn.py
"""

from pathlib import Path

import numpy as np
from anisync import EMOTIONS
from anisync.demo.village import villager_definitions
from anisync.panda.faces import quantise
from anisync.panda.neural import NeuralFaceSource
from anisync.panda.plugin import MIN_INTENSITY
from anisync.procedural.sheet import grid
from PIL import Image

CELL = 128
#: (what the villager feels, what the plugin drew for it before f3b7783: the dominant emotion rounded to
#: quarter steps, the second to half steps and kept one step below it).
FEELINGS = [
    ({"fear": 0.35, "neutral": 0.3}, {"fear": 0.25}),
    ({"joy": 0.55, "neutral": 0.4}, {"joy": 0.5, "neutral": 0.25}),
    ({"fear": 0.8, "surprise": 0.65}, {"fear": 0.75, "surprise": 0.5}),
]


def vector(emotions: dict) -> np.ndarray:
    return np.array([emotions.get(name, 0.0) for name in EMOTIONS])


def label(emotions: dict) -> str:
    return " ".join(f"{name} {value:g}" for name, value in emotions.items())


def main() -> None:
    source = NeuralFaceSource()
    cells, labels = [], []
    for number, (felt, before) in enumerate(FEELINGS, start=1):  # the columns are explained in the caption
        now = quantise(vector(felt), 0.25, MIN_INTENSITY)[1][0]
        print(f"{number}: felt {label(felt)}; drawn before {label(before)}, now "
              + label({EMOTIONS[i]: v for i, v in enumerate(now) if v}))
        labels += [f"{number}: before", f"{number}: now"]
    definitions = villager_definitions(4)
    for definition in definitions:
        for felt, before in FEELINGS:
            for drawn in (vector(before), quantise(vector(felt), 0.25, MIN_INTENSITY)[1][0]):
                cells.append(Image.fromarray(source.render(definition.id, definition.appearance, drawn), "RGBA"))
    out = Path(__file__).with_suffix(".png")
    grid(cells, len(labels), CELL, labels, [d.name for d in definitions]).save(out)
    print(out)


if __name__ == "__main__":
    main()
