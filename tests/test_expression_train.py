"""Training the expression editor: a short run lowers the loss, checkpoints resume exactly, the command
writes a model the runtime loads. Tiny networks on a tiny procedural dataset."""

import json

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")

from sdk import EMOTIONS  # noqa: E402
from sdk.cli import main  # noqa: E402
from sdk.expression import ExpressionEditor, card_path, sha256_of  # noqa: E402
from sdk.expression.train import LOSS_KEYS, Faces, Trainer  # noqa: E402
from sdk.procedural.dataset import make_dataset  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("faces"), identities=8, expressions=4, size=64, seed=0,
                        show_progress=False)


def test_faces_load_with_their_conditions_and_identities(tiny):
    faces = Faces.load(tiny)
    assert faces.images.shape[1:] == (4, 64, 64) and faces.conditions.shape == (len(faces.images), 13)
    assert -1.0 <= float(faces.images.min()) and float(faces.images.max()) <= 1.0
    assert len(np.unique(faces.identities)) * 4 == len(faces.images)  # every identity with its 4 expressions


def test_twenty_steps_lower_the_loss(tiny):
    torch.set_num_threads(1)
    trainer = Trainer(Faces.load(tiny), width=4, batch=4, seed=0, lr=1e-3)
    for _ in range(20):
        trainer.train_step()
    history = trainer.history
    assert set(history) == set(LOSS_KEYS) and all(len(v) == 20 for v in history.values())
    for key in ("reconstruction", "cycle", "supervised"):
        assert np.mean(history[key][-5:]) < np.mean(history[key][:5]), key


def test_resume_continues_the_run_exactly(tiny, tmp_path):
    torch.set_num_threads(1)
    faces = Faces.load(tiny)
    straight = Trainer(faces, width=4, batch=4, seed=3)
    for _ in range(4):
        straight.train_step()
    straight.save(tmp_path / "run.ckpt")
    for _ in range(3):
        straight.train_step()
    resumed = Trainer(faces, width=4, batch=4, seed=99)  # a different seed: everything comes from the checkpoint
    resumed.load(tmp_path / "run.ckpt")
    assert resumed.step == 4
    for _ in range(3):
        resumed.train_step()
    assert resumed.history == straight.history


def test_the_command_trains_exports_and_resumes(tiny, tmp_path, capsys):
    out = tmp_path / "models" / "expression.onnx"
    common = ["train", "expression", "--data", str(tiny), "--out", str(out), "--width", "4", "--batch", "4",
              "--checkpoint-every", "2"]
    assert main([*common, "--steps", "3"]) == 0
    card = json.loads(card_path(out).read_text())
    assert card["sha256"] == sha256_of(out) and card["training"]["steps"] == 3
    assert card["data"]["faces"] > 0 and card["parameters"]["generator"] > 0
    assert card["command"].startswith("anisync ") and set(card["metrics"]["final_losses"]) == set(LOSS_KEYS)
    assert Image.open(out.with_name("expression-losses.png")).size == (960, 420)
    faces = np.zeros((1, 64, 64, 4), np.uint8)
    assert ExpressionEditor(out).edit(faces, np.eye(7, dtype=np.float32)[3:4]).shape == (1, 64, 64, 4)
    assert main([*common, "--steps", "5", "--resume"]) == 0
    assert json.loads(card_path(out).read_text())["training"]["steps"] == 5
    assert "resumed from" in capsys.readouterr().err


def test_the_command_names_bad_input(tiny, tmp_path, capsys):
    assert main(["train", "expression", "--data", str(tiny), "--out", str(tmp_path / "e.onnx"), "--steps", "2",
                 "--resume"]) == 2
    assert "--resume: no checkpoint" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "expression", "--data", str(tiny), "--out", str(tmp_path / "e.onnx"), "--steps", "0"])


def test_image_metrics_of_known_images():
    from sdk.expression.evaluate import psnr, ssim
    from sdk.expression.judge import spearman

    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 1, 2, 2], [5, 5, 7, 7]) == pytest.approx(1.0)  # ties share their rank

    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (32, 32, 4), dtype=np.uint8)
    assert psnr(image, image) == float("inf") and ssim(image, image) == pytest.approx(1.0)
    off_by_one = np.minimum(image.astype(int) + 1, 255).astype(np.uint8)
    assert psnr(image, off_by_one) > 48  # 1/255 rms error is 48.1 dB
    noise = rng.integers(0, 256, (32, 32, 4), dtype=np.uint8)
    assert ssim(image, noise) < 0.1 and psnr(image, noise) < 10
    where = np.zeros((32, 32), bool)
    where[:4] = True
    half = image.copy()
    half[4:] = 0
    assert psnr(image, half, where) == float("inf")


def test_the_eval_command_measures_a_model(tiny, tmp_path, capsys):
    out = tmp_path / "e.onnx"
    assert main(["train", "expression", "--data", str(tiny), "--out", str(out), "--width", "4", "--batch", "4",
                 "--steps", "2"]) == 0
    judge = tmp_path / "judge.onnx"
    assert main(["train", "judge", "--data", str(tiny), "--out", str(judge), "--steps", "30"]) == 0
    assert 0 <= json.loads(card_path(judge).read_text())["test_dominant_accuracy"] <= 1
    report = tmp_path / "eval.json"
    assert main(["eval", "expression", "--model", str(out), "--data", str(tiny), "--pairs", "6", "--steps", "3",
                 "--judge", str(judge), "--json", str(report)]) == 0
    result = json.loads(report.read_text())
    assert {"fidelity", "preservation", "temporal", "speed", "parameters", "file_bytes", "not_measured"} <= set(result)
    assert 0 < result["fidelity"]["psnr_db"] < 100 and -1 <= result["fidelity"]["ssim"] <= 1
    assert 0 <= result["preservation"]["mask_iou"] <= 1 and 0 <= result["preservation"]["mask_mean"] <= 1
    assert result["speed"]["batch_1"]["p50_ms"] > 0 and result["pairs"] == 6
    control = result["control"]
    assert 0 <= control["dominant_accuracy"] <= 1 and set(control["intensity_mae"]) == set(EMOTIONS)
    assert set(control["monotonicity_spearman"]) == set(EMOTIONS) - {"neutral"}
    assert "fidelity: PSNR" in capsys.readouterr().out
