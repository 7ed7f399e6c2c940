"""``AnisyncPlugin``: runs the anisync runtime inside a Panda3D ShowBase and shows it on characters' nodes.

Each frame, in one task sorted before rendering (:data:`TASK_SORT` < the render task's 50):

1. ``runtime.update(dt)`` with the frame's ``dt``;
2. **faces**: every attached character's expression is quantised; a new key is looked up in the face cache
   and, on a miss, requested from the face worker (newest request per character wins). Finished faces go
   into the cache; while nothing is asked of it, the worker draws each character's likely faces into the
   cache ahead of time (``prefetch``), and a mixture not drawn yet shows its dominant emotion alone until
   it is. At most ``upload_budget`` faces are copied into their textures per frame, the longest waiting
   first; each copy is a plain ``memoryview`` write into ``Texture.modifyRamImage()`` because the worker
   already produced Panda's BGRA, bottom-up layout;
3. **bodies**: a change of activity starts the matching action with a crossfade; all bodies' poses come
   out of one vectorised pass and are written to the joints taken with ``Actor.controlJoint``;
4. **synchronisation**: the dominant emotion on each face and the orientation of each body's behavior are
   compared (:mod:`anisync.panda.sync`).

Game code can listen through Panda3D's messenger; every event's first argument is the ``anisync.Character``:

============================  ==================================================================
``anisync-emotion-changed``   ``(character, change)`` the emotion moved past ``emotion_threshold``
``anisync-behavior-started``  ``(character, activity, previous)``
``anisync-behavior-ended``    ``(character, activity, next)``
``anisync-event``             ``(character, event, status)`` an event reached it: ``"delivered"``,
                              ``"unappraised"`` or ``"dropped"`` (:meth:`anisync.Runtime.on_event`)
``anisync-face-shown``        ``(character, emotion)`` a new face is on screen, showing ``emotion``
``anisync-attached``          ``(character, view)``
``anisync-detached``          ``(character,)``
============================  ==================================================================

A scene played with :meth:`AnisyncPlugin.play` also sends, with the :class:`anisync.scenes.SceneCue` as the
only argument: ``anisync-line-started``, ``anisync-line-ended``, ``anisync-choice-needed`` and
``anisync-scene-ended``.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, NamedTuple

import numpy as np
from anisync import Character, Runtime
from anisync.errors import InvalidArgumentError
from direct.actor.Actor import Actor
from panda3d.core import ClockObject, Mat4, NodePath, SamplerState, Texture, TransparencyAttrib, Vec3, invert

from .actions import BLEND_SECONDS, CHANNELS, JOINTS, ActionTable, intensity_gain, resolve_action
from .body import FACE_CARD, HEIGHT, face_card, humanoid_model
from .faces import (FaceCache, FaceSource, check_min_intensity, check_quantum, likely_levels, quantise, shown_emotions,
                    speaking_params)
from .rig import JointMap, RigBinding
from .sync import SETTLE_SECONDS, SyncFrame, SyncTracker
from .worker import FaceRequest, FaceWorker, face_key

if TYPE_CHECKING:
    from anisync.scenes import ScenePlayer

#: Default least intensity of a dominant emotion on a face (:class:`AnisyncPlugin`'s ``min_intensity``).
MIN_INTENSITY = 0.75

#: Sort of the plugin's task: after input and game tasks at the default sort 0, before rendering (50).
TASK_SORT = 40

#: The built-in humanoid's joints are the canonical ones.
HUMANOID_JOINT_MAP = JointMap(joints={name: name for name in JOINTS}, height=HEIGHT)

#: Seconds over which a body's intensity gain follows the expression (so amplitude never jumps).
GAIN_SMOOTHING_SECONDS = 0.3

#: Name prefix of every face texture (then the character id).
FACE_TEXTURE_PREFIX = "anisync-face-"

#: Frames of timing kept for the bench (plugin task seconds, face latencies).
HISTORY = 100_000


class _ReadyFace(NamedTuple):
    """A face waiting for its upload: ``seq`` orders faces of one character (older never replaces newer);
    ``urgent`` when it changes the dominant emotion on screen; ``from_worker`` unless it came from the cache;
    ``refines`` when it replaces a stand-in (:meth:`AnisyncPlugin._stand_in`) with the whole face."""

    seq: int
    data: bytes
    levels: np.ndarray
    requested_at: float
    from_worker: bool
    urgent: bool
    refines: bool = False


@dataclass(eq=False)
class AttachedCharacter:
    """What the plugin keeps for one attached character. Read it; the plugin writes it.

    Attributes:
        character: the anisync character.
        node: the node it drives (the built humanoid's Actor, or the game's node).
        texture: its own face texture.
        face_node: the node showing the face.
        activity: the activity its body plays (the behavior's name; unknown names play ``idle``).
        face_emotion: the dominant emotion of the face on screen, None before the first face.
        face_second: the second emotion of the face on screen, if it shows one.
        shown_face: the face on screen, the bytes uploaded into ``texture`` (Panda's layout).
        sync: its synchronisation tracker.
    """

    character: Character
    node: NodePath
    texture: Texture
    face_node: NodePath
    owns_node: bool
    owns_face_node: bool
    binding: RigBinding | None
    activity: str
    sync: SyncTracker
    unsubscribe: Callable[[], None]
    face_emotion: str | None = None
    face_second: str | None = None
    shown_face: bytes | None = None
    # Faces: the key last wanted, the face on screen, the newest face waiting for its upload, the request
    # whose face replaces a stand-in.
    wanted_key: bytes | None = None
    shown_seq: int = 0
    ready: _ReadyFace | None = None
    refined_seq: int = -1
    # Body: action index, its clock (tempo-scaled seconds), crossfade age, pose faded from, intensity gain.
    action: int = 0
    clock: float = 0.0
    blend_age: float = 0.0
    from_pose: np.ndarray = field(default_factory=lambda: np.zeros((len(JOINTS), len(CHANNELS))))
    pose: np.ndarray = field(default_factory=lambda: np.zeros((len(JOINTS), len(CHANNELS))))
    gain: float | None = None
    fresh: bool = True  # no pose applied yet: every joint gets one


class AnisyncPlugin:
    """Binds an :class:`anisync.Runtime` to a Panda3D ShowBase (see the module docstring).

    Args:
        base: the ShowBase.
        runtime: the runtime to advance and show.
        face_source: draws faces (default: ``load_face_source("neural")``, the ONNX models, or the
            procedural renderer where a model will not load; :mod:`anisync.panda.neural`).
        worker: ``"process"`` or ``"thread"`` pool for the face source (see :mod:`anisync.panda.worker`);
            default: the source's ``worker_kind``, else ``"process"``.
        workers: size of that pool.
        batch: most faces one worker draws in one call, for sources with ``render_many``.
        quantum: expression quantisation step, 1/n (a new face is requested when a component crosses one;
            coarse steps draw fewer faces).
        min_intensity: the least intensity a dominant emotion other than neutral is drawn at (rounded up
            to a step; :func:`~anisync.panda.faces.quantise`). Anime faces exaggerate, and a face drawn at
            half an emotion is by construction half way from rest, as much neutral as the emotion (the
            mapping of :meth:`anisync.procedural.expression.ExpressionParams.from_emotions`): judges read
            it as neutral. 0 draws every emotion as strong as it is felt.
        upload_budget: most face textures written per frame (32: a bell heard by 50 villagers shows on
            most faces in the next frame; each write is a 64 KiB copy at 128 px).
        cache_bytes: face cache capacity (128 MiB: every likely face of 50 characters at 128 px fits in its
            spare share).
        prefetch: draw each attached character's likely faces (every emotion alone at every quantum step,
            strongest first; :func:`~anisync.panda.faces.likely_levels`) while the face worker has nothing
            asked of it, so a burst of emotion changes finds them cached; they fill at most
            :data:`~anisync.panda.faces.SPARE_SHARE` of the cache and never evict a face.
        emotion_threshold: how far an emotion must move to send ``anisync-emotion-changed``.
        settle: seconds after a change of dominant emotion left out of the sync rate.
        update_runtime: call ``runtime.update(dt)`` each frame (False if the game advances it itself).
    """

    def __init__(self, base, runtime: Runtime, *, face_source: FaceSource | None = None, worker: str | None = None,
                 workers: int = 1, batch: int = 8, quantum: float = 0.25, min_intensity: float = MIN_INTENSITY,
                 upload_budget: int = 32, cache_bytes: int = 128 << 20,
                 emotion_threshold: float = 0.05, settle: float = SETTLE_SECONDS, update_runtime: bool = True,
                 prefetch: bool = True):
        if not isinstance(runtime, Runtime):
            raise InvalidArgumentError(f"runtime: expected an anisync.Runtime, got {type(runtime).__name__}")
        if not (isinstance(upload_budget, int) and upload_budget >= 1):
            raise InvalidArgumentError(f"upload_budget: expected a positive integer, got {upload_budget!r}")
        if face_source is None:
            from .neural import load_face_source
            face_source = load_face_source("neural")
        if not isinstance(face_source, FaceSource):
            raise InvalidArgumentError(f"face_source: expected a FaceSource (size, render, palette), got {type(face_source).__name__}")
        self.base = base
        self.runtime = runtime
        self.face_source = face_source
        self.quantum = check_quantum(quantum)
        self.min_intensity = check_min_intensity(min_intensity)
        self.upload_budget = upload_budget
        self.emotion_threshold = emotion_threshold
        self.settle = settle
        self.update_runtime = update_runtime
        self.prefetch = bool(prefetch)
        self.cache = FaceCache(cache_bytes)
        self.worker = FaceWorker(face_source, worker or getattr(face_source, "worker_kind", "process"), workers, batch)
        self.actions = ActionTable()
        self.views: dict[str, AttachedCharacter] = {}
        self.frames = 0
        self.uploads = 0
        #: Seconds the plugin's task took per frame, as (total, runtime update, faces, bodies, sync); for the bench.
        self.task_seconds: deque[tuple[float, float, float, float, float]] = deque(maxlen=HISTORY)
        #: (seconds from request to upload, urgent, drawn, refines) of every face uploaded: ``drawn`` by the
        #: worker for this request, or else found in the cache (the face itself or a stand-in showing its
        #: dominant emotion alone); ``refines`` for the whole face that replaces a stand-in. For the bench.
        #: The upload happens just before the frame that shows the face is rendered.
        self.face_latencies: deque[tuple[float, bool, bool, bool]] = deque(maxlen=HISTORY)
        #: Seconds spent copying faces into textures, per frame (part of the faces phase); for the bench.
        self.upload_seconds: deque[float] = deque(maxlen=HISTORY)
        self._seq = 0
        #: False while :meth:`pause` holds the characters still.
        self.running = True
        self._task = base.taskMgr.add(self._frame_task, f"anisync-plugin-{id(self):x}", sort=TASK_SORT)
        # The runtime's callbacks, sent on for attached characters.
        self._unsubscribe = [
            runtime.on_behavior_started(lambda *args: self._send("anisync-behavior-started", args)),
            runtime.on_behavior_ended(lambda *args: self._send("anisync-behavior-ended", args)),
            runtime.on_event(lambda *args: self._send("anisync-event", args)),
        ]

    def _send(self, name: str, arguments: tuple) -> None:
        if arguments[0].id in self.views:
            self.base.messenger.send(name, list(arguments))

    # --- attaching ---------------------------------------------------------------------------------
    def attach(self, character: Character | str, node: NodePath | None = None, rig: JointMap | None = None,
               face: NodePath | None = None) -> AttachedCharacter:
        """Show ``character`` on a node; returns its :class:`AttachedCharacter`.

        * ``node=None``: builds the anime humanoid (:mod:`anisync.panda.body`) under ``base.render``.
        * an ``Actor``: binds its joints through ``rig`` (a :class:`JointMap`, required) and puts a face
          card on its head joint, unless ``face`` names the node to texture instead.
        * another NodePath: a face without a body; the face texture goes on ``face`` or on the node itself.

        Raises:
            InvalidArgumentError: naming ``character``, ``node``, ``rig`` or ``face``.
        """
        character = self._spawned(character)
        if character.id in self.views:
            raise InvalidArgumentError(f"character: {character.id!r} is already attached")
        if node is not None and not isinstance(node, NodePath):
            raise InvalidArgumentError(f"node: expected a NodePath, an Actor or None, got {type(node).__name__}")
        if face is not None and (not isinstance(face, NodePath) or face.isEmpty()):
            raise InvalidArgumentError(f"face: expected a non-empty NodePath or None, got {face!r}")
        if rig is not None and not isinstance(rig, JointMap):
            raise InvalidArgumentError(f"rig: expected a JointMap or None, got {type(rig).__name__}")
        if isinstance(node, Actor) and rig is None:
            raise InvalidArgumentError("rig: a JointMap from canonical joint names to the actor's joints is required for an Actor")
        owns_node = node is None
        if owns_node:
            if rig is not None:
                raise InvalidArgumentError("rig: only for a game Actor; the built-in humanoid has its own")
            node = Actor(humanoid_model(self.face_source.palette(character.id, character.appearance)), copy=True)
            node.setName(f"anisync-{character.id}")
            node.reparentTo(self.base.render)
            rig = HUMANOID_JOINT_MAP
        binding = RigBinding.bind(node, rig, self.actions.driven_joints) if isinstance(node, Actor) else None
        owns_face_node = face is None and binding is not None and not owns_node
        if owns_face_node:
            face = self._face_card(node, rig, binding)
        elif face is None:
            face = node.find(f"**/{FACE_CARD}") if owns_node else node
        texture = self._new_texture(character.id)
        face.setTexture(texture, 1)
        face.setTransparency(TransparencyAttrib.M_dual)
        face.setLightOff(1)  # the drawing carries its own shading
        view = AttachedCharacter(
            character=character, node=node, texture=texture, face_node=face, owns_node=owns_node,
            owns_face_node=owns_face_node, binding=binding, activity=character.activity, sync=SyncTracker(self.settle),
            unsubscribe=character.on_emotion_changed(
                lambda change, c=character: self.base.messenger.send("anisync-emotion-changed", [c, change]),
                self.emotion_threshold),
            action=self.actions.index[resolve_action(character.activity)],
        )
        self.views[character.id] = view
        if self.prefetch:
            self.worker.prefetch([(rank, FaceRequest(character.id, character.appearance, levels, levels * self.quantum))
                                  for rank, levels in likely_levels(self.quantum, self.min_intensity)])
        self.base.messenger.send("anisync-attached", [character, view])
        return view

    def detach(self, character: Character | str) -> None:
        """Stop showing a character: frees its texture, face requests and cached faces, releases its joints,
        and removes the body the plugin built (a game's own node stays, without the face card)."""
        character_id = character if isinstance(character, str) else getattr(character, "id", None)
        view = self.views.pop(character_id, None) if isinstance(character_id, str) else None
        if view is None:
            raise InvalidArgumentError(f"character: {character!r} is not attached")
        view.unsubscribe()
        self.worker.forget(view.character.id, spares=True)
        self.cache.drop(view.character.id)
        if view.binding is not None:
            view.binding.release()
        view.face_node.clearTexture()
        view.texture.releaseAll()
        view.texture.clearRamImage()
        if view.owns_face_node:  # the card and the node that follows the head joint
            anchor = view.face_node.getParent()
            for joint in view.node.getJoints(jointName=view.binding.joint_map.joints["head"]):
                joint.removeNetTransform(anchor.node())
            anchor.removeNode()
        if view.owns_node:
            view.node.cleanup()
            view.node.removeNode()
        self.base.messenger.send("anisync-detached", [view.character])

    def play(self, scene, cast: dict[str, str] | None = None) -> "ScenePlayer":
        """Perform ``scene`` (:func:`anisync.scenes.load_scene`) in the runtime (:meth:`anisync.Runtime.play`, with
        its ``cast``),
        sending each cue through the messenger as ``anisync-`` plus its kind with dashes
        (``anisync-line-started``); returns the scene's player."""
        player = self.runtime.play(scene, cast)
        self._send_cues(player)
        return player

    def restore(self, data: dict, scenes=()) -> None:
        """:meth:`anisync.Runtime.restore` (``scenes``: the scenes in progress in ``data`` that are not playing
        now); a scene it starts again sends its cues through the messenger as :meth:`play`'s do, and one
        still playing keeps what it had."""
        playing = list(self.runtime.scenes)
        self.runtime.restore(data, scenes)
        for player in self.runtime.scenes:
            if not any(player is kept for kept in playing):
                self._send_cues(player)

    def _send_cues(self, player) -> None:
        from anisync.scenes import CUE_KINDS

        for kind in CUE_KINDS:
            player.on(kind, lambda cue, name="anisync-" + kind.replace("_", "-"): self.base.messenger.send(name, [cue]))

    def pause(self) -> None:
        """Stop advancing and showing the runtime: every character keeps the face and pose it has (a
        game's "anisync off" switch; the demo's benchmark measures the same scene this way)."""
        self.base.taskMgr.remove(self._task)
        self.running = False

    def resume(self) -> None:
        """Advance and show the runtime again after :meth:`pause`."""
        if not self.running:
            self._task = self.base.taskMgr.add(self._frame_task, self._task.name, sort=TASK_SORT)
            self.running = True

    def destroy(self) -> None:
        """Detach everything, stop the task and the face worker."""
        for character_id in list(self.views):
            self.detach(character_id)
        self.base.taskMgr.remove(self._task)
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self.worker.close()

    def _spawned(self, character: Character | str) -> Character:
        character_id = character if isinstance(character, str) else getattr(character, "id", None)
        found = self.runtime.characters.get(character_id) if isinstance(character_id, str) else None
        if found is None or (isinstance(character, Character) and found is not character):
            raise InvalidArgumentError(f"character: {character!r} is not spawned in this plugin's runtime")
        return found

    def _new_texture(self, character_id: str) -> Texture:
        size = self.face_source.size
        texture = Texture(FACE_TEXTURE_PREFIX + character_id)
        texture.setup2dTexture(size, size, Texture.T_unsigned_byte, Texture.F_rgba8)
        texture.setRamImage(bytes(size * size * 4))  # transparent until the first face arrives
        texture.setMinfilter(SamplerState.FT_linear)  # no mipmaps: faces are seen at about their size
        texture.setMagfilter(SamplerState.FT_linear)
        texture.setWrapU(SamplerState.WM_clamp)
        texture.setWrapV(SamplerState.WM_clamp)
        return texture

    @staticmethod
    def _face_card(actor: Actor, rig: JointMap, binding: RigBinding) -> NodePath:
        head = rig.joints.get("head")
        if head is None:
            raise InvalidArgumentError("rig: maps no 'head' joint to carry the face card; pass face= instead")
        card = face_card(rig.face_size)
        card.reparentTo(actor.exposeJoint(None, "modelRoot", head))
        # At rest the card faces the rig's forward at face_center from the head; relative to the head
        # joint's frame that is the card's model-space matrix times the inverse of the joint's rest net.
        rest_net = binding.rest_nets[head]
        in_model = Mat4.rotateMat(rig.forward, Vec3(0, 0, 1)) * Mat4.translateMat(rest_net.getRow3(3) + Vec3(*rig.face_center))
        card.setMat(in_model * invert(rest_net))
        return card

    # --- per frame ---------------------------------------------------------------------------------
    def _frame_task(self, task):
        started = time.perf_counter()
        dt = ClockObject.getGlobalClock().getDt()
        if self.update_runtime:
            self.runtime.update(dt)  # it clamps a stall to its max_dt, counts and logs it
        if self.runtime.max_dt is not None:
            dt = min(dt, self.runtime.max_dt)  # and so do the bodies' animations
        for character_id, view in list(self.views.items()):
            if self.runtime.characters.get(character_id) is not view.character:  # despawned
                self.detach(character_id)
        views = list(self.views.values())
        updated = faced = animated = time.perf_counter()
        if views:
            self._want_faces(views)
            self._collect_faces()
            self._upload_faces(views)
            faced = time.perf_counter()
            self._animate(views, dt)
            animated = time.perf_counter()
            self._track_sync(views)
        self.frames += 1
        done = time.perf_counter()
        self.task_seconds.append((done - started, updated - started, faced - updated, animated - faced, done - animated))
        return task.cont

    def _want_faces(self, views: list[AttachedCharacter]) -> None:
        levels, vectors = quantise(np.stack([v.character.expression for v in views]), self.quantum, self.min_intensity)
        now = self.runtime.time
        for view, level, vector in zip(views, levels, vectors):
            # A speaking face is keyed by its viseme too: each emotion's mouth shapes are cached.
            viseme = view.character.line.track.viseme_at(now) if view.character.speaking(now) else None
            key = face_key(level, viseme)
            if key == view.wanted_key:
                continue
            self._seq += 1
            view.wanted_key = key
            urgent = shown_emotions(level)[0] != view.face_emotion
            cached = self.cache.get(view.character.id, key)
            if cached is not None:
                view.ready = _ReadyFace(self._seq, cached, level, time.perf_counter(), False, urgent)
                self.worker.forget(view.character.id)
                continue
            stand_in = self._stand_in(view.character.id, level) if viseme is None else None
            if stand_in is not None:  # the dominant emotion alone, now; the whole face once it is drawn
                view.ready = _ReadyFace(self._seq, stand_in[1], stand_in[0], time.perf_counter(), False, urgent)
                self._seq += 1
                view.refined_seq = self._seq
            expression = vector if viseme is None else speaking_params(vector, viseme)
            self.worker.request(FaceRequest(view.character.id, view.character.appearance, level, expression,
                                            self._seq, urgent and stand_in is None, viseme=viseme))

    def _stand_in(self, character_id: str, levels: np.ndarray) -> tuple[np.ndarray, bytes] | None:
        """For a mixture not in the cache, its dominant emotion alone at the same step if that face is
        cached (``(levels, face)``), else None. Not counted as a cache lookup."""
        alone = np.zeros_like(levels)
        alone[levels.argmax()] = levels.max()
        if np.array_equal(alone, levels):
            return None
        face = self.cache.get(character_id, face_key(alone, None), count=False)
        return None if face is None else (alone, face)

    def _collect_faces(self) -> None:
        for finished in self.worker.poll():
            request = finished.request
            view = self.views.get(request.character_id)
            if view is None:  # detached meanwhile
                continue
            if request.spare:  # drawn ahead: kept for later if its character still looks the same
                if view.character.appearance == request.appearance:
                    if not self.cache.has_spare_room(len(finished.data)):
                        self.worker.drop_spares()  # the rest would be drawn for nothing
                    self.cache.put(request.character_id, request.key, finished.data, spare=True)
                continue
            self.cache.put(request.character_id, request.key, finished.data)
            if request.seq > max(view.shown_seq, view.ready.seq if view.ready else 0):
                view.ready = _ReadyFace(request.seq, finished.data, request.levels, request.requested_at, True,
                                        shown_emotions(request.levels)[0] != view.face_emotion,
                                        request.seq == view.refined_seq)

    def _upload_faces(self, views: list[AttachedCharacter]) -> None:
        # Faces that change the dominant emotion on screen first, then the longest waiting.
        ready = sorted((v for v in views if v.ready is not None), key=lambda v: (not v.ready.urgent, v.ready.requested_at))
        now = time.perf_counter()
        for view in ready[: self.upload_budget]:
            face, view.ready = view.ready, None
            memoryview(view.texture.modifyRamImage())[:] = face.data
            view.shown_seq = face.seq
            view.shown_face = face.data
            view.face_emotion, view.face_second = shown_emotions(face.levels)
            self.uploads += 1
            self.face_latencies.append((now - face.requested_at, face.urgent, face.from_worker, face.refines))
            self.base.messenger.send("anisync-face-shown", [view.character, view.face_emotion])
        self.upload_seconds.append(time.perf_counter() - now)

    def _animate(self, views: list[AttachedCharacter], dt: float) -> None:
        smoothing = 1.0 - np.exp(-dt / GAIN_SMOOTHING_SECONDS)
        for view in views:
            activity = view.character.activity
            if activity != view.activity:
                view.activity = activity
                view.from_pose = view.pose.copy()
                view.action, view.clock, view.blend_age = self.actions.index[resolve_action(activity)], 0.0, 0.0
        dominant = np.fromiter((float(v.character.expression.max()) for v in views), np.float64, len(views))
        target, tempo = intensity_gain(dominant)
        gains = np.array([t if v.gain is None else v.gain + (t - v.gain) * smoothing for v, t in zip(views, target)])
        clocks = np.array([v.clock for v in views]) + dt * tempo
        ages = np.array([v.blend_age for v in views]) + dt
        poses = self.actions.poses(np.array([v.action for v in views]), clocks, gains)
        fade = np.clip(ages / BLEND_SECONDS, 0.0, 1.0)
        fade = (fade * fade * (3 - 2 * fade))[:, None, None]
        poses = fade * poses + (1.0 - fade) * np.stack([v.from_pose for v in views])
        moved = np.any(poses != np.stack([v.pose for v in views]), axis=2).tolist()
        for view, gain, clock, age, pose, changed in zip(views, gains.tolist(), clocks.tolist(), ages.tolist(), poses, moved):
            view.gain, view.clock, view.blend_age, view.pose = gain, clock, age, pose
            if view.binding is not None:
                view.binding.apply(pose, None if view.fresh else changed)
                view.fresh = False

    def _track_sync(self, views: list[AttachedCharacter]) -> None:
        now = self.runtime.time
        for view in views:
            view.sync.add(SyncFrame(now, view.character.dominant()[0], view.face_emotion, view.character.orientation,
                                   view.face_second))

    # --- reports -----------------------------------------------------------------------------------
    def sync_report(self) -> dict[str, dict]:
        """Per attached character: the synchronisation rate (frames in agreement over frames counted,
        leaving out :data:`~anisync.panda.sync.SETTLE_SECONDS` after each change of dominant emotion)."""
        return {character_id: view.sync.report() for character_id, view in self.views.items()}

    def reset_stats(self) -> None:
        """Start measuring afresh: clears timings, upload and cache counters and the sync trackers."""
        self.frames = self.uploads = 0
        self.task_seconds.clear()
        self.face_latencies.clear()
        self.upload_seconds.clear()
        self.cache.hits = self.cache.misses = self.cache.evictions = 0
        for view in self.views.values():
            view.sync = SyncTracker(self.settle)

    def stats(self) -> dict:
        """Counters of the plugin, its face cache and its worker, as plain data."""
        return {"frames": self.frames, "attached": len(self.views), "uploads": self.uploads,
                "cache": self.cache.stats(), "worker": self.worker.stats()}
