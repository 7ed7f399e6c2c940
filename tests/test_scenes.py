"""Scripted scenes (anisync.scenes): the shipped campfire scene checked and performed, cue timing at several
update rates, choices, pausing and skipping, behavior handed back, and scripts refused with file, line and
what was expected."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from anisync import DefinitionError, InvalidArgumentError, Runtime, SnapshotError, asset_path
from anisync.character import CharacterDefinition
from anisync.scenes import CHOICE_NEEDED, LINE_STARTED, SCENE_ENDED, ScriptedBehavior, load_scene

CAST = ("bram", "mira", "yuki")
#: A compiled Ink story of one knot: the lines are "^text" items, each tag between "#" and "/#".
STORY = {"inkVersion": 21, "root": [["^{line}", "#", "^{tag}", "/#", "\n", "end", ["done", {"#n": "g-0"}], None],
                                    "done", None], "listDefs": {}}


@pytest.fixture(scope="module")
def definitions():
    return [CharacterDefinition.load(asset_path("characters", f"{name}.yaml")) for name in CAST]


@pytest.fixture(scope="module")
def campfire(definitions):
    return load_scene(asset_path("scenes", "campfire.json"), definitions)


def _runtime(definitions):
    runtime = Runtime(seed=2)
    for definition in definitions:
        runtime.spawn(definition)
    return runtime


def _story(tmp_path, line: str, tag: str = "emotion: joy"):
    story = json.loads(json.dumps(STORY).replace("{line}", line).replace("{tag}", tag))
    path = tmp_path / "scene.json"
    path.write_text(json.dumps(story), encoding="utf-8")
    return path


def test_campfire_lines_are_checked_with_their_emotions(campfire):
    assert len(campfire.lines) == 13 and set(campfire.cast) == set(CAST)
    first = campfire.lines[("mira", "Bram! Come sit by the fire, it's warm tonight.")]
    assert (first.emotion, first.gesture, first.look, first.where) == (("joy", 0.8), "wave", "bram", "line 11")
    assert campfire.lines[("bram", "Hmph. Five minutes, then.")].pause == pytest.approx(0.6)
    untagged = [key for key, line in campfire.lines.items() if line.emotion is None]
    assert untagged  # the dialogue classifier read these
    for key in untagged:
        assert campfire.probabilities[key].sum() == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("rate", [30, 60, 144])
def test_every_cue_fires_within_one_update_of_its_time(definitions, campfire, rate):
    runtime = _runtime(definitions)
    player = runtime.play(campfire)
    while not player.finished:
        runtime.update(1 / rate)
        if player.choices:
            player.choose(0)
    assert {cue.kind for cue, _ in player.fired} == {"line_started", "line_ended", "choice_needed", "scene_ended"}
    assert all(0 <= fired - cue.time <= 1 / rate + 1e-9 for cue, fired in player.fired)
    assert not runtime.scenes


def test_lines_move_faces_mouths_and_bodies_and_trees_resume(definitions, campfire):
    runtime = _runtime(definitions)
    trees = {c.id: c.behavior for c in runtime}
    player = runtime.play(campfire)
    seen = []
    player.on(LINE_STARTED, lambda cue: seen.append((cue, {c.id: (c.dominant()[0], c.activity) for c in runtime},
                                                     getattr(runtime.characters.get(cue.line.speaker), "line", None))))
    assert all(isinstance(c.behavior, ScriptedBehavior) for c in runtime)
    while not player.finished:
        runtime.update(1 / 60)
        if player.choices:
            player.choose(1)
    for cue, state, spoken in seen:
        if cue.line.speaker == "player":
            continue  # the player's own lines are heard, not drawn
        assert spoken is not None and spoken.text == cue.line.text  # the mouth speaks it
        assert spoken.track.start == pytest.approx(cue.time)  # visemes timed from the cue, not the step
        if cue.line.emotion is not None:
            assert state[cue.line.speaker][0] == cue.line.emotion[0]  # the face shows the tag at once
        assert state[cue.line.speaker][1] == (cue.line.gesture or "talk")
    assert {c.id: c.behavior for c in runtime} == trees  # the trees are back, where they were


def test_choices_wait_and_are_checked(definitions, campfire):
    runtime = _runtime(definitions)
    player = runtime.play(campfire)
    needed = []
    player.on(CHOICE_NEEDED, needed.append)
    with pytest.raises(InvalidArgumentError, match="no choice is waiting"):
        player.choose(0)
    while not player.choices:
        runtime.update(0.1)
    assert needed[0].choices == ("Reassure them", "Tease Bram")
    for bad in (2, -1, True, "0"):
        with pytest.raises(InvalidArgumentError, match="index: expected 0 to 1"):
            player.choose(bad)
    waited = runtime.time
    for _ in range(5):
        runtime.update(1.0)
    assert player.choices and not player.finished  # the scene waits as long as the game does
    player.choose(0)
    runtime.update(0.05)
    assert player.fired[-1][0].line.text == "Don't worry, I saw a fox by the well earlier."
    assert player.fired[-1][0].time >= waited + 5.0


def test_pause_resume_and_skip_line(definitions, campfire):
    runtime = _runtime(definitions)
    player = runtime.play(campfire)
    runtime.update(0.5)
    assert runtime.characters["mira"].speaking(runtime.time)
    player.pause()
    before = len(player.fired)
    runtime.update(10.0)
    assert len(player.fired) == before
    player.resume()
    runtime.update(0.01)
    assert not any(cue.kind == "line_ended" for cue, _ in player.fired)  # the pause moved the line's end
    player.skip_line()
    assert runtime.characters["mira"].line is None
    runtime.update(0.01)
    assert player.fired[-1][0].kind == "line_ended"


def test_scene_needs_its_cast_spawned(definitions, campfire):
    runtime = Runtime(seed=1)
    runtime.spawn(definitions[0])
    with pytest.raises(InvalidArgumentError, match="mira, yuki .* not spawned"):
        runtime.play(campfire)


def test_the_same_seed_performs_the_same_scene(definitions, campfire):
    def run():
        runtime = _runtime(definitions)
        player = runtime.play(campfire)
        ended = []
        player.on(SCENE_ENDED, ended.append)
        while not ended:
            runtime.update(1 / 30)
            if player.choices:
                player.choose(1)
        return list(runtime.trace), [c.emotion.vector.tolist() for c in runtime]

    assert run() == run()


@pytest.mark.parametrize("line, tag, key, expected", [
    ("Zorro: Hello.", "emotion: joy", "line 1: speaker", "a cast member"),
    ("Just words.", "emotion: joy", "line 1", "a spoken line 'Speaker: words'"),
    ("Mira: Hello.", "emotion: glee", "line 1: emotion", "NAME one of anger"),
    ("Mira: Hello.", "emotion: joy 1.5", "line 1: emotion", "INTENSITY in (0, 1]"),
    ("Mira: Hello.", "gesture: backflip", "line 1: gesture", "a behavior of mira's library"),
    ("Mira: Hello.", "look: nobody", "line 1: look", "a character of the cast"),
    ("Mira: Hello.", "pause: forever", "line 1: pause", "seconds in [0, 30]"),
    ("Mira: Hello.", "mood happy", "line 1: tag", "'KEY: VALUE'"),
    ("Mira: Hello.", "emotion: anger 0.9 # gesture: wave", "line 1: gesture", "agrees with the line's emotion"),
])
def test_bad_scripts_are_refused_with_file_line_and_expectation(tmp_path, definitions, line, tag, key, expected):
    path = _story(tmp_path, line, tag.split(" # ")[0])
    if " # " in tag:  # a second tag on the same line
        story = json.loads(path.read_text())
        story["root"][0][4:4] = ["#", "^" + tag.split(" # ")[1], "/#"]
        path.write_text(json.dumps(story))
    path.with_suffix(".ink").write_text(f"{line} # {tag}\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as error:
        load_scene(path, definitions)
    assert str(path) in str(error.value) and key in str(error.value) and expected in str(error.value)


def test_a_file_that_is_not_a_compiled_story_is_refused(tmp_path, definitions):
    bad = tmp_path / "scene.json"
    bad.write_text('{"hello": 1}', encoding="utf-8")
    with pytest.raises(DefinitionError, match="compiled by inklecate or inkjs-compiler"):
        load_scene(bad, definitions)
    with pytest.raises(DefinitionError, match="missing"):
        load_scene(tmp_path / "nothing.json", definitions)


def test_shipped_scene_matches_its_ink_source(tmp_path):
    compiler = shutil.which("inkjs-compiler") or shutil.which("inklecate")
    if compiler is None:
        pytest.skip("no Ink compiler (npm install -g inkjs@2.4.0, or inklecate) to recompile the shipped scene")
    import subprocess

    out = tmp_path / "campfire.json"
    subprocess.run([compiler, str(asset_path("scenes", "campfire.ink")), "-o", str(out)], check=True)
    assert json.loads(out.read_text(encoding="utf-8-sig")) == json.loads(
        asset_path("scenes", "campfire.json").read_text(encoding="utf-8-sig"))


def test_scene_command_prints_lines_with_feelings(capsys, tmp_path):
    from anisync.cli import main

    assert main(["scene", str(asset_path("scenes", "campfire.json")), "--choose", "1", "--json",
                 str(tmp_path / "scene.json")]) == 0
    out = capsys.readouterr().out
    assert "bram: Watch your tongue, traveller.  [anger, tag] gesture=stomp" in out and "felt: bram anger" in out
    report = json.loads((tmp_path / "scene.json").read_text())
    assert report["cues_over_one_step_late"] == 0 and report["sync"] >= 0.98
    assert [line["speaker"] for line in report["lines"]][-1] == "mira"
    assert np.isclose(report["lines"][0]["time"], 0.0)


def test_parts_are_played_by_the_characters_cast_for_them(definitions, campfire):
    runtime = Runtime(seed=5)
    actors = {part: f"actor_{part}" for part in CAST}
    for definition in definitions:
        runtime.spawn(definition, actors[definition.id])
    with pytest.raises(InvalidArgumentError, match="cast: ghost play no part"):
        runtime.play(campfire, {"ghost": "actor_bram"})
    player = runtime.play(campfire, actors)
    runtime.update(0.1)
    assert runtime.characters["actor_mira"].line.text == "Bram! Come sit by the fire, it's warm tonight."
    assert runtime.characters["actor_mira"].activity == "wave" and player.actor("mira") == "actor_mira"
    assert player.actor("player") == "player"


def _perform(runtime, player, seconds: float, choice: int = 1) -> list:
    """Updates at 30/s for ``seconds`` (taking option ``choice`` when one waits): the cues fired meanwhile, with
    when, and each character's emotion and activity after every update."""
    fired, world = len(player.fired), []
    for _ in range(round(seconds * 30)):
        runtime.update(1 / 30)
        if player.choices:
            player.choose(choice)
        world.append([(c.id, np.round(c.emotion.vector, 9).tolist(), c.activity) for c in runtime])
    cues = [(cue.kind, round(cue.time, 9), cue.line and cue.line.key, cue.emotion, round(at, 9))
            for cue, at in player.fired[fired:]]
    return [cues, world]


def test_a_scene_in_progress_is_saved_and_continues_exactly_in_another_runtime(definitions, campfire):
    runtime = _runtime(definitions)
    player = runtime.play(campfire)
    _perform(runtime, player, 4.4)  # mid-line, before the choice
    assert any(c.line is not None for c in runtime if c.speaking(runtime.time))
    saved = json.loads(json.dumps(runtime.snapshot()))  # strict JSON, as a save file
    assert [scene["source"] for scene in saved["scenes"]] == [campfire.source]
    expected = _perform(runtime, player, 30.0)
    assert player.finished and expected[0][-1][0] == SCENE_ENDED  # the rest of the scene, its choice included

    other = _runtime(definitions)
    other.restore(saved, scenes=[campfire])
    (resumed,) = other.scenes
    assert _perform(other, resumed, 30.0) == expected
    assert not other.scenes and not any(isinstance(c.behavior, ScriptedBehavior) for c in other)


def test_restoring_while_the_scene_plays_keeps_its_player_and_callbacks(definitions, campfire):
    runtime = _runtime(definitions)
    player = runtime.play(campfire)
    started = []
    player.on(LINE_STARTED, lambda cue: started.append(cue.line.key))
    _perform(runtime, player, 2.0)
    saved = runtime.snapshot()
    heard = list(started)
    _perform(runtime, player, 6.0)
    runtime.restore(saved)  # no scenes= needed: the scene is playing
    assert runtime.scenes == [player] and len(started) > len(heard)
    del started[:]
    after = _perform(runtime, player, 6.0)
    assert started and [key for kind, _, key, _, _ in after[0] if kind == LINE_STARTED] == started


def test_restoring_a_snapshot_without_the_scene_ends_it_and_gives_the_trees_back(definitions, campfire):
    runtime = _runtime(definitions)
    runtime.update(0.5)
    before_scene = runtime.snapshot()
    player = runtime.play(campfire)
    _perform(runtime, player, 3.0)
    runtime.restore(before_scene)
    assert not runtime.scenes and not any(isinstance(c.behavior, ScriptedBehavior) for c in runtime)
    runtime.update(1.0)  # the trees tick again


def test_a_scene_snapshot_that_does_not_fit_is_refused_and_nothing_changes(definitions, campfire):
    runtime = _runtime(definitions)
    player = runtime.play(campfire)
    _perform(runtime, player, 3.0)
    saved = json.loads(json.dumps(runtime.snapshot()))
    fresh = _runtime(definitions)
    untouched = fresh.snapshot()
    with pytest.raises(SnapshotError, match=r"snapshot scenes\[0\]: expected a scene playing now or passed to "
                                            r"restore\(\.\.\., scenes=\[\.\.\.\]\); none is the story of .*campfire"):
        fresh.restore(saved)

    def broken(change):
        bad = json.loads(json.dumps(saved))
        change(bad["scenes"][0])
        return bad

    for change, path in [(lambda s: s.update(story="{not a story state"), r"scenes\[0\]\.story"),
                         (lambda s: s["cues"][0].update(line=["mira", "A line nobody wrote."]), r"scenes\[0\]\.cues\[0\]\.line"),
                         (lambda s: s["cues"][0].update(kind="line_sung"), r"scenes\[0\]\.cues\[0\]\.kind"),
                         (lambda s: s["cast"].update(mira="zed"), r"scenes\[0\]\.cast\.mira"),
                         (lambda s: s["behaviors"].update(mira={"nodes": "garbage"}), r"scenes\[0\]\.behaviors\.mira")]:
        with pytest.raises(SnapshotError, match=path):
            fresh.restore(broken(change), scenes=[campfire])
    assert fresh.snapshot() == untouched and not fresh.scenes
