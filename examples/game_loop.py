# examples/game_loop.py: the runtime in a plain game loop, no engine (python examples/game_loop.py).
from anisync import Event, Runtime, asset_path

runtime = Runtime(seed=1)                                   # same seed + same events = same run
mira = runtime.spawn(asset_path("characters", "mira.yaml"))
runtime.on_emotion_changed(lambda character, change: print(character.id, change.dominant), threshold=0.1)

runtime.emit(Event("gift", receiver="mira", sender="player"))   # or "group:villagers", or "*"
for frame in range(60):
    runtime.update(1 / 60)                                  # variable dt; Runtime(fixed_step=1/60) for fixed steps
print(mira.dominant(), mira.activity, mira.expression)
