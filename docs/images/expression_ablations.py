"""Composes ``expression_ablations.png`` from the emotion sheets of the short-schedule ablations
(``anisync eval expression ... --emotion-sheet VARIANT-emotions.png``, docs/results/expression.md): for two
held-out identities, the true renders, then each variant's edits of the neutral face to every emotion.

    python docs/images/expression_ablations.py LABEL=SHEET.png [LABEL=SHEET.png ...]
"""

import sys
from pathlib import Path

from anisync.procedural.sheet import grid
from PIL import Image

CELL = 128
COLUMNS = ("neutral", "anger", "disgust", "fear", "joy", "sadness", "surprise")
IDENTITIES = (0, 2)  # the sheet's rows come in pairs: an identity's edits, then its true renders


def cells_of(sheet: Image.Image, row: int) -> list[Image.Image]:
    return [sheet.crop((c * CELL, row * CELL, (c + 1) * CELL, (row + 1) * CELL)) for c in range(len(COLUMNS))]


def main(arguments: list[str]) -> None:
    variants = [argument.split("=", 1) for argument in arguments]
    sheets = {label: Image.open(path).convert("RGBA") for label, path in variants}
    cells, labels = [], []
    for identity in IDENTITIES:
        cells += cells_of(next(iter(sheets.values())), 2 * identity + 1)
        labels.append("truth")
        for label, sheet in sheets.items():
            cells += cells_of(sheet, 2 * identity)
            labels.append(label)
    out = Path(__file__).with_name("expression_ablations.png")
    grid(cells, len(COLUMNS), CELL, COLUMNS, labels).convert("RGB").save(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
