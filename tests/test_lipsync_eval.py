"""Lip-sync ground truth and evaluation: espeak-ng's phoneme events, the fitted duration table, the figures."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helpers import run_cli
from anisync import asset_path
from anisync.errors import AnisyncError, DefinitionError
from anisync.speech import espeak
from anisync.speech.durations import FACTORS, PAUSES, DurationTable, _align
from anisync.speech.evaluate import onset_errors, truth_visemes
from anisync.speech.text import phoneme_contexts, shipped_durations, text_visemes

needs_espeak = pytest.mark.skipif(not espeak.available(),
                                  reason="espeak-ng is not installed (apt-get install espeak-ng); it makes the ground truth")


def test_ipa_reads_as_arpabet_and_an_unknown_symbol_is_named():
    assert espeak.ipa_phonemes("ˈoːɹ") == ("AO", "R")
    assert espeak.ipa_phonemes("tʃ") == ("CH",) and espeak.ipa_phonemes("") == ()
    assert espeak.ipa_phonemes("n̩") == ("N",)  # a syllabic mark says nothing of the mouth
    with pytest.raises(AnisyncError, match="no ARPAbet for 'ʙ'"):
        espeak.ipa_phonemes("ʙ")


def test_truth_visemes_last_until_the_next_event_and_split_two_phoneme_events():
    truth = truth_visemes([[0.05, "h"], [0.1, "oːɹ"], [0.3, ""]], seconds=0.5)
    assert [(v.viseme, round(v.start, 3), round(v.end, 3)) for v in truth] == [
        ("sil", 0.0, 0.05), ("kk", 0.05, 0.1), ("oh", 0.1, 0.2), ("RR", 0.2, 0.3), ("sil", 0.3, 0.5)]


def test_onsets_match_the_nearest_change_to_the_same_viseme():
    truth = ["sil", "aa", "aa", "PP", "PP", "sil"]
    late = ["sil", "sil", "aa", "aa", "PP", "PP"]
    errors, onsets = onset_errors(truth, late, fps=10)
    assert onsets == 2 and errors == pytest.approx([0.1, 0.1])
    assert onset_errors(truth, ["sil"] * 6, fps=10) == ([], 2)


def test_alignment_pairs_phonemes_that_agree_and_skips_the_rest():
    pairs = _align(["HH", "AH", "L", "OW"], ["HH", "AH", "L", "AA", "OW"])
    assert pairs == [(0, 0), (1, 1), (2, 2), (3, 4)]
    assert _align(["T"], ["D"]) == [(0, 0)]  # the same viseme counts


def test_contexts_mark_word_ends_phrase_ends_function_words_stress_and_clause_pauses():
    contexts = list(phoneme_contexts("The blacksmith waited, and I left"))
    assert contexts[0] == ("DH", False, False, True, False, 0)
    marks = [c[0] for c in contexts if len(c) == 1]
    assert marks == [","]  # "and" after a comma: no clause pause of its own
    assert [c[0] for c in phoneme_contexts("ropes and I")].count("|") == 1
    blacksmith = [c for c in contexts[2:10]]
    assert blacksmith[2][4] and not blacksmith[6][4]  # its first vowel is stressed, the second not
    assert all(c[5] == 1 for c in blacksmith[:8])  # two syllables
    waited = [c for c in contexts if len(c) > 1 and c[2]]
    assert waited and all(c[2] for c in waited)  # the word before the comma is phrase-final


def test_the_shipped_table_loads_and_a_broken_one_is_named(tmp_path):
    table = shipped_durations()
    assert set(table.factors) == set(FACTORS) and set(table.pauses) == set(PAUSES)
    assert table.card["metrics"]["train_mean_abs_error_ms"] < table.card["metrics"]["prior_mean_abs_error_ms"]
    broken = json.loads(json.dumps({"base": table.base, "factors": table.factors, "pauses": {",": 0.1},
                                    "pace_wpm": 175}))
    (tmp_path / "d.json").write_text(json.dumps(broken))
    with pytest.raises(DefinitionError, match="pauses"):
        DurationTable.load(tmp_path / "d.json")
    edited = json.loads(asset_path("models", "durations.json").read_text())
    edited["pauses"][","] += 0.01  # numbers changed after the card was written
    (tmp_path / "edited.json").write_text(json.dumps(edited))
    with pytest.raises(DefinitionError, match="sha256"):
        DurationTable.load(tmp_path / "edited.json")
    (tmp_path / "e.json").write_text("{")
    with pytest.raises(DefinitionError, match="e.json"):
        DurationTable.load(tmp_path / "e.json")


def test_a_slower_table_speaks_longer():
    fast = DurationTable()
    slow = DurationTable({k: 2 * v for k, v in fast.base.items()}, fast.factors, fast.pauses)
    line = "Welcome to the village"
    assert text_visemes(line, durations=slow)[-1].end == pytest.approx(2 * text_visemes(line, durations=fast)[-1].end)


def test_a_clip_length_stretches_the_line_to_end_there():
    line = text_visemes("Hello there.", seconds=2.0)
    assert line[-1].end == pytest.approx(2.0) and line[-1].viseme != "sil"
    with pytest.raises(Exception, match="seconds"):
        text_visemes("Hello", seconds=-1)


@needs_espeak
def test_espeak_speaks_and_times_its_phonemes():
    speech = espeak.speak("Hello there.")
    assert speech.sample_rate == 22050 and 0.5 < speech.seconds < 3 and speech.samples.dtype == np.int16
    times = [t for t, _ in speech.phonemes]
    assert times == sorted(times) and times[-1] <= speech.seconds
    phonemes = [p for _, ipa in speech.phonemes for p in espeak.ipa_phonemes(ipa)]
    assert phonemes[:4] == ["HH", "AH", "L", "OW"]
    with pytest.raises(AnisyncError, match="voice"):
        espeak.speak("hi", voice="no-such-voice")


@needs_espeak
def test_the_commands_make_fit_and_evaluate(tmp_path):
    data, table, report = tmp_path / "speech", tmp_path / "durations.json", tmp_path / "eval.json"
    assert run_cli("data", "speech", "--out", str(data), "--sentences", "12", "--variants", "2", cwd=tmp_path).returncode == 0
    manifest = json.loads((data / "manifest.json").read_text())
    assert len(manifest["entries"]) == 12 + 2 * 2 and (data / manifest["entries"][0]["wav"]).is_file()
    assert run_cli("train", "durations", "--data", str(data), "--out", str(table), cwd=tmp_path).returncode == 0
    fitted = DurationTable.load(table)
    assert fitted.card["data"]["sentences"] == 6 and fitted.card["command"].startswith("anisync train durations")
    reader = asset_path("models", "phonemes.onnx")
    out = run_cli("eval", "lipsync", "--data", str(data), "--durations", str(table), "--reader", str(reader),
                  "--noise-db", "30", "--json", str(report), cwd=tmp_path)
    assert out.returncode == 0 and "frame accuracy" in out.stdout
    result = json.loads(report.read_text())
    standard = result["recordings"]["standard"]
    assert set(result["recordings"]) == {"standard", "fast_high", "slow_low"} and standard["recordings"] == 6
    accuracy = standard["frame_accuracy_ovr"]
    assert set(accuracy) == {"text", "text_clip_length", "audio", "audio_no_transcript", "audio_pocketsphinx",
                             "audio_pocketsphinx_no_transcript", "loudness", "truth_50ms_late", "rest"}
    assert all(0 <= v <= 1 for v in accuracy.values()) and accuracy["text"] > accuracy["rest"]
    assert standard["lip_distance"]["text"]["ld"] >= 0 and standard["real_time_factor"]["text"] > 1
    assert accuracy["audio"] > accuracy["audio_pocketsphinx"] > accuracy["rest"]  # the recording's own timing
    assert result["reader"] == str(reader) and len(result["reader_sha256"]) == 64 and result["noise_db"] == 30
    assert "white noise 30 dB below the mean power" in out.stdout


def test_the_voiced_span_is_where_the_audio_is_loud():
    from anisync.speech.audio import voiced_span

    rate = 16000
    tone = 0.5 * np.sin(np.arange(rate) * 2 * np.pi * 220 / rate)
    samples = np.concatenate([np.zeros(rate // 2), tone, np.zeros(rate // 4)])
    start, end = voiced_span(samples, rate)
    assert start == pytest.approx(0.5, abs=0.011) and end == pytest.approx(1.5, abs=0.011)


@needs_espeak
def test_a_recording_with_its_transcript_gives_visemes_in_its_own_timing():
    from anisync.speech.audio import audio_visemes, word_spans

    line = "Bring me five ropes and I will help you gladly."
    speech = espeak.speak(line)
    samples = speech.samples.astype(np.float32) / 32768
    spans = word_spans(samples, speech.sample_rate, line)
    assert [word for word, _, _ in spans] == ["bring", "me", "five", "ropes", "and", "i", "will", "help", "you", "gladly"]
    assert all(a < b <= c for (_, a, b), (_, c, _) in zip(spans, spans[1:])) and spans[-1][2] <= speech.seconds + 0.05
    truth = truth_visemes([list(p) for p in speech.phonemes], speech.seconds)
    first_p = next(v.start for v in truth if v.viseme == "PP")  # the B of "bring"
    for method, error in (("pocketsphinx", 0.06), ("reader", 0.02)):
        visemes = audio_visemes(samples, speech.sample_rate, line, method=method)
        assert next(v.start for v in visemes if v.viseme == "PP") == pytest.approx(first_p, abs=error), method
        assert audio_visemes(samples, speech.sample_rate, method=method)  # without a transcript
    with pytest.raises(Exception, match="sample_rate"):
        audio_visemes(samples, 100, line)
    with pytest.raises(Exception, match="method: expected one of reader, pocketsphinx, got 'rhubarb'"):
        audio_visemes(samples, speech.sample_rate, line, method="rhubarb")


@needs_espeak
def test_a_character_speaks_a_recorded_line_in_its_own_timing(tmp_path):
    from anisync import Runtime, asset_path
    from anisync.speech.data import write_wav

    line = "Welcome back, traveller."
    speech = espeak.speak(line, words_per_minute=130)  # slower than the duration table's pace
    write_wav(tmp_path / "line.wav", speech.samples, speech.sample_rate)
    runtime = Runtime(seed=1)
    mira = runtime.spawn(asset_path("characters", "mira.yaml"))
    spoken = runtime.say(mira.id, line, audio=tmp_path / "line.wav")
    read = runtime.say(mira.id, line)  # the same words, timed from the text alone
    assert abs(spoken.track.end - speech.seconds) < abs(read.track.end - speech.seconds)
    runtime.say(mira.id, line, audio=tmp_path / "line.wav")
    saved = runtime.snapshot()
    assert saved["characters"][mira.id]["line"]["audio"] == str(tmp_path / "line.wav")
    again = Runtime(seed=1)
    copy = again.spawn(asset_path("characters", "mira.yaml"))
    again.restore(saved)
    assert copy.line.track.visemes == spoken.track.visemes
    with pytest.raises(Exception, match="audio"):
        runtime.say(mira.id, line, audio=tmp_path / "missing.wav")


def test_the_lipsync_command_prints_and_writes_a_lines_cues(tmp_path):
    out = run_cli("lipsync", "Papa, oh no!", "--visemes", "rhubarb", "--json", str(tmp_path / "cues.json"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    cues = json.loads((tmp_path / "cues.json").read_text())["cues"]
    assert [c["viseme"] for c in cues][:2] == ["A", "D"]  # P (closed lips), then AA (wide open)
    assert all(a["end"] == b["start"] and a["viseme"] != b["viseme"] for a, b in zip(cues, cues[1:]))
    assert len(out.stdout.splitlines()) == len(cues)
    bad = run_cli("lipsync", "hi", "--rate", "9", cwd=tmp_path)
    assert bad.returncode != 0 and "rate" in bad.stderr
