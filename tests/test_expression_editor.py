"""The expression editor's networks, ONNX export and onnxruntime runtime, on small untrained networks."""

import json
import logging

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from helpers import in_parallel, save_graph  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402
from anisync import EMOTIONS, ModelInputError, ModelLoadError  # noqa: E402
from anisync.expression import ExpressionEditor, card_path  # noqa: E402
from anisync.expression.export import export_generator  # noqa: E402
from anisync.expression.model import Discriminator, Generator, NetworkConfig, parameter_count  # noqa: E402
from anisync.procedural.expression import ExpressionParams  # noqa: E402

SIZE = 64


def _generator(seed: int = 0) -> Generator:
    """A small generator with non-trivial BatchNorm statistics, in eval mode."""
    torch.manual_seed(seed)
    generator = Generator(NetworkConfig(SIZE, 4))
    for module in generator.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.2, 0.2)
            module.running_var.uniform_(0.5, 1.5)
    return generator.eval()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    generator = _generator()
    path = export_generator(generator, tmp_path_factory.mktemp("model") / "expression.onnx", {"data": "none: untrained"})
    return generator, path


def _faces(n: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, SIZE, SIZE, 4), dtype=np.uint8)


def _emotions(n: int, seed: int = 2) -> np.ndarray:
    return np.random.default_rng(seed).dirichlet(np.ones(7), n).astype(np.float32)


def test_networks_follow_seed_002():
    generator, discriminator = Generator(NetworkConfig(SIZE, 4)), Discriminator(NetworkConfig(SIZE, 4))
    convs = [m for m in generator.encoder if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 5 and sum(isinstance(m, torch.nn.BatchNorm2d) for m in generator.encoder) == 5
    assert len(generator.residual) == 3
    deconvs = [m for m in generator.decoder if isinstance(m, torch.nn.ConvTranspose2d)] + [generator.image_head[0]]
    assert len(deconvs) == 5 and isinstance(generator.image_head[-1], torch.nn.Tanh)
    assert isinstance(generator.mask_head[-1], torch.nn.Sigmoid)
    image, condition = torch.rand(3, 4, SIZE, SIZE) * 2 - 1, torch.rand(3, 13)
    edited, intermediate, mask = generator(image, condition)
    assert edited.shape == intermediate.shape == image.shape and mask.shape == (3, 1, SIZE, SIZE)
    assert torch.allclose(edited, mask * intermediate + (1 - mask) * image)
    real, expression = discriminator(image)
    assert real.shape == (3, 1, 2, 2) and expression.shape == (3, 13)
    assert parameter_count(Generator(NetworkConfig(128, 16))) < 2_000_000  # sizes stay configurable
    strides = [m.stride[0] for m in generator.encoder if isinstance(m, torch.nn.Conv2d)]
    assert strides == [2, 2, 1, 1, 1]  # the default keeps a latent of a quarter of the image's side
    assert generator.encoder(image).shape[-1] == SIZE // 4
    assert Generator(NetworkConfig(SIZE, 4, 5)).encoder(image).shape[-1] == SIZE // 32
    with pytest.raises(ValueError, match="image_size"):
        NetworkConfig(100, 4)


def test_onnx_matches_torch_within_1e4(exported):
    generator, path = exported
    editor = ExpressionEditor(path)
    rng = np.random.default_rng(3)
    image = rng.uniform(-1, 1, (5, 4, SIZE, SIZE)).astype(np.float32)
    condition = np.stack([ExpressionParams.from_emotions(e).to_vector() for e in _emotions(5).astype(np.float64)])
    onnx_edited, onnx_mask = editor.session.run(["edited", "mask"], {"image": image, "condition": condition})
    with torch.no_grad():
        edited, _, mask = generator(torch.from_numpy(image), torch.from_numpy(condition))
    assert np.abs(onnx_edited - edited.numpy()).max() <= 1e-4
    assert np.abs(onnx_mask - mask.numpy()).max() <= 1e-4
    card = json.loads(card_path(path).read_text())
    assert card["network"] == {"image_size": SIZE, "width": 4, "downsampling": 2, "use_mask": True, "arch": "amee"}
    assert card["opset"] == 17 and card["data"] == "none: untrained"


def test_the_unet_exports_to_onnx_that_matches_torch_within_1e4(tmp_path):
    from anisync.expression.model import UNetGenerator

    torch.manual_seed(1)
    generator = UNetGenerator(NetworkConfig(SIZE, 4, 3, arch="unet")).eval()
    for film in [*generator.film_down, *generator.film_up]:  # FiLM starts as the identity: give it some work
        torch.nn.init.normal_(film.linear.weight, std=0.1)
    path = export_generator(generator, tmp_path / "unet.onnx")
    image = np.random.default_rng(4).uniform(-1, 1, (3, 4, SIZE, SIZE)).astype(np.float32)
    condition = np.stack([ExpressionParams.from_emotions(e).to_vector() for e in _emotions(3).astype(np.float64)])
    onnx_edited, onnx_mask = ExpressionEditor(path).session.run(["edited", "mask"], {"image": image, "condition": condition})
    with torch.no_grad():
        edited, _, mask = generator(torch.from_numpy(image), torch.from_numpy(condition))
    assert np.abs(onnx_edited - edited.numpy()).max() <= 1e-4 and np.abs(onnx_mask - mask.numpy()).max() <= 1e-4


def test_a_zero_mask_returns_the_input_exactly(tmp_path):
    generator = _generator()
    with torch.no_grad():
        head = generator.mask_head[0]
        head.weight.zero_()
        head.bias.fill_(-200.0)  # sigmoid(-200) is 0 in float32
    editor = ExpressionEditor(export_generator(generator, tmp_path / "masked.onnx"))
    faces = _faces(3)
    assert np.array_equal(editor.edit(faces, _emotions(3)), faces)


def test_emotions_and_expression_parameters_drive_the_same_edit(exported):
    editor = ExpressionEditor(exported[1])
    faces, emotions = _faces(2), _emotions(2)
    params = np.stack([ExpressionParams.from_emotions(e).to_vector() for e in emotions.astype(np.float64)])
    by_emotion, by_params = editor.edit(faces, emotions), editor.edit(faces, params)
    assert by_emotion.shape == faces.shape and by_emotion.dtype == np.uint8
    assert np.array_equal(by_emotion, by_params)


def test_big_batches_run_in_chunks_equal_to_the_unsplit_run(exported, monkeypatch):
    editor = ExpressionEditor(exported[1], threads=1)
    faces, emotions = _faces(5), _emotions(5)
    whole = editor.edit_with_mask(faces, emotions)
    session, batches = editor.session, []

    class Recording:  # the session, noting the batch of each run
        def run(self, outputs, feed):
            batches.append(len(feed["image"]))
            return session.run(outputs, feed)

    monkeypatch.setattr("anisync.expression.editor._CHUNK", 2)
    editor.session = Recording()
    faces_split, mask_split = editor.edit_with_mask(faces, emotions)
    assert batches == [2, 2, 1]
    # Each face's rows are computed alone whatever the batch, so the chunks give the same bytes.
    assert np.array_equal(faces_split, whole[0]) and np.array_equal(mask_split, whole[1])


def test_parallel_edits_match_serial_ones(exported):
    editor = ExpressionEditor(exported[1], threads=1)
    jobs = [(_faces(2, seed), _emotions(2, seed)) for seed in range(8)]
    serial = [editor.edit(faces, emotions) for faces, emotions in jobs]
    parallel = in_parallel([lambda job=job: editor.edit(*job) for job in jobs])
    assert all(np.array_equal(a, b) for a, b in zip(serial, parallel))


def test_the_provider_used_is_logged(exported, caplog):
    with caplog.at_level(logging.INFO, logger="anisync.expression"):
        editor = ExpressionEditor(exported[1])
    assert editor.provider in ("CUDAExecutionProvider", "CPUExecutionProvider")
    assert [r.getMessage() for r in caplog.records if editor.provider in r.getMessage()]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch's TorchScript exporter, as in export.py
def test_load_errors_name_the_file_and_the_mismatch(exported, tmp_path):
    path = exported[1]
    with pytest.raises(ModelLoadError, match="no such model file"):
        ExpressionEditor(tmp_path / "missing.onnx")
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"\x08\x01 not a model")
    with pytest.raises(ModelLoadError, match="corrupt.onnx: not a loadable ONNX model"):
        ExpressionEditor(corrupt)
    tampered = tmp_path / "tampered.onnx"
    tampered.write_bytes(path.read_bytes())
    card = json.loads(card_path(path).read_text())
    card_path(tampered).write_text(json.dumps({**card, "sha256": "0" * 64}))
    with pytest.raises(ModelLoadError, match="tampered.onnx: sha256 .* does not match its model card"):
        ExpressionEditor(tampered)

    class Renamed(torch.nn.Module):  # the right maths under other names
        def forward(self, picture, condition):
            return picture + condition.sum() * 0.0, picture[:, :1] * 0.0

    wrong = tmp_path / "wrong.onnx"
    torch.onnx.export(Renamed(), (torch.zeros(1, 4, SIZE, SIZE), torch.zeros(1, 13)), str(wrong),
                      input_names=["picture", "condition"], output_names=["edited", "mask"], dynamo=False)
    with pytest.raises(ModelLoadError, match=r"wrong.onnx: inputs \['condition', 'picture'\], expected \['condition', 'image'\]"):
        ExpressionEditor(wrong)

    class FewParams(torch.nn.Module):
        def forward(self, image, condition):
            return image + condition.sum() * 0.0, image[:, :1]

    narrow = tmp_path / "narrow.onnx"
    torch.onnx.export(FewParams(), (torch.zeros(1, 4, SIZE, SIZE), torch.zeros(1, 7)), str(narrow),
                      input_names=["image", "condition"], output_names=["edited", "mask"], dynamo=False)
    with pytest.raises(ModelLoadError, match="input 'condition' has shape .*expected \\[batch, 13\\]"):
        ExpressionEditor(narrow)


def _typed_editor(path, image=TensorProto.FLOAT, condition=TensorProto.FLOAT, mask=TensorProto.FLOAT):
    """A graph with the editor's names and shapes and the given element types: ``edited`` is the image,
    ``mask`` its mean over the channels."""
    nodes = [helper.make_node("Identity", ["image"], ["edited"]),
             helper.make_node("ReduceMean", ["image"], ["mean"], axes=[1]),
             helper.make_node("Cast", ["mean"], ["mask"], to=mask)]
    inputs = [helper.make_tensor_value_info("image", image, ["batch", 4, SIZE, SIZE]),
              helper.make_tensor_value_info("condition", condition, ["batch", 13])]
    outputs = [helper.make_tensor_value_info("edited", image, ["batch", 4, SIZE, SIZE]),
               helper.make_tensor_value_info("mask", mask, ["batch", 1, SIZE, SIZE])]
    return save_graph(nodes, inputs, outputs, path)


@pytest.mark.parametrize("types, message", [
    ({"image": TensorProto.DOUBLE}, r"typed.onnx: input 'image' has type tensor\(double\), expected tensor\(float\)"),
    ({"condition": TensorProto.FLOAT16}, r"typed.onnx: input 'condition' has type tensor\(float16\), expected tensor\(float\)"),
    ({"mask": TensorProto.DOUBLE}, r"typed.onnx: output 'mask' has type tensor\(double\), expected tensor\(float\)"),
])
def test_load_errors_name_an_input_or_output_of_another_element_type(tmp_path, types, message):
    ExpressionEditor(_typed_editor(tmp_path / "float.onnx"))  # the same graph in float32 loads
    with pytest.raises(ModelLoadError, match=message):
        ExpressionEditor(_typed_editor(tmp_path / "typed.onnx", **types))


@pytest.mark.parametrize("images, expressions, message", [
    (np.zeros((2, 32, 32, 4), np.uint8), np.zeros((2, 7)), "images: expected an array of shape"),
    (np.zeros((2, SIZE, SIZE, 3), np.uint8), np.zeros((2, 7)), "images: expected an array of shape"),
    ("faces", np.zeros((2, 7)), "images: expected an array"),
    (np.full((2, SIZE, SIZE, 4), 0.5, np.float32), np.zeros((2, 7)), "images: expected uint8 RGBA, got float32"),
    (np.zeros((2, SIZE, SIZE, 4), np.float64), np.zeros((2, 7)), "images: expected uint8 RGBA, got float64"),
    (np.zeros((2, SIZE, SIZE, 4), np.int64), np.zeros((2, 7)), "images: expected uint8 RGBA, got int64"),
    (np.zeros((0, SIZE, SIZE, 4), np.uint8), np.zeros((0, 7)), "images: an empty batch"),
    (np.zeros((2, SIZE, SIZE, 4), np.uint8), np.zeros((2, 5)), "expressions: expected numbers of shape"),
    (np.zeros((2, SIZE, SIZE, 4), np.uint8), np.zeros((3, 7)), "expressions: 3 rows for 2 images"),
    (np.zeros((2, SIZE, SIZE, 4), np.uint8), np.full((2, 7), np.nan), "expressions: NaN"),
    (np.zeros((2, SIZE, SIZE, 4), np.uint8), np.full((2, 7), 1.5), r"expressions: emotion intensities must lie in \[0, 1\]"),
    (np.zeros((2, SIZE, SIZE, 4), np.uint8), np.full((2, 13), 0.5) * np.r_[np.ones(6), 3.0, np.ones(6)],
     r"expressions: parameter 'mouth_form' must lie in \[-1.0, 1.0\]"),
])
def test_input_errors_name_the_argument(exported, images, expressions, message):
    editor = ExpressionEditor(exported[1])
    with pytest.raises(ModelInputError, match=message):
        editor.edit(images, expressions)


def test_the_runtime_side_imports_neither_torch_nor_panda3d(tmp_path):
    import subprocess
    import sys

    code = ("import sys, anisync, anisync.expression, anisync.behavior, anisync.procedural; "
            "print(sorted(m for m in ('torch', 'panda3d', 'onnx') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_shipped_model_loads_and_edits_only_the_expression():
    from anisync.procedural import ExpressionParams, render_face, sample_identity
    from anisync.resources import asset_path

    path = asset_path("models", "expression.onnx")
    assert path.stat().st_size <= 20 * 2**20  # issue 5: at most 20 MB
    editor = ExpressionEditor(path, threads=1)  # checks the card's sha256 and the signature
    assert editor.size == 128 and editor.card["network"]["use_mask"] is True
    face = render_face(sample_identity(np.random.default_rng(4)), ExpressionParams.from_emotions({"neutral": 1.0}), 0.0, 128)
    rgba = face.rgba[None]
    joy = np.zeros((1, 7), np.float32)
    joy[0, EMOTIONS.index("joy")] = 1.0
    edited, mask = editor.edit_with_mask(rgba, joy)
    changed = np.abs(edited.astype(int) - rgba.astype(int)).max(axis=-1)[0] > 8
    assert changed.any() and changed.mean() < 0.1  # something moved, and only a small part of the face
    assert mask.mean() < 0.2


@pytest.mark.parametrize("element", [TensorProto.FLOAT, TensorProto.DOUBLE])
def test_the_judge_checks_its_graph_at_load(tmp_path, element):
    from anisync.expression.judge import Judge

    nodes = [helper.make_node("ReduceMean", ["image"], ["pooled"], axes=[2, 3], keepdims=0),
             helper.make_node("MatMul", ["pooled", "weights"], ["emotions"])]
    weights = helper.make_tensor("weights", element, [4, 7], [1.0] * 28)
    inputs = [helper.make_tensor_value_info("image", element, ["batch", 4, SIZE, SIZE])]
    outputs = [helper.make_tensor_value_info("emotions", element, ["batch", 7])]
    path = save_graph(nodes, inputs, outputs, tmp_path / "judge.onnx", [weights])
    if element == TensorProto.FLOAT:
        assert Judge(path).emotions(np.zeros((3, SIZE, SIZE, 4), np.uint8)).shape == (3, 7)
    else:
        with pytest.raises(ModelLoadError, match=r"input 'image' has type tensor\(double\)"):
            Judge(path)
    with pytest.raises(ModelLoadError, match="inputs"):
        Judge(_typed_editor(tmp_path / "editor.onnx"))  # an editor is no judge
