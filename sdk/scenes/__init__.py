"""Scripted scenes (after Gao's script-to-animation): an Ink story performed by the runtime's characters,
with emotions, lip sync, gestures, gaze and choices. :func:`load_scene` reads and checks a compiled
story (:mod:`anisync.scenes.script` describes the format); :meth:`anisync.Runtime.play` performs it
(:mod:`anisync.scenes.player`).

    scene = load_scene(asset_path("scenes", "campfire.json"), [bram.definition, mira.definition])
    player = runtime.play(scene)
    player.on("line_started", lambda cue: print(cue.line.speaker, cue.line.text, cue.emotion))
"""

from .player import (CHOICE_NEEDED, CUE_KINDS, LINE_ENDED, LINE_GAP, LINE_STARTED, SCENE_ENDED, SceneCue, ScenePlayer,
                     ScriptedBehavior)
from .script import DEFAULT_VOICES, MAX_LINES, Scene, ScriptLine, load_scene

__all__ = ["CHOICE_NEEDED", "CUE_KINDS", "DEFAULT_VOICES", "LINE_ENDED", "LINE_GAP", "LINE_STARTED", "MAX_LINES",
           "SCENE_ENDED", "Scene", "SceneCue", "ScenePlayer", "ScriptLine", "ScriptedBehavior", "load_scene"]
