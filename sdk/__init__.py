"""anisync SDK: the engine-agnostic runtime.

Characters have an emotion state (Lu's vector in (0,1)^7 with mood and personality layers) that
events move through an appraisal table; a behavior fills each character's behavior slot; the runtime
delivers events and advances everything in time, deterministically under a seed.

    from anisync import Event, Runtime, asset_path
    runtime = Runtime(seed=1)
    mira = runtime.spawn(asset_path("characters", "mira.yaml"))
    runtime.emit(Event("greet", receiver="mira", sender="player"))
    runtime.update(1 / 60)
    print(mira.dominant(), mira.activity)
    runtime.say("mira", "Welcome back, traveller!")   # lip sync: mira.face(runtime.time) shows the visemes
"""

from .character import Behavior, Character, CharacterDefinition, SpokenLine
from .emotion import EMOTIONS, PAD_TABLE, EmotionBank, EmotionChange, EmotionState
from .errors import (AnisyncError, CallbackError, DefinitionError, EventError, InvalidArgumentError, ModelInputError,
                     ModelLoadError, SnapshotError)
from .events import BROADCAST, Event, EventBus
from .loading import asset_roots
from .reflex import ReflexBehavior
from .resources import asset_path, shipped_characters
from .runtime import Runtime, TraceRecord

__all__ = [
    "AnisyncError", "BROADCAST", "Behavior", "CallbackError", "Character", "CharacterDefinition", "DefinitionError",
    "EMOTIONS", "EmotionBank", "EmotionChange", "EmotionState", "Event", "EventBus", "EventError", "InvalidArgumentError",
    "ModelInputError", "ModelLoadError", "PAD_TABLE", "ReflexBehavior", "Runtime", "SnapshotError", "SpokenLine",
    "TraceRecord",
    "asset_path", "asset_roots", "shipped_characters",
]
