"""Neural faces (issue 17): the shipped ONNX models draw each character's face, portraits included, with a
body palette measured on the face, a fallback on the procedural renderer, and in-game legibility."""

import logging
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from anisync.panda.faces import BodyPalette
from anisync.panda.neural import NeuralFaceSource, PALETTE_WINDOWS, load_face_source, measure_palette
from anisync.panda.procedural import ProceduralFaceSource
from anisync import CharacterDefinition, DefinitionError, EMOTIONS, asset_path
from anisync.appearance.attributes import sample_appearance
from anisync.portrait import frame_portrait
from anisync.procedural.palette import Palette
from anisync.procedural.render import render_face

from helpers import MINIMAL_CHARACTER

JOY = np.eye(len(EMOTIONS), dtype=np.float32)[EMOTIONS.index("joy")]
NEUTRAL = np.eye(len(EMOTIONS), dtype=np.float32)[EMOTIONS.index("neutral")]


@pytest.fixture(scope="module")
def source():
    return NeuralFaceSource()


def _mouth(face: np.ndarray) -> np.ndarray:
    return face[int(0.6 * len(face)):int(0.75 * len(face)), int(0.35 * len(face)):int(0.65 * len(face)), :3].astype(int)


def test_each_character_gets_its_own_face_and_the_expression_it_asks_for(source):
    mira, bram = ({"style": "cute", "seed": 1}, {"style": "cool", "seed": 2})
    face = source.render("mira", mira, JOY)
    assert face.dtype == np.uint8 and face.shape == (source.size, source.size, 4) == (128, 128, 4)
    assert np.array_equal(face, source.render("mira", mira, JOY))  # the same request, the same face
    assert np.abs(face.astype(int) - source.render("bram", bram, JOY)).mean() > 10  # someone else
    neutral = source.render("mira", mira, NEUTRAL)
    assert np.abs(_mouth(face) - _mouth(neutral)).mean() > 5  # the joyful mouth is drawn
    assert source.neutral(mira) is source.neutral(dict(mira))  # made once per appearance


def test_the_neutral_faces_kept_are_the_most_recently_used(source, monkeypatch):
    monkeypatch.setattr("anisync.panda.neural.NEUTRAL_FACES", 2)
    first, second, third = ({"seed": 100 + n} for n in range(3))
    kept = source.neutral(first)
    source.neutral(second)
    assert source.neutral(first) is kept  # used again: now the most recent
    source.neutral(third)  # evicts second, the least recently used
    assert len(source._neutral) == 2 and source.neutral(first) is kept
    assert np.array_equal(source.neutral(second), source.neutral(second))  # made again, the same face


def test_several_characters_are_edited_in_one_run_with_the_same_faces(source):
    pairs = [({"seed": seed}, JOY if seed % 2 else NEUTRAL) for seed in range(5)]
    together = source.render_many(pairs)
    alone = np.stack([source.render("x", appearance, expression) for appearance, expression in pairs])
    assert np.abs(together.astype(int) - alone).max() <= 1  # onnxruntime may pick other kernels per batch size


def test_speaking_faces_ask_for_expression_parameters_beside_emotion_faces(source):
    from anisync.panda.faces import expression_params, speaking_params

    appearance = {"seed": 12}
    speaking = speaking_params(NEUTRAL, "aa")
    assert speaking.shape == (13,) and np.array_equal(expression_params(speaking), speaking)
    faces = source.render_many([(appearance, JOY), (appearance, speaking)])
    assert np.array_equal(faces[1], source.editor.edit(source.neutral(appearance)[None], speaking[None])[0])
    assert np.abs(_mouth(faces[1]) - _mouth(source.neutral(appearance))).mean() > 2  # the mouth opens


def test_a_face_at_rest_is_the_neutral_face_itself_not_an_edit_of_it(source):
    appearance = {"seed": 12}
    neutral = source.neutral(appearance)
    faces = source.render_many([(appearance, NEUTRAL), (appearance, np.zeros(len(EMOTIONS), np.float32)),
                                (appearance, JOY)])
    assert np.array_equal(faces[0], neutral) and np.array_equal(faces[1], neutral)  # no stray sweat drop
    assert np.array_equal(faces[2], source.editor.edit(neutral[None], JOY[None])[0])  # the others are edited


def test_a_pickled_source_reopens_its_models_and_draws_the_same_faces(source):
    copy = pickle.loads(pickle.dumps(source))
    assert copy.size == source.size and not copy._neutral  # no faces travel, only the model paths
    assert np.array_equal(copy.render("x", {"seed": 4}, JOY), source.render("x", {"seed": 4}, JOY))


def test_the_body_palette_is_measured_where_the_renderer_paints_it():
    skin_right = hair_close = 0
    for number in range(40):
        identity = sample_appearance(np.random.default_rng(number))
        measured = measure_palette(render_face(identity, None, 0.0, 64).rgba, identity.style)
        truth = Palette.of(identity)
        skin_right += measured.skin == truth.skin
        hair_close += max(abs(a - b) for a, b in zip(measured.hair, truth.hair)) <= 40
    assert skin_right == 40 and hair_close >= 34  # a hair clip or the hair's highlight can take the crown
    blank = measure_palette(np.zeros((64, 64, 4), np.uint8))
    assert blank.skin == BodyPalette.skin and blank.hair == BodyPalette.hair  # nothing opaque: the defaults


def test_the_neural_body_matches_its_face(source):
    appearance = {"style": "cute", "hair_color": "pink", "seed": 9}
    palette = source.palette("x", appearance)
    face = source.neutral(appearance)
    top, bottom, left, right = (int(round(f * source.size)) for f in PALETTE_WINDOWS["skin"])
    cheeks = face[top:bottom, left:right, :3].reshape(-1, 3)
    assert np.abs(cheeks.astype(int) - palette.skin).max(axis=1).min() <= 12  # the skin is the cheeks' colour
    assert palette.hair[0] > palette.hair[2] and palette.outfit == "skirt"  # pink hair, a cute outfit


def test_a_missing_model_falls_back_on_the_procedural_renderer_saying_why_once(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="anisync.faces"):
        fallback = load_face_source("neural", 64, editor=tmp_path / "gone.onnx")
    assert isinstance(fallback, ProceduralFaceSource) and fallback.size == 64
    (record,) = caplog.records
    assert "neural faces unavailable" in record.message and "gone.onnx: no such model file" in record.message
    assert isinstance(load_face_source("procedural", 64), ProceduralFaceSource)
    with pytest.raises(Exception, match="faces: expected one of neural, procedural, got 'onnx'"):
        load_face_source("onnx")


# --- portraits ---------------------------------------------------------------------------------------
def _portrait(path, size=(150, 200)):
    """A procedural face on a wider, taller transparent canvas, as an artist might hand one in."""
    face = render_face(sample_appearance(np.random.default_rng(5)), None, 0.0, 120).rgba
    canvas = np.zeros((size[1], size[0], 4), np.uint8)
    canvas[30:150, 10:130] = face
    Image.fromarray(canvas, "RGBA").save(path)
    return face


def test_a_portrait_is_framed_like_the_models_faces(tmp_path):
    face = _portrait(tmp_path / "face.png")
    framed = frame_portrait(tmp_path / "face.png", 120)
    box = Image.fromarray(face, "RGBA").getchannel("A").getbbox()
    assert framed.shape == (120, 120, 4)
    assert framed[0, :, 3].max() > 0  # the hair touches the top edge again
    # The crop of the visible pixels, padded to a square at the top centre, is what the editor gets.
    assert np.abs(framed[..., 3].astype(int) - frame_portrait(_save(tmp_path / "c.png", face[box[1]:box[3], box[0]:box[2]]), 120)[..., 3]).max() <= 1


def _save(path, pixels):
    Image.fromarray(np.ascontiguousarray(pixels), "RGBA").save(path)
    return path


def test_a_character_brings_its_own_portrait_and_the_editor_animates_it(write_yaml, source):
    path = write_yaml({**MINIMAL_CHARACTER, "appearance": {"portrait": "face.png"}})
    _portrait(path.parent / "face.png")
    definition = CharacterDefinition.load(path)
    assert definition.appearance["portrait"] == str((path.parent / "face.png").resolve())
    neutral = source.neutral(definition.appearance)
    assert np.array_equal(neutral, frame_portrait(path.parent / "face.png", source.size))
    joy = source.render("tester", definition.appearance, JOY)
    assert np.abs(_mouth(joy) - _mouth(neutral)).mean() > 3  # the portrait smiles
    assert source.palette("tester", definition.appearance).hair_style == "short"  # no drawn 3D hair behind it


@pytest.mark.parametrize("name, content, expected", [
    ("missing.png", None, "an existing image file"),
    ("face.png", b"not an image at all", "an image Pillow can read"),
    ("tiny.png", "tiny", "an image 16 to 4096 pixels a side, not 8x8"),
    ("../outside.png", None, "a file under"),  # refused before it is looked for
])
def test_a_bad_portrait_is_a_definition_error_at_load(write_yaml, tmp_path, name, content, expected):
    path = write_yaml({**MINIMAL_CHARACTER, "appearance": {"portrait": name}})
    target = path.parent / name
    if isinstance(content, bytes):
        target.write_bytes(content)
    elif content is not None:
        Image.new("RGBA", (8, 8)).save(target)
    with pytest.raises(DefinitionError) as caught:
        CharacterDefinition.load(path)
    assert caught.value.source == str(path) and caught.value.key == "appearance.portrait"
    assert expected in caught.value.expected


def test_the_shipped_models_are_the_default_source():
    source = load_face_source()
    assert isinstance(source, NeuralFaceSource)
    assert source.generator_path == asset_path("models", "appearance.onnx")
    assert source.editor_path == asset_path("models", "expression.onnx")


def test_a_game_that_exits_while_faces_are_drawn_exits_cleanly(tmp_path):
    # onnxruntime still running in a face worker thread while Python shuts down used to abort the process
    # ("terminate called without an active exception"): open workers are closed at exit.
    script = tmp_path / "game.py"
    script.write_text(
        "from panda3d.core import loadPrcFileData\n"
        "loadPrcFileData('', 'window-type offscreen\\nload-display p3headlessgl\\naux-display p3tinydisplay\\n"
        "audio-library-name null\\nwin-size 64 64')\n"
        "from direct.showbase.ShowBase import ShowBase\n"
        "from anisync.panda import AnisyncPlugin\n"
        "from anisync import Runtime, asset_path\n"
        "base = ShowBase()\n"
        "runtime = Runtime(seed=1)\n"
        "plugin = AnisyncPlugin(base, runtime)\n"
        "for name in ('mira', 'bram', 'yuki'):\n"
        "    plugin.attach(runtime.spawn(asset_path('characters', name + '.yaml')))\n"
        "while not plugin.worker.stats()['in_flight']:\n"
        "    base.taskMgr.step()\n"
        "print('leaving with faces in flight', flush=True)\n", encoding="utf-8")
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "LP_NUM_THREADS": "0"})
    assert result.returncode == 0, result.stderr
    assert "leaving with faces in flight" in result.stdout
