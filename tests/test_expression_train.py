"""Training the expression editor: a short run lowers the loss, checkpoints resume exactly, the command
writes a model the runtime loads. Tiny networks on a tiny procedural dataset."""

import json

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")

from anisync import EMOTIONS, AnisyncError, asset_path  # noqa: E402
from anisync.cli import main  # noqa: E402
from anisync.expression import ExpressionEditor, card_path, sha256_of  # noqa: E402
from anisync.expression.train import LOSS_KEYS, Faces, Trainer  # noqa: E402
from anisync.procedural.dataset import make_dataset  # noqa: E402


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
    assert resumed.step == 4 and resumed.seed == 3
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
    from anisync.expression.evaluate import psnr, ssim
    from anisync.expression.judge import spearman

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
    judge_card = json.loads(card_path(judge).read_text())
    assert 0 <= judge_card["test_dominant_accuracy"] <= 1 and "blur" in judge_card["augmentation"]
    assert judge_card["test_clear"]["faces"] + judge_card["test_mixtures"]["faces"] == judge_card["test_faces"]
    report = tmp_path / "eval.json"
    assert main(["eval", "expression", "--model", str(out), "--data", str(tiny), "--pairs", "6", "--steps", "3",
                 "--judge", str(judge), "--json", str(report), "--sheet", str(tmp_path / "sheet.png"),
                 "--emotion-sheet", str(tmp_path / "emotions.png"), "--held-out-sheet", str(tmp_path / "held.png"),
                 "--appearance", str(asset_path("models", "appearance.onnx"))]) == 0
    result = json.loads(report.read_text())
    # Rows of test identities: the source, then (edit, truth, mask) for each of its 3 other expressions.
    assert Image.open(tmp_path / "sheet.png").size[0] == 64 * 10
    # Its test identity's neutral face and 6 emotions (edits, then truths), and the 6 mouth shapes the same way.
    assert Image.open(tmp_path / "emotions.png").size == (64 * 7, 64 * 4)
    assert Image.open(tmp_path / "held-heavy_lines.png").size == Image.open(tmp_path / "held-off_palette.png").size
    assert set(result["held_out"]) == {"off_palette", "heavy_lines"}
    assert {"fidelity", "preservation", "temporal", "speed", "parameters", "file_bytes", "not_measured"} <= set(result)
    assert 0 < result["fidelity"]["psnr_db"] < 100 and -1 <= result["fidelity"]["ssim"] <= 1
    assert 0 <= result["preservation"]["mask_iou"] <= 1 and 0 <= result["preservation"]["mask_mean"] <= 1
    assert result["speed"]["batch_1"]["p50_ms"] > 0 and result["pairs"] == 6
    control = result["control"]
    assert 0 <= control["dominant_accuracy"] <= 1 and set(control["intensity_mae"]) == set(EMOTIONS)
    assert set(control["monotonicity_spearman"]) == set(control["sweep_intensity_mae"]) == set(EMOTIONS) - {"neutral"}
    assert control["clear_targets"]["pairs"] + control["mixtures"]["pairs"] == 6
    generated = result["generated_faces"]
    assert generated["faces"] == 50 and set(generated["per_emotion"]) == set(EMOTIONS) - {"neutral"}
    assert 0 <= generated["judged_edit"] <= 1 and 0 <= generated["judged_unedited"] <= 1
    assert "fidelity: PSNR" in capsys.readouterr().out


@pytest.fixture(scope="module")
def mouth_judge(tmp_path_factory):
    """A mouth judge of the second design, trained a few steps on speaking faces."""
    root = tmp_path_factory.mktemp("speaking")
    speaking = make_dataset(root / "faces", identities=8, expressions=4, size=64, seed=3, speech=1.0, show_progress=False)
    assert main(["train", "judge", "--data", str(speaking), "--out", str(root / "mouth.onnx"), "--steps", "10",
                 "--reads", "mouth", "--arch", "pooled"]) == 0
    return root / "mouth.onnx"


def test_a_mouth_judge_scores_the_lip_sync_controls(tiny, tmp_path, mouth_judge):
    from anisync.errors import ModelLoadError
    from anisync.expression.evaluate import MOUTH_SWEEPS, evaluate
    from anisync.expression.judge import READINGS, Judge
    from anisync.procedural.expression import MOUTH_SHAPES

    card = json.loads(card_path(mouth_judge).read_text())
    assert card["reads"] == "mouth" and card["arch"] == "pooled"
    assert set(card["test_mae"]) == set(card["test_spearman"]) == set(READINGS["mouth"])
    judge = Judge(mouth_judge)
    assert judge.reading == "mouth" and judge.mouth(np.zeros((2, 64, 64, 4), np.uint8)).shape == (2, 3)
    with pytest.raises(ModelLoadError, match="a judge of mouth, expected one of emotions"):
        judge.emotions(np.zeros((1, 64, 64, 4), np.uint8))
    out = tmp_path / "e.onnx"
    assert main(["train", "expression", "--data", str(tiny), "--out", str(out), "--width", "4", "--batch", "4",
                 "--steps", "1"]) == 0
    mouth = evaluate(out, tiny, pairs=2, steps=1, repeats=1, sweep=1, mouth_judge=mouth_judge)["mouth_control"]
    assert set(mouth["sweeps"]) == set(MOUTH_SWEEPS) and mouth["faces"] == 1
    for figures in mouth["sweeps"].values():
        assert figures["mae_edit"] >= 0 and figures["mae_truth"] >= 0 and -1 <= figures["spearman_truth"] <= 1
    assert set(mouth["shapes_changed_pixels"]) == set(MOUTH_SHAPES)
    assert mouth["shapes_changed_pixels"]["rest"] == {"edit_psnr_db": None, "copy_psnr_db": None}  # nothing to change
    with pytest.raises(AnisyncError, match="a judge of mouth, expected a judge of emotions"):
        evaluate(out, tiny, pairs=2, steps=1, repeats=1, sweep=1, judge=mouth_judge)


def test_the_adversarial_term_waits_for_the_warmup(tiny):
    torch.set_num_threads(1)
    faces = Faces.load(tiny)
    from anisync.expression.train import LossWeights

    runs = [Trainer(faces, width=4, batch=4, seed=5, warmup=2, weights=LossWeights(adversarial=a)) for a in (1.0, 50.0)]
    same = lambda: all(torch.equal(p, q) for p, q in zip(*(r.generator.parameters() for r in runs)))  # noqa: E731
    for _ in range(2):
        for run in runs:
            run.train_step()
    assert same()  # during the warm-up the adversarial weight changes nothing
    for run in runs:
        run.train_step()
    assert not same()


def test_the_learning_rate_holds_then_falls_to_zero(tiny):
    trainer = Trainer(Faces.load(tiny), width=4, batch=4, seed=0, lr=1e-3, steps=8)
    rates = []
    for _ in range(8):
        rates.append(trainer.learning_rate())
        trainer.step += 1
    assert rates[:5] == [1e-3] * 5 and rates[5:] == pytest.approx([7.5e-4, 5e-4, 2.5e-4])
    assert trainer.learning_rate() == 0.0


def test_the_ablations_drop_the_mask_and_the_expression_head(tiny, tmp_path):
    torch.set_num_threads(1)
    faces = Faces.load(tiny)
    no_mask = Trainer(faces, width=4, batch=4, seed=0, use_mask=False)
    no_head = Trainer(faces, width=4, batch=4, seed=0, expression_head=False)
    head_before = [p.clone() for p in no_head.critic.expression.parameters()]
    for _ in range(3):
        no_mask.train_step()
        no_head.train_step()
    assert no_mask.generator.mask_head is None and not no_mask.history["mask"] and len(no_mask.history["cycle"]) == 3
    assert not no_head.history["expression"] and len(no_head.history["mask"]) == 3
    assert all(torch.equal(a, b) for a, b in zip(head_before, no_head.critic.expression.parameters()))
    out = tmp_path / "no-mask.onnx"
    assert main(["train", "expression", "--data", str(tiny), "--out", str(out), "--width", "4", "--batch", "4",
                 "--steps", "2", "--no-mask", "--no-expression-head"]) == 0
    card = json.loads(card_path(out).read_text())
    assert card["network"]["use_mask"] is False and card["training"]["expression_head"] is False
    faces_in = np.random.default_rng(0).integers(0, 256, (2, 64, 64, 4), dtype=np.uint8)
    _, mask = ExpressionEditor(out).edit_with_mask(faces_in, np.eye(7, dtype=np.float32)[:2])
    assert np.all(mask == 1.0)


def test_convergence_is_where_the_loss_settles():
    from anisync.expression.train import convergence_step

    falling_then_flat = list(np.r_[np.linspace(1.0, 0.1, 500), np.full(500, 0.1)])
    assert 495 <= convergence_step(falling_then_flat) <= 520
    assert convergence_step([0.5] * 100) == 2 and convergence_step([]) is None


def test_the_bench_command_times_onnxruntime_against_torch(tiny, tmp_path, capsys):
    out = tmp_path / "e.onnx"
    assert main(["train", "expression", "--data", str(tiny), "--out", str(out), "--width", "4", "--batch", "4",
                 "--steps", "2"]) == 0
    report = tmp_path / "bench.json"
    assert main(["bench", "expression", "--model", str(out), "--repeats", "3", "--batches", "1", "2",
                 "--json", str(report)]) == 0
    result = json.loads(report.read_text())
    for batch in ("batch_1", "batch_2"):
        row = result["batches"][batch]
        assert row["onnxruntime"]["p50_ms"] > 0 and row["torch_eager"]["p50_ms"] > 0
        assert row["torch_over_onnxruntime"] == pytest.approx(row["torch_eager"]["p50_ms"] / row["onnxruntime"]["p50_ms"])
    assert main(["bench", "expression", "--model", str(out), "--checkpoint", str(tmp_path / "none.ckpt")]) == 2
    assert "--checkpoint: no training checkpoint" in capsys.readouterr().err


def test_a_resume_with_other_settings_is_refused(tiny, tmp_path, capsys):
    out = tmp_path / "e.onnx"
    common = ["train", "expression", "--data", str(tiny), "--out", str(out), "--width", "4", "--batch", "4"]
    assert main([*common, "--steps", "2"]) == 0
    assert main([*common, "--steps", "3", "--resume", "--no-expression-head"]) == 2
    assert "other settings (expression_head True, now False)" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # the parser names --seed
        main(["train", "expression", "--data", str(tiny), "--out", str(out), "--steps", "2", "--seed", "-1"])


# --- our U-Net, trained on exact pairs ------------------------------------------------------------------------
def test_the_unet_keeps_the_generator_contract_and_starts_as_a_half_open_mask():
    from anisync.expression.model import NetworkConfig, UNetGenerator, build_generator

    config = NetworkConfig(64, 4, 3, arch="unet")
    generator = build_generator(config)
    assert isinstance(generator, UNetGenerator)
    edited, intermediate, mask = generator(torch.zeros(2, 4, 64, 64), torch.zeros(2, 13))
    assert edited.shape == intermediate.shape == (2, 4, 64, 64) and mask.shape == (2, 1, 64, 64)
    with pytest.raises(ValueError, match="arch"):
        NetworkConfig(64, 4, arch="gan")


def test_paired_training_learns_where_faces_change(tiny):
    from anisync.expression.model import NetworkConfig
    from anisync.expression.paired import PAIRED_LOSS_KEYS, PairedTrainer

    torch.set_num_threads(1)
    trainer = PairedTrainer(Faces.load(tiny), NetworkConfig(64, 4, 3, arch="unet"), batch=4, seed=0, lr=2e-3)
    for _ in range(30):
        trainer.train_step()
    history = trainer.history
    assert set(history) == set(PAIRED_LOSS_KEYS) and all(len(v) == 30 for v in history.values())
    for key in ("whole", "mask"):
        assert np.mean(history[key][-5:]) < np.mean(history[key][:5]), key


def test_the_command_trains_and_exports_a_unet_the_runtime_loads(tiny, tmp_path):
    out = tmp_path / "unet.onnx"
    assert main(["train", "expression", "--arch", "unet", "--data", str(tiny), "--out", str(out), "--width", "4",
                 "--downsampling", "3", "--batch", "4", "--steps", "3", "--lr", "1e-3"]) == 0
    card = json.loads(card_path(out).read_text())
    assert card["network"]["arch"] == "unet" and card["model"].startswith("U-Net")
    assert set(card["metrics"]["final_losses"]) == {"whole", "change", "mask", "intermediate"}
    faces = np.zeros((2, 64, 64, 4), np.uint8)
    assert ExpressionEditor(out).edit(faces, np.eye(7, dtype=np.float32)[[3, 5]]).shape == (2, 64, 64, 4)


def test_an_editor_that_copies_its_input_scores_exactly_the_copy_baseline(tiny, tmp_path, mouth_judge):
    """The do-nothing baseline stands beside every figure, so a copying editor cannot look good."""
    from onnx import TensorProto, helper

    from helpers import save_graph
    from anisync.expression.evaluate import evaluate

    nodes = [helper.make_node("Identity", ["image"], ["edited"]),
             helper.make_node("ReduceMean", ["image"], ["mean"], axes=[1]),
             helper.make_node("Mul", ["mean", "zero"], ["mask"])]
    inputs = [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 4, 64, 64]),
              helper.make_tensor_value_info("condition", TensorProto.FLOAT, ["batch", 13])]
    outputs = [helper.make_tensor_value_info("edited", TensorProto.FLOAT, ["batch", 4, 64, 64]),
               helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", 1, 64, 64])]
    copier = save_graph(nodes, inputs, outputs, tmp_path / "copy.onnx", [helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])])
    result = evaluate(copier, tiny, pairs=6, steps=2, repeats=2, sweep=1, mouth_judge=mouth_judge)
    for shape, figures in result["mouth_control"]["shapes_changed_pixels"].items():
        assert figures["edit_psnr_db"] == pytest.approx(figures["copy_psnr_db"]), shape
    # A copied mouth never opens: whatever the judge reads, it reads the same for every asked level.
    assert np.isnan(result["mouth_control"]["sweeps"]["mouth_open"]["spearman_edit"])
    for name in ("whole", "inside_mask", "mouth"):
        region = result["regions"][name]
        assert region["edit_psnr_db"] == pytest.approx(region["copy_psnr_db"]) and region["copy_psnr_db"] < 60, name
    assert result["regions"]["outside_mask"] == {"edit_psnr_db": None, "copy_psnr_db": None}  # identical there
    moved = result["regions"]["mouth_moved_grey_levels"]
    assert moved["edit"] == 0 and moved["truth"] > 1
    for figures in [f for held in (result["from_neutral"], *result["held_out"].values()) for f in held["per_emotion"].values()]:
        assert figures["whole"]["edit_psnr_db"] == pytest.approx(figures["whole"]["copy_psnr_db"])
    assert set(result["from_neutral"]["per_emotion"]) == set(EMOTIONS) - {"neutral"}
    assert result["fidelity"]["psnr_db"] == pytest.approx(result["fidelity"]["copy_psnr_db"])


def test_the_evaluation_refuses_test_identities_the_model_was_trained_on(tiny, tmp_path):
    from anisync.expression.evaluate import evaluate

    out = tmp_path / "e.onnx"
    assert main(["train", "expression", "--data", str(tiny), "--out", str(out), "--width", "4", "--batch", "4",
                 "--steps", "1"]) == 0
    card = json.loads(card_path(out).read_text())
    assert card["data"]["dataset_seed"] == 0 and len(card["data"]["train_identity_numbers"]) == 6
    # A bigger dataset of the same seed: identity n is the same face, and its test split holds trained ones.
    bigger = make_dataset(tmp_path / "bigger", identities=40, expressions=2, size=64, seed=0, show_progress=False)
    trained = set(card["data"]["train_identity_numbers"])
    test = set(json.loads((bigger / "manifest.json").read_text())["splits"]["test"])
    assert trained & test, "the case this test is about: the larger split reuses trained identities"
    with pytest.raises(AnisyncError, match="were in .*training data"):
        evaluate(out, bigger, pairs=2, steps=1, repeats=1)
    other = make_dataset(tmp_path / "other", identities=8, expressions=4, size=64, seed=1, show_progress=False)
    assert evaluate(out, other, pairs=2, steps=1, repeats=1, sweep=1)["split_guard"].startswith("checked")


def test_clear_targets_are_one_emotion_at_0_6_or_more():
    from anisync.expression.judge import clear_targets

    rows = np.zeros((4, 7), np.float32)
    rows[0, EMOTIONS.index("joy")] = 0.6
    rows[1, EMOTIONS.index("fear")] = 0.59
    rows[2, EMOTIONS.index("neutral")] = 1.0
    rows[3, [0, 5]] = 0.5
    assert clear_targets(rows).tolist() == [True, False, False, False]


def test_the_classifier_loss_trains_the_editor_against_a_frozen_reader(tiny, tmp_path):
    """The reader is fitted once (it reads the training faces' expressions better than before), stays
    frozen while the editor trains, and travels in the checkpoint: a resumed run continues exactly."""
    from anisync.expression.model import NetworkConfig
    from anisync.expression.paired import EXPRESSION_KEY, PairedTrainer, PairedWeights

    torch.set_num_threads(1)
    faces, config = Faces.load(tiny), NetworkConfig(64, 4, 3, arch="unet")

    def trainer(seed=0):
        return PairedTrainer(faces, config, batch=4, seed=seed, weights=PairedWeights(expression=10.0), reader_steps=40)

    def reader_error(run):
        with torch.no_grad():
            return float(((run.reader(faces.images) - faces.conditions) ** 2).mean())

    straight = trainer()
    unfitted = reader_error(straight)
    straight.train_step()
    fitted = {k: v.clone() for k, v in straight.reader.state_dict().items()}
    assert reader_error(straight) < 0.5 * unfitted
    for _ in range(3):
        straight.train_step()
    assert all(torch.equal(fitted[k], v) for k, v in straight.reader.state_dict().items())  # frozen
    assert len(straight.history[EXPRESSION_KEY]) == 4
    straight.save(tmp_path / "run.ckpt")
    straight.train_step()
    resumed = trainer(seed=5)
    resumed.load(tmp_path / "run.ckpt")  # the fitted reader comes back; it is not fitted again
    resumed.train_step()
    assert resumed.history == straight.history
    assert EXPRESSION_KEY not in PairedTrainer(faces, config, batch=4, seed=0).history  # weight 0: no such loss


def test_a_shift_moves_source_and_target_together(tiny):
    from anisync.expression.model import NetworkConfig
    from anisync.expression.paired import PairedTrainer

    faces, config = Faces.load(tiny), NetworkConfig(64, 4, 3, arch="unet")
    x, y, c = PairedTrainer(faces, config, batch=4, seed=0)._batch()
    x_moved, y_moved, c_moved = PairedTrainer(faces, config, batch=4, seed=0, shift=3)._batch()
    offsets = [(dy, dx) for dy in range(-3, 4) for dx in range(-3, 4)
               if torch.equal(torch.roll(x, (dy, dx), dims=(2, 3)), x_moved)
               and torch.equal(torch.roll(y, (dy, dx), dims=(2, 3)), y_moved)]
    assert offsets and torch.equal(c, c_moved)
    # Options left at their defaults stay out of the settings, so checkpoints made before them resume.
    settings = PairedTrainer(faces, config, batch=4, seed=0).settings()
    assert "shift" not in settings and "expression" not in settings["weights"]


def test_the_command_records_the_classifier_loss_and_the_shift(tiny, tmp_path, monkeypatch):
    from anisync.expression import train

    monkeypatch.setattr(train, "READER_STEPS", 5)
    out = tmp_path / "unet.onnx"
    assert main(["train", "expression", "--arch", "unet", "--data", str(tiny), "--out", str(out), "--width", "4",
                 "--downsampling", "3", "--batch", "4", "--steps", "2", "--classifier-loss", "10", "--shift", "2",
                 "--adversarial", "0.05", "--warmup", "1"]) == 0
    training = json.loads(card_path(out).read_text())["training"]
    assert training["loss_weights"]["expression"] == 10 and training["shift_pixels"] == 2
    assert "frozen reader" in training["losses"] and "PatchGAN term from step 1" in training["losses"]
    assert training["loss_weights"]["adversarial"] == 0.05
    assert "expression" in json.loads(card_path(out).read_text())["metrics"]["final_losses"]
    with pytest.raises(SystemExit):  # the parser names --classifier-loss
        main(["train", "expression", "--arch", "unet", "--data", str(tiny), "--out", str(out), "--steps", "2",
              "--classifier-loss", "-1"])


def test_the_paired_adversarial_term_starts_at_the_warmup_and_resumes_exactly(tiny, tmp_path):
    """Before the warm-up ends the critic is untouched and the term is 0; after it, the critic learns and
    the term is in the editor's loss; the critic travels in the checkpoint."""
    from anisync.expression.model import NetworkConfig
    from anisync.expression.paired import PairedTrainer, PairedWeights

    torch.set_num_threads(1)
    faces, config = Faces.load(tiny), NetworkConfig(64, 4, 3, arch="unet")

    def trainer(seed=0):
        return PairedTrainer(faces, config, batch=4, seed=seed, weights=PairedWeights(adversarial=0.1), adversarial_start=2)

    straight = trainer()
    initial = {k: v.clone() for k, v in straight.critic.state_dict().items()}
    for _ in range(2):
        straight.train_step()
    assert all(torch.equal(initial[k], v) for k, v in straight.critic.state_dict().items())
    assert straight.history["adversarial"] == [0.0, 0.0] and straight.history["critic"] == [0.0, 0.0]
    straight.train_step()
    assert straight.history["adversarial"][-1] > 0 and straight.history["critic"][-1] > 0
    assert not all(torch.equal(initial[k], v) for k, v in straight.critic.state_dict().items())
    straight.save(tmp_path / "run.ckpt")
    straight.train_step()
    resumed = trainer(seed=5)
    resumed.load(tmp_path / "run.ckpt")
    resumed.train_step()
    assert resumed.history == straight.history
    assert all(torch.equal(v, resumed.critic.state_dict()[k]) for k, v in straight.critic.state_dict().items())
    plain = PairedTrainer(faces, config, batch=4, seed=0)
    assert plain.critic is None and "adversarial" not in plain.history and "warmup" not in plain.settings()
    # The term reaches the editor: the same run without it has the same editor until the term starts, then another.
    with_term = trainer()
    for step in range(3):
        plain.train_step()
        with_term.train_step()
        same = all(torch.equal(v, with_term.generator.state_dict()[k]) for k, v in plain.generator.state_dict().items())
        assert same == (step < 2), step


@pytest.mark.parametrize("arguments, message", [
    (["--arch", "amee", "--classifier-loss", "1"], "--classifier-loss, --shift and --adversarial train the U-Net"),
    (["--arch", "amee", "--shift", "2"], "--classifier-loss, --shift and --adversarial train the U-Net"),
    (["--arch", "amee", "--adversarial", "0.1"], "--classifier-loss, --shift and --adversarial train the U-Net"),
    (["--arch", "unet", "--shift", "32"], "--shift: 32 pixels; expected less than half the faces' 64 pixels"),
])
def test_options_of_the_unet_are_refused_where_they_mean_nothing(tiny, tmp_path, capsys, arguments, message):
    out = tmp_path / "e.onnx"
    assert main(["train", "expression", "--data", str(tiny), "--out", str(out), "--steps", "2", *arguments]) == 2
    assert message in capsys.readouterr().err and not out.exists()
