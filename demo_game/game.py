"""``VillageGame``: the demo village as one ShowBase subclass, in the style of the Panda3D samples.

Setup is split into small methods (scenery, villagers, smart objects, player, controls, overlay); one
per-frame task, scaled by ``dt``, moves the player and the villagers and lets villagers affect each
other; the anisync plugin's own task (sort 40) then advances the runtime and shows faces and bodies.

What villagers do to each other:

* **fear spreads**: a villager whose dominant emotion is fear at 0.45 or more screams (once every few seconds);
  everyone within :data:`SCREAM_REACH` metres receives a ``scream`` event from it;
* **the campfire calms**: the campfire smart object acts on everyone within
  :data:`~anisync.demo.village.CAMPFIRE_REACH` of it, and their blackboard's ``near_campfire`` lets them warm
  their hands;
* **the bell startles**: ringing sends everyone a ``bell`` event, and the bell smart object startles those
  within :data:`~anisync.demo.village.BELL_REACH` of the tower while it rings.

Walking behaviors move the body: ``wander``, ``patrol`` and ``walk`` stroll round the villager's place,
``flee`` runs away from what frightened it (a scream, the bell; from the square's centre after thunder).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from collections import deque
from dataclasses import dataclass

import numpy as np
from direct.gui.OnscreenText import OnscreenText
from direct.showbase.ShowBase import ShowBase
from panda3d.core import (CardMaker, ClockObject, NodePath, TextNode, TransparencyAttrib, Vec3, WindowProperties,
                          loadPrcFileData)

from anisync.panda import AnisyncPlugin, AttachedCharacter, FaceSource, load_face_source
from anisync import BROADCAST, EMOTIONS, CharacterDefinition, Event, Runtime, asset_path
from anisync.behavior.smart import SmartObject, SmartObjectDefinition
from anisync.scenes import ScenePlayer, SceneCue, load_scene

from .measure import texture_memory
from .village import BELL, BELL_REACH, CAMPFIRE, CAMPFIRE_REACH, VILLAGE_RADIUS, Scenery, Spot, villager_definitions, villager_spots

#: Player actions on the villager in front: key -> event kind.
ACTION_KEYS = {"g": "greet", "t": "taunt", "h": "gift"}
#: What the player says with each action: the villager in front hears the words (read by the dialogue
#: classifier, appraised by its personality) as well as feeling the act itself.
PLAYER_WORDS = {"greet": "Good morning! Lovely to see you.", "taunt": "You're useless. Get out of my way!",
                "gift": "Here, I brought you something nice."}
#: The scene villagers perform by the campfire (assets/scenes/), and the option each action key takes
#: while it offers the player a choice.
CAMPFIRE_SCENE = "campfire.json"
CHOICE_KEYS = {"greet": 0, "taunt": 1, "gift": 2}
#: Height of a speech bubble above a villager's feet, in metres.
BUBBLE_HEIGHT = 2.25
#: What a greeted villager answers, by the emotion it feels; its mouth speaks the words (lip sync).
REPLIES = {"anger": "What do you want now?", "disgust": "Ugh. The well smells again.",
           "fear": "Did you hear that? Something is out there.", "joy": "Hello there! What a lovely day.",
           "neutral": "Good morning, traveller.", "sadness": "Oh. Hello. I miss the old days.",
           "surprise": "Oh! I did not see you coming!"}
#: How far in front (metres) and how far off the view direction (degrees) the player reaches.
REACH, REACH_ANGLE = 4.0, 40.0
#: Seconds the bell rings after B.
BELL_SECONDS = 2.0
#: Fear spreads: the fear that makes a villager scream, how far a scream carries, how often one screams.
SCREAM_FEAR, SCREAM_REACH, SCREAM_COOLDOWN = 0.45, 5.0, 6.0
#: Walking speeds (metres per second) of the activities that move the body.
WALK_SPEED = {"wander": 0.45, "patrol": 0.8, "walk": 0.8, "flee": 2.2}
#: Villagers standing within this many metres of the player turn to face it.
LOOK_AT_PLAYER = 9.0
PLAYER_SPEED, TURN_RATE = 3.0, 0.15  # metres per second; degrees per pixel of mouse motion
EYE_HEIGHT = 1.45
#: Colour of each emotion's bar in the overlay.
EMOTION_COLORS = {"anger": (0.90, 0.20, 0.15), "disgust": (0.45, 0.65, 0.15), "fear": (0.55, 0.35, 0.80),
                  "joy": (1.00, 0.78, 0.15), "neutral": (0.75, 0.75, 0.75), "sadness": (0.25, 0.45, 0.90),
                  "surprise": (1.00, 0.55, 0.10)}


@dataclass
class GameOptions:
    """How to run the village.

    Attributes:
        npcs: villagers (at least 1).
        seed: seeds the runtime, the villagers' strolls and the scenery.
        faces: who draws the faces, ``neural`` (the ONNX models; the procedural renderer if they will not
            load) or ``procedural``.
        face_size: procedural face texture side in pixels (64 to 512; neural faces are the editor's size).
        window: window or offscreen buffer size.
        offscreen: render into an offscreen buffer (no display needed) instead of a window.
        interactive: take keyboard and mouse input (a window only).
        worker: the face worker kind (``process`` or ``thread``; default: the face source's own).
        renderer: the display module that draws offscreen (one of :data:`anisync.panda.bench.OFFSCREEN_RENDERERS`):
            Mesa's software OpenGL (llvmpipe) through ``p3headlessgl``, or Panda3D's own software renderer
            ``p3tinydisplay``, faster for crowds but without fog (docs/benchmarks.md).
    """

    npcs: int = 12
    seed: int = 0
    faces: str = "neural"
    face_size: int = 256
    window: tuple[int, int] = (1280, 720)
    offscreen: bool = True
    interactive: bool = False
    worker: str | None = None
    renderer: str = "p3headlessgl"


@dataclass(eq=False)
class Villager:
    """A villager of the scene: its character, body view, place and walking state."""

    view: AttachedCharacter
    home: Spot
    target: tuple[float, float] | None = None
    flee_from: tuple[float, float] | None = None  # what last frightened it, until it flees
    walking: str = ""  # the walking activity its target belongs to
    screamed_at: float = -math.inf
    overlay: NodePath | None = None
    bar: NodePath | None = None
    label: TextNode | None = None
    bubble: NodePath | None = None
    shown_activity: str = ""
    near_fire: bool = False

    @property
    def character(self):
        return self.view.character

    @property
    def node(self) -> NodePath:
        return self.view.node


class VillageGame(ShowBase):
    """The demo village. ``VillageGame(GameOptions(...))``, then ``run()`` with a window, or step frames
    (``taskMgr.step()``) offscreen as :mod:`anisync.demo.scene` does."""

    def __init__(self, options: GameOptions):
        self.options = options
        width, height = options.window
        loadPrcFileData("anisync.demo", f"win-size {width} {height}\nwindow-title anisync village\n"
                                     "audio-library-name null\nsync-video false\n")
        if options.offscreen:
            loadPrcFileData("anisync.demo", f"window-type offscreen\nload-display {options.renderer}\n"
                                            "aux-display p3tinydisplay\n")
        ShowBase.__init__(self)
        self.disableMouse()
        self.key_map = dict.fromkeys("wasd", False)  # movement keys held
        self.overlay_on = False
        self.villagers: list[Villager] = []
        self.bell_until = -math.inf
        self.log: list[tuple[float, str]] = []  # (runtime time, what happened), for the scripted run's story
        #: Seconds the village task took per frame (walking, fear, campfire), for the benchmark.
        self.task_seconds: deque[float] = deque(maxlen=100_000)
        self._hud_next = 0.0
        self.plugin: AnisyncPlugin | None = None
        #: The scene being performed (:meth:`start_scene`), if any.
        self.scene_player: ScenePlayer | None = None
        #: Face sources by name, each made once and kept for every crowd (neutral faces are made once).
        self.face_sources: dict[str, FaceSource] = {}
        self.setup_scenery()
        self.setup_player()
        self.setup_hud()
        if options.npcs:
            self.populate(options.npcs)
        if options.interactive:
            self.setup_controls()
            if options.npcs:
                self.start_scene()
        self.taskMgr.add(self.village_task, "village", sort=10)

    # --- setup -------------------------------------------------------------------------------------
    def setup_scenery(self) -> None:
        self.scenery = Scenery(self, self.options.seed)

    def face_source(self, faces: str | None = None) -> FaceSource:
        """The face source named ``faces`` (default: the options'), made on first use."""
        faces = faces or self.options.faces
        if faces not in self.face_sources:
            self.face_sources[faces] = load_face_source(faces, self.options.face_size)
        return self.face_sources[faces]

    def populate(self, count: int, faces: str | None = None) -> None:
        """(Re)fill the village with ``count`` villagers in a fresh runtime, with fresh smart objects and a
        reseeded stroll generator (same seed, same villagers, same start), their faces drawn by the source
        named ``faces`` (default: the options')."""
        if self.plugin is not None:
            self.plugin.destroy()  # removes the bodies, and the overlays with them
        self.rng = np.random.default_rng(self.options.seed)
        self.setup_smart_objects()
        self.runtime = Runtime(seed=self.options.seed)
        self.plugin = AnisyncPlugin(self, self.runtime, face_source=self.face_source(faces), worker=self.options.worker)
        self.villagers = []
        for definition, spot in zip(villager_definitions(count), villager_spots(count)):
            view = self.plugin.attach(self.runtime.spawn(definition))
            view.node.setPos(spot.x, spot.y, 0)
            view.node.setH(spot.heading)
            villager = Villager(view, spot)
            self._overlay_for(villager)
            self.villagers.append(villager)
        self.bell_until = -math.inf
        self.scene_player = None
        self.log.clear()

    def setup_smart_objects(self) -> None:
        self.campfire = SmartObject(SmartObjectDefinition.load(asset_path("objects", "campfire.yaml")))
        self.bell = SmartObject(SmartObjectDefinition.load(asset_path("objects", "bell.yaml")))

    def setup_player(self) -> None:
        self.player = self.render.attachNewNode("player")
        self.player.setPos(0, -9.5, 0)
        self.camera.reparentTo(self.player)
        self.camera.setPos(0, 0, EYE_HEIGHT)
        self.camera.setP(-6)
        self.camLens.setFov(70)

    def setup_controls(self) -> None:
        """The key map: WASD walk, mouse looks, G/T/H act on the villager in front, B rings the bell,
        F1 toggles the overlay, Escape quits."""
        for key in self.key_map:
            self.accept(key, self.set_key, [key, True])
            self.accept(f"{key}-up", self.set_key, [key, False])
        for key, kind in ACTION_KEYS.items():
            self.accept(key, self.act, [kind])
        self.accept("b", self.ring_bell)
        self.accept("f1", self.toggle_overlay)
        self.accept("escape", self.userExit)
        if self.win is not None and not self.options.offscreen:
            properties = WindowProperties()
            properties.setCursorHidden(True)
            self.win.requestProperties(properties)

    def set_key(self, key: str, held: bool) -> None:
        self.key_map[key] = held

    def setup_hud(self) -> None:
        self.hud = OnscreenText(text="", pos=(-self.getAspectRatio() + 0.04, 0.92), scale=0.045,
                                fg=(1, 1, 1, 1), shadow=(0, 0, 0, 0.8), align=TextNode.ALeft, mayChange=True)
        self.help = OnscreenText(text="WASD walk  mouse look  G greet  T taunt  H gift  B bell  F1 overlay  Esc quit",
                                 pos=(0, -0.95), scale=0.04, fg=(1, 1, 1, 0.85), shadow=(0, 0, 0, 0.8))

    def _overlay_for(self, villager: Villager) -> None:
        overlay = villager.node.attachNewNode("overlay")
        overlay.setPos(0, 0, 1.78)
        overlay.setBillboardPointEye()
        overlay.setLightOff(1)
        overlay.setDepthOffset(1)
        frame = CardMaker("bar-frame")
        frame.setFrame(-0.32, 0.32, -0.035, 0.035)
        back = overlay.attachNewNode(frame.generate())
        back.setColor(0, 0, 0, 0.55)
        back.setTransparency(TransparencyAttrib.M_alpha)
        bar = CardMaker("bar")
        bar.setFrame(0, 0.62, -0.025, 0.025)
        villager.bar = overlay.attachNewNode(bar.generate())
        villager.bar.setPos(-0.31, -0.001, 0)
        villager.label = TextNode("behavior")
        villager.label.setAlign(TextNode.ACenter)
        villager.label.setTextColor(1, 1, 1, 1)
        villager.label.setShadow(0.05, 0.05)
        label = overlay.attachNewNode(villager.label)
        label.setScale(0.09)
        label.setPos(0, 0, 0.06)
        if not self.overlay_on:
            overlay.hide()
        villager.overlay = overlay

    # --- player ------------------------------------------------------------------------------------
    def in_front(self) -> Villager | None:
        """The nearest villager within reach in front of the player, if any."""
        position, forward = self.player.getPos(), self.render.getRelativeVector(self.player, Vec3(0, 1, 0))
        best, best_distance = None, REACH
        for villager in self.villagers:
            offset = villager.node.getPos() - position
            offset.z = 0
            distance = offset.length()
            if distance < 1e-6 or distance > best_distance:
                continue
            cosine = offset.dot(forward) / distance
            if cosine >= math.cos(math.radians(REACH_ANGLE)):
                best, best_distance = villager, distance
        return best

    def act(self, kind: str) -> Villager | None:
        """The player greets, taunts or gives a gift (``kind``) to the villager in front, saying
        :data:`PLAYER_WORDS`; returns the villager. A greeted villager answers, in words that fit what it
        feels, and its mouth speaks them."""
        if self.scene_player is not None and self.scene_player.choices:
            options, index = self.scene_player.choices, CHOICE_KEYS[kind]
            if index < len(options):
                self.tell(f"player chooses: {options[index]}")
                self.scene_player.choose(index)
                return None
        villager = self.in_front()
        if villager is not None:
            target = villager.character.id
            self.runtime.emit(Event(kind, receiver=target, sender="player"), ttl=2.0)
            words = self.runtime.hear(PLAYER_WORDS[kind], to=target, heard_by=target)
            heard_as = "" if words is None else f" (heard as {EMOTIONS[int(words.argmax())]})"
            self.tell(f"player: {kind} -> {villager.character.definition.name}: \"{PLAYER_WORDS[kind]}\"{heard_as}")
            if kind == "greet":
                reply = REPLIES[villager.character.dominant()[0]]
                self.runtime.say(target, reply, heard_by=None)
                self.tell(f"{villager.character.definition.name}: {reply}")
        else:
            self.tell(f"player: {kind}, but nobody is in front")
        return villager

    # --- the campfire scene --------------------------------------------------------------------------
    def start_scene(self, name: str = CAMPFIRE_SCENE) -> ScenePlayer | None:
        """The first villager of each archetype (Mira, Yuki, Bram) plays that part of the scene ``name``;
        lines show in speech bubbles and the log, with what the cast felt when each line ended. Returns the
        scene's player, or None when the village lacks one of the parts."""
        parts = ("bram", "mira", "yuki")
        cast: dict[str, str] = {}
        for villager in self.villagers:
            cast.setdefault(Path(villager.character.definition.source).stem, villager.character.id)
        if not all(part in cast for part in parts):
            self.tell(f"the campfire scene needs a villager for each of {', '.join(parts)}; not played")
            return None
        scene = load_scene(asset_path("scenes", name), [CharacterDefinition.load(asset_path("characters", f"{part}.yaml"))
                                                        for part in parts])
        self.scene_player = self.plugin.play(scene, cast)
        self.scene_player.on("line_started", self._line_started)
        self.scene_player.on("line_ended", self._line_ended)
        self.scene_player.on("choice_needed", lambda cue: self.tell(
            "choose: " + ", ".join(f"{key.upper()} {option}" for key, option in zip("gth", cue.choices))))
        self.scene_player.on("scene_ended", lambda cue: self.tell("the campfire scene ends"))
        return self.scene_player

    def _villager(self, part: str) -> Villager | None:
        actor = self.scene_player.actor(part)
        return next((v for v in self.villagers if v.character.id == actor), None)

    def _line_started(self, cue: SceneCue) -> None:
        line, villager = cue.line, self._villager(cue.line.speaker)
        name = villager.character.definition.name if villager else line.speaker
        gesture = f", {line.gesture}" if line.gesture else ""
        self.tell(f"{name} ({line.speaker}): \"{line.text}\" [{cue.emotion} from the {cue.source}{gesture}]")
        if villager is not None:
            self._bubble(villager).show()
            villager.bubble.node().setText(line.text)

    def _line_ended(self, cue: SceneCue) -> None:
        if (villager := self._villager(cue.line.speaker)) is not None and villager.bubble is not None:
            villager.bubble.hide()
        felt = ", ".join(f"{part} {self.runtime.characters[actor].dominant()[0]}"
                         for part, actor in self.scene_player.cast.items())
        self.tell(f"  felt: {felt}")

    def _bubble(self, villager: Villager) -> NodePath:
        """The villager's speech bubble: wrapped text on a pale card, always facing the camera."""
        if villager.bubble is None:
            text = TextNode("bubble")
            text.setAlign(TextNode.ACenter)
            text.setWordwrap(14)
            text.setTextColor(0.1, 0.1, 0.1, 1)
            text.setCardColor(1, 1, 0.95, 0.85)
            text.setCardAsMargin(0.4, 0.4, 0.25, 0.25)
            text.setCardDecal(True)
            villager.bubble = villager.node.attachNewNode(text)
            villager.bubble.setScale(0.16)
            villager.bubble.setPos(0, 0, BUBBLE_HEIGHT)
            villager.bubble.setBillboardPointEye()
            villager.bubble.setLightOff(1)
            villager.bubble.setDepthOffset(2)
        return villager.bubble

    def ring_bell(self) -> None:
        """Everyone hears the bell; those near the tower are startled while it rings."""
        self.runtime.emit(Event("bell", receiver=BROADCAST, sender="player"), ttl=2.0)
        self.bell_until = self.runtime.time + BELL_SECONDS
        for villager in self.villagers:
            villager.flee_from = BELL
        self.tell("player rings the bell")

    def thunder(self) -> None:
        """Thunder rolls: everyone hears it (the scripted scene's storm; fear then spreads by screams)."""
        self.runtime.emit(Event("thunder", receiver=BROADCAST, sender="world"), ttl=2.0)
        for villager in self.villagers:
            villager.flee_from = CAMPFIRE  # run from the open square towards the houses
        self.tell("thunder rolls")

    def toggle_overlay(self) -> None:
        """F1: show or hide every villager's dominant-emotion bar and behavior."""
        self.overlay_on = not self.overlay_on
        for villager in self.villagers:
            villager.overlay.show() if self.overlay_on else villager.overlay.hide()

    def tell(self, what: str) -> None:
        self.log.append((self.runtime.time, what))

    # --- per frame ---------------------------------------------------------------------------------
    def village_task(self, task):
        started = time.perf_counter()
        dt = min(ClockObject.getGlobalClock().getDt(), 0.1)
        if self.options.interactive:
            self.move_player(dt)
        if self.plugin is not None and self.plugin.running:  # with anisync switched off the villagers stand still
            self.move_villagers(dt)
            self.spread_fear()
            self.warm_by_the_fire()
        self.scenery.flicker(ClockObject.getGlobalClock().getFrameTime())
        if self.overlay_on:
            self.update_overlay()
        self.update_hud()
        self.task_seconds.append(time.perf_counter() - started)
        return task.cont

    def move_player(self, dt: float) -> None:
        if self.mouseWatcherNode is not None and self.mouseWatcherNode.hasMouse():
            pointer = self.win.getPointer(0)
            cx, cy = self.win.getXSize() // 2, self.win.getYSize() // 2
            self.player.setH(self.player.getH() - (pointer.getX() - cx) * TURN_RATE)
            self.camera.setP(max(-60, min(60, self.camera.getP() - (pointer.getY() - cy) * TURN_RATE)))
            self.win.movePointer(0, cx, cy)
        held = self.key_map
        step = Vec3(held["d"] - held["a"], held["w"] - held["s"], 0)
        if step.length() > 0:
            step.normalize()
            self.player.setPos(self.player, step * PLAYER_SPEED * dt)

    def move_villagers(self, dt: float) -> None:
        """Walking behaviors move bodies; the others turn to the player when near, else to their place's heading."""
        for villager in self.villagers:
            speed = WALK_SPEED.get(villager.view.activity)
            if speed is None:
                self._stand(villager, dt)
            else:
                self._walk(villager, speed, dt)

    def _stand(self, villager: Villager, dt: float) -> None:
        """Turn to the player when near, else to the place's heading."""
        villager.walking, villager.target = "", None
        to_player = self.player.getPos() - villager.node.getPos()
        heading = villager.home.heading
        if to_player.getXy().length() < LOOK_AT_PLAYER:
            heading = math.degrees(math.atan2(to_player.y, to_player.x)) - 90.0
        villager.node.setH(villager.node.getH() + _turn(villager.node.getH(), heading, 120 * dt))

    def _walk(self, villager: Villager, speed: float, dt: float) -> None:
        """Step towards the walk's target: away from what frightened it (flee), else a random spot near home,
        never out of the village."""
        position = villager.node.getPos()
        if villager.view.activity != villager.walking:  # a new walk: a new target
            villager.walking, villager.target = villager.view.activity, None
        if villager.view.activity == "flee" and villager.target is None:
            source = villager.flee_from or (self.player.getX(), self.player.getY())
            away = Vec3(position.x - source[0], position.y - source[1], 0)
            away.normalize()
            villager.target = (position.x + 3 * away.x, position.y + 3 * away.y)
            villager.flee_from = None
        if villager.target is None or math.dist(villager.target, (position.x, position.y)) < 0.2:
            angle, radius = float(self.rng.uniform(0, 2 * math.pi)), float(self.rng.uniform(0.5, 2.5))
            villager.target = (villager.home.x + radius * math.cos(angle), villager.home.y + radius * math.sin(angle))
        tx, ty = villager.target
        if math.hypot(tx - CAMPFIRE[0], ty - CAMPFIRE[1]) > VILLAGE_RADIUS:
            villager.target = (villager.home.x, villager.home.y)
            tx, ty = villager.target
        heading = math.degrees(math.atan2(ty - position.y, tx - position.x)) - 90.0
        villager.node.setH(villager.node.getH() + _turn(villager.node.getH(), heading, 360 * dt))
        forward = villager.node.getQuat().getForward()
        villager.node.setPos(position + forward * speed * dt)

    def spread_fear(self) -> None:
        now = self.runtime.time
        for villager in self.villagers:
            label, intensity = villager.character.dominant()
            if label != "fear" or intensity < SCREAM_FEAR or now - villager.screamed_at < SCREAM_COOLDOWN:
                continue
            villager.screamed_at = now
            position = villager.node.getPos()
            heard = [other for other in self.villagers if other is not villager
                     and (other.node.getPos() - position).length() <= SCREAM_REACH]
            for other in heard:
                self.runtime.emit(Event("scream", receiver=other.character.id, sender=villager.character.id), ttl=1.0)
                other.flee_from = (position.x, position.y)
            if heard:
                self.tell(f"{villager.character.definition.name} screams; {len(heard)} nearby hear it")

    def warm_by_the_fire(self) -> None:
        """The campfire and the bell act on those within their reach; near_campfire tells the trees."""
        near = []
        for villager in self.villagers:
            position = villager.node.getPos()
            is_near = math.hypot(position.x - CAMPFIRE[0], position.y - CAMPFIRE[1]) <= CAMPFIRE_REACH
            if is_near != villager.near_fire:
                villager.near_fire = is_near
                blackboard = getattr(villager.character.behavior, "blackboard", None)
                if blackboard is not None:
                    blackboard.set("near_campfire", is_near)
            if is_near:
                near.append(villager.character)
        self.campfire.update(near)
        ringing = self.runtime.time < self.bell_until
        if ringing != self.bell.blackboard["ringing"]:
            self.bell.blackboard.set("ringing", ringing)
        if ringing or self.bell.acting:
            self.bell.update([v.character for v in self.villagers
                              if math.hypot(v.node.getX() - BELL[0], v.node.getY() - BELL[1]) <= BELL_REACH])

    def update_overlay(self) -> None:
        for villager in self.villagers:
            label, intensity = villager.character.dominant()
            villager.bar.setSx(max(intensity, 0.02))
            villager.bar.setColor(*EMOTION_COLORS[label], 1)
            if villager.view.activity != villager.shown_activity:
                villager.shown_activity = villager.view.activity
                villager.label.setText(villager.shown_activity.replace("_", " "))

    def update_hud(self) -> None:
        now = ClockObject.getGlobalClock().getFrameTime()
        if now < self._hud_next:
            return
        self._hud_next = now + 0.5
        memory = texture_memory(self.win.getGsg())
        fps = ClockObject.getGlobalClock().getAverageFrameRate()
        self.hud.setText(f"{fps:5.1f} fps   textures {memory['resident_mb']:.1f} MB resident "
                         f"({memory['character_mb']:.1f} MB faces)   {len(self.villagers)} villagers")

    def story(self) -> str:
        """One line per villager: name, dominant emotion and intensity, the behavior it plays."""
        lines = []
        for villager in self.villagers:
            label, intensity = villager.character.dominant()
            lines.append(f"    {villager.character.definition.name:<8s} {label:<9s} {intensity:4.2f}  {villager.view.activity}")
        return "\n".join(lines)


def _turn(current: float, wanted: float, most: float) -> float:
    """The signed turn (degrees) from ``current`` towards ``wanted``, at most ``most``."""
    delta = (wanted - current + 180.0) % 360.0 - 180.0
    return max(-most, min(most, delta))

