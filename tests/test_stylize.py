"""The anime stylizer (issue 24): style pairs with a known truth, the networks, training, the runtime, the
evaluation and the command line. Tiny networks trained a few steps on tiny pair sets; the shipped model's
figures are in docs/results/stylize.md."""

import json
import os

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")

from anisync import ModelInputError  # noqa: E402
from anisync.errors import AnisyncError  # noqa: E402
from anisync.expression.card import sha256_of  # noqa: E402
from anisync.stylize import DEFAULT_MODEL, Stylizer  # noqa: E402
from anisync.stylize.evaluate import evaluate_stylizers, figures, regions, ssim  # noqa: E402
from anisync.stylize.model import CBAM, StyleGenerator  # noqa: E402
from anisync.stylize.pairs import face_pair, load_pairs, make_face_pairs, photograph  # noqa: E402
from anisync.stylize.train import smoothed_edges, train_stylizer  # noqa: E402
from anisync.expression.export import export_onnx  # noqa: E402
from helpers import run_cli  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    return make_face_pairs(tmp_path_factory.mktemp("pairs") / "faces", train=6, test=3, size=128, seed=0)


@pytest.fixture(scope="module")
def tiny_model(pairs, tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "stylizer.onnx"
    train_stylizer([pairs], out, steps=2, width=6, blocks=1, batch=2)
    return out


def _do_nothing(path):
    """A stylizer whose learned change is zero: it copies its input."""
    generator = StyleGenerator(width=6, blocks=1)
    for parameter in generator.head.parameters():
        torch.nn.init.zeros_(parameter)
    export_onnx(generator.eval(), (torch.zeros(1, 3, 32, 32),), path, ("image",), ("stylized",), spatial=True)
    return path


def test_a_face_pair_is_a_photographed_lit_face_and_its_flat_rendering_the_same_every_time():
    image, target = face_pair(3, [0, 0], 128)
    again, _ = face_pair(3, [0, 0], 128)
    assert image.shape == target.shape == (128, 128, 3) and image.dtype == target.dtype == np.uint8
    assert np.array_equal(image, again)
    assert 12 < figures(image[None], target[None])["psnr_db"] < 30  # the same picture, not the same pixels
    # The truth has flat fills; the photograph's grain and noise roughen them.
    assert figures(target[None], target[None])["flat_roughness"] < 0.5 < figures(image[None], target[None])["flat_roughness"]
    assert not np.array_equal(face_pair(3, [0, 1], 128)[1], target)  # another stream, another face


def test_photograph_blurs_and_noises_but_keeps_the_picture():
    rng = np.random.default_rng(0)
    image = np.zeros((64, 64, 3), np.uint8)
    image[:, 32:] = 200
    photo = photograph(image, rng)
    assert photo.shape == image.shape and not np.array_equal(photo, image)
    assert abs(float(photo[:, 40:].mean()) - 200) < 40 and float(photo[:, :24].mean()) < 40


def test_pair_sets_round_trip_and_refuse_what_they_are_not(pairs, tmp_path):
    inputs, targets, manifest = load_pairs(pairs, "train")
    assert inputs.shape == targets.shape == (6, 128, 128, 3)
    assert manifest["source"] == "faces" and manifest["counts"] == {"train": 6, "test": 3}
    assert len(load_pairs(pairs, "test", limit=2)[0]) == 2
    with pytest.raises(AnisyncError, match="not a style pair set"):
        load_pairs(tmp_path, "train")
    with pytest.raises(AnisyncError, match="no pairs in the validation split"):
        load_pairs(pairs, "validation")
    with pytest.raises(AnisyncError, match="already holds a pair set"):
        make_face_pairs(pairs, train=1, test=1, size=128)
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "something else"}))
    with pytest.raises(AnisyncError, match="format"):
        load_pairs(tmp_path, "train")
    (tmp_path / "manifest.json").write_text(json.dumps({"format": manifest["format"]}))
    with pytest.raises(AnisyncError, match="manifest.json: expected 'counts'"):
        load_pairs(tmp_path, "train")
    damaged = make_face_pairs(tmp_path / "damaged", train=2, test=1, size=64)
    (damaged / "train" / "target" / "00001.png").unlink()
    with pytest.raises(AnisyncError, match="00001.png: an image of the pair set cannot be read"):
        load_pairs(damaged, "train")


def test_a_generator_that_learned_no_change_copies_its_input():
    generator = StyleGenerator(width=6, blocks=2)
    for parameter in generator.head.parameters():
        torch.nn.init.zeros_(parameter)
    image = torch.rand(2, 3, 32, 48) * 2 - 1
    assert torch.equal(generator(image), image)


def test_the_ablation_is_the_same_generator_without_cbam():
    with_cbam, without = StyleGenerator(width=12, blocks=2), StyleGenerator(width=12, blocks=2, attention=False)
    assert sum(isinstance(m, CBAM) for m in with_cbam.modules()) == 2
    assert not any(isinstance(m, CBAM) for m in without.modules())
    assert ({n for n, _ in without.named_parameters()} < {n for n, _ in with_cbam.named_parameters()})


def test_cartoongans_negatives_blur_edges_and_leave_flat_areas_alone():
    image = -torch.ones(1, 3, 16, 16)
    image[..., 8:] = 1.0  # one sharp vertical edge
    smoothed = smoothed_edges(image)
    assert torch.equal(smoothed[..., :4], image[..., :4])
    assert -1.0 < float(smoothed[0, 0, 5, 7]) < 1.0  # next to the edge: blurred


def test_train_export_resume_and_the_card(pairs, tiny_model, tmp_path):
    card = json.loads(tiny_model.with_suffix(".json").read_text())
    assert card["sha256"] == sha256_of(tiny_model) and card["training"]["steps"] == 2
    assert card["data"][0]["source"] == "faces" and card["network"]["attention"] is True
    out = tmp_path / "again.onnx"
    first = train_stylizer([pairs], out, steps=1, width=6, blocks=1, batch=2)["training"]
    resumed = train_stylizer([pairs], out, steps=2, width=6, blocks=1, batch=2, resume=True)["training"]
    assert resumed["steps"] == 2 and resumed["wall_seconds"] > first["wall_seconds"] > 0  # both parts are counted
    image = load_pairs(pairs, "test")[0]
    assert np.array_equal(Stylizer(out).stylize(image), Stylizer(tiny_model).stylize(image))  # as if never stopped
    with pytest.raises(AnisyncError, match="other settings"):
        train_stylizer([pairs], out, steps=3, width=8, blocks=1, batch=2, resume=True)
    baseline = train_stylizer([pairs], tmp_path / "cartoongan.onnx", steps=1, recipe="cartoongan", attention=False,
                              width=6, blocks=1, batch=2)
    assert "unpaired" in baseline["training"]["objective"] and baseline["network"]["attention"] is False
    with pytest.raises(AnisyncError, match="--recipe"):
        train_stylizer([pairs], tmp_path / "x.onnx", steps=1, recipe="pix2pix")


def test_the_stylizer_keeps_any_size_and_the_alpha_and_refuses_bad_input(tiny_model, tmp_path):
    stylizer = Stylizer(tiny_model, threads=1)
    copier = Stylizer(_do_nothing(tmp_path / "copier.onnx"), threads=1)
    rng = np.random.default_rng(0)
    odd = rng.integers(0, 256, (2, 30, 21, 3), dtype=np.uint8)  # not multiples of 4: padded, then cropped back
    assert stylizer.stylize(odd).shape == odd.shape and stylizer.stylize(odd[0]).shape == odd[0].shape
    assert np.array_equal(copier.stylize(odd), odd)  # cropped back exactly where the image was
    rgba = rng.integers(0, 256, (16, 16, 4), dtype=np.uint8)
    rgba[:8, :, 3] = 0  # the top half is transparent: its hidden colour must not reach the network
    rgba[:8, :, :3] = 0
    copied = copier.stylize(rgba)
    assert np.array_equal(copied[..., 3], rgba[..., 3]) and np.array_equal(copied[8:], rgba[8:])
    assert np.abs(copied[:8, :, :3].astype(int) - rgba[8:, :, :3].mean(axis=(0, 1))).max() <= 1
    for bad, message in ((odd.astype(np.float32), "uint8"), (odd[..., :2], "RGB or RGBA"), (odd[:0], "at least one"),
                         ("image.png", "got str")):
        with pytest.raises(ModelInputError, match=message):
            stylizer.stylize(bad)


def test_ssim_is_scikit_images():
    skimage_metrics = pytest.importorskip("skimage.metrics")
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (2, 24, 30, 3), dtype=np.uint8)
    b = np.clip(a + rng.integers(-50, 50, a.shape), 0, 255).astype(np.uint8)
    grey = lambda x: x.astype(np.float64).mean(axis=-1) / 255.0  # noqa: E731
    expected = np.mean([skimage_metrics.structural_similarity(grey(a)[i], grey(b)[i], data_range=1.0, win_size=7)
                        for i in range(2)])
    assert ssim(a, b) == pytest.approx(expected, abs=1e-9)
    assert ssim(a, a) == pytest.approx(1.0)


def test_edges_and_flat_fills_of_a_truth():
    truth = np.full((1, 20, 20, 3), 120, np.uint8)
    truth[:, :, 10:] = 20  # a line between two fills
    edges, flat = regions(truth)
    assert edges[0, 5, 9] and edges[0, 5, 10] and not edges[0, 5, 2]
    assert flat[0, 5, 2] and flat[0, 5, 17] and not flat[0, 5, 9]


def test_a_stylizer_that_changes_nothing_scores_exactly_the_do_nothing_baseline(pairs, tiny_model, tmp_path):
    copier = _do_nothing(tmp_path / "copier.onnx")
    report = evaluate_stylizers(copier, [pairs], baselines=[f"tiny={tiny_model}"], sheet=tmp_path / "sheet.png")
    faces = report["sets"]["faces"]
    assert faces["pairs"] == 3 and set(faces) >= {"input", "model", "tiny"}
    for key in ("psnr_db", "ssim", "edge_psnr_db", "flat_psnr_db", "flat_roughness"):
        assert faces["model"][key] == pytest.approx(faces["input"][key], abs=0.02)
    assert report["all"]["input"] == pytest.approx(faces["input"])
    assert set(report["latency_ms_256px_one_thread"]) == {"model", "tiny"}
    assert Image.open(tmp_path / "sheet.png").size[0] == 4 * 192  # input, model, tiny, truth
    with pytest.raises(AnisyncError, match="--baseline"):
        evaluate_stylizers(copier, [pairs], baselines=["no-equals-sign"])


def test_the_shipped_stylizer_loads_and_redraws_a_photograph():
    stylizer = Stylizer(DEFAULT_MODEL, threads=1)
    assert stylizer.card["sha256"] == sha256_of(DEFAULT_MODEL) and stylizer.card["network"]["attention"] is True
    made = [face_pair(k, [99, 9], 256) for k in range(4)]  # faces no training pair used
    images, targets = np.stack([image for image, _ in made]), np.stack([target for _, target in made])
    before, after = figures(images, targets), figures(stylizer.stylize(images), targets)
    assert after["psnr_db"] > before["psnr_db"] + 2  # the held-out figures are in docs/results/stylize.md


def test_the_command_line_makes_pairs_stylizes_files_and_names_a_bad_one(tiny_model, tmp_path):
    result = run_cli("data", "stylize-faces", "--out", "faces", "--train", "1", "--test", "1", "--size", "64", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    Image.fromarray(np.zeros((40, 52, 3), np.uint8)).save(tmp_path / "photo.jpg")
    result = run_cli("stylize", "photo.jpg", "--out", "anime", "--model", str(tiny_model), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert Image.open(tmp_path / "anime" / "photo.png").size == (52, 40)
    (tmp_path / "notes.txt").write_text("not an image")
    result = run_cli("stylize", "notes.txt", "--out", "anime2", "--model", str(tiny_model), cwd=tmp_path)
    assert result.returncode == 2 and "notes.txt: not a readable image" in result.stderr
    assert not (tmp_path / "anime2").exists()  # nothing written when one input is bad
    (tmp_path / "other").mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "other" / "photo.png")
    result = run_cli("stylize", "photo.jpg", "other/photo.png", "--out", "anime3", "--model", str(tiny_model), cwd=tmp_path)
    assert result.returncode == 2 and "would be written as" in result.stderr and not (tmp_path / "anime3").exists()
    result = run_cli("stylize", "other/photo.png", "--out", "other", "--model", str(tiny_model), cwd=tmp_path)
    assert result.returncode == 2 and "would be overwritten" in result.stderr
    sprite = Image.new("P", (12, 12), 1)
    sprite.putpalette([0, 0, 0, 200, 100, 50] + [0] * 762)
    sprite.paste(0, (0, 0, 12, 4))
    sprite.save(tmp_path / "sprite.png", transparency=0)  # a palette PNG: its transparency is no alpha band
    result = run_cli("stylize", "sprite.png", "--out", "anime4", "--model", str(tiny_model), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    alpha = np.asarray(Image.open(tmp_path / "anime4" / "sprite.png"))[..., 3]
    assert (alpha[:4] == 0).all() and (alpha[4:] == 255).all()


def test_scene_pairs_are_the_same_view_realistic_and_cel_shaded(tmp_path):
    pytest.importorskip("panda3d")
    env = {**os.environ, "LP_NUM_THREADS": "0"}
    env.pop("DISPLAY", None)
    result = run_cli("data", "stylize-scenes", "--out", "scenes", "--train", "2", "--test", "1", "--size", "64",
                     cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    inputs, targets, manifest = load_pairs(tmp_path / "scenes", "train")
    assert manifest["source"] == "scenes" and inputs.shape == (2, 64, 64, 3)
    for image, target in zip(inputs, targets):
        assert image.std() > 5 and target.std() > 5  # a scene, not a blank frame
        assert 10 < figures(image[None], target[None])["psnr_db"] < 35  # one view, two looks
