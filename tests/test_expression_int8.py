"""The int8 expression editor (anisync.expression.quantize): the exact inference form, and an int8 copy of a
small U-Net that loads in the runtime and edits like its source."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")

from anisync import AnisyncError  # noqa: E402
from anisync.expression import ExpressionEditor  # noqa: E402
from anisync.expression.export import export_generator  # noqa: E402
from anisync.expression.model import NetworkConfig, UNetGenerator, build_generator  # noqa: E402
from anisync.expression.quantize import build_int8, generator_from_onnx, inference_form, sub_pixel  # noqa: E402
from anisync.procedural.dataset import make_dataset  # noqa: E402

SIZE = 64


def _unet(seed: int = 0) -> UNetGenerator:
    """A small U-Net with every weight drawn, as after training: FiLM layers start as zeros, and the ONNX
    exporter stores equal tensors once."""
    torch.manual_seed(seed)
    generator = UNetGenerator(NetworkConfig(SIZE, 4, downsampling=3, arch="unet"))
    with torch.no_grad():
        for film in [*generator.film_down, *generator.film_up]:
            film.linear.weight.normal_(0, 0.1)
            film.linear.bias.normal_(0, 0.1)
    return generator.eval()


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    root = tmp_path_factory.mktemp("int8")
    model = export_generator(_unet(), root / "editor.onnx", {"data": "none: untrained"})
    faces = make_dataset(root / "faces", identities=8, expressions=4, size=SIZE, seed=0, speech=0.5, show_progress=False)
    return model, faces


@pytest.mark.parametrize("channels", [(3, 5), (8, 2)])
def test_sub_pixel_convolution_equals_the_transposed_one(channels):
    torch.manual_seed(1)
    transposed = torch.nn.ConvTranspose2d(*channels, 4, stride=2, padding=1)
    x = torch.randn(2, channels[0], 7, 9)
    with torch.no_grad():
        assert torch.allclose(sub_pixel(transposed)(x), transposed(x), atol=1e-5)


def test_sub_pixel_refuses_other_transposed_convolutions():
    with pytest.raises(AnisyncError, match="only 4x4 transposed convolutions of stride 2"):
        sub_pixel(torch.nn.ConvTranspose2d(3, 3, 3, stride=1, padding=1))


def test_the_inference_form_computes_what_the_generator_does():
    generator = _unet()
    image, condition = torch.rand(3, 4, SIZE, SIZE) * 2 - 1, torch.rand(3, 13)
    with torch.no_grad():
        edited, _, mask = generator(image, condition)
        form_edited, form_mask = inference_form(generator)(image, condition)
    assert torch.allclose(form_edited, edited, atol=1e-5) and torch.allclose(form_mask, mask, atol=1e-5)


def test_only_the_masked_unet_has_an_inference_form():
    with pytest.raises(AnisyncError, match="only the masked U-Net"):
        inference_form(build_generator(NetworkConfig(SIZE, 4)))
    with pytest.raises(AnisyncError, match="only the masked U-Net"):
        inference_form(UNetGenerator(NetworkConfig(SIZE, 4, downsampling=3, arch="unet", use_mask=False)))


def test_weights_come_back_from_the_onnx_file(source):
    model, _ = source
    generator, card = generator_from_onnx(model)
    for name, value in _unet().state_dict().items():
        assert torch.equal(generator.state_dict()[name], value), name
    assert card["network"]["arch"] == "unet"


def test_the_int8_editor_loads_and_edits_like_its_source(source, tmp_path):
    model, faces = source
    out = tmp_path / "editor-int8.onnx"
    card = build_int8(model, faces, out)
    assert json.loads(out.with_suffix(".json").read_text())["sha256"] == card["sha256"]
    assert card["int8"]["source"]["sha256"] == json.loads(model.with_suffix(".json").read_text())["sha256"]
    assert card["network"]["arch"] == "unet"  # the source's card is kept: the split guard still reads it
    metrics = card["int8"]["metrics"]
    assert metrics["largest_form_difference"] < 1e-4
    assert metrics["psnr_vs_source_db"] > 30
    quantized, original = ExpressionEditor(out, threads=1), ExpressionEditor(model, threads=1)
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (2, SIZE, SIZE, 4), dtype=np.uint8)
    emotions = rng.dirichlet(np.ones(7), 2).astype(np.float32)
    difference = np.abs(quantized.edit(images, emotions).astype(int) - original.edit(images, emotions)).mean()
    assert difference < 4  # grey levels, on random pixels the calibration never saw
    ops = {node.op_type for node in onnx.load(str(out)).graph.node}
    assert "QuantizeLinear" in ops and "ConvTranspose" not in ops


def test_the_int8_build_does_not_overwrite_its_source(source):
    model, faces = source
    with pytest.raises(AnisyncError, match="--out: .* is the source model"):
        build_int8(model, faces, model)
