# examples/plugin.py: two characters shown by the Panda3D plugin (python examples/plugin.py).
from direct.showbase.ShowBase import ShowBase
from panda3d.core import loadPrcFileData
from direct.actor.Actor import Actor
from anisync.panda import PANDA_JOINT_MAP, AnisyncPlugin
from anisync import Event, Runtime, asset_path

loadPrcFileData("", "audio-library-name null")   # this scene has no sound: open no audio device
base = ShowBase()
base.setBackgroundColor(0.8, 0.88, 0.97, 1)
base.cam.setPos(0, -4, 1.3)                      # the camera looks at both characters from the front
base.cam.lookAt(0.3, 0, 0.8)
runtime = Runtime(seed=1)
plugin = AnisyncPlugin(base, runtime)            # neural faces; a task (sort 40) runs runtime.update(dt) before rendering
mira = plugin.attach(runtime.spawn(asset_path("characters", "mira.yaml")))   # builds an anime humanoid
mira.node.setPos(-0.5, 0, 0)
mira.node.lookAt(base.cam.getX(), base.cam.getY(), 0)   # bodies face +Y, so lookAt turns them to the camera
panda = Actor("models/panda-model")              # any Actor (egg, bam, glTF via panda3d-gltf) binds with a joint map
panda.reparentTo(base.render)
panda.setPos(1.1, 0.5, 0)
panda.setScale(0.0017)
panda.lookAt(base.cam.getX(), base.cam.getY(), 0)
panda.setH(panda, 180)                           # the panda model faces -Y
plugin.attach(runtime.spawn(asset_path("characters", "bram.yaml")), panda, rig=PANDA_JOINT_MAP)
base.accept("anisync-behavior-started", lambda character, activity, previous: print(character.id, activity))
runtime.emit(Event("gift", receiver="mira", sender="player"))
base.run()
