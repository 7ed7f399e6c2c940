"""Regenerates ``plugin_characters.png``: the three sample characters and the panda model, attached to
the plugin, a second after the player gives Mira a gift, taunts Bram, greets the panda and thunder
frightens Yuki.

    LP_NUM_THREADS=1 python docs/images/plugin_characters.py
"""

import time
from pathlib import Path

from panda3d.core import AmbientLight, ClockObject, DirectionalLight, LightRampAttrib, loadPrcFileData

loadPrcFileData("", "window-type offscreen\nload-display p3headlessgl\naux-display p3tinydisplay\n"
                    "audio-library-name null\nsync-video false\nwin-size 960 540\nframebuffer-multisample 1\nmultisamples 4")

from direct.actor.Actor import Actor  # noqa: E402
from direct.showbase.ShowBase import ShowBase  # noqa: E402

from engine_plugin import PANDA_JOINT_MAP, AnisyncPlugin, ProceduralFaceSource  # noqa: E402
from sdk import Event, Runtime, asset_path  # noqa: E402


def main() -> None:
    base = ShowBase()
    clock = ClockObject.getGlobalClock()
    clock.setMode(ClockObject.MNonRealTime)
    clock.setFrameRate(30)
    base.setBackgroundColor(0.80, 0.88, 0.97, 1)
    base.render.setShaderAuto()
    base.render.setAttrib(LightRampAttrib.makeSingleThreshold(0.45, 0.75))  # two-tone cel shading
    ambient = AmbientLight("ambient")
    ambient.setColor((0.45, 0.45, 0.5, 1))
    base.render.setLight(base.render.attachNewNode(ambient))
    sun = base.render.attachNewNode(DirectionalLight("sun"))
    sun.node().setColor((0.75, 0.72, 0.66, 1))
    sun.setHpr(150, -35, 0)
    base.render.setLight(sun)

    runtime = Runtime(seed=7)
    plugin = AnisyncPlugin(base, runtime, face_source=ProceduralFaceSource(256), worker="thread")
    for x, name in ((1.55, "bram"), (0.75, "mira"), (-0.05, "yuki")):
        view = plugin.attach(runtime.spawn(asset_path("characters", f"{name}.yaml")))
        view.node.setPos(x, 0, 0)
        view.node.setH(8 * x)
    panda = Actor("models/panda-model")
    panda.reparentTo(base.render)
    panda.setScale(0.0017)
    panda.setPos(-1.2, -0.9, 0)
    panda.setH(150)
    plugin.attach(runtime.spawn(asset_path("characters", "mira.yaml"), "panda"), panda, rig=PANDA_JOINT_MAP)

    runtime.emit(Event("gift", receiver="mira", sender="player"))
    runtime.emit(Event("greet", receiver="panda", sender="player"))
    runtime.emit(Event("taunt", receiver="bram", sender="player"))
    runtime.emit(Event("thunder", receiver="yuki", sender="world"))
    base.cam.setPos(0.2, 4.6, 1.35)
    base.cam.lookAt(0.0, 0, 0.82)
    for _ in range(30):  # 1 s of game time; the clock is not real time, so give the face worker time
        base.taskMgr.step()
        time.sleep(0.02)
    out = Path(__file__).with_suffix(".png")
    base.win.saveScreenshot(str(out))
    print({v.character.id: (v.character.dominant()[0], v.activity, v.face_emotion) for v in plugin.views.values()}, out)


if __name__ == "__main__":
    main()
