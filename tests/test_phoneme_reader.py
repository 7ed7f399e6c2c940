"""The phoneme reader of the audio lip-sync path: features, forced alignment, decoding, the shipped model,
and its training."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from helpers import run_cli
from anisync import asset_path
from anisync.errors import ModelInputError, ModelLoadError
from anisync.speech import espeak
from anisync.speech.evaluate import truth_visemes
from anisync.speech.reader import CLASSES, FRAME, PhonemeReader, align, decode, log_mel, reader_visemes
from anisync.speech.track import VisemeTrack

needs_espeak = pytest.mark.skipif(not espeak.available(),
                                  reason="espeak-ng is not installed (apt-get install espeak-ng); it speaks the lines")
needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="training needs torch")


def _confident(classes: list[str]) -> np.ndarray:
    """Log-probabilities that read each frame's class clearly (0.9 against the rest)."""
    scores = np.full((len(classes), len(CLASSES)), np.log(0.1 / (len(CLASSES) - 1)))
    scores[np.arange(len(classes)), [CLASSES.index(c) for c in classes]] = np.log(0.9)
    return scores


def test_alignment_places_each_phoneme_where_it_is_heard_and_skips_pauses_not_heard():
    heard = ["", "", "HH", "HH", "AY", "AY", "AY", "B", "AY", "AY", "", ""]  # "hi", no pause, "bye", a pause
    runs = align(_confident(heard), [("HH", "AY"), ("B", "AY")])
    assert runs == [("", 0, 2), ("HH", 2, 4), ("AY", 4, 7), ("B", 7, 8), ("AY", 8, 10), ("", 10, 12)]
    # A phoneme the reader does not hear still gets a frame, in order: the transcript rules.
    runs = align(_confident(["", "M", "M", "M", "", ""]), [("M", "IY")])
    assert [name for name, _, _ in runs] == ["", "M", "IY", ""] and all(b > a for _, a, b in runs)
    assert align(_confident(["M"]), [("M", "IY")]) == [("M", 0, 1)]  # fewer frames than phonemes
    assert align(_confident(["", ""]), []) == [("", 0, 2)]


def test_decoding_does_not_let_one_stray_frame_move_the_mouth():
    heard = ["AA"] * 5 + ["S"] + ["AA"] * 5 + ["M"] * 4
    assert decode(_confident(heard)) == [("AA", 0, 11), ("M", 11, 15)]
    assert ("S", 5, 6) in decode(_confident(heard), change_cost=0.0)


def test_features_have_one_frame_per_10_ms_and_a_tone_lights_its_band():
    rate = 22050
    tone = np.sin(np.arange(rate) * 2 * np.pi * 1000 / rate).astype(np.float32)  # 1 s at 1 kHz
    features = log_mel(np.concatenate([np.zeros(rate // 2, np.float32), tone]), rate)
    assert features.shape == (40, 150) and features.dtype == np.float32
    loud = features[:, 60:].mean(axis=1)
    assert 12 <= int(loud.argmax()) <= 16  # 1 kHz lies in the 14th of 40 mel bands from 0 to 8 kHz
    assert np.allclose(features.mean(axis=1), 0, atol=1e-4)  # each band centred: loudness does not matter
    assert np.allclose(log_mel(4 * tone, rate), log_mel(tone, rate), atol=0.01)


def test_the_shipped_reader_loads_with_its_card_and_a_wrong_model_is_refused(tmp_path):
    reader = PhonemeReader()
    assert reader.card["network"]["classes"] == list(CLASSES)
    assert reader.card["metrics"]["held_out_frame_accuracy"] > 0.9
    scores = reader.log_probabilities(np.zeros(16000, np.float32), 16000)
    assert scores.shape == (100, len(CLASSES)) and np.allclose(np.exp(scores).sum(axis=1), 1, atol=1e-4)
    assert CLASSES[int(scores.mean(axis=0).argmax())] == ""  # silence reads as a pause
    with pytest.raises(ModelLoadError, match="stylizer.onnx: inputs"):
        PhonemeReader(asset_path("models", "stylizer.onnx"))
    with pytest.raises(ModelLoadError, match="no such model file"):
        PhonemeReader(tmp_path / "missing.onnx")
    with pytest.raises(ModelInputError, match="samples: expected a non-empty mono recording"):
        reader.log_probabilities(np.zeros((2, 100)), 16000)


@needs_espeak
def test_the_reader_times_a_line_it_never_heard_as_espeak_ng_spoke_it():
    line = "Quiet now, the goat is asleep behind the barn."
    speech = espeak.speak(line, voice="en-us+f3", words_per_minute=200, pitch=70)  # a voice it did not train on
    samples = speech.samples.astype(np.float32) / 32768
    truth = VisemeTrack(truth_visemes([list(p) for p in speech.phonemes], speech.seconds))
    frames = int(speech.seconds / FRAME)
    for transcript in (line, None):
        track = VisemeTrack(reader_visemes(samples, speech.sample_rate, transcript))
        right = np.mean([truth.viseme_at(k * FRAME) == track.viseme_at(k * FRAME) for k in range(frames)])
        assert right > 0.8, transcript


@needs_torch
def test_frame_labels_follow_espeak_events_and_split_two_phoneme_events():
    from anisync.speech.reader_train import frame_labels

    labels = frame_labels([[0.02, "h"], [0.05, "əl"], [0.09, ""]], frames=12, seconds=0.12)
    names = [CLASSES[k] for k in labels]
    assert names == ["", "", "HH", "HH", "HH", "AH", "AH", "L", "L", "", "", ""]
    ending = frame_labels([[0.02, "əl"]], frames=6, seconds=0.06)  # the last event lasts to the end
    assert [CLASSES[k] for k in ending] == ["", "", "AH", "AH", "L", "L"]


@needs_espeak
@needs_torch
def test_the_commands_make_data_and_train_a_reader_that_resumes(tmp_path):
    data, out = tmp_path / "phonemes", tmp_path / "reader.onnx"
    assert run_cli("data", "phonemes", "--out", str(data), "--lines", "24", "--seed", "3", cwd=tmp_path).returncode == 0
    manifest = json.loads((data / "manifest.json").read_text())
    assert len(manifest["entries"]) == 24 and {e["split"] for e in manifest["entries"]} == {"train"}
    assert not {"en-us+f3", "en-us+m3"} & {e["voice"] for e in manifest["entries"]}  # the test voices stay out
    flags = ["train", "phonemes", "--data", str(data), "--out", str(out), "--width", "8", "--batch", "2",
             "--checkpoint-every", "2"]
    assert run_cli(*flags, "--steps", "4", cwd=tmp_path).returncode == 0
    resumed = run_cli(*flags, "--steps", "6", "--resume", cwd=tmp_path)
    assert resumed.returncode == 0 and "resumed from" in resumed.stderr
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["training"]["steps"] == 6 and card["data"][0]["recordings"] == 24
    assert card["metrics"]["held_out_recordings"] == 1 and 0 <= card["metrics"]["held_out_frame_accuracy"] <= 1
    assert PhonemeReader(out).log_probabilities(np.zeros(8000, np.float32), 16000).shape == (50, len(CLASSES))
    missing = run_cli("train", "phonemes", "--data", str(tmp_path / "none"), "--out", str(out), cwd=tmp_path)
    assert missing.returncode != 0 and "none has no manifest.json" in missing.stderr
    bad = run_cli("data", "phonemes", "--out", str(data), "--lines", "0", cwd=tmp_path)
    assert bad.returncode != 0 and "--lines" in bad.stderr


@needs_espeak
def test_the_lipsync_command_times_a_recording_by_either_method(tmp_path):
    from anisync.speech.data import write_wav

    line = "Bring me three apples."
    speech = espeak.speak(line)
    write_wav(tmp_path / "line.wav", speech.samples, speech.sample_rate)
    for method in ("reader", "pocketsphinx"):
        out = run_cli("lipsync", line, "--audio", "line.wav", "--method", method, "--json", f"{method}.json", cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        cues = json.loads((tmp_path / f"{method}.json").read_text())["cues"]
        assert "PP" in [c["viseme"] for c in cues] and abs(cues[-1]["end"] - speech.seconds) < 0.1, method


@needs_torch
def test_a_reader_run_resumes_exactly_and_refuses_another_split(tmp_path):
    from anisync.errors import AnisyncError
    import torch
    from anisync.speech.reader_train import CROP, ReaderTrainer

    rng = np.random.default_rng(0)
    features = rng.normal(size=(40, 2 * CROP)).astype(np.float32)
    labels = rng.integers(0, len(CLASSES), 2 * CROP)

    def run(seed=0, split_seed=0):
        return ReaderTrainer(features, labels, width=8, batch=2, seed=seed, lr=1e-3, steps=4,
                             split={"data": ["speech"], "split_seed": split_seed})

    straight = run()
    for _ in range(4):
        straight.train_step()
    cut = run()
    for _ in range(2):
        cut.train_step()
    cut.save(tmp_path / "run.ckpt")
    resumed = run(seed=9)
    resumed.load(tmp_path / "run.ckpt")
    for _ in range(2):
        resumed.train_step()
    assert resumed.history == straight.history
    assert all(torch.equal(v, resumed.network.state_dict()[k]) for k, v in straight.network.state_dict().items())
    with pytest.raises(AnisyncError, match="split_seed 0, now 3"):
        run(split_seed=3).load(tmp_path / "run.ckpt")


def test_noise_is_added_at_the_asked_level_and_the_same_under_a_seed():
    from anisync.speech.evaluate import with_noise

    voice = np.sin(np.arange(16000) * 0.1).astype(np.float32)
    noisy = with_noise(voice, 10.0, seed=4)
    ratio = 10 * np.log10(np.mean(voice ** 2) / np.mean((noisy - voice) ** 2))
    assert ratio == pytest.approx(10.0, abs=0.2) and np.array_equal(noisy, with_noise(voice, 10.0, seed=4))
