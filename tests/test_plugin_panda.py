"""The plugin in real Panda3D frames: an offscreen window, software OpenGL, a few frames per test."""

import contextlib
import threading

import numpy as np
import pytest
from anisync import EMOTIONS, Event, InvalidArgumentError, Runtime, asset_path
from anisync.panda.faces import BodyPalette, likely_levels
from anisync.panda.worker import face_key

panda3d = pytest.importorskip("panda3d")

from anisync.panda import PANDA_JOINT_MAP, AnisyncPlugin, JointMap, ProceduralFaceSource  # noqa: E402
from direct.actor.Actor import Actor  # noqa: E402
from direct.showbase.DirectObject import DirectObject  # noqa: E402
from panda3d.core import ClockObject, NodePath, Point2, Point3  # noqa: E402


class Puppet:
    """A behavior whose activity the test sets: at once (``activity``, which bodies follow but the runtime
    never sees change), or at the runtime's next update (``wanted``, which its callbacks report)."""

    def __init__(self, character=None):
        self.activity = "idle"
        self.wanted = None

    def on_event(self, character, event):
        pass

    def update(self, character, dt):
        if self.wanted is not None:
            self.activity, self.wanted = self.wanted, None

    def snapshot(self):
        return {"activity": self.activity}

    def restore(self, data):
        self.activity = data["activity"]


class FlatFaces:
    """A fast face source: a disc coloured by the dominant emotion, on a transparent ground."""

    size = 32
    colors = {i: ((37 * i) % 256, (91 * i + 40) % 256, (53 * i + 90) % 256) for i in range(len(EMOTIONS))}

    def __init__(self, gate: threading.Event | None = None):
        self.gate = gate

    def render(self, character_id, appearance, expression):
        if self.gate is not None and not self.gate.wait(timeout=30):
            raise TimeoutError("gate never opened")
        y, x = np.mgrid[: self.size, : self.size]
        disc = (x - self.size / 2) ** 2 + (y - self.size / 2) ** 2 < (self.size / 2.2) ** 2
        image = np.zeros((self.size, self.size, 4), np.uint8)
        image[disc] = (*self.colors[int(np.argmax(expression))], 255)
        return image

    def palette(self, character_id, appearance):
        return BodyPalette(outfit="skirt", hair_style="twin_tails")


def _vector(**values) -> np.ndarray:
    return np.array([values.get(name, 0.05) for name in EMOTIONS])


@pytest.fixture
def make_plugin(panda_base):
    """Plugins over a fresh runtime of puppets; destroyed (and their nodes removed) after the test."""
    made = []

    def make(runtime=None, **kwargs):
        runtime = Runtime(seed=3, behavior_factory=Puppet) if runtime is None else runtime
        kwargs.setdefault("face_source", FlatFaces())
        kwargs.setdefault("worker", "thread")
        kwargs.setdefault("prefetch", False)  # tests of requests see only their own; one test prefetches
        plugin = AnisyncPlugin(panda_base, runtime, **kwargs)
        made.append(plugin)
        return plugin

    yield make
    for plugin in made:
        plugin.destroy()


def _frames(base, count: int) -> None:
    for _ in range(count):
        base.taskMgr.step()


def _frames_until(base, plugin, predicate, limit: int = 3000) -> int:
    """Step frames until ``predicate()``; frames go on while the worker draws, which is the point."""
    for frame in range(limit):
        if predicate():
            return frame
        base.taskMgr.step()
        if plugin.worker.busy or plugin.worker.prefetching:
            threading.Event().wait(0.002)  # give the worker thread the CPU; frames never wait for it
    raise AssertionError("condition never became true")


@contextlib.contextmanager
def _frozen_clock():
    """Stop time (dt = 0) so bodies hold still between screenshots."""
    clock = ClockObject.getGlobalClock()
    now = clock.getFrameTime()
    clock.setMode(ClockObject.MSlave)
    clock.setFrameTime(now)
    try:
        yield
    finally:
        clock.setMode(ClockObject.MNonRealTime)
        clock.setFrameRate(30)


def _screenshot(base) -> np.ndarray:
    base.graphicsEngine.renderFrame()
    texture = base.win.getScreenshot()
    image = np.frombuffer(texture.getRamImageAs("RGB"), np.uint8)
    return image.reshape(texture.getYSize(), texture.getXSize(), 3)[::-1]  # top row first


def _screen_box(base, node: NodePath) -> tuple[slice, slice]:
    """Rows and columns of the window covered by ``node``'s bounds."""
    low, high = node.getTightBounds(base.cam)
    lens, points = base.cam.node().getLens(), []
    for corner in ((x, y, z) for x in (low.x, high.x) for y in (low.y, high.y) for z in (low.z, high.z)):
        film = Point2()
        lens.project(Point3(*corner), film)
        points.append(film)
    width, height = base.win.getXSize(), base.win.getYSize()
    cols = sorted(int((p.x + 1) / 2 * width) for p in points)
    rows = sorted(int((1 - p.y) / 2 * height) for p in points)
    return slice(max(rows[0], 0), min(rows[-1], height)), slice(max(cols[0], 0), min(cols[-1], width))


# --- attach and detach ---------------------------------------------------------------------------
def test_attach_gives_each_copy_its_own_texture_and_detach_frees_it(panda_base, make_plugin):
    plugin = make_plugin()
    mira, mira_2 = (plugin.runtime.spawn(asset_path("characters", "mira.yaml")) for _ in range(2))
    events = []
    listener = DirectObject()
    listener.accept("anisync-detached", lambda character: events.append(character.id))
    first, second = plugin.attach(mira), plugin.attach(mira_2)
    assert first.texture is not second.texture and first.texture.getName() != second.texture.getName()
    assert first.face_node.getTexture() == first.texture and second.face_node.getTexture() == second.texture
    assert first.node.getParent() == panda_base.render and first.binding is not None
    _frames_until(panda_base, plugin, lambda: first.face_emotion is not None)
    node = first.node
    plugin.detach(mira)
    assert node.isEmpty() and not first.texture.hasRamImage() and "mira" not in plugin.views
    assert events == ["mira"] and len(plugin.cache) == sum(1 for key in plugin.cache._faces if key[0] == "mira_2")
    # Despawning detaches at the next frame.
    plugin.runtime.despawn("mira_2")
    _frames(panda_base, 1)
    assert plugin.views == {} and second.node.isEmpty() and events == ["mira", "mira_2"]
    listener.ignoreAll()


def test_attach_rejects_bad_arguments(panda_base, make_plugin):
    plugin = make_plugin()
    mira = plugin.runtime.spawn(asset_path("characters", "mira.yaml"))
    stranger = Runtime().spawn(asset_path("characters", "mira.yaml"))
    with pytest.raises(InvalidArgumentError, match="character: .* not spawned"):
        plugin.attach(stranger)
    with pytest.raises(InvalidArgumentError, match="rig: a JointMap"):
        plugin.attach(mira, Actor("models/panda-model"))
    with pytest.raises(InvalidArgumentError, match="rig: joint 'Bone_tail'"):
        plugin.attach(mira, Actor("models/panda-model"), rig=JointMap({"head": "Bone_tail"}))
    with pytest.raises(InvalidArgumentError, match="node: expected a NodePath"):
        plugin.attach(mira, "panda")
    plugin.attach(mira)
    with pytest.raises(InvalidArgumentError, match="already attached"):
        plugin.attach(mira)
    with pytest.raises(InvalidArgumentError, match="upload_budget"):
        make_plugin(upload_budget=0)


# --- faces ---------------------------------------------------------------------------------------
def test_uploads_happen_only_when_the_quantised_expression_changes(panda_base, make_plugin):
    plugin = make_plugin(update_runtime=False)
    yuki = plugin.runtime.spawn(asset_path("characters", "yuki.yaml"))
    view = plugin.attach(yuki)
    yuki.expression = _vector(neutral=0.6)
    _frames_until(panda_base, plugin, lambda: view.face_emotion == "neutral")
    modified, uploads = view.texture.getImageModified().getSeq(), plugin.uploads
    yuki.expression = _vector(neutral=0.61)  # same quantised face
    _frames(panda_base, 10)
    assert (view.texture.getImageModified().getSeq(), plugin.uploads) == (modified, uploads)
    yuki.expression = _vector(fear=0.9)
    _frames_until(panda_base, plugin, lambda: view.face_emotion == "fear")
    assert view.texture.getImageModified().getSeq() == modified + 1 and plugin.uploads == uploads + 1
    # Back to a face seen before: it comes from the cache, without a new request.
    submitted = plugin.worker.stats()["submitted"]
    yuki.expression = _vector(neutral=0.6)
    _frames(panda_base, 1)
    assert view.face_emotion == "neutral" and plugin.worker.stats()["submitted"] == submitted
    assert plugin.cache.hits >= 1


def test_likely_faces_are_drawn_ahead_so_a_burst_of_changes_finds_them_cached(panda_base, make_plugin):
    plugin = make_plugin(update_runtime=False, prefetch=True)
    characters = [plugin.runtime.spawn(asset_path("characters", "yuki.yaml")) for _ in range(3)]
    views = [plugin.attach(character) for character in characters]
    likely = len(likely_levels(plugin.quantum, plugin.min_intensity))
    _frames_until(panda_base, plugin, lambda: not plugin.worker.prefetching)
    _frames(panda_base, 1)  # the last spare faces collected
    assert plugin.worker.stats()["prefetched"] == 3 * likely and plugin.cache.evictions == 0
    assert len(plugin.cache) >= 3 * likely
    _frames(panda_base, 3)  # first faces on screen (cached or drawn on request)
    submitted = plugin.worker.stats()["submitted"]
    plugin.face_latencies.clear()
    for character, emotion in zip(characters, ("joy", "anger", "fear")):  # an event heard by all three
        character.expression = _vector(**{emotion: 0.9})
    _frames(panda_base, 1)
    assert [view.face_emotion for view in views] == ["joy", "anger", "fear"]  # in the very next frame
    assert plugin.worker.stats()["submitted"] == submitted  # nothing drawn on request
    assert [drawn for _, _, drawn, _ in plugin.face_latencies] == [False] * 3  # cache hits
    # A mixture is not drawn ahead: its dominant emotion alone stands in until the whole face is drawn.
    plugin.face_latencies.clear()
    characters[1].expression = _vector(sadness=0.9, fear=0.45)
    _frames(panda_base, 1)
    assert (views[1].face_emotion, views[1].face_second) == ("sadness", None)
    _frames_until(panda_base, plugin, lambda: views[1].face_second == "fear")
    assert views[1].face_emotion == "sadness" and plugin.worker.stats()["submitted"] == submitted + 1
    assert [(drawn, refines) for _, _, drawn, refines in plugin.face_latencies] == [(False, False), (True, True)]
    plugin.detach(characters[0])
    gone = characters[0].id  # its faces went with it
    assert all(plugin.cache.get(gone, face_key(levels, None), count=False) is None
               for _, levels in likely_levels(plugin.quantum, plugin.min_intensity))


def test_pause_holds_runtime_faces_and_poses_until_resume(panda_base, make_plugin):
    plugin = make_plugin()
    mira = plugin.runtime.spawn(asset_path("characters", "mira.yaml"))
    view = plugin.attach(mira)
    mira.behavior.activity = "wave"
    _frames_until(panda_base, plugin, lambda: view.face_emotion is not None)
    _frames(panda_base, 3)
    arm = view.binding.node("upper_arm_r")
    held = (plugin.runtime.time, plugin.frames, plugin.uploads, arm.getR())
    plugin.pause()
    plugin.runtime.emit(Event("taunt", receiver=mira.id, sender="player"))
    _frames(panda_base, 10)
    assert not plugin.running and (plugin.runtime.time, plugin.frames, plugin.uploads, arm.getR()) == held
    plugin.resume()
    plugin.resume()  # a second resume adds no second task
    _frames(panda_base, 10)
    assert plugin.running and plugin.runtime.time > held[0] and plugin.frames == held[1] + 10
    assert arm.getR() != held[3]


def test_at_most_upload_budget_faces_are_written_per_frame(panda_base, make_plugin):
    gate = threading.Event()
    plugin = make_plugin(face_source=FlatFaces(gate), update_runtime=False, upload_budget=2)
    characters = [plugin.runtime.spawn(asset_path("characters", "yuki.yaml")) for _ in range(7)]
    views = [plugin.attach(character) for character in characters]
    for i, character in enumerate(characters):
        character.expression = _vector(**{EMOTIONS[i]: 0.9})
    _frames(panda_base, 1)  # every character asks for a face; the gated model holds them all
    assert plugin.uploads == 0
    gate.set()
    for _ in range(6000):  # let the worker draw every face before the next frame (a guard, not a timing)
        if plugin.worker.stats()["completed"] == len(characters):
            break
        threading.Event().wait(0.005)
    assert plugin.worker.stats()["completed"] == len(characters)
    steps = []
    while any(view.face_emotion is None for view in views):
        uploads = plugin.uploads
        _frames(panda_base, 1)
        steps.append(plugin.uploads - uploads)
        if len(steps) == 1:  # all seven collected at once; the budget alone holds five back
            assert sum(view.ready is not None for view in views) == len(characters) - 2
        assert len(steps) <= len(characters), steps
    assert steps == [2, 2, 2, 1]  # never more than the budget in a frame
    assert [view.face_emotion for view in views] == list(EMOTIONS)
    _frames(panda_base, 3)
    assert plugin.uploads == len(characters)  # nothing left to write


def test_expression_change_changes_the_pixels_of_the_head(panda_base, make_plugin):
    plugin = make_plugin(face_source=ProceduralFaceSource(64), update_runtime=False)
    mira = plugin.runtime.spawn(asset_path("characters", "mira.yaml"))
    view = plugin.attach(mira)
    panda_base.cam.setPos(0, 1.6, 1.15)
    panda_base.cam.lookAt(0, 0, 1.15)
    mira.expression = _vector(neutral=0.7)
    _frames_until(panda_base, plugin, lambda: view.face_emotion == "neutral")
    _frames(panda_base, 12)  # the body settles into idle
    with _frozen_clock():
        before = _screenshot(panda_base)
        mira.expression = _vector(anger=0.95)
        _frames_until(panda_base, plugin, lambda: view.face_emotion == "anger")
        after = _screenshot(panda_base)
    rows, cols = _screen_box(panda_base, view.face_node)
    changed = np.abs(before.astype(int) - after.astype(int)).max(axis=2) > 24
    head = np.zeros_like(changed)
    head[rows, cols] = True
    assert changed[head].sum() > 30  # eyes, brows and mouth redrawn
    assert not changed[~head].any()  # nothing else moved


def test_no_frame_waits_for_a_slow_face_model(panda_base, make_plugin):
    gate = threading.Event()
    plugin = make_plugin(face_source=FlatFaces(gate), update_runtime=False)
    bram = plugin.runtime.spawn(asset_path("characters", "bram.yaml"))
    view = plugin.attach(bram)
    bram.expression = _vector(anger=0.9)
    frames = plugin.frames
    _frames(panda_base, 20)  # the model is stuck: frames go on regardless
    assert plugin.frames == frames + 20 and view.face_emotion is None
    assert plugin.worker.stats()["in_flight"] == 1
    gate.set()
    _frames_until(panda_base, plugin, lambda: view.face_emotion == "anger")


# --- bodies --------------------------------------------------------------------------------------
def test_joint_angles_follow_the_action_with_a_crossfade_and_the_intensity(panda_base, make_plugin):
    plugin = make_plugin(update_runtime=False)
    mira = plugin.runtime.spawn(asset_path("characters", "mira.yaml"))
    view = plugin.attach(mira)
    mira.expression = _vector(joy=0.9)
    started = []
    listener = DirectObject()
    listener.accept("anisync-behavior-started", lambda character, activity, previous: started.append((activity, previous)))
    _frames(panda_base, 15)
    arm = view.binding.node("upper_arm_r")
    hand = view.node.exposeJoint(None, "modelRoot", "hand_r")
    resting_roll, resting_hand = arm.getR(), hand.getZ(view.node)
    mira.behavior.wanted = "wave"
    plugin.runtime.update(0.0)  # the game advances the runtime itself here (update_runtime=False)
    mira.expression = _vector(joy=0.9)  # which copied the emotion over the test's expression
    _frames(panda_base, 1)
    assert started == [("wave", "idle")]
    assert abs(arm.getR() - resting_roll) < 20  # fading in, not snapping
    _frames(panda_base, 30)
    assert arm.getR() == pytest.approx(-145.0, abs=0.5)  # full joy: the authored end angle
    _frames(panda_base, 1)
    assert hand.getZ(view.node) > resting_hand + 0.4  # the hand is up in the air
    mira.expression = _vector(joy=0.45, neutral=0.3)  # milder: gain 0.4 + 0.6 * 0.25
    _frames(panda_base, 60)
    assert arm.getR() == pytest.approx(-145.0 * 0.55, abs=1.0)
    listener.ignoreAll()


def test_the_panda_model_binds_through_a_joint_map(panda_base, make_plugin):
    plugin = make_plugin(update_runtime=False)
    bram = plugin.runtime.spawn(asset_path("characters", "bram.yaml"))
    panda = Actor("models/panda-model")
    panda.reparentTo(panda_base.render)
    panda.setScale(0.004)
    paw = panda.exposeJoint(None, "modelRoot", "Bone_rf_foot")
    _frames(panda_base, 1)
    resting_paw = paw.getZ(panda)
    view = plugin.attach(bram, panda, rig=PANDA_JOINT_MAP)
    assert view.face_node.getTexture() == view.texture and view.face_node.hasParent()
    bram.expression = _vector(joy=0.9)
    bram.behavior.activity = "wave"
    _frames_until(panda_base, plugin, lambda: view.face_emotion == "joy")
    _frames(panda_base, 20)
    assert paw.getZ(panda) > resting_paw + 100  # the right front paw waves, in model units
    assert not panda.find("**/face_card").isEmpty()
    plugin.detach(bram)
    _frames(panda_base, 1)
    assert panda.find("**/face_card").isEmpty() and panda.getParent() == panda_base.render
    assert paw.getZ(panda) == pytest.approx(resting_paw, abs=1e-3)  # joints back to the model's own pose
    panda.cleanup()
    panda.removeNode()


#: A small glTF rig with Mixamo-style joint names: joint -> (parent, rest position in the canonical
#: frame: metres, Z up, facing +Y; the humanoid's own proportions).
GLTF_SKELETON = {
    "Hips": (None, (0.0, 0.0, 0.78)), "Spine": ("Hips", (0.0, 0.0, 1.0)), "Neck": ("Spine", (0.0, 0.0, 1.12)),
    "Head": ("Neck", (0.0, 0.0, 1.19)), "RightArm": ("Spine", (0.15, 0.0, 1.07)),
    "RightForeArm": ("RightArm", (0.165, 0.0, 0.86)), "RightHand": ("RightForeArm", (0.17, 0.0, 0.67)),
}
GLTF_JOINT_MAP = JointMap(
    joints={"hips": "Hips", "chest": "Spine", "neck": "Neck", "head": "Head", "upper_arm_r": "RightArm",
            "forearm_r": "RightForeArm", "hand_r": "RightHand"},
    forward=180.0, face_center=(0.0, -0.1, 0.06), face_size=0.2,  # glTF faces +Z, which is -Y once in Panda3D
)


def _write_skinned_gltf(path) -> None:
    """A skinned glTF 2.0 file (Y up, facing +Z, buffer embedded): a 6 cm box on every joint of
    :data:`GLTF_SKELETON`, each vertex weighted fully to its box's joint."""
    import base64
    import json

    names = list(GLTF_SKELETON)
    at = {name: np.array([-x, z, y]) for name, (_, (x, y, z)) in GLTF_SKELETON.items()}  # turned to face +Z, Y up
    nodes = [{"name": "body", "mesh": 0, "skin": 0}]
    for name, (parent, _) in GLTF_SKELETON.items():
        node = {"name": name, "translation": (at[name] - (at[parent] if parent else 0)).tolist()}
        children = [1 + names.index(child) for child, (above, _) in GLTF_SKELETON.items() if above == name]
        nodes.append({**node, "children": children} if children else node)
    corners = np.array([(x, y, z) for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], np.float32) * 0.03
    box = np.array([(0, 1, 3), (0, 3, 2), (4, 6, 7), (4, 7, 5), (0, 4, 5), (0, 5, 1), (2, 3, 7), (2, 7, 6),
                    (0, 2, 6), (0, 6, 4), (1, 5, 7), (1, 7, 3)])
    positions = np.concatenate([corners + at[name] for name in names]).astype(np.float32)
    joints = np.zeros((len(positions), 4), np.uint8)
    joints[:, 0] = np.repeat(np.arange(len(names)), len(corners))
    weights = np.zeros((len(positions), 4), np.float32)
    weights[:, 0] = 1.0
    indices = np.concatenate([box + len(corners) * i for i in range(len(names))]).astype(np.uint16).ravel()
    inverse_binds = np.tile(np.eye(4, dtype=np.float32), (len(names), 1, 1))
    inverse_binds[:, 3, :3] = -np.array([at[name] for name in names])  # column-major: the translation column
    blobs = [a.tobytes() for a in (positions, joints, weights, indices, inverse_binds)]
    offsets = np.cumsum([0] + [len(blob) for blob in blobs[:-1]])
    data = b"".join(blobs)
    accessors = [
        {"componentType": 5126, "count": len(positions), "type": "VEC3",
         "min": positions.min(axis=0).tolist(), "max": positions.max(axis=0).tolist()},
        {"componentType": 5121, "count": len(positions), "type": "VEC4"},
        {"componentType": 5126, "count": len(positions), "type": "VEC4"},
        {"componentType": 5123, "count": len(indices), "type": "SCALAR"},
        {"componentType": 5126, "count": len(names), "type": "MAT4"},
    ]
    path.write_text(json.dumps({
        "asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0, 1]}], "nodes": nodes,
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0, "JOINTS_0": 1, "WEIGHTS_0": 2}, "indices": 3}]}],
        "skins": [{"joints": list(range(1, 1 + len(names))), "inverseBindMatrices": 4, "skeleton": 1}],
        "accessors": [{"bufferView": i, **accessor} for i, accessor in enumerate(accessors)],
        "bufferViews": [{"buffer": 0, "byteOffset": int(offset), "byteLength": len(blob)}
                        for offset, blob in zip(offsets, blobs)],
        "buffers": [{"byteLength": len(data),
                     "uri": "data:application/octet-stream;base64," + base64.b64encode(data).decode()}],
    }), encoding="utf-8")


def _skinned_vertices(actor: Actor) -> np.ndarray:
    """The actor's vertices as the current joint poses deform them (CPU skinning), model space."""
    from panda3d.core import GeomVertexReader, Thread

    data = actor.find("**/+GeomNode").node().getGeom(0).getVertexData()
    assert data.getTransformBlendTable() is not None  # skinned, not rigid
    reader = GeomVertexReader(data.animateVertices(True, Thread.getCurrentThread()), "vertex")
    points = []
    while not reader.isAtEnd():
        points.append(tuple(reader.getData3()))
    return np.array(points)


def test_a_gltf_actor_loaded_through_panda3d_gltf_binds_through_a_joint_map(panda_base, make_plugin, tmp_path):
    gltf = pytest.importorskip("gltf")  # panda3d-gltf
    path = tmp_path / "rig.gltf"
    _write_skinned_gltf(path)
    # Actor("rig.gltf") runs the same gltf.load_model: panda3d-gltf registers it as a loader for .gltf and .glb.
    actor = Actor(NodePath(gltf.load_model(str(path))))
    actor.reparentTo(panda_base.render)
    assert sorted(joint.getName() for joint in actor.getJoints()) == sorted(GLTF_SKELETON)
    hand = actor.exposeJoint(None, "modelRoot", "RightHand")
    _frames(panda_base, 1)
    resting_hand, resting_top = hand.getPos(actor), _skinned_vertices(actor)[:, 2].max()
    assert resting_hand.z == pytest.approx(0.67, abs=1e-4)  # panda3d-gltf turned Y up into Z up
    assert resting_top == pytest.approx(1.22, abs=1e-4)  # the head box
    plugin = make_plugin(update_runtime=False)
    bram = plugin.runtime.spawn(asset_path("characters", "bram.yaml"))
    view = plugin.attach(bram, actor, rig=GLTF_JOINT_MAP)
    card = actor.find("**/face_card")
    assert card.getParent().getName() == "Head" and view.face_node.getTexture() == view.texture
    assert card.getPos(actor).y < -0.05  # in front of the face, which looks down -Y
    bram.expression = _vector(joy=0.9)
    bram.behavior.activity = "wave"
    _frames_until(panda_base, plugin, lambda: view.face_emotion == "joy")
    _frames(panda_base, 30)
    assert hand.getZ(actor) > resting_hand.z + 0.6  # the right hand is up above the head ...
    assert _skinned_vertices(actor)[:, 2].max() > resting_top + 0.1  # ... and the skin follows the joints
    plugin.detach(bram)
    _frames(panda_base, 1)
    assert actor.find("**/face_card").isEmpty()
    assert (hand.getPos(actor) - resting_hand).length() < 1e-4  # joints back to the model's own pose
    actor.cleanup()
    actor.removeNode()


# --- synchronisation and events ------------------------------------------------------------------
def test_sync_report_and_messenger_events_in_a_scripted_run(panda_base, make_plugin):
    from anisync import Event, ReflexBehavior

    plugin = make_plugin(runtime=Runtime(seed=5, behavior_factory=lambda c: ReflexBehavior(c.definition.reflexes)))
    mira = plugin.runtime.spawn(asset_path("characters", "mira.yaml"))
    plugin.attach(mira)
    seen = {}
    listener = DirectObject()
    for name in ("anisync-emotion-changed", "anisync-behavior-started", "anisync-face-shown"):
        listener.accept(name, lambda character, *args, name=name: seen.setdefault(name, (character.id, args)))
    plugin.runtime.emit(Event("gift", receiver="mira", sender="player"))
    _frames_until(panda_base, plugin, lambda: plugin.frames >= 60 and not plugin.worker.busy)
    listener.ignoreAll()
    assert seen["anisync-behavior-started"][1][0] in ("wave", "laugh", "hum")
    assert seen["anisync-emotion-changed"][0] == "mira" and seen["anisync-face-shown"][0] == "mira"
    report = plugin.sync_report()["mira"]
    assert report["frames_counted"] > 0 and report["rate"] == 1.0


class ColourJudge:
    """Reads FlatFaces' discs: the emotion whose colour is nearest the centre pixel."""

    size = 32

    def emotions(self, faces):
        centre = faces[:, self.size // 2, self.size // 2, :3].astype(int)
        colours = np.array([FlatFaces.colors[i] for i in range(len(EMOTIONS))])
        nearest = np.abs(centre[:, None] - colours[None]).sum(axis=2).argmin(axis=1)
        return np.eye(len(EMOTIONS), dtype=np.float32)[nearest]


class SadFaces(FlatFaces):
    """Draws every face sad, whatever is asked: an illegible source."""

    def render(self, character_id, appearance, expression):
        return super().render(character_id, appearance, _vector(sadness=0.9))


@pytest.mark.parametrize("faces, legible", [(FlatFaces, 1.0), (SadFaces, 0.0)])
def test_legibility_reads_the_faces_on_screen_once_the_emotion_has_settled(panda_base, make_plugin, faces, legible):
    from anisync.panda.legibility import LegibilitySampler

    plugin = make_plugin(face_source=faces())
    mira = plugin.runtime.spawn(asset_path("characters", "mira.yaml"))
    bram = plugin.runtime.spawn(asset_path("characters", "bram.yaml"))
    for character in (mira, bram):
        plugin.attach(character)
    mira.emotion.vector, bram.emotion.vector = _vector(joy=0.95), _vector(anger=0.95)
    sampler = LegibilitySampler(plugin, interval=0.1, settle=0.5)
    start = plugin.runtime.time
    _frames_until(panda_base, plugin, lambda: plugin.runtime.time - start > 2.0)
    sampler.stop()
    report = sampler.report(ColourJudge(), FlatFaces.size)
    assert report["legibility"] == legible and set(report["per_emotion"]) == {"joy", "anger"}
    assert 0.6 < report["per_emotion"]["joy"]["mean_strength"] <= 0.95  # set to 0.95, then decaying
    misread = {"joy": {"sadness": report["per_emotion"]["joy"]["samples"]}, "anger": {"sadness": report["per_emotion"]["anger"]["samples"]}}
    assert {name: row["misread_as"] for name, row in report["per_emotion"].items()} == ({"joy": {}, "anger": {}} if legible else misread)
    # Nothing in the first half second after the emotions changed; two characters every 0.1 s after it.
    assert 2 * 12 <= report["samples"] <= 2 * 16 and 2 <= report["faces_read"] < report["samples"]


class RecordingFaces(FlatFaces):
    """FlatFaces that remember every expression asked of them."""

    def __init__(self):
        super().__init__()
        self.asked = []

    def render(self, character_id, appearance, expression):
        self.asked.append(np.asarray(expression).copy())
        return super().render(character_id, appearance, expression[:7] if len(expression) == 7 else np.eye(7)[4])


def test_a_speaking_face_shows_each_viseme_and_caches_them_per_emotion(panda_base, make_plugin):
    from anisync.procedural.expression import EXPRESSION_PARAMS, ExpressionParams
    from anisync.speech import mouth_of

    faces = RecordingFaces()
    plugin = make_plugin(update_runtime=False, face_source=faces)
    yuki = plugin.runtime.spawn(asset_path("characters", "yuki.yaml"))
    view = plugin.attach(yuki)
    yuki.expression = _vector(joy=0.9)
    _frames_until(panda_base, plugin, lambda: view.face_emotion == "joy")

    def speak() -> set[str]:
        line = plugin.runtime.say(yuki.id, "Papa, oh no!")
        shown = set()
        while yuki.speaking(plugin.runtime.time):
            viseme = line.track.viseme_at(plugin.runtime.time)
            _frames_until(panda_base, plugin, lambda: view.wanted_key.endswith(b"/" + viseme.encode()) and view.ready is None)
            shown.add(viseme)
            plugin.runtime.update(1 / 30)
            yuki.expression = _vector(joy=0.9)  # the update moved the emotion; the test holds it
        return shown

    shown = speak()
    assert {"PP", "aa", "oh", "nn"} <= shown
    speaking = [e for e in faces.asked if len(e) == len(EXPRESSION_PARAMS)]
    joy = ExpressionParams.from_emotions({"joy": 1.0})  # the quantised face of joy 0.9
    opened = {round(float(e[EXPRESSION_PARAMS.index("mouth_open")]), 2) for e in speaking}
    assert {mouth_of(v)["mouth_open"] for v in shown} == opened
    forms = {float(e[EXPRESSION_PARAMS.index("mouth_form")]) for e in speaking}
    assert forms == {joy.mouth_form}  # the joyful corners stay up while speaking
    submitted = plugin.worker.stats()["submitted"]
    assert speak() == shown and plugin.worker.stats()["submitted"] == submitted  # every mouth from the cache


def test_a_scene_played_through_the_plugin_sends_its_cues_to_the_messenger(panda_base, make_plugin):
    from anisync.scenes import load_scene

    plugin = make_plugin(runtime=Runtime(seed=4), update_runtime=False)
    cast = [plugin.runtime.spawn(asset_path("characters", f"{name}.yaml")) for name in ("bram", "mira", "yuki")]
    scene = load_scene(asset_path("scenes", "campfire.json"), [c.definition for c in cast])
    heard = []
    listener = DirectObject()
    for name in ("anisync-line-started", "anisync-line-ended", "anisync-choice-needed"):
        listener.accept(name, lambda cue, name=name: heard.append((name, cue.kind)))
    try:
        before_scene = plugin.runtime.snapshot()
        player = plugin.play(scene)
        while not player.choices:
            plugin.runtime.update(0.1)
            _frames(panda_base, 1)  # the messenger delivers between frames
        _frames(panda_base, 1)
        assert ("anisync-line-started", "line_started") in heard and ("anisync-line-ended", "line_ended") in heard
        assert heard[-1] == ("anisync-choice-needed", "choice_needed")
        # A save made at the choice, loaded after the scene was gone: the scene comes back, and its cues
        # still reach the messenger.
        saved = plugin.runtime.snapshot()
        plugin.restore(before_scene)
        assert not plugin.runtime.scenes
        plugin.restore(saved, scenes=[scene])
        (resumed,) = plugin.runtime.scenes
        assert resumed is not player and resumed.choices == player.choices
        del heard[:]
        resumed.choose(0)
        plugin.runtime.update(0.1)
        _frames(panda_base, 1)
    finally:
        listener.ignoreAll()
    assert heard == [("anisync-line-started", "line_started")]
