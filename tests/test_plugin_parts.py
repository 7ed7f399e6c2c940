"""The plugin's parts that need no window: quantisation, texture layout, face cache, worker, actions, sync."""

import json
import os
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pytest
import yaml

from anisync.panda.actions import ACTIONS, FALLBACK_ACTION, JOINT_INDEX, ActionTable, intensity_gain, resolve_action
from anisync.panda.faces import (BodyPalette, FaceCache, check_min_intensity, from_panda_layout, likely_levels, panda_layout,
                                 quantise)
from anisync.panda.sync import SyncFrame, SyncTracker, sync_rate
from anisync.panda.worker import FaceRequest, FaceWorker
from anisync import EMOTIONS, InvalidArgumentError, ModelInputError, asset_path
from anisync.reflex import DEFAULT_REFLEXES

from helpers import run_cli, save_graph
from onnx import TensorProto, helper

# The actions issue 7 names; the rest of the activities come from the shipped assets (see _shipped_activities).
ISSUE_ACTIONS = ("idle", "walk", "wave", "nod", "bow", "jump", "cower", "stomp", "cry", "laugh")


def _bpfa_actions(bpfa) -> set[str]:
    """The actions a BPFA's states play (what ``current_action`` can return), nested automata included."""
    actions = set()
    for state in bpfa.states.values():
        actions |= _bpfa_actions(state.behavior) if state.behavior is not None else {state.action}
    return actions


def _shipped_activities() -> dict[str, set[str]]:
    """Every value ``character.activity`` can take with the shipped assets, by where it comes from: a tree
    leaf shows its library behavior's action (a composite's, the action of its BPFA's current state), a
    BPFA behavior the action of its state, the reflex behavior one of the reflexes (the defaults and the
    shipped characters' own), and a character without a behavior or a tree with nothing running ``idle``."""
    from anisync import CharacterDefinition, shipped_characters
    from anisync.behavior.bpfa import BPFA
    from anisync.behavior.library import CompositeBehavior, SingleAction, shipped_library

    library = set()
    for rule in shipped_library().autonomous.values():
        if isinstance(rule.runner, SingleAction):
            library.add(rule.runner.action)
        else:
            assert isinstance(rule.runner, CompositeBehavior), rule.name
            library |= _bpfa_actions(rule.runner.bpfa)
    bpfa = set().union(*(_bpfa_actions(BPFA.load(path))
                         for path in sorted(asset_path("behaviors", "bpfa").glob("*.yaml"))))
    reflexes = {activity for choices in DEFAULT_REFLEXES.values() for activity in choices}
    for path in shipped_characters():
        reflexes |= {activity for choices in CharacterDefinition.load(path).reflexes.values()
                     for activity in choices}
    return {"library": library, "bpfa": bpfa, "reflexes": reflexes, "issue": set(ISSUE_ACTIONS)}


class GatedFaces:
    """A face source that draws only when its gate opens, recording what it was asked for."""

    size = 8

    def __init__(self):
        self.gate = threading.Event()
        self.drawn: list[tuple[str, np.ndarray]] = []

    def render(self, character_id, appearance, expression):
        if not self.gate.wait(timeout=30):
            raise TimeoutError("gate never opened")
        self.drawn.append((character_id, expression.copy()))
        image = np.zeros((self.size, self.size, 4), np.uint8)
        image[..., 0] = int(np.argmax(expression)) * 30
        return image

    def palette(self, character_id, appearance):
        return BodyPalette()


def _vector(**values) -> np.ndarray:
    return np.array([values.get(name, 0.05) for name in EMOTIONS])


def _request(character_id: str, seq: int, urgent: bool = False, **emotions) -> FaceRequest:
    levels, vectors = quantise(_vector(**emotions), 0.125)
    return FaceRequest(character_id, {}, levels[0], vectors[0], seq, urgent)


def _wait_for(predicate, seconds: float = 30.0):
    end = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.005)


# --- quantisation and layout ---------------------------------------------------------------------
def test_quantise_keeps_the_dominant_emotion_strictly_on_top():
    rows = np.array([_vector(joy=0.46, neutral=0.44), _vector(anger=0.3, disgust=0.3), _vector(fear=0.99, surprise=0.98)])
    levels, vectors = quantise(rows, 0.125)
    assert [EMOTIONS[i] for i in levels.argmax(axis=1)] == ["joy", "anger", "fear"]
    assert all(np.sort(row)[-1] > np.sort(row)[-2] for row in levels)  # strict
    assert (np.count_nonzero(levels, axis=1) <= 2).all()  # two strongest emotions only
    assert (2 * np.sort(levels)[:, -2] <= np.sort(levels)[:, -1]).all()  # the second at most half the first
    close = quantise(_vector(fear=0.8, surprise=0.7), 0.25)[1][0]
    assert (close[EMOTIONS.index("fear")], close[EMOTIONS.index("surprise")]) == (0.75, 0.25)
    assert np.allclose(vectors, levels * 0.125)
    # Small moves inside a step keep the key (no new face), a larger one changes it.
    assert np.array_equal(quantise(_vector(joy=0.70, neutral=0.3), 0.125)[0], quantise(_vector(joy=0.73, neutral=0.31), 0.125)[0])
    assert not np.array_equal(quantise(_vector(joy=0.70), 0.125)[0], quantise(_vector(joy=0.90), 0.125)[0])


def test_a_faint_dominant_emotion_is_drawn_at_least_at_min_intensity_unless_neutral():
    rows = np.array([_vector(fear=0.3, neutral=0.25), _vector(neutral=0.3, joy=0.2), _vector(joy=0.9, fear=0.5)])
    levels, vectors = quantise(rows, 0.25, min_intensity=0.5)
    assert vectors[0, EMOTIONS.index("fear")] == 0.5  # felt at 0.3, a quarter would read as neutral
    assert vectors[1, EMOTIONS.index("neutral")] == 0.25 and vectors[1].sum() == 0.25  # neutral as it is
    assert np.array_equal(levels[2], quantise(rows[2], 0.25)[0][0])  # strong emotions unchanged
    assert quantise(rows[0], 0.25, min_intensity=0.3)[1][0, EMOTIONS.index("fear")] == 0.5  # rounded up to a step
    assert quantise(rows[0], 0.25)[1][0, EMOTIONS.index("fear")] == 0.25  # 0: as felt, at least one step
    likely = likely_levels(0.25, min_intensity=0.5)  # no spare face below the floor
    assert all(levels.max() >= 2 or levels.argmax() == EMOTIONS.index("neutral") for _, levels in likely)
    with pytest.raises(InvalidArgumentError, match="min_intensity: expected a number in \\[0, 1\\], got 2"):
        check_min_intensity(2)


def test_panda_layout_is_bgra_bottom_row_first():
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[0, 0] = (10, 20, 30, 40)  # top left
    rgba[1, 1] = (1, 2, 3, 4)  # bottom right
    data = np.frombuffer(panda_layout(rgba, 2), np.uint8).reshape(2, 2, 4)
    assert tuple(data[1, 0]) == (30, 20, 10, 40) and tuple(data[0, 1]) == (3, 2, 1, 4)
    with pytest.raises(ModelInputError, match=r"face source output: expected a \(2, 2, 4\) uint8"):
        panda_layout(rgba[..., :3], 2)
    faces = np.random.default_rng(0).integers(0, 256, (5, 5, 4), dtype=np.uint8)
    assert np.array_equal(from_panda_layout(panda_layout(faces, 5), 5), faces)  # the legibility probe's inverse


# --- face cache ----------------------------------------------------------------------------------
def test_face_cache_is_lru_under_its_byte_cap_and_counts_hits():
    cache = FaceCache(capacity_bytes=30)
    cache.put("a", b"k1", b"x" * 10)
    cache.put("a", b"k2", b"y" * 10)
    cache.put("b", b"k1", b"z" * 10)
    assert cache.get("a", b"k1") == b"x" * 10  # now most recently used
    cache.put("b", b"k2", b"w" * 10)  # evicts the least recently used: a/k2
    assert cache.get("a", b"k2") is None and cache.evictions == 1 and cache.bytes == 30
    assert (cache.hits, cache.misses, cache.hit_rate) == (1, 1, 0.5)
    cache.drop("b")
    assert len(cache) == 1 and cache.bytes == 10
    with pytest.raises(InvalidArgumentError, match="capacity_bytes"):
        FaceCache(-1)


def test_spare_faces_never_evict_and_fill_at_most_their_share_of_the_cache():
    cache = FaceCache(capacity_bytes=40)  # spares may fill 30 bytes
    assert cache.put("a", b"k1", b"x" * 10, spare=True) and cache.put("a", b"k2", b"x" * 10, spare=True)
    assert not cache.put("a", b"k2", b"y" * 10, spare=True)  # a guess never replaces a face
    assert cache.has_spare_room(10) and cache.put("a", b"k3", b"x" * 10, spare=True)
    assert not cache.has_spare_room(10) and not cache.put("a", b"k4", b"x" * 10, spare=True)
    assert cache.bytes == 30 and cache.evictions == 0
    cache.put("b", b"k1", b"z" * 20)  # a face asked for evicts as before
    assert cache.evictions == 1 and cache.bytes == 40


def test_likely_levels_are_the_keys_a_pure_emotion_asks_for_strongest_first():
    likely = likely_levels(0.25)
    assert len(likely) == 4 * len(EMOTIONS) and [rank for rank, _ in likely] == sorted(rank for rank, _ in likely)
    assert all(levels.max() == 4 for rank, levels in likely if rank == 0)
    for floor in (0.0, 0.75):
        for _, levels in likely_levels(0.25, floor):  # what the plugin would request for that emotion alone
            assert np.array_equal(quantise(levels * 0.25, 0.25, floor)[0][0], levels)


# --- worker --------------------------------------------------------------------------------------
def test_worker_coalesces_to_the_newest_request_and_serves_urgent_first():
    source = GatedFaces()
    worker = FaceWorker(source, "thread", workers=1)
    try:
        worker.request(_request("a", 1, joy=0.9))
        _wait_for(lambda: worker.stats()["in_flight"] == 1)
        for seq, level in ((2, 0.3), (3, 0.5), (4, 0.7)):  # "a" waits behind its own face in flight
            worker.request(_request("a", seq, anger=level))
        worker.request(_request("b", 5, sadness=0.9))
        worker.request(_request("c", 6, urgent=True, fear=0.9))
        assert worker.stats()["coalesced"] == 2 and worker.stats()["waiting"] == 3
        source.gate.set()
        finished = []
        _wait_for(lambda: finished.extend(worker.poll()) or len(finished) == 4)
        assert [f.request.seq for f in finished] == [1, 6, 4, 5]  # a's newest only; urgent c before b
        assert finished[2].request.expression.argmax() == EMOTIONS.index("anger")
        assert worker.stats()["completed"] == 4
    finally:
        worker.close()


def test_worker_draws_waiting_requests_in_batches_for_a_source_that_can():
    class BatchedFaces(GatedFaces):
        def __init__(self):
            super().__init__()
            self.batches: list[int] = []

        def render_many(self, pairs):
            self.batches.append(len(pairs))
            return [self.render("?", appearance, expression) for appearance, expression in pairs]

    source = BatchedFaces()
    worker = FaceWorker(source, "thread", workers=1, batch=3)
    try:
        worker.request(_request("first", 1, joy=0.9))
        _wait_for(lambda: worker.stats()["in_flight"] == 1)  # held at the gate, alone
        for seq, name in enumerate("abcde", start=2):
            worker.request(_request(name, seq, anger=0.9))
        source.gate.set()
        finished = []
        _wait_for(lambda: finished.extend(worker.poll()) or len(finished) == 6)
        assert sorted(source.batches) == [2, 3]  # the lone first face went through render(), then 3 + 2
        assert [f.request.seq for f in finished] == [1, 2, 3, 4, 5, 6]
        for face in finished:  # each answer is its own request's face
            assert face.data[2] == int(np.argmax(face.request.expression)) * 30  # R of the first pixel (BGRA)
        assert worker.stats()["batches"] == 3
    finally:
        worker.close()


def test_worker_draws_spare_faces_only_while_nothing_is_asked_lowest_rank_first():
    source = GatedFaces()
    worker = FaceWorker(source, "thread", workers=1)
    try:
        worker.request(_request("a", 1, joy=0.9))
        _wait_for(lambda: worker.stats()["in_flight"] == 1)  # held at the gate
        worker.prefetch([(1, _request("a", 0, sadness=0.5)), (0, _request("b", 0, anger=0.9)),
                         (1, _request("c", 0, fear=0.5)), (0, _request("c", 0, surprise=0.9))])
        worker.prefetch([(0, _request("gone", 0, joy=0.9))])
        worker.forget("gone", spares=True)  # detached before its spare was drawn
        worker.request(_request("b", 2, sadness=0.9))  # asked while spares wait: goes first
        assert worker.stats()["spare_waiting"] == 4 and worker.prefetching
        source.gate.set()
        finished = []
        _wait_for(lambda: finished.extend(worker.poll()) or len(finished) == 6)
        drawn = [(f.request.character_id, EMOTIONS[int(f.request.expression.argmax())], f.request.spare) for f in finished]
        assert drawn == [("a", "joy", False), ("b", "sadness", False), ("b", "anger", True), ("c", "surprise", True),
                         ("a", "sadness", True), ("c", "fear", True)]
        assert worker.stats()["prefetched"] == 4 and worker.stats()["completed"] == 2
        assert not worker.busy and not worker.prefetching
        source.gate.clear()
        worker.prefetch([(0, _request("a", 0, joy=0.5)), (0, _request("b", 0, joy=0.5)), (0, _request("c", 0, joy=0.5))])
        _wait_for(lambda: worker.stats()["spare_waiting"] == 1)  # one batch of 2 at the gate
        worker.drop_spares()  # no room left for them
        source.gate.set()
        _wait_for(lambda: not worker.prefetching)
        assert worker.stats()["prefetched"] == 6 and worker.stats()["spare_waiting"] == 0
    finally:
        worker.close()


def test_forgetting_a_detached_character_drops_its_faces_not_yet_polled():
    source = GatedFaces()
    source.gate.set()
    worker = FaceWorker(source, "thread")
    try:
        worker.request(_request("a", 1, joy=0.9))
        worker.request(_request("b", 2, joy=0.9))
        _wait_for(lambda: worker.stats()["completed"] == 2)
        worker.forget("a", spares=True)  # detached: attached again under its id, it must not get this face
        assert [face.request.character_id for face in worker.poll()] == ["b"]
    finally:
        worker.close()


def test_worker_reports_a_failing_source_as_a_warning():
    class Broken(GatedFaces):
        def render(self, character_id, appearance, expression):
            raise RuntimeError("model exploded")

    worker = FaceWorker(Broken(), "thread")
    try:
        worker.request(_request("a", 1, joy=0.9))
        _wait_for(lambda: worker.stats()["failed"] == 1)
        with pytest.warns(UserWarning, match="face source failed for 'a': model exploded"):
            assert worker.poll() == []
    finally:
        worker.close()


@pytest.mark.parametrize("kwargs, name", [({"kind": "fiber"}, "worker"), ({"workers": 0}, "workers"),
                                          ({"batch": 0}, "batch"), ({"batch": True}, "batch")])
def test_worker_rejects_bad_arguments(kwargs, name):
    with pytest.raises(InvalidArgumentError, match=name):
        FaceWorker(GatedFaces(), **kwargs)


def test_process_worker_draws_procedural_faces_without_rerunning_an_unguarded_main(tmp_path):
    script = tmp_path / "game.py"  # like many Panda3D scripts: no `if __name__ == "__main__"` guard
    script.write_text(
        "import time\n"
        "import numpy as np\n"
        "from anisync.panda.faces import quantise\n"
        "from anisync.panda.procedural import ProceduralFaceSource\n"
        "from anisync.panda.worker import FaceRequest, FaceWorker\n"
        "print('main ran', flush=True)\n"
        "worker = FaceWorker(ProceduralFaceSource(64), 'process')\n"
        "levels, vectors = quantise(np.array([0.05, 0.05, 0.05, 0.9, 0.3, 0.05, 0.05]), 0.125)\n"
        "worker.request(FaceRequest('mira', {'style': 'cute'}, levels[0], vectors[0]))\n"
        "while not (finished := worker.poll()):\n"
        "    time.sleep(0.01)\n"
        "face = np.frombuffer(finished[0].data, np.uint8).reshape(64, 64, 4)\n"
        "print('alpha', face[..., 3].min(), face[..., 3].max())\n"
        "worker.close()\n", encoding="utf-8")
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("main ran") == 1
    assert "alpha 0 255" in result.stdout  # a head on a transparent ground


# --- actions -------------------------------------------------------------------------------------
def test_every_behavior_activity_has_an_action():
    activities = _shipped_activities()
    # The library's actions, read as plain YAML too, so that the loader cannot hide one.
    raw = yaml.safe_load(asset_path("behaviors", "library.yaml").read_text(encoding="utf-8"))["autonomous"]
    assert {rule["run"]["action"] for rule in raw.values() if "action" in rule["run"]} <= activities["library"]
    assert {"walk", "bow", "nod", "sit"} <= activities["bpfa"] and {"gasp", "recoil"} <= activities["reflexes"]
    for source, names in activities.items():
        missing = sorted(name for name in names if name not in ACTIONS)
        assert not missing, f"{source} activities without a body action: {missing}"


def test_unknown_activity_plays_idle_with_one_warning():
    with pytest.warns(UserWarning, match="no body action for activity 'juggle'"):
        assert resolve_action("juggle") == FALLBACK_ACTION
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert resolve_action("juggle") == FALLBACK_ACTION


def test_expression_intensity_scales_start_and_end_angles():
    table = ActionTable()
    gains, tempos = intensity_gain(np.array([0.1, 0.3, 0.6, 0.9, 0.99]))
    assert np.allclose(gains, [0.4, 0.4, 0.7, 1.0, 1.0]) and np.allclose(tempos, [0.8, 0.8, 1.0, 1.2, 1.2])
    nod = np.full(2, table.index["nod"])
    # At the top of the nod (half a cycle at 1.4 Hz) the head is at the track's end angle times the gain.
    poses = table.poses(nod, np.full(2, 0.5 / 1.4), np.array([0.4, 1.0]))
    head_pitch = poses[:, JOINT_INDEX["head"], 1]
    assert np.allclose(head_pitch, [-18 * 0.4, -18.0])
    # Posture tracks are not scaled: a sitting body sits as low whatever it feels.
    sit = table.poses(np.full(2, table.index["sit"]), np.full(2, 5.0), np.array([0.4, 1.0]))
    assert np.allclose(sit[0, JOINT_INDEX["thigh_l"]], sit[1, JOINT_INDEX["thigh_l"]])


# --- synchronisation -----------------------------------------------------------------------------
def test_sync_rate_of_a_crafted_trace():
    frames = []
    for emotion, face, second, orientation, count in [
        ("neutral", None, None, "neutral", 15),  # first 0.5 s: excluded (attach counts as a change)
        ("neutral", "neutral", "joy", "neutral", 15),  # counted, agree: 15
        ("joy", "neutral", "joy", "positive", 15),  # within 0.5 s of the change: excluded
        ("joy", "joy", "neutral", "positive", 30),  # agree: 30
        ("joy", "joy", "neutral", "negative", 10),  # disagree: 10
        ("joy", "surprise", "joy", "neutral", 5),  # a surprised face agrees with neutral behaviors: 5
        ("joy", "surprise", "joy", "positive", 5),  # ... and with those of its second emotion: 5
        ("joy", "surprise", "joy", "negative", 5),  # but not with others: disagree 5
        ("joy", "anger", "neutral", "neutral", 20),  # disagree: 20
    ]:
        for _ in range(count):
            frames.append(SyncFrame(len(frames) / 30, emotion, face, orientation, second))
    tracker = SyncTracker(settle=0.5)
    for frame in frames:
        tracker.add(frame)
    assert (tracker.counted, tracker.agreed, tracker.excluded) == (90, 55, 30)
    assert sync_rate(frames, settle=0.5) == pytest.approx(55 / 90)
    assert sync_rate([]) is None


# --- bench command -------------------------------------------------------------------------------
def _mean_colour_judge(path):
    """An emotion judge graph that reads the mean of each channel: enough to exercise the legibility probe."""
    nodes = [helper.make_node("ReduceMean", ["image"], ["pooled"], axes=[2, 3], keepdims=0),
             helper.make_node("MatMul", ["pooled", "weights"], ["emotions"])]
    weights = helper.make_tensor("weights", TensorProto.FLOAT, [4, 7], np.arange(28, dtype=np.float32).tolist())
    inputs = [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 4, 32, 32])]
    outputs = [helper.make_tensor_value_info("emotions", TensorProto.FLOAT, ["batch", 7])]
    return save_graph(nodes, inputs, outputs, path, [weights])


def test_bench_plugin_measures_both_face_sources_in_one_run_and_writes_its_documented_json(tmp_path):
    out = tmp_path / "plugin.json"
    result = run_cli("bench", "plugin", "--npcs", "2", "--seconds", "2", "--warmup", "0.3", "--size", "64",
                     "--window", "64x64", "--judge", str(_mean_colour_judge(tmp_path / "judge.onnx")), "--speakers", "1",
                     "--json", str(out), cwd=tmp_path, env={**os.environ, "LP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr
    assert "2 NPCs     neural  plugin" in result.stdout and "2 NPCs procedural  plugin" in result.stdout
    report = json.loads(out.read_text())
    neural, procedural = report["results"]
    assert (neural["face_source"], neural["face_size"], neural["worker"]["kind"]) == ("NeuralFaceSource", 128, "thread")
    assert (procedural["face_source"], procedural["face_size"], procedural["worker"]["kind"]) == ("ProceduralFaceSource", 64, "process")
    for figures in (neural, procedural):
        assert figures["npcs"] == 2 and figures["frames"] > 0 and 0.0 <= figures["cache"]["hit_rate"] <= 1.0
        for key in ("plugin_ms", "frame_ms", "face_latency_ms", "urgent_face_latency_ms", "face_change_latency_ms"):
            assert set(figures[key]) == {"p50", "p95", "count"}
        assert figures["face_change_latency_ms"]["count"] >= figures["face_latency_ms"]["count"]  # cache hits too
        assert set(figures["plugin_phase_ms_p50"]) == {"total", "runtime_update", "faces", "bodies", "sync"}
        assert set(figures["sync"]) == {"rate", "per_character_mean", "per_character_min", "frames_counted", "frames_excluded"}
        legibility = figures["legibility"]
        assert legibility["samples"] > 0 and 0.0 <= legibility["legibility"] <= 1.0
        speaking = figures["speaking_faces_per_second"]
        assert figures["speakers"] == 1 and 0 < speaking["min"] <= speaking["mean"]  # the speaker's mouth moved


def test_bench_plugin_on_a_fixed_step_measures_the_same_frames_in_every_run(tmp_path):
    # 30 simulated steps a second whatever the frame rate: 2 s measured are 60 frames, however fast they render.
    out = tmp_path / "plugin.json"
    result = run_cli("bench", "plugin", "--fixed-step", "--npcs", "2", "--faces", "procedural", "--seconds", "2",
                     "--warmup", "0.3", "--size", "64", "--window", "64x64", "--json", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    assert report["settings"]["fixed_step"] is True and report["results"][0]["frames"] == 60


def test_bench_plugin_names_a_bad_argument(tmp_path):
    result = run_cli("bench", "plugin", "--npcs", "0", cwd=tmp_path, timeout=60)
    assert result.returncode == 2 and "--npcs" in result.stderr
