"""A studio's own art (issue 16): the appearance generator trains on a folder of portraits and a CSV of
their attributes, checked row by row at load."""

import csv

import numpy as np
import pytest
from anisync import DefinitionError
from anisync.appearance import ATTRIBUTES
from anisync.appearance.attributes import from_indices, sample_appearance
from anisync.appearance.data import dataset_fingerprint, load_faces
from anisync.appearance.portraits import COLUMNS, PORTRAIT_CSV, read_rows
from anisync.portrait import frame_portrait
from anisync.procedural.render import render_face
from PIL import Image


def _folder(path, rows: int = 8, extra: dict | None = None):
    """``rows`` procedural faces at 96 px on larger transparent canvases, as PNGs, and their CSV."""
    path.mkdir(exist_ok=True)
    records = []
    for number in range(rows):
        attributes = from_indices([number % len(values) for values in ATTRIBUTES.values()])
        face = render_face(sample_appearance(np.random.default_rng(number), attributes), None, 0.0, 96).rgba
        canvas = np.zeros((120, 110, 4), np.uint8)
        canvas[10:106, 7:103] = face
        Image.fromarray(canvas, "RGBA").save(path / f"hero{number}.png")
        records.append({"file": f"hero{number}.png", **attributes, "split": "test" if number >= rows - 2 else ""})
    for key, value in (extra or {}).items():
        records[key[0]][key[1]] = value
    with open(path / PORTRAIT_CSV, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, [*COLUMNS, "split"])
        writer.writeheader()
        writer.writerows(records)
    return path


def test_a_portrait_folder_loads_as_labelled_faces_by_split(tmp_path):
    folder = _folder(tmp_path / "art")
    train, test = load_faces(folder, "train"), load_faces(folder, "test")
    assert train.images.shape == (6, 64, 64, 4) and test.images.shape == (2, 64, 64, 4)
    assert [from_indices(row) for row in train.labels] == [
        from_indices([n % len(values) for values in ATTRIBUTES.values()]) for n in range(6)]
    assert np.array_equal(train.images[0], frame_portrait(folder / "hero0.png", 64))
    assert list(test.identities) == [7, 8]  # rows, counted from 1
    copy = _folder(tmp_path / "again")  # the same art elsewhere: the same fingerprint
    assert dataset_fingerprint(folder) == dataset_fingerprint(copy)
    Image.new("RGBA", (50, 50), (1, 2, 3, 255)).save(folder / "hero3.png")  # the art changed
    assert dataset_fingerprint(folder) != dataset_fingerprint(copy)


@pytest.mark.parametrize("change, key, expected", [
    ({(2, "eye_color"): "violet"}, "row 3.eye_color", "one of blue, dark_blue"),
    ({(0, "split"): "holdout"}, "row 1.split", "one of train, validation, test"),
    ({(4, "file"): "nobody.png"}, "row 5.file", "an existing image file"),
    ({(1, "file"): "../escape.png"}, "row 2.file", "a file under"),
])
def test_a_bad_row_names_the_csv_row_and_column(tmp_path, change, key, expected):
    folder = _folder(tmp_path / "art", extra=change)
    with pytest.raises(DefinitionError) as caught:
        read_rows(folder)
    assert caught.value.source == str(folder / PORTRAIT_CSV) and caught.value.key == key
    assert expected in caught.value.expected


def test_a_csv_without_a_column_is_refused(tmp_path):
    folder = tmp_path / "art"
    folder.mkdir()
    (folder / PORTRAIT_CSV).write_text("file,style,hair_style\nhero.png,cute,bob\n", encoding="utf-8")
    with pytest.raises(DefinitionError, match="header: expected the columns file, style, hair_style, hair_color"):
        read_rows(folder)


def test_the_generator_trains_on_the_studios_art(tmp_path):
    pytest.importorskip("torch")
    from anisync.cli import main

    folder = _folder(tmp_path / "art", rows=10)
    out = tmp_path / "studio.onnx"
    assert main(["train", "appearance", "--data", str(folder), "--arch", "conv", "--out", str(out), "--steps", "2",
                 "--batch", "4", "--conv-width", "4", "--encoder-width", "4", "--z-dim", "4", "--guide-steps", "2"]) == 0
    from anisync.appearance import AppearanceGenerator

    generator = AppearanceGenerator(out)
    assert generator.card["data_fingerprint"] == dataset_fingerprint(folder) and generator.card["data"]["faces"] == 8
    assert generator.generate({"style": "cute"}, seed=1).shape == (64, 64, 4)
