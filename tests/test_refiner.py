"""The face refiner (issue 16): generated 64 px faces redrawn clean at 128 px. Tiny networks trained for a
few steps on a tiny 128 px dataset; the shipped model's own figures are in docs/results/appearance.md."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from anisync import ModelInputError, asset_path  # noqa: E402
from anisync.appearance.data import make_appearance_dataset  # noqa: E402
from anisync.appearance.refiner import FaceRefiner  # noqa: E402
from anisync.appearance.refiner_train import RefinerNet, fill_noise, spoil, train_refiner  # noqa: E402
from anisync.cli import main  # noqa: E402
from anisync.expression.card import sha256_of  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def faces128(tmp_path_factory):
    return make_appearance_dataset(tmp_path_factory.mktemp("faces128"), identities=24, size=128, shard_identities=12,
                                   show_progress=False)


def test_a_refiner_that_learned_nothing_gives_the_bilinear_upscale():
    net = RefinerNet(width=4, blocks=1)
    for parameter in net.tail.parameters():
        torch.nn.init.zeros_(parameter)
    image = torch.rand(2, 4, 16, 16) * 2 - 1
    upscaled = torch.nn.functional.interpolate(image, scale_factor=2, mode="bilinear", align_corners=False)
    assert torch.allclose(net(image), upscaled.clamp(-1, 1))


def test_spoilt_inputs_are_the_shrunk_target_plus_the_asked_blur_and_noise():
    targets = torch.rand(3, 4, 32, 32) * 2 - 1
    rng = torch.Generator().manual_seed(0)
    clean = spoil(targets, rng, blur=torch.zeros(3), noise=torch.zeros(3))
    assert torch.allclose(clean, torch.nn.functional.avg_pool2d(targets, 2), atol=1e-6)
    noisy = spoil(targets, rng, blur=torch.zeros(3), noise=torch.full((3,), 0.1))
    assert 0.08 < float((noisy - clean)[:, :3].std()) < 0.12  # clipping at +-1 trims it a little
    blurred = spoil(targets, rng, blur=torch.full((3,), 1.0), noise=torch.zeros(3))
    assert float(blurred.std()) < float(clean.std())  # a blur smooths


def test_fill_noise_counts_speckle_in_fills_not_clean_faces():
    face = np.zeros((128, 128, 4), np.uint8)
    face[...] = (230, 190, 170, 255)  # one flat fill
    assert fill_noise(face[None]) == 0.0
    speckled = face.copy()
    speckled[..., :3] = np.clip(face[..., :3] + np.random.default_rng(0).normal(0, 8, (128, 128, 3)), 0, 255)
    assert 5 < fill_noise(speckled[None]) < 8
    lined = face.copy()
    lined[70:72] = (40, 20, 30, 255)  # a dark line across a patch is a feature, not noise
    assert fill_noise(lined[None]) == 0.0


def test_train_export_load_refine_and_the_card(faces128, tmp_path):
    out = tmp_path / "refiner.onnx"
    card = train_refiner(faces128, out, steps=3, batch=2, width=4, blocks=1, seed=1)
    for key in ("data", "command", "training", "hardware", "metrics", "network", "sha256"):
        assert key in card
    assert card["training"]["seed"] == 1 and card["training"]["wall_seconds"] > 0 and card["sha256"] == sha256_of(out)
    refiner = FaceRefiner(out)
    faces = np.random.default_rng(0).integers(0, 256, (3, 64, 64, 4), dtype=np.uint8)
    refined = refiner.refine(faces)
    assert refined.dtype == np.uint8 and refined.shape == (3, 128, 128, 4)
    assert np.array_equal(refiner.refine(faces[1:2])[0], refined[1])  # each face on its own


def test_a_resumed_run_ends_where_an_unbroken_one_does(faces128, tmp_path):
    train_refiner(faces128, tmp_path / "whole.onnx", steps=4, batch=2, width=4, blocks=1)
    train_refiner(faces128, tmp_path / "split.onnx", steps=2, batch=2, width=4, blocks=1)
    (tmp_path / "split.ckpt").rename(tmp_path / "resumed.ckpt")
    train_refiner(faces128, tmp_path / "resumed.onnx", steps=4, batch=2, width=4, blocks=1, resume=True)
    faces = np.random.default_rng(1).integers(0, 256, (2, 64, 64, 4), dtype=np.uint8)
    assert np.array_equal(FaceRefiner(tmp_path / "whole.onnx").refine(faces), FaceRefiner(tmp_path / "resumed.onnx").refine(faces))


@pytest.mark.parametrize("faces, message", [
    (np.zeros((2, 64, 64, 4), np.float32), "expected uint8 RGBA, got float32"),
    (np.zeros((2, 64, 64, 3), np.uint8), r"expected an array of shape \[batch, S, S, 4\] \(RGBA\), got \[2, 64, 64, 3\]"),
    (np.zeros((0, 64, 64, 4), np.uint8), "an empty batch"),
])
def test_refine_names_a_bad_argument(faces, message):
    with pytest.raises(ModelInputError, match=message):
        FaceRefiner(asset_path("models", "appearance-refiner.onnx")).refine(faces)


def test_the_commands_train_and_measure_against_plain_upscales(faces128, tmp_path):
    out, report = tmp_path / "r.onnx", tmp_path / "eval.json"
    assert main(["train", "appearance-refiner", "--data", str(faces128), "--out", str(out), "--steps", "2",
                 "--batch", "2", "--width", "4", "--blocks", "1"]) == 0
    assert main(["eval", "appearance-refiner", "--model", str(out), "--data", str(faces128), "--faces", "4",
                 "--generator", str(asset_path("models", "appearance.onnx")), "--json", str(report),
                 "--sheet", str(tmp_path / "sheet.png")]) == 0
    result = json.loads(report.read_text())
    assert set(result["psnr_db_on_held_out"]) == {"noise_0", "noise_0.05", "noise_0.1"}
    for figures in result["psnr_db_on_held_out"].values():
        assert set(figures) == {"refined", "bilinear", "lanczos"}
    assert set(result["generator"]) == {"model", "faces", "fill_noise_refined", "fill_noise_lanczos"}
    assert (tmp_path / "sheet.png").is_file() and "command" in result
