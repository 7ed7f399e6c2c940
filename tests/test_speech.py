"""Lip sync: the viseme table, text to timed visemes, the track on a clock and its blend with emotion."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from anisync.errors import InvalidArgumentError
from anisync.procedural.expression import MOUTH_SHAPES, ExpressionParams
from anisync.speech import VISEME_SETS, VISEMES, TimedViseme, VisemeTrack, in_set, mouth_of, pronounce, speaking_expression
from anisync.speech import stream_visemes, text_visemes, visemes as viseme_module
from anisync.speech.durations import PRIOR_SECONDS
from anisync.speech.text import shipped_durations, spell
from anisync.speech.visemes import DIPHTHONGS, PHONEME_VISEME


def test_every_phoneme_has_a_viseme_and_every_viseme_a_name_in_each_set():
    for phoneme in PRIOR_SECONDS:
        assert phoneme in PHONEME_VISEME or phoneme in DIPHTHONGS, phoneme
    assert set(PHONEME_VISEME) | set(DIPHTHONGS) == set(PRIOR_SECONDS)
    for viseme in VISEMES:
        for name in VISEME_SETS:
            assert in_set(viseme, name) in VISEME_SETS[name]
    assert {in_set(v, "vrm") for v in VISEMES} == set(VISEME_SETS["vrm"])


def test_vowel_visemes_draw_the_mouth_shapes_the_editor_is_trained_on():
    for viseme, shape in {"aa": "A", "E": "E", "ih": "I", "oh": "O", "ou": "U", "sil": "rest"}.items():
        assert mouth_of(viseme) == MOUTH_SHAPES[shape], viseme


def test_the_documented_table_is_the_code():
    rows = [line.split() for line in viseme_module.__doc__.splitlines() if re.match(r"^[A-Za-z]+ {2,}", line)]
    documented = {row[0]: (row[-4], row[-3], float(row[-2]), float(row[-1])) for row in rows if row[0] in VISEMES}
    assert documented == {name: (r.rhubarb, r.vrm, r.mouth_open, r.mouth_width) for name, r in VISEMES.items()}


def test_words_come_from_the_dictionary_and_unknown_words_from_letter_rules():
    assert pronounce("Hello") == ("HH", "AH", "L", "OW")
    assert pronounce("zorgulax") == spell("zorgulax") == ("Z", "AO", "R", "G", "AH", "L", "AE", "K", "S")
    assert spell("shine") == ("SH", "IH", "N")  # digraph first, final silent e dropped
    assert spell("x-wing")[:2] == ("K", "S")


def test_visemes_follow_each_other_from_zero_and_pause_at_punctuation():
    line = text_visemes("Hi, Bob. 7!")
    assert line[0].start == 0 and all(a.end == pytest.approx(b.start) for a, b in zip(line, line[1:]))
    pauses = [v for v in line if v.viseme == "sil"]
    table = shipped_durations().pauses
    assert [p.end - p.start for p in pauses] == pytest.approx([table[","], table["."], table["."]])
    assert [v.viseme for v in line[:2]] == ["kk", "aa"] and line[2].viseme == "ih"  # HH, then AY as aa + ih
    assert [v.viseme for v in line if v.phoneme in ("B",)] == ["PP", "PP"]
    assert "S" in [v.phoneme for v in line]  # "7" is spoken: seven


def test_rate_scales_every_duration():
    slow, fast = text_visemes("Welcome to the village.", 1.0), text_visemes("Welcome to the village.", 2.0)
    assert [v.viseme for v in slow] == [v.viseme for v in fast]
    assert fast[-1].end == pytest.approx(slow[-1].end / 2)


def test_streaming_yields_the_first_words_before_reading_the_rest(monkeypatch):
    from anisync.speech import text as text_module

    expected = text_visemes("Hello there")[:6]
    read = []
    monkeypatch.setattr(text_module, "pronounce", lambda word: read.append(word) or pronounce(word))
    first = list(itertools.islice(stream_visemes("Hello there " + "blacksmith " * 2000), 6))
    assert first == expected and read == ["Hello", "there"]


@pytest.mark.parametrize("call,argument", [
    (lambda: text_visemes(42), "text"),
    (lambda: text_visemes("hi", rate=0.1), "rate"),
    (lambda: text_visemes("hi", rate=True), "rate"),
    (lambda: in_set("aa", "sapi"), "viseme set"),
    (lambda: in_set("zz", "vrm"), "viseme"),
    (lambda: VisemeTrack([TimedViseme(0, 0.1, "xx", "")]), "visemes[0]"),
    (lambda: VisemeTrack([TimedViseme(0, 0.2, "aa", "AA"), TimedViseme(0.1, 0.3, "E", "EH")]), "visemes[1]"),
    (lambda: VisemeTrack([], blend=-1), "blend"),
])
def test_bad_input_names_the_argument(call, argument):
    with pytest.raises(InvalidArgumentError, match=re.escape(argument)):
        call()


def test_a_track_plays_on_the_clock_it_was_started_on():
    line = text_visemes("Bob!")
    track = VisemeTrack(line, start=100.0)
    assert track.end == pytest.approx(100.0 + line[-1].end)
    assert not track.speaking(99.9) and track.speaking(100.0) and not track.speaking(track.end)
    assert track.viseme_at(99.0) == "sil" and track.viseme_at(100.001) == "PP" and track.viseme_at(100.001, "rhubarb") == "A"
    frames = track.frames(60, "vrm")
    assert len(frames) == int(np.ceil(line[-1].end * 60)) and set(frames) <= set(VISEME_SETS["vrm"])


def test_the_mouth_moves_smoothly_between_visemes():
    track = VisemeTrack(text_visemes("Papa, mama, oh no."))
    times = np.arange(0, track.end, 0.001)
    opening = np.array([track.mouth_at(t)["mouth_open"] for t in times])
    steps = np.abs(np.diff(opening))
    # The widest jump, 0.9 (aa to PP), is spread over the blend time: at most 0.9 / 50 per millisecond.
    assert steps.max() <= 0.9 / 50 + 1e-9 and opening.max() == pytest.approx(0.9)
    assert track.mouth_at(track.end + 1) == mouth_of("sil")
    hard = VisemeTrack(text_visemes("Papa"), blend=0)
    assert hard.mouth_at(0.0001) == mouth_of("PP")


def test_a_speaking_mouth_keeps_the_emotion_everywhere_but_its_opening_and_width():
    angry = ExpressionParams.from_emotions({"anger": 1.0})
    speaking = speaking_expression(angry, mouth_of("ou"))
    assert (speaking.mouth_open, speaking.mouth_width) == (0.3, -1.0)
    assert speaking.mouth_form == angry.mouth_form and speaking.brow_lower == angry.brow_lower


def test_a_character_speaks_on_the_runtime_clock_and_its_face_keeps_the_emotion():
    from anisync import Runtime, asset_path

    runtime = Runtime(seed=3)
    mira = runtime.spawn(asset_path("characters", "mira.yaml"))
    mira.expression = np.eye(7)[3]  # joy
    runtime.update(0.5)
    line = runtime.say(mira.id, "Papa!")
    assert line.track.start == 0.5 and runtime.trace[-1].what == "say"
    joy = ExpressionParams.from_emotions(mira.expression)
    face = mira.face(0.5 + 0.02)  # inside the first P, the lips closed
    assert mira.speaking(0.52) and face.mouth_open < joy.mouth_open
    assert face.mouth_form == joy.mouth_form and face.eye_smile == joy.eye_smile
    assert mira.face(line.track.end + 0.01) == joy and not mira.speaking(line.track.end)


def test_a_spoken_line_survives_snapshot_and_restore_and_bad_lines_change_nothing():
    from anisync import Runtime, SnapshotError, asset_path

    def world():
        runtime = Runtime(seed=3)
        return runtime, runtime.spawn(asset_path("characters", "mira.yaml"))

    runtime, mira = world()
    line = runtime.say(mira.id, "Welcome back, traveller.", rate=1.5, seconds=None)
    saved = runtime.snapshot()
    again, copy = world()
    again.restore(saved)
    assert copy.line.track.visemes == line.track.visemes and copy.line.rate == 1.5
    saved["characters"][mira.id].pop("line")  # a save from before lines existed: nobody speaks
    again.restore(saved)
    assert copy.line is None
    saved["characters"][mira.id]["line"] = {"text": "hi", "rate": 9, "start": 0, "seconds": None}
    with pytest.raises(SnapshotError, match="line"):
        again.restore(saved)
    for call, argument in ((lambda: runtime.say("nobody", "hi"), "character_id"),
                           (lambda: runtime.say(mira.id, "hi", rate=0), "rate"),
                           (lambda: runtime.say(mira.id, 42), "text")):
        with pytest.raises(InvalidArgumentError, match=argument):
            call()
    assert mira.line is line  # the refused lines replaced nothing
