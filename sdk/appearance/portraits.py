"""A studio's own art as training data for the appearance generator: a folder of portraits and a CSV of
their attributes. ``anisync train appearance --data FOLDER`` (and the judge and the evaluation) take such a
folder wherever they take a procedural dataset.

The folder holds ``attributes.csv`` (UTF-8, comma-separated, a header row) and the images it names:

===============  ===========================================================================================
column           value
===============  ===========================================================================================
``file``         an image beside the CSV or below it (any format Pillow reads, RGBA best, 16 to 4096 px a
                 side), framed as :mod:`anisync.portrait` documents: cropped to its visible pixels, padded to a
                 square at the top centre, resized to the models' 64 px
``style``,       one value of :data:`anisync.appearance.ATTRIBUTES` each (the vocabulary character files use)
``hair_style``,
``hair_color``,
``eye_color``,
``accessory``
``split``        optional: ``train`` (the default when the column or the cell is empty), ``validation`` or
                 ``test``; the evaluation holds out the ``test`` rows
===============  ===========================================================================================

Every row is checked when the folder is loaded: a missing column, a value outside the vocabulary, a file
that is missing, unreadable or outside the folder raises DefinitionError naming the CSV, the row (counted
from 1 after the header) and the column, with what was expected. Each row is one identity.
"""

from __future__ import annotations

import csv
import hashlib
import os
from pathlib import Path

import numpy as np

from ..errors import DefinitionError
from ..portrait import check_portrait, frame_portrait
from ..procedural.dataset import SPLITS
from .attributes import ATTRIBUTES

#: The CSV that makes a folder a portrait folder.
PORTRAIT_CSV = "attributes.csv"
COLUMNS = ("file", *ATTRIBUTES)


def is_portrait_folder(data: str | os.PathLike) -> bool:
    """Whether ``data`` is a folder of portraits (it holds :data:`PORTRAIT_CSV`)."""
    return (Path(data) / PORTRAIT_CSV).is_file()


def read_rows(folder: str | os.PathLike) -> list[dict]:
    """The checked rows of the folder's CSV: ``path`` (absolute), ``attributes`` (a dict) and ``split``.

    Raises:
        DefinitionError: naming the CSV, the row and the column (module docstring).
    """
    table = Path(folder) / PORTRAIT_CSV
    try:
        with open(table, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            records = list(reader)
    except UnicodeDecodeError as error:
        raise DefinitionError(table, "", "UTF-8 text", str(error)) from None
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise DefinitionError(table, "header", "the columns " + ", ".join(COLUMNS) + " (and optionally split)",
                              ",".join(header), missing=not header)
    if not records:
        raise DefinitionError(table, "", "at least one row after the header", None, missing=True)
    rows = []
    for number, record in enumerate(records, start=1):
        for name, values in ATTRIBUTES.items():
            if record[name] not in values:
                raise DefinitionError(table, f"row {number}.{name}", "one of " + ", ".join(values), record[name])
        split = record.get("split") or "train"
        if split not in SPLITS:
            raise DefinitionError(table, f"row {number}.split", "one of " + ", ".join(SPLITS), split)
        path = check_portrait(table, record["file"], f"row {number}.file")
        rows.append({"path": path, "attributes": {name: record[name] for name in ATTRIBUTES}, "split": split})
    return rows


def load_portraits(folder: str | os.PathLike, split: str, size: int = 64, limit: int | None = None):
    """The framed faces of ``split`` (uint8 RGBA ``[n, size, size, 4]``) with their attributes, as
    :class:`anisync.appearance.data.LabelledFaces` (identities are the row numbers)."""
    from .data import LabelledFaces

    chosen = [(number, row) for number, row in enumerate(read_rows(folder), start=1) if row["split"] == split][:limit]
    if not chosen:
        raise DefinitionError(Path(folder) / PORTRAIT_CSV, "split", f"at least one row in the {split} split", None,
                              missing=True)
    images = np.stack([frame_portrait(row["path"], size) for _, row in chosen])
    labels = np.array([[ATTRIBUTES[name].index(row["attributes"][name]) for name in ATTRIBUTES] for _, row in chosen])
    return LabelledFaces(images, labels.astype(np.int64), np.array([number for number, _ in chosen]))


def portrait_fingerprint(folder: str | os.PathLike) -> str:
    """The sha256 of the CSV and of every image it names, in order: the same art, the same fingerprint."""
    digest = hashlib.sha256((Path(folder) / PORTRAIT_CSV).read_bytes())
    for row in read_rows(folder):
        digest.update(Path(row["path"]).read_bytes())
    return digest.hexdigest()
