"""The plugin in real Panda3D frames: an offscreen window, software OpenGL, a few frames per test."""

import contextlib
import threading

import numpy as np
import pytest

from engine_plugin.faces import BodyPalette
from sdk import EMOTIONS, InvalidArgumentError, Runtime, asset_path

panda3d = pytest.importorskip("panda3d")

from direct.actor.Actor import Actor  # noqa: E402
from direct.showbase.DirectObject import DirectObject  # noqa: E402
from panda3d.core import ClockObject, NodePath, Point2, Point3  # noqa: E402

from engine_plugin import PANDA_JOINT_MAP, AnisyncPlugin, JointMap, ProceduralFaceSource  # noqa: E402


class Puppet:
    """A behavior whose activity the test sets."""

    def __init__(self, character=None):
        self.activity = "idle"

    def on_event(self, character, event):
        pass

    def update(self, character, dt):
        pass

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
        if plugin.worker.busy:
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
    mira.behavior.activity = "wave"
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


# --- synchronisation and events ------------------------------------------------------------------
def test_sync_report_and_messenger_events_in_a_scripted_run(panda_base, make_plugin):
    from sdk import Event, ReflexBehavior

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
