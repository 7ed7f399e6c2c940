"""Procedural dataset: shards, identity splits, resuming, the loader over shards and user folders, CLI."""

from __future__ import annotations

import argparse
import io
import json

import numpy as np
import pytest
from anisync.cli import CommandGroups
from anisync.emotion import EMOTIONS
from anisync.errors import AnisyncError, DefinitionError
from anisync.procedural import commands
from anisync.procedural.dataset import MANIFEST, SHEET, SPLITS, identity_samples, make_dataset, split_identities
from anisync.procedural.expression import EXPRESSION_PARAMS, ExpressionParams
from anisync.procedural.loader import FaceDataset, split_of
from anisync.procedural.render import LANDMARK_NAMES
from anisync.progress import progress
from PIL import Image


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("faces")
    make_dataset(out, identities=12, expressions=3, size=64, seed=5, shard_identities=4, show_progress=False)
    return out


@pytest.mark.parametrize("identities", [1, 2, 3, 10, 57, 400])
def test_split_puts_every_identity_in_exactly_one_split(identities):
    splits = split_identities(identities, seed=9)
    members = [i for name in SPLITS for i in splits[name]]
    assert sorted(members) == list(range(identities))
    if identities >= 3:
        assert all(splits[name] for name in SPLITS)


def test_shards_never_share_an_identity_between_splits(dataset):
    seen = {}
    for name in SPLITS:
        for item in FaceDataset(dataset, split=name):
            assert seen.setdefault(item["identity"], name) == name
    assert set(seen.values()) == set(SPLITS)


def test_items_hold_exact_labels(dataset):
    faces = FaceDataset(dataset)
    assert len(faces) == 12 * 3 and len(faces.identities) == 12
    item = faces[4]
    assert item["image"].shape == (64, 64, 4) and item["image"].dtype == np.uint8
    assert item["mask"].shape == (64, 64) and item["mask"].dtype == bool and item["mask"].any()
    assert item["landmarks"].shape == (len(LANDMARK_NAMES), 2)
    assert item["emotions"].shape == (len(EMOTIONS),) and item["expression"].shape == (len(EXPRESSION_PARAMS),)
    assert 0.0 <= item["yaw"] <= 80.0
    # The first face of every identity is its neutral reference.
    first = faces[0]
    assert first["emotions"][EMOTIONS.index("neutral")] == 1.0
    # Labels are the renderer's ground truth: re-rendering from them gives the same pixels.
    from anisync.procedural.identity import FaceIdentity
    from anisync.procedural.render import render_face

    again = render_face(FaceIdentity.from_dict(item["identity_params"]), ExpressionParams.from_vector(item["expression"]),
                        item["yaw"], 64)
    assert np.array_equal(again.rgba, item["image"]) and np.array_equal(again.mask, item["mask"])


def test_sampling_is_deterministic_per_identity():
    a, b = identity_samples(3, 7, 5), identity_samples(3, 7, 5)
    assert [s.identity for s in a] == [s.identity for s in b]
    assert all(np.array_equal(x.emotions, y.emotions) for x, y in zip(a, b))
    assert np.allclose([s.emotions.sum() for s in a], 1.0)


def test_speech_redraws_mouths_and_leaves_the_rest_of_a_dataset_as_it_was():
    plain, speaking = identity_samples(3, 7, 40), identity_samples(3, 7, 40, speech=0.5)
    spoken = [k for k, s in enumerate(speaking) if s.mouth is not None]
    assert speaking[0].mouth is None and 10 < len(spoken) < 30
    # Faces that do not speak are the dataset without speech, face for face.
    assert all(np.array_equal(a.emotions, b.emotions) and b.expression() == a.expression()
               for a, b in zip(plain, speaking) if b.mouth is None)
    neutral = np.eye(len(EMOTIONS))[EMOTIONS.index("neutral")]
    alone = [k for k in spoken if np.array_equal(speaking[k].emotions, neutral)]
    assert 0 < len(alone) < len(spoken)  # some mouth shapes on a face that feels nothing, some on an emotion
    for k in spoken:
        label = speaking[k].expression()
        assert {name: getattr(label, name) for name in speaking[k].mouth} == speaking[k].mouth
        mapped = ExpressionParams.from_emotions(speaking[k].emotions)  # the mapping's other parameters stay
        assert label.eye_open == mapped.eye_open and label.tears == mapped.tears


def test_speech_dataset_labels_the_mouth_it_drew_and_resumes_old_datasets(tmp_path):
    make_dataset(tmp_path / "speech", identities=3, expressions=6, size=64, seed=2, speech=1.0, show_progress=False)
    planned = {n: identity_samples(2, n, 6, speech=1.0) for n in range(3)}
    seen: dict[int, int] = {}
    for item in FaceDataset(tmp_path / "speech"):
        k = seen[item["identity"]] = seen.get(item["identity"], -1) + 1  # an identity's faces come in plan order
        number = int(item["identity"].removeprefix("procedural-"))
        assert np.allclose(item["expression"], planned[number][k].expression().to_vector())
    assert sum(s.mouth is not None for faces in planned.values() for s in faces) == 3 * 5
    # A dataset made before speech existed has no "speech" setting; it resumes as speech 0.
    make_dataset(tmp_path / "old", identities=3, expressions=2, size=64, seed=2, show_progress=False)
    manifest = json.loads((tmp_path / "old" / MANIFEST).read_text())
    del manifest["speech"]
    (tmp_path / "old" / MANIFEST).write_text(json.dumps(manifest))
    make_dataset(tmp_path / "old", identities=3, expressions=2, size=64, seed=2, show_progress=False)
    with pytest.raises(AnisyncError, match="speech"):
        make_dataset(tmp_path / "old", identities=3, expressions=2, size=64, seed=2, speech=0.5, show_progress=False)


def test_resume_redoes_only_missing_shards_and_refuses_other_settings(tmp_path):
    make_dataset(tmp_path, identities=5, expressions=2, size=64, seed=1, shard_identities=2, show_progress=False)
    shards = sorted(p.name for p in tmp_path.glob("*.npz"))
    kept = tmp_path / shards[0]
    removed = tmp_path / shards[-1]
    with np.load(removed) as data:
        before = data["images"].copy()
    kept_time = kept.stat().st_mtime_ns
    removed.unlink()
    (tmp_path / (removed.name + ".partial")).write_bytes(b"interrupted")
    make_dataset(tmp_path, identities=5, expressions=2, size=64, seed=1, shard_identities=2, show_progress=False)
    with np.load(removed) as data:
        assert np.array_equal(data["images"], before)
    assert kept.stat().st_mtime_ns == kept_time
    with pytest.raises(AnisyncError, match="other settings"):
        make_dataset(tmp_path, identities=6, expressions=2, size=64, seed=1, shard_identities=2, show_progress=False)


def test_contact_sheet_is_written(dataset):
    sheet = Image.open(dataset / SHEET)
    assert sheet.size[0] == 3 * 64 and sheet.size[1] >= 64


@pytest.mark.parametrize("key,value", [("identities", 0), ("size", 32), ("expressions", 2.5), ("seed", -1),
                                       ("speech", 1.5), ("speech", "half")])
def test_make_dataset_rejects_bad_settings(tmp_path, key, value):
    kwargs = dict(identities=2, expressions=2, size=64, seed=0)
    kwargs[key] = value
    with pytest.raises(DefinitionError) as info:
        make_dataset(tmp_path, **kwargs, show_progress=False)
    assert info.value.key == key


def _user_folder(tmp_path):
    for person in ("alice", "bob"):
        (tmp_path / person).mkdir()
        for i in range(2):
            Image.new("RGB", (40, 30), (200, 100 * i, 50)).save(tmp_path / person / f"{i}.png")
    Image.new("L", (40, 30), 255).save(tmp_path / "alice" / "0_mask.png")
    return {
        "alice/0.png": {"emotions": {"joy": 1.0}, "split": "validation", "landmarks": [[10, 10], [20, 15]],
                        "mask": "alice/0_mask.png"},
        "alice/1.png": {"emotions": [0, 0, 0, 0, 1, 0, 0], "yaw": 40},
    }


def test_user_folder_has_the_same_interface(tmp_path):
    labels = _user_folder(tmp_path)
    (tmp_path / "labels.json").write_text(json.dumps(labels))
    faces = FaceDataset.from_folder(tmp_path, tmp_path / "labels.json", size=64)
    assert len(faces) == 4  # the mask image is not a face
    by_source = {item["source"].split(str(tmp_path))[-1].lstrip("/\\"): item for item in faces}
    joy = by_source["alice/0.png"]
    assert joy["image"].shape == (64, 64, 4)
    assert joy["emotions"][EMOTIONS.index("joy")] == 1.0
    assert joy["identity"] == "alice" and joy["split"] == "validation"
    assert joy["mask"].shape == (64, 64) and joy["mask"].all()
    assert np.allclose(joy["landmarks"][0], [(10.5) * 64 / 40 - 0.5, (10.5) * 64 / 30 - 0.5])
    assert by_source["alice/1.png"]["split"] == "validation"  # labelled split applies to the whole identity
    assert by_source["alice/1.png"]["yaw"] == 40.0
    bob = by_source["bob/0.png"]
    assert bob["emotions"] is None and bob["identity"] == "bob" and bob["split"] == split_of("bob")
    only = FaceDataset.from_folder(tmp_path, labels, split="validation")
    assert {item["identity"] for item in only} == {"alice"}


def test_user_folder_and_shards_return_the_same_keys(tmp_path, dataset):
    labels = _user_folder(tmp_path)
    assert set(FaceDataset.from_folder(tmp_path, labels)[0]) == set(FaceDataset(dataset)[0])


@pytest.mark.parametrize("labels,key", [
    ({"alice/1.png": {"emotions": {"glee": 1.0}}}, "alice/1.png.emotions.glee"),
    ({"alice/1.png": {"emotions": [0, 0, 0, 2, 0, 0, 0]}}, "alice/1.png.emotions.joy"),
    ({"alice/1.png": {"split": "holdout"}}, "alice/1.png.split"),
    ({"alice/1.png": {"mood": 1}}, "alice/1.png.mood"),
    ({"alice/1.png": {"yaw": float("nan")}}, "alice/1.png.yaw"),
    ({"alice/0.png": {"split": "train"}, "alice/1.png": {"split": "test"}}, "alice/1.png.split"),
    ({"alice/1.png": {"landmarks": [[1, 2, 3]]}}, "alice/1.png.landmarks"),
    ({"alice/1.png": {"mask": "nowhere.png"}}, "alice/1.png.mask"),
])
def test_bad_folder_labels_name_the_image_and_key(tmp_path, labels, key):
    _user_folder(tmp_path)
    with pytest.raises(DefinitionError) as info:
        FaceDataset.from_folder(tmp_path, labels)
    assert info.value.key == key


def test_loader_errors(tmp_path, dataset):
    with pytest.raises(AnisyncError, match="not a procedural dataset"):
        FaceDataset(tmp_path)
    with pytest.raises(DefinitionError):
        FaceDataset(dataset, split="dev")
    with pytest.raises(IndexError):
        FaceDataset(dataset)[10**6]


def _parser():
    parser = argparse.ArgumentParser(prog="anisync")
    commands.register(CommandGroups(parser.add_subparsers(dest="command", required=True)))
    return parser


def test_cli_data_make_and_bench_write_their_outputs(tmp_path, capsys):
    parser = _parser()
    args = parser.parse_args(["data", "make", "--out", str(tmp_path / "ds"), "--identities", "3", "--expressions", "2",
                              "--size", "64", "--seed", "2"])
    assert args.handler(args) == 0
    assert (tmp_path / "ds" / MANIFEST).exists() and (tmp_path / "ds" / SHEET).exists()
    assert "rendering identities" in capsys.readouterr().err  # the progress bar
    args = parser.parse_args(["bench", "procedural", "--faces", "3", "--repeats", "2", "--sizes", "64",
                              "--json", str(tmp_path / "bench.json")])
    assert args.handler(args) == 0
    report = json.loads((tmp_path / "bench.json").read_text())
    assert report["sizes"]["64"]["faces_per_second_median"] > 0
    assert set(report["sizes"]["64"]) == {"faces_per_second_median", "ms_per_face_median", "ms_per_face_min",
                                          "ms_per_face_max"}
    args = parser.parse_args(["data", "sheet", "--out", str(tmp_path / "sheet.png"), "--identities", "2", "--size", "64"])
    assert args.handler(args) == 0
    assert Image.open(tmp_path / "sheet.png").size[0] > 7 * 64


def test_progress_bar_counts_and_passes_items_through():
    stream = io.StringIO()
    assert list(progress(range(4), desc="work", stream=stream, min_interval=0)) == [0, 1, 2, 3]
    text = stream.getvalue()
    assert "work: |" in text and "4/4 100%" in text and text.endswith("\n")
    stream = io.StringIO()
    list(progress(iter("abc"), desc="stream", stream=stream))
    assert "stream: 3 " in stream.getvalue()


def test_reads_across_shards_agree_whatever_the_cache_size(dataset):
    small, large = FaceDataset(dataset, cached_shards=1), FaceDataset(dataset, cached_shards=10)
    order = np.random.default_rng(0).permutation(len(small))
    for index in order[:20]:
        a, b = small[int(index)], large[int(index)]
        assert a["source"] == b["source"] and np.array_equal(a["image"], b["image"])
        assert len(small._cache) == 1
