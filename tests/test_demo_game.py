"""The demo village: the offscreen scripted scene, its key bindings, the benchmark report and its figures.

Each Panda3D run is a subprocess (one ShowBase per process; the session's plugin tests hold theirs),
started from a temporary folder so that the installed package is the one imported."""

import json
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image, ImageStat

from anisync.demo.game import REPLIES
from helpers import run_cli
from anisync.demo.measure import frame_statistics, overhead_ratio, plot_frame_times
from anisync.demo.village import villager_definitions, villager_spots
from anisync.panda.procedural import identity_for

ENV = {**os.environ, "LP_NUM_THREADS": "0"}  # as the demo sets it
ENV.pop("DISPLAY", None)  # as on a server: no display, so the demo runs its scripted scene offscreen
ENV.pop("WAYLAND_DISPLAY", None)


def _demo(*args, cwd, timeout=240):
    return run_cli(*args, cwd=cwd, timeout=timeout, module="anisync.demo", env=ENV)


def test_scripted_scene_runs_offscreen_and_its_screenshot_is_not_blank(tmp_path):
    result = _demo("--npcs", "4", "--seconds", "5", "--size", "320x180", "--screenshot", "shot.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "4 villagers" in result.stdout and "player: greet -> " in result.stdout
    # The campfire scene: its lines in the log, with what the cast felt as each ended.
    assert '(mira): "Bram! Come sit by the fire, it\'s warm tonight." [joy from the tag, wave]' in result.stdout
    assert re.search(r"felt: bram \w+, mira \w+, yuki \w+", result.stdout)
    assert "fps mean" in result.stdout and "MB resident" in result.stdout
    image = Image.open(tmp_path / "shot.png").convert("RGB")
    assert image.size == (320, 180)
    # The world runs on simulated time: a second run with the same seed tells the same story, even drawn by
    # Panda3D's own software renderer.
    again = _demo("--npcs", "4", "--seconds", "5", "--size", "320x180", "--screenshot", "again.png",
                  "--renderer", "p3tinydisplay", cwd=tmp_path)
    assert _story(again.stdout) == _story(result.stdout)
    for shot in (image, Image.open(tmp_path / "again.png").convert("RGB")):
        assert max(ImageStat.Stat(shot).stddev) > 20  # a scene, not a flat colour
    assert len(image.getcolors(320 * 180)) > 500


def _story(printed: str) -> list[str]:
    """What happened and what everyone felt, without the lines of measured speed."""
    return [line for line in printed.splitlines() if not line.startswith(("frames ", "screenshot:"))]


KEYS_SCRIPT = textwrap.dedent("""
    import json
    from panda3d.core import ClockObject
    from anisync.demo.game import GameOptions, VillageGame
    game = VillageGame(GameOptions(npcs=3, window=(96, 64), offscreen=True, interactive=True, worker="thread"))
    ClockObject.getGlobalClock().setMode(ClockObject.MNonRealTime)
    target = game.villagers[0]
    game.player.setPos(target.node.getPos() + (0, -2, 0))
    game.player.setH(0)  # facing +Y, towards it
    sent = {}
    start_y = game.player.getY()
    for key in ("g", "t", "h", "b", "f1", "w"):
        before = len(game.runtime.trace)
        game.messenger.send(key)
        game.taskMgr.step()
        game.taskMgr.step()
        sent[key] = [r.character + ":" + r.detail for r in list(game.runtime.trace)[before:] if r.what == "event"]
        if key == "g":
            sent["said"] = target.character.line.text if target.character.line else None
    sent["overlay"] = [not v.overlay.isHidden() for v in game.villagers]
    sent["target"] = target.character.id
    sent["walked"] = game.player.getY() - start_y
    print(json.dumps(sent))
""")


def test_key_bindings_send_the_right_events(tmp_path):
    script = tmp_path / "keys.py"
    script.write_text(KEYS_SCRIPT, encoding="utf-8")
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120, env=ENV)
    assert result.returncode == 0, result.stderr
    sent = json.loads(result.stdout.strip().splitlines()[-1])
    target = sent["target"]
    for key, kind in (("g", "greet"), ("t", "taunt"), ("h", "gift")):
        # The act and the player's words (a say event the dialogue classifier read).
        assert [e for e in sent[key] if e.endswith("from player")] == [f"{target}:{kind} from player",
                                                                       f"{target}:say from player"]
    bell = [e for e in sent["b"] if e.endswith("bell from player")]
    assert len(bell) == 3  # everyone hears the bell
    assert sent["said"] in REPLIES.values()  # a greeted villager answers, and its mouth speaks the words
    assert sent["overlay"] == [True] * 3
    assert sent["walked"] > 0.1  # two frames with W held: the player walked forward (+Y)


def test_benchmark_measures_both_face_sources_and_writes_its_documented_report(tmp_path):
    result = _demo("--benchmark", "--npcs", "2,3", "--seconds", "1", "--warmup", "0.3", "--size", "160x90",
                   "--report", "out/bench.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "out" / "bench.json").read_text())
    assert set(report) == {"command", "settings", "machine", "targets", "results", "neural_vs_procedural", "plot"}
    assert [(r["npcs"], r["faces"]) for r in report["results"]] == [
        (2, "neural"), (2, "procedural"), (3, "neural"), (3, "procedural")]
    frame_keys = {"frames", "mean_fps", "low_1pct_fps", "p50_ms", "p99_ms", "mean_ms"}
    for row in report["results"]:
        assert set(row) == {"npcs", "faces", "face_source", "face_size", "seconds", "loading_seconds", "prefetch_seconds",
                            "anisync", "anisync_off",
                            "overhead_ratio", "p99_over_p50", "screenshot", "story"}
        assert row["prefetch_seconds"] >= row["loading_seconds"] > 0  # first faces, then the likely ones
        assert (row["face_source"], row["face_size"]) == (("NeuralFaceSource", 128) if row["faces"] == "neural"
                                                          else ("ProceduralFaceSource", 256))
        assert set(row["anisync"]) == frame_keys | {"sdk_update_ms", "texture_upload_ms", "plugin_ms", "village_task_ms",
                                                    "uploads_per_second", "uploaded_mb_per_second", "texture_memory",
                                                    "sync", "face_latency_ms", "urgent_face_latency_ms", "face_change_latency_ms", "faces_phase_ms_p99",
                                                    "cache", "worker", "legibility", "frame_breakdown_ms"}
        assert set(row["anisync_off"]) == frame_keys
        assert row["anisync"]["frames"] > 0 and row["anisync_off"]["frames"] > 0
        assert row["anisync"]["legibility"] is None  # no --judge
        memory = row["anisync"]["texture_memory"]
        assert memory["character_mb"] == pytest.approx(row["npcs"] * row["face_size"] ** 2 * 4 / 1e6)  # every face resident
        assert memory["resident_mb"] >= memory["character_mb"]
        assert set(row["anisync"]["sync"]) == {"rate", "per_character_mean", "per_character_min", "frames_counted",
                                               "frames_excluded"}
        assert (tmp_path / "out" / row["screenshot"]).is_file()
    assert [c["npcs"] for c in report["neural_vs_procedural"]] == [2, 3]
    assert all(c["fps_neural_over_procedural"] > 0 for c in report["neural_vs_procedural"])
    assert Image.open(tmp_path / "out" / report["plot"]).size == (960, 420)


def test_a_fixed_step_benchmark_plays_the_same_world_in_every_run(tmp_path):
    # Simulated time, 30 steps a second whatever the frame rate: the same frames, the same story (the demo's
    # log of the measured run: tour actions, screams, the campfire) in two runs with one seed.
    reports = []
    for run in ("a", "b"):
        result = _demo("--benchmark", "--fixed-step", "--npcs", "4", "--faces", "procedural", "--seconds", "3",
                       "--warmup", "0.5", "--size", "160x90", "--report", f"{run}/bench.json", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        reports.append(json.loads((tmp_path / run / "bench.json").read_text()))
    first, second = (report["results"][0] for report in reports)
    assert reports[0]["settings"]["fixed_step"] == pytest.approx(1 / 30)
    assert first["anisync"]["frames"] == second["anisync"]["frames"] == 90
    assert first["anisync_off"]["frames"] == 90
    assert first["story"]["lines"] > 0 and first["story"] == second["story"]


def test_benchmark_names_a_bad_argument(tmp_path):
    result = _demo("--benchmark", "--npcs", "0", cwd=tmp_path, timeout=60)
    assert result.returncode == 2 and "--npcs" in result.stderr
    result = _demo("--face-size", "20", cwd=tmp_path, timeout=60)
    assert result.returncode == 2 and "--face-size" in result.stderr
    result = _demo("--faces", "onnx", cwd=tmp_path, timeout=60)
    assert result.returncode == 2 and "--faces: expected comma-separated names out of neural, procedural" in result.stderr
    result = _demo("--faces", "neural,procedural", cwd=tmp_path, timeout=60)
    assert result.returncode == 2 and "--faces: one source without --benchmark" in result.stderr
    result = _demo("--fixed-step", cwd=tmp_path, timeout=60)
    assert result.returncode == 2 and "--fixed-step: only with --benchmark" in result.stderr


def test_overhead_ratio_is_the_share_of_the_frame_anisync_costs():
    assert overhead_ratio(20.0, 15.0) == pytest.approx(0.25)
    assert overhead_ratio(10.0, 10.0) == 0.0
    assert overhead_ratio(10.0, 11.0) == pytest.approx(-0.1)  # noise can make the scene without it slower
    with pytest.raises(ValueError, match="with_sdk_ms"):
        overhead_ratio(0.0, 1.0)


def test_the_frame_breakdown_parts_add_up_to_the_mean_frame():
    import numpy as np
    from anisync.demo.scene import frame_breakdown

    phases = np.array([[0.004, 0.001, 0.002, 0.0005, 0.0005], [0.006, 0.002, 0.003, 0.0005, 0.0005]])
    parts = frame_breakdown([0.020, 0.030], phases, village_ms=1.0)
    assert parts["frame"] == pytest.approx(25.0) and parts["render_and_rest"] == pytest.approx(19.0)
    assert (parts["sdk_update"], parts["faces"], parts["village"]) == pytest.approx((1.5, 2.5, 1.0))
    plugin = parts["sdk_update"] + parts["faces"] + parts["bodies"] + parts["sync"]
    assert plugin + parts["village"] + parts["render_and_rest"] == pytest.approx(parts["frame"])


def test_frame_statistics_of_known_frame_times():
    frames = [0.010] * 99 + [0.100]  # one slow frame in a hundred
    stats = frame_statistics(frames)
    assert stats["frames"] == 100
    assert stats["p50_ms"] == pytest.approx(10.0)
    assert stats["low_1pct_fps"] == pytest.approx(10.0)  # the slowest 1% is the one 100 ms frame
    assert stats["mean_fps"] == pytest.approx(1000 / 10.9)
    assert frame_statistics([])["mean_fps"] is None


def test_frame_time_plot_draws_each_series(tmp_path):
    plot_frame_times({"a": [0.01] * 200, "b": [0.03] * 100}, tmp_path / "plot.png")
    image = np.asarray(Image.open(tmp_path / "plot.png").convert("RGB"))[:330]  # above the legend
    for color in ((31, 119, 180), (255, 127, 14)):  # the first two series' colours
        assert (image == color).all(axis=2).sum() > 100


def test_villagers_are_distinct_valid_characters_that_all_have_a_place():
    definitions = villager_definitions(14)
    assert len({d.id for d in definitions}) == 14
    identities = [identity_for(d.appearance) for d in definitions]
    assert len({(i.hair_style, i.hair_color, i.eye_color, i.accent_color) for i in identities}) == 14  # distinct faces
    assert {i.style for i in identities} == {"cute", "cool", "tech"}
    assert {d.tree.name for d in definitions} == {"villager", "guard", "shopkeeper"}
    spots = villager_spots(100)
    assert len(spots) == 100
    assert min(((a.x - b.x) ** 2 + (a.y - b.y) ** 2) ** 0.5 for i, a in enumerate(spots) for b in spots[i + 1:]) > 0.9
