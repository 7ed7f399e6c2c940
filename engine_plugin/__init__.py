"""Panda3D integration of anisync: faces that follow feelings, bodies that follow both, in sync.

    from direct.showbase.ShowBase import ShowBase
    from anisync import Runtime, asset_path
    from anisync.panda import AnisyncPlugin

    base = ShowBase()
    runtime = Runtime(seed=1)
    plugin = AnisyncPlugin(base, runtime)                       # runs runtime.update(dt) every frame
    mira = runtime.spawn(asset_path("characters", "mira.yaml"))
    view = plugin.attach(mira)                                  # builds the anime humanoid
    view.node.setPos(0, 5, 0)
    base.accept("anisync-behavior-started", lambda character, activity, previous: print(character.id, activity))
    base.run()

``anisync`` never imports Panda3D; this package does, but only when one of the names below that needs it is
first used, so the ``anisync`` command line and face worker processes start without it. See
:mod:`anisync.panda.plugin` for the frame loop and the messenger events, :mod:`anisync.panda.actions` for
the body actions and the expression-to-joint mapping, :mod:`anisync.panda.sync` for the synchronisation
rate.
"""

from __future__ import annotations

import importlib

from ..extras import import_extra

#: Public name -> the submodule defining it.
_EXPORTS = {
    **dict.fromkeys(("ACTIONS", "JOINTS", "ActionTable", "Track", "intensity_gain", "resolve_action"), "actions"),
    **dict.fromkeys(("HEIGHT", "SKELETON", "face_card", "humanoid_model"), "body"),
    **dict.fromkeys(("AtlasFaceSource", "generate_cast"), "cast"),
    **dict.fromkeys(("BodyPalette", "FaceCache", "FaceSource", "panda_layout", "quantise"), "faces"),
    **dict.fromkeys(("FACE_TEXTURE_PREFIX", "HUMANOID_JOINT_MAP", "TASK_SORT", "AnisyncPlugin", "AttachedCharacter"),
                    "plugin"),
    **dict.fromkeys(("FACE_SOURCES", "NeuralFaceSource", "load_face_source", "measure_palette"), "neural"),
    **dict.fromkeys(("ProceduralFaceSource", "identity_for"), "procedural"),
    **dict.fromkeys(("PANDA_JOINT_MAP", "JointMap", "RigBinding"), "rig"),
    **dict.fromkeys(("SETTLE_SECONDS", "SyncFrame", "SyncTracker", "sync_rate", "sync_summary"), "sync"),
    **dict.fromkeys(("FaceRequest", "FaceWorker"), "worker"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import_extra("panda3d", "panda", "the Panda3D plugin")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)


def __dir__() -> list[str]:
    return __all__
