"""The appearance generator (issue 6): attribute vocabulary, data, the five decoders, training, ONNX export
and the onnxruntime runtime, and the data -> train -> eval command line. Small untrained or briefly
trained networks on a tiny procedural dataset."""

import colorsys
import itertools
import json
import logging
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from helpers import in_parallel, save_graph  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402
from anisync import ModelInputError, ModelLoadError  # noqa: E402
from anisync.appearance import ATTRIBUTES, EYE_COLORS, HAIR_COLORS, AppearanceGenerator, attributes_of  # noqa: E402
from anisync.appearance.attributes import CODE_SIZE, color_name, indices, one_hot  # noqa: E402
from anisync.appearance.attributes import sample_appearance  # noqa: E402
from anisync.appearance.data import GENERATOR, load_faces, make_appearance_dataset  # noqa: E402
from anisync.appearance.export import encoder_path, export_models  # noqa: E402
from anisync.appearance.generator import PROVIDER_ORDER  # noqa: E402
from anisync.appearance.model import ARCHS, AppearanceConfig, ChannelAttention, Encoder, TemporalAttention, decoder  # noqa: E402
from anisync.appearance.train import LOSS_KEYS, AppearanceFaces, Trainer  # noqa: E402
from anisync.cli import main  # noqa: E402
from anisync.errors import AnisyncError  # noqa: E402
from anisync.expression.card import card_path, sha256_of  # noqa: E402
from anisync.expression.export import export_onnx  # noqa: E402
from anisync.procedural.identity import STYLE_PALETTES, jittered_color, hex_to_rgb, sample_identity  # noqa: E402

torch.set_num_threads(1)

#: Tiny networks: every test trains or exports in well under a second.
def small(arch: str = "bilstm-ma") -> AppearanceConfig:
    return AppearanceConfig(arch=arch, hidden=8, z_dim=4, position=4, fusion=16, heads=2, reduction=2,
                            conv_width=4, encoder_width=4)


SMALL_FLAGS = ["--hidden", "8", "--z-dim", "4", "--conv-width", "4", "--encoder-width", "4"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_appearance_dataset(tmp_path_factory.mktemp("faces"), identities=40, shard_identities=12,
                                   show_progress=False)


@pytest.fixture(scope="module")
def faces(tiny):
    return AppearanceFaces.load(tiny)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    torch.manual_seed(0)
    config = small()
    networks = decoder(config).eval(), Encoder(config).eval()
    path = export_models(*networks, tmp_path_factory.mktemp("model") / "appearance.onnx", {"data": "none: untrained"})
    return networks, path


# --- attributes -------------------------------------------------------------------------------------


def test_every_palette_colour_has_a_name_and_jittered_draws_keep_it():
    for kind, table in (("hair", HAIR_COLORS), ("eye", EYE_COLORS)):
        palette = {color for style in STYLE_PALETTES.values() for color in style[kind]}
        named = [color for bases in table.values() for color in bases]
        assert sorted(named) == sorted(palette)  # each base colour once, none missing
    rng = np.random.default_rng(0)
    for kind, table in (("hair_color", HAIR_COLORS), ("eye_color", EYE_COLORS)):
        for name, bases in table.items():
            for base in bases:
                draws = [jittered_color(rng, (base,)) for _ in range(300)]
                # ... and the corners of the jitter box, the hardest draws to tell apart.
                h, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in hex_to_rgb(base)))
                for dh, ds, dv in itertools.product((-1, 1), repeat=3):
                    r, g, b = colorsys.hsv_to_rgb((h + 0.02 * dh) % 1, min(max(s + 0.08 * ds, 0), 1), min(max(v + 0.08 * dv, 0), 1))
                    draws.append("#{:02x}{:02x}{:02x}".format(round(r * 255), round(g * 255), round(b * 255)))
                assert {color_name(color, kind) for color in draws} == {name}, (kind, base)


def test_attributes_of_sampled_identities_and_the_one_hot_code():
    rng = np.random.default_rng(1)
    for _ in range(50):
        identity = sample_identity(rng)
        attributes = attributes_of(identity)
        assert set(attributes) == set(ATTRIBUTES) and all(attributes[k] in ATTRIBUTES[k] for k in ATTRIBUTES)
        assert attributes == attributes_of(identity.to_dict())
        code = one_hot(indices(attributes)[None])
        assert code.shape == (1, CODE_SIZE) and code.sum() == len(ATTRIBUTES)
    wanted = {"style": "cool", "hair_color": "pink", "accessory": "headset"}  # off the cool palette on purpose
    identity = sample_appearance(np.random.default_rng(2), wanted)
    assert {k: attributes_of(identity)[k] for k in wanted} == wanted


# --- data -----------------------------------------------------------------------------------------------


def test_the_dataset_holds_neutral_frontal_faces_with_exact_labels(tiny, tmp_path):
    manifest = json.loads((tiny / "manifest.json").read_text())
    assert manifest["generator"] == GENERATOR and manifest["expressions"] == 1 and manifest["size"] == 64
    train = load_faces(tiny, "train")
    assert train.images.shape[1:] == (64, 64, 4) and train.labels.shape == (len(train), len(ATTRIBUTES))
    held_out = {str(i) for split in ("validation", "test") for i in load_faces(tiny, split).identities}
    assert not held_out & set(train.identities.tolist())
    # Attributes are drawn independently of the style: with 40 faces several hair colours occur per style.
    assert len(set(train.labels[:, 2].tolist())) > 5
    with pytest.raises(AnisyncError, match="other settings"):
        make_appearance_dataset(tiny, identities=41, shard_identities=12, show_progress=False)
    again = make_appearance_dataset(tiny, identities=40, shard_identities=12, show_progress=False)  # resumes: nothing to do
    assert np.array_equal(load_faces(again, "train").images, train.images)
    # A dataset of `anisync data make` gives its neutral faces at yaw 0 only.
    from anisync.procedural.dataset import make_dataset
    from anisync.procedural.loader import FaceDataset

    made = make_dataset(tmp_path / "made", identities=12, expressions=2, size=64, seed=3, show_progress=False)
    frontal = {item["identity"] for item in FaceDataset(made, split="train") if item["yaw"] == 0.0}
    assert frontal and sorted(load_faces(made, "train").identities.tolist()) == sorted(frontal)
    with pytest.raises(AnisyncError, match="faces of 64 px"):
        load_faces(tiny, "train", size=128)


# --- networks and training -------------------------------------------------------------------------------


def test_the_networks_follow_seed_000():
    code, z = one_hot(np.zeros((3, 5), np.int64)), torch.randn(3, 4)
    for arch in ARCHS:
        network = decoder(small(arch))
        with torch.no_grad():
            image = network(torch.from_numpy(code), z)
        assert image.shape == (3, 4, 64, 64) and float(image.abs().max()) <= 1.0, arch
        if arch != "conv":
            assert network.lstm.bidirectional == (arch == "bilstm-ma")
            assert (network.tam is not None) == (arch in ("bilstm-ma", "tam-lstm"))
            assert (network.cam is not None) == (arch in ("bilstm-ma", "cam-lstm"))
    conv = decoder(small("conv"))
    assert sum(isinstance(m, torch.nn.ConvTranspose2d) for m in conv.modules()) == 5
    h = torch.randn(2, 64, 6)
    context, delta = TemporalAttention(6, 3)(h)
    assert torch.allclose(delta.sum(1), torch.ones(2)) and torch.allclose(context, (delta[..., None] * h).sum(1))
    cam = ChannelAttention(6, 2)
    q = cam.excite(h.mean(1))
    assert torch.allclose(cam(h), h * q[:, None] + h)  # figure 3: Q times the input, plus the residual
    mu, logvar = Encoder(small())(torch.zeros(2, 4, 64, 64), torch.from_numpy(code[:2]))
    assert mu.shape == logvar.shape == (2, 4)
    with pytest.raises(ValueError, match="arch"):
        AppearanceConfig(arch="gru")


@pytest.mark.parametrize("arch", ARCHS)
def test_every_arch_lowers_its_loss_in_a_few_steps(faces, arch):
    trainer = Trainer(faces, small(arch), batch=8, seed=0, lr=3e-3)
    for _ in range(12):
        trainer.train_step()
    total = trainer.history["total"]
    assert set(trainer.history) == set(LOSS_KEYS[:-1]) and len(total) == 12
    assert np.mean(total[-3:]) < np.mean(total[:3]), total


def test_resume_continues_the_run_exactly(faces, tmp_path):
    straight = Trainer(faces, small("tam-lstm"), batch=4, seed=3)
    for _ in range(3):
        straight.train_step()
    straight.save(tmp_path / "run.ckpt")
    for _ in range(2):
        straight.train_step()
    resumed = Trainer(faces, small("tam-lstm"), batch=4, seed=99)  # everything comes from the checkpoint
    resumed.load(tmp_path / "run.ckpt")
    assert resumed.step == 3
    for _ in range(2):
        resumed.train_step()
    assert resumed.history == straight.history
    with pytest.raises(AnisyncError, match="network differs .*arch 'tam-lstm'"):
        Trainer(faces, small("lstm"), batch=4, seed=0).load(tmp_path / "run.ckpt")


def test_the_guide_is_fitted_then_frozen_and_resumes_from_the_checkpoint(faces, tmp_path):
    def guided(seed):
        return Trainer(faces, small("conv"), batch=4, seed=seed, attribute_weight=0.5, guide_steps=20)

    straight = guided(5)
    untrained = [p.clone() for p in straight.guide.parameters()]
    straight.train_to(3, tmp_path / "run.ckpt", every=3, resume=False, desc="test")
    fitted = [p.clone() for p in straight.guide.parameters()]
    assert any(not torch.equal(a, b) for a, b in zip(untrained, fitted))  # fitted before the first step
    assert not straight.guide.training and not any(p.requires_grad for p in straight.guide.parameters())
    assert set(straight.history) == set(LOSS_KEYS) and all(v > 0 for v in straight.history["attribute"])
    for _ in range(2):
        straight.train_step()
    assert all(torch.equal(a, b) for a, b in zip(fitted, straight.guide.parameters()))  # frozen while training
    resumed = guided(99)
    resumed.train_to(5, tmp_path / "run.ckpt", every=10, resume=True, desc="test")  # loads the guide, no refit
    assert resumed.history == straight.history
    assert all(torch.equal(a, b) for a, b in zip(fitted, resumed.guide.parameters()))
    assert set(Trainer(faces, small("conv"), batch=4, seed=0).settings()) == {"batch", "lr", "beta"}  # as before guides
    with pytest.raises(AnisyncError, match="attribute_weight 0.5, now None"):
        Trainer(faces, small("conv"), batch=4, seed=0).load(tmp_path / "run.ckpt")


def test_the_guide_loss_teaches_the_decoder_its_attributes(faces):
    """With the guide the sampled faces' cross-entropy falls well below its level at the first steps."""
    trainer = Trainer(faces, small("conv"), batch=16, seed=0, lr=3e-3, attribute_weight=1.0, guide_steps=60)
    trainer.fit_guide()
    for _ in range(40):
        trainer.train_step()
    attribute = trainer.history["attribute"]
    assert np.mean(attribute[-5:]) < 0.8 * np.mean(attribute[:5]), attribute


# --- export and runtime -----------------------------------------------------------------------------------


@pytest.mark.parametrize("arch", ARCHS)
def test_onnx_matches_torch_within_1e4(arch, tmp_path):
    torch.manual_seed(1)
    config = small(arch)
    network, encoder = decoder(config), Encoder(config)
    for module in network.modules():  # non-trivial BatchNorm statistics for the conv decoder
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.2, 0.2)
            module.running_var.uniform_(0.5, 1.5)
    path = export_models(network.eval(), encoder.eval(), tmp_path / f"{arch}.onnx")
    generator = AppearanceGenerator(path)
    rng = np.random.default_rng(3)
    code = one_hot(np.stack([rng.integers(0, len(v), 5) for v in ATTRIBUTES.values()], axis=1))
    z = rng.standard_normal((5, config.z_dim)).astype(np.float32)  # batch 5: the exported batch axis is dynamic
    (image,) = generator.session.run(["image"], {"attributes": code, "z": z})
    faces = rng.uniform(-1, 1, (5, 4, 64, 64)).astype(np.float32)
    import onnxruntime as ort

    mu, logvar = ort.InferenceSession(str(encoder_path(path)), providers=["CPUExecutionProvider"]).run(
        ["mu", "logvar"], {"image": faces, "attributes": code})
    with torch.no_grad():
        expected = network(torch.from_numpy(code), torch.from_numpy(z)).numpy()
        expected_mu, expected_logvar = encoder(torch.from_numpy(faces), torch.from_numpy(code))
    assert np.abs(image - expected).max() <= 1e-4
    assert np.abs(mu - expected_mu.numpy()).max() <= 1e-4 and np.abs(logvar - expected_logvar.numpy()).max() <= 1e-4
    card = json.loads(card_path(path).read_text())
    assert card["network"]["arch"] == arch and card["opset"] == 17 and card["sha256"] == sha256_of(path)
    assert card["encoder"]["sha256"] == sha256_of(encoder_path(path)) and card["attributes"]["style"] == ["cute", "cool", "tech"]


def test_generate_is_deterministic_per_seed(exported):
    generator = AppearanceGenerator(exported[1])
    asked = {"style": "tech", "hair_style": "spiky", "hair_color": "cyan", "eye_color": "amber", "accessory": "headset"}
    face = generator.generate(asked, seed=7)
    assert face.shape == (64, 64, 4) and face.dtype == np.uint8
    assert np.array_equal(face, generator.generate(asked, seed=7))
    assert np.array_equal(face, AppearanceGenerator(exported[1]).generate(asked, seed=7))  # a new session too
    assert not np.array_equal(face, generator.generate(asked, seed=8))
    many = generator.generate_many(asked, [7, 8, 9])
    assert many.shape == (3, 64, 64, 4) and np.abs(many[0].astype(int) - face.astype(int)).max() <= 1
    # Attributes left out are drawn from the seed, the same way every time; those given are kept.
    partial = generator.resolve({"style": "cute"}, 11)
    assert partial == generator.resolve({"style": "cute"}, 11) and partial["style"] == "cute" and set(partial) == set(ATTRIBUTES)
    assert len({tuple(generator.resolve({}, s).values()) for s in range(20)}) > 10
    assert np.array_equal(generator.generate({"style": "cute"}, 11), generator.generate(partial, 11))
    # Fixing one more attribute leaves the seed's draws of the others as they were.
    fixed = generator.resolve({"style": "cute", "hair_style": "buns"}, 11)
    assert fixed == {**partial, "hair_style": "buns"}
    assert np.array_equal(generator.latent(5), np.random.default_rng(5).standard_normal(generator.z_dim).astype(np.float32))


def test_decode_runs_big_batches_in_chunks_equal_to_the_unsplit_run(exported, monkeypatch):
    generator = AppearanceGenerator(exported[1], threads=1)
    codes, z = one_hot(np.zeros((5, len(ATTRIBUTES)), np.int64)), np.random.default_rng(0).standard_normal((5, 4))
    whole = generator.decode(codes, z)
    monkeypatch.setattr("anisync.appearance.generator._CHUNK", 2)
    # Each face's rows are computed alone whatever the batch, so the chunks give the same bytes.
    assert np.array_equal(generator.decode(codes, z), whole)
    assert generator.decode(codes[:0], z[:0]).shape == (0, 64, 64, 4)


def test_parallel_generation_matches_serial(exported):
    generator = AppearanceGenerator(exported[1], threads=1)
    serial = [generator.generate_many({}, [s, s + 100]) for s in range(8)]
    parallel = in_parallel([lambda k=k: generator.generate_many({}, [k, k + 100]) for k in range(8)])
    assert all(np.array_equal(a, b) for a, b in zip(serial, parallel))


def test_the_provider_used_is_logged(exported, caplog):
    with caplog.at_level(logging.INFO, logger="anisync.appearance"):
        generator = AppearanceGenerator(exported[1])
    assert generator.provider in ("CUDAExecutionProvider", "CPUExecutionProvider") and generator.z_dim == 4
    assert [r.getMessage() for r in caplog.records if generator.provider in r.getMessage()]


def test_sessions_take_cuda_first_where_onnxruntime_has_it(monkeypatch, tmp_path):
    # No GPU here: onnxruntime is told it has CUDA and the session it would open is recorded, not run.
    import onnxruntime

    from anisync.sessions import open_session

    opened = []
    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    monkeypatch.setattr(onnxruntime, "InferenceSession", lambda path, options, providers: opened.append(providers))
    model = tmp_path / "m.onnx"
    model.write_bytes(b"graph")
    open_session(model, 1, list(PROVIDER_ORDER))
    open_session(model, 1, ["TensorrtExecutionProvider"])  # not available: the CPU
    assert opened == [["CUDAExecutionProvider", "CPUExecutionProvider"], ["CPUExecutionProvider"]]


@pytest.mark.parametrize("call, message", [
    (lambda g: g.generate({"hair_color": "green"}, 1),
     "attributes: hair_color 'green' is not one of the allowed values: black, brown, ginger, blonde, pink"),
    (lambda g: g.generate({"hat": "top"}, 1),
     "attributes: unknown attribute 'hat'; the attributes are style, hair_style, hair_color, eye_color, accessory"),
    (lambda g: g.generate({"style": "gothic"}, 1), "attributes: style 'gothic' is not one of the allowed values: cute, cool, tech"),
    (lambda g: g.generate("cute", 1), "attributes: expected a mapping"),
    (lambda g: g.generate({}, -1), r"seed: expected an integer from 0 to 2\*\*63 - 1, got -1"),
    (lambda g: g.generate({}, 1.5), "seed: expected an integer"),
    (lambda g: g.generate({}, True), "seed: expected an integer"),
    (lambda g: g.generate({}, 2**63), "seed: expected an integer"),
    (lambda g: g.generate_many({}, []), "seeds: an empty sequence"),
    (lambda g: g.generate_many({}, 3), "seeds: expected a sequence"),
    (lambda g: g.generate_many([{}, {}], [1, 2, 3]), "attributes: 2 mappings for 3 seeds"),
    (lambda g: g.decode(np.zeros((2, 5), np.float32), np.zeros((2, 4), np.float32)), r"codes: expected numbers of shape \[n, "),
    (lambda g: g.decode(one_hot(np.zeros((2, 5))), np.full((2, 4), np.nan, np.float32)), "z: NaN"),
    (lambda g: g.decode(one_hot(np.zeros((2, 5))), np.zeros((3, 4), np.float32)), "z: 3 rows for 2 codes"),
])
def test_input_errors_name_the_argument(exported, call, message):
    with pytest.raises(ModelInputError, match=message):
        call(AppearanceGenerator(exported[1]))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch's TorchScript exporter, as in export.py
def test_load_errors_name_the_file_and_the_mismatch(exported, tmp_path):
    path = exported[1]
    with pytest.raises(ModelLoadError, match="no such model file"):
        AppearanceGenerator(tmp_path / "missing.onnx")
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"\x08\x01 not a model")
    with pytest.raises(ModelLoadError, match="corrupt.onnx: not a loadable ONNX model"):
        AppearanceGenerator(corrupt)
    card = json.loads(card_path(path).read_text())
    tampered = tmp_path / "tampered.onnx"
    tampered.write_bytes(path.read_bytes())
    card_path(tampered).write_text(json.dumps({**card, "sha256": "0" * 64}))
    with pytest.raises(ModelLoadError, match="tampered.onnx: sha256 .* does not match its model card"):
        AppearanceGenerator(tampered)
    other = tmp_path / "other.onnx"
    other.write_bytes(path.read_bytes())
    card_path(other).write_text(json.dumps({**card, "attributes": {**card["attributes"], "style": ["cute"]}}))
    with pytest.raises(ModelLoadError, match="other.onnx: its model card's attributes"):
        AppearanceGenerator(other)
    with pytest.raises(ModelLoadError, match="threads"):
        AppearanceGenerator(path, threads=-1)

    class Renamed(torch.nn.Module):  # the right maths under other names
        def forward(self, code, z):
            return torch.zeros(code.shape[0], 4, 64, 64) + z.sum() * 0.0 + code.sum() * 0.0

    wrong = tmp_path / "wrong.onnx"
    export_onnx(Renamed(), (torch.zeros(1, CODE_SIZE), torch.zeros(1, 4)), wrong, ("code", "z"), ("image",))
    with pytest.raises(ModelLoadError, match=r"wrong.onnx: inputs \['code', 'z'\], expected \['attributes', 'z'\]"):
        AppearanceGenerator(wrong)
    narrow = tmp_path / "narrow.onnx"
    export_onnx(Renamed(), (torch.zeros(1, 7), torch.zeros(1, 4)), narrow, ("attributes", "z"), ("image",))
    with pytest.raises(ModelLoadError, match=rf"input 'attributes' has shape .*expected \[batch, {CODE_SIZE}\]"):
        AppearanceGenerator(narrow)

    class Small(torch.nn.Module):
        def forward(self, attributes, z):
            return torch.zeros(attributes.shape[0], 4, 32, 32) + z.sum() * 0.0 + attributes.sum() * 0.0

    tiny_image = tmp_path / "small.onnx"
    export_onnx(Small(), (torch.zeros(1, CODE_SIZE), torch.zeros(1, 4)), tiny_image, ("attributes", "z"), ("image",))
    with pytest.raises(ModelLoadError, match=r"output 'image' has shape .*expected \[batch, 4, 64, 64\]"):
        AppearanceGenerator(tiny_image)


def _typed_generator(path, attributes=TensorProto.FLOAT, z=TensorProto.FLOAT, image=TensorProto.FLOAT):
    """A graph with the generator's names and shapes and the given element types: ``image`` is ``z``
    spread over the pixels."""
    nodes = [helper.make_node("Unsqueeze", ["z", "axes"], ["z4"]),
             helper.make_node("Expand", ["z4", "size"], ["spread"]),
             helper.make_node("Cast", ["spread"], ["image"], to=image)]
    constants = [helper.make_tensor("axes", TensorProto.INT64, [2], [2, 3]),
                 helper.make_tensor("size", TensorProto.INT64, [4], [1, 4, 64, 64])]
    inputs = [helper.make_tensor_value_info("attributes", attributes, ["batch", CODE_SIZE]),
              helper.make_tensor_value_info("z", z, ["batch", 4])]
    outputs = [helper.make_tensor_value_info("image", image, ["batch", 4, 64, 64])]
    return save_graph(nodes, inputs, outputs, path, constants)


@pytest.mark.parametrize("types, message", [
    ({"attributes": TensorProto.DOUBLE}, r"typed.onnx: input 'attributes' has type tensor\(double\), expected tensor\(float\)"),
    ({"z": TensorProto.FLOAT16}, r"typed.onnx: input 'z' has type tensor\(float16\), expected tensor\(float\)"),
    ({"image": TensorProto.FLOAT16}, r"typed.onnx: output 'image' has type tensor\(float16\), expected tensor\(float\)"),
])
def test_load_errors_name_an_input_or_output_of_another_element_type(tmp_path, types, message):
    assert AppearanceGenerator(_typed_generator(tmp_path / "float.onnx")).generate({}, 1).shape == (64, 64, 4)
    with pytest.raises(ModelLoadError, match=message):
        AppearanceGenerator(_typed_generator(tmp_path / "typed.onnx", **types))


# --- measures and the command line -------------------------------------------------------------------------


def test_measures_of_known_inputs():
    from anisync.appearance.evaluate import frechet_distance, mean_pairwise, nearest, nearest_figures, precision_recall
    from anisync.appearance.judge import macro_f1

    rng = np.random.default_rng(0)
    a = rng.standard_normal((400, 3))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    assert frechet_distance(a, a + [2.0, 0.0, 0.0]) == pytest.approx(4.0, abs=1e-6)  # a shift adds its square
    centred = a - a.mean(0)
    s = np.cov(centred, rowvar=False)
    assert frechet_distance(centred, 2 * centred) == pytest.approx(np.trace(s), rel=1e-6)  # tr(S + 4S - 2 * 2S)
    assert precision_recall(a, a) == (1.0, 1.0)
    assert precision_recall(a, a + 100.0) == (0.0, 0.0)
    # Fakes huddled at the centre of the real cloud: all plausible (precision 1), most of it missed (recall low).
    precision, recall = precision_recall(a, 0.1 * a)
    assert precision == 1.0 and recall < 0.5
    # Unequal sizes are compared at the smaller one: 50 fakes from the real distribution score as well as
    # 50 reals would (ball radii of equal-sized sets), not as a sparse cover of 400 reals.
    assert min(precision_recall(a, a[:50])) > 0.85
    assert np.array_equal(nearest(a[:5], a), np.zeros(5)) and nearest(a[:1] + [0.0, 0.0, 3.0], a[:1])[0] == pytest.approx(3.0)
    assert mean_pairwise(np.array([[0.0, 0.0], [3.0, 4.0]])) == pytest.approx(5.0)
    real = np.arange(1.0, 101.0)  # real faces' distances to their nearest training faces
    like_real, copies, noise = nearest_figures(real, real), nearest_figures(real / 100, real), nearest_figures(real + 200, real)
    assert like_real["ratio"] == 1 and like_real["copy_rate"] == pytest.approx(0.05, abs=0.01)
    assert like_real["far_rate"] == pytest.approx(0.05, abs=0.01)
    assert copies["copy_rate"] == 1 and copies["far_rate"] == 0 and noise["far_rate"] == 1 and noise["copy_rate"] == 0
    assert macro_f1(np.array([0, 0, 1, 1]), np.array([0, 0, 1, 1]), 2) == 1.0
    assert macro_f1(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), 2) == pytest.approx((2 / 3 + 0.8) / 2)


def _train_command(tiny, out) -> list[str]:
    return ["train", "appearance", "--data", str(tiny), "--arch", "lstm", "--out", str(out), "--batch", "4",
            "--checkpoint-every", "2", "--attribute-weight", "0.1", "--guide-steps", "3", *SMALL_FLAGS]


@pytest.fixture(scope="module")
def cli_model(tiny, tmp_path_factory):
    """A tiny lstm generator trained for 3 steps by the command line."""
    out = tmp_path_factory.mktemp("cli") / "lstm.onnx"
    assert main([*_train_command(tiny, out), "--steps", "3"]) == 0
    return out


@pytest.fixture(scope="module")
def cli_judge(tiny, tmp_path_factory):
    judge = tmp_path_factory.mktemp("judge") / "judge.onnx"
    assert main(["train", "appearance-judge", "--data", str(tiny), "--out", str(judge), "--steps", "10"]) == 0
    return judge


def test_the_data_command_renders_neutral_faces_and_a_sheet(tmp_path):
    data = tmp_path / "data"
    assert main(["data", "appearance", "--out", str(data), "--identities", "12", "--shard-identities", "6"]) == 0
    assert (data / "sheet.png").is_file() and len(load_faces(data, "train")) == 10


def test_the_train_command_writes_the_card_and_resumes(tiny, cli_model, tmp_path, capsys):
    card = json.loads(card_path(cli_model).read_text())
    assert card["arch"] == "lstm" and card["training"]["steps"] == 3 and card["training"]["wall_seconds"] > 0
    assert card["command"].startswith("anisync ") and set(card["metrics"]["final_losses"]) == set(LOSS_KEYS)
    assert card["training"]["guide"]["steps"] == 3 and card["training"]["attribute_weight"] == 0.1
    assert card["parameters"]["decoder"] > 0 and card["data"]["faces"] == len(load_faces(tiny, "train"))
    assert cli_model.with_name("lstm-losses.png").is_file() and encoder_path(cli_model).is_file()
    out = tmp_path / "lstm.onnx"
    assert main([*_train_command(tiny, out), "--steps", "3"]) == 0
    assert main([*_train_command(tiny, out), "--steps", "4", "--resume"]) == 0
    assert json.loads(card_path(out).read_text())["training"]["steps"] == 4 and "resumed from" in capsys.readouterr().err


@pytest.mark.parametrize("extra, message", [(["--resume"], "--resume: no checkpoint"),
                                            (["--arch", "gru"], "argument --arch: invalid choice: 'gru'")])
def test_the_train_command_names_a_bad_argument(tiny, tmp_path, capsys, extra, message):
    try:
        code = main(["train", "appearance", "--data", str(tiny), "--out", str(tmp_path / "x.onnx"), "--steps", "2", *extra])
    except SystemExit as exit_:  # argparse's own refusal
        code = exit_.code
    assert code == 2 and message in capsys.readouterr().err


def test_the_judge_and_eval_commands_compare_models(tiny, cli_model, cli_judge, tmp_path, capsys):
    assert 0 <= json.loads(card_path(cli_judge).read_text())["test_on_real_renders"]["accuracy"] <= 1
    report, sheet = tmp_path / "eval.json", tmp_path / "sheet.png"
    assert main(["eval", "appearance", "--model", str(cli_model), str(exported_path(tmp_path, tiny)), "--data", str(tiny),
                 "--judge", str(cli_judge), "--samples", "8", "--sets", "2", "--per-set", "3", "--json", str(report),
                 "--sheet", str(sheet), "--sheet-seeds", "3"]) == 0
    result = json.loads(report.read_text())
    assert [m["arch"] for m in result["models"]] == ["lstm", "conv"]
    for m in result["models"]:
        assert 0 <= m["conditioning"]["accuracy"] <= 1 and set(m["conditioning"]["per_attribute"]) == set(ATTRIBUTES)
        assert 0 <= m["reconstruction"]["mae"] <= m["reconstruction"]["rmse"] <= 1
        assert m["fidelity"]["generated_faces"] == 8 and m["fidelity"]["frechet_distance"] >= 0
        assert 0 <= m["fidelity"]["precision"] <= 1 and 0 <= m["fidelity"]["recall"] <= 1
        assert m["diversity"]["mean_pairwise_embedding_distance"] >= 0
        assert set(m["memorisation"]) == {"embedding", "pixels"} and m["memorisation"]["pixels"]["ratio"] > 0
        assert all(0 <= m["memorisation"][space][rate] <= 1 for space in ("embedding", "pixels")
                   for rate in ("copy_rate", "far_rate"))
        assert m["speed"]["batch_1"]["images_per_second"] > 0 and m["speed"]["batch_64"]["images_per_second"] > 0
        assert m["file_bytes"] > 0 and m["parameters"]["decoder"] > 0 and m["training_wall_seconds"] > 0
    assert 0 <= result["judge_on_real_renders"]["accuracy"] <= 1
    printed = capsys.readouterr().out
    assert "judge on the real renders" in printed and "img/s b64" in printed
    assert sheet.with_name("sheet-lstm.png").is_file() and sheet.with_name("sheet-conv.png").is_file()


def test_eval_refuses_a_judge_of_another_dataset(tiny, cli_model, tmp_path, capsys):
    # Another dataset's training faces may be these held-out ones.
    data = make_appearance_dataset(tmp_path / "other", identities=12, shard_identities=6, show_progress=False)
    other_judge = tmp_path / "other-judge.onnx"
    assert main(["train", "appearance-judge", "--data", str(data), "--out", str(other_judge), "--steps", "2"]) == 0
    assert main(["eval", "appearance", "--model", str(cli_model), "--data", str(tiny), "--judge", str(other_judge),
                 "--samples", "4"]) == 2
    assert "trained on another dataset" in capsys.readouterr().err


def test_the_command_takes_its_choices_and_defaults_from_the_config_without_torch():
    code = ("import sys; from anisync.appearance.commands import ARCHS, AppearanceConfig; "
            "print('torch' in sys.modules, ARCHS, AppearanceConfig().hidden)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split(maxsplit=1) == ["False", f"{ARCHS} {AppearanceConfig().hidden}\n"]


def exported_path(tmp_path, tiny):
    """A second model for the eval table: the conv decoder, trained 2 steps by the command."""
    out = tmp_path / "models" / "conv.onnx"
    assert main(["train", "appearance", "--data", str(tiny), "--arch", "conv", "--out", str(out), "--batch", "4",
                 "--steps", "2", "--attribute-weight", "0", *SMALL_FLAGS]) == 0
    return out


def test_the_runtime_side_imports_neither_torch_nor_onnxruntime(tmp_path):
    code = ("import sys, anisync, anisync.appearance; "
            "print(sorted(m for m in ('torch', 'onnx', 'onnxruntime', 'panda3d') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_shipped_model_makes_distinct_faces_per_seed():
    from anisync.resources import asset_path

    generator = AppearanceGenerator(asset_path("models", "appearance.onnx"), threads=1)  # sha256 and signature checked
    faces = generator.generate_many({"style": "cool", "hair_color": "silver"}, [1, 2, 3])
    assert faces.shape == (3, 64, 64, 4)
    assert np.array_equal(faces[0], generator.generate({"style": "cool", "hair_color": "silver"}, 1))
    assert all(np.abs(faces[i].astype(int) - faces[j].astype(int)).mean() > 1 for i, j in ((0, 1), (1, 2), (0, 2)))
    assert (faces[..., 3] > 128).mean() > 0.3  # a face, not an empty frame
