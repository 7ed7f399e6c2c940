"""Regenerates ``plugin_characters.png`` by running the Panda3D plugin example itself (``examples/plugin.py``,
shown in the README), offscreen: the example as written, with ``base.run()`` replaced by two seconds of
frames, then a screenshot. Prints,
per attached character, whether its body is whole in frame and faces the camera (``tests/test_readme.py``
runs this script and checks both).

    LP_NUM_THREADS=0 python docs/images/plugin_characters.py [--out PATH]
"""

import argparse
import json
import math
import time
from pathlib import Path

from panda3d.core import ClockObject, Point2, Point3, loadPrcFileData

ROOT = Path(__file__).resolve().parents[2]




def framing(base, view) -> dict:
    """Whether the character's body is whole in the camera's view and turned towards it (within 45°)."""
    low, high = view.node.getTightBounds(base.cam)
    corners = [Point3(x, y, z) for x in (low.x, high.x) for y in (low.y, high.y) for z in (low.z, high.z)]
    in_frame = all(base.camLens.project(corner, Point2()) for corner in corners)
    to_camera = base.cam.getPos(view.node)
    heading = math.degrees(math.atan2(-to_camera.x, to_camera.y))  # of the camera, seen from the body
    forward = view.binding.joint_map.forward if view.binding is not None else 0.0
    turned = abs((heading - forward + 180.0) % 360.0 - 180.0)
    return {"in_frame": in_frame, "facing_camera": turned <= 45.0, "face": view.face_emotion}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(Path(__file__).with_suffix(".png")), help="where the screenshot goes")
    args = parser.parse_args()
    loadPrcFileData("", "window-type offscreen\nload-display p3headlessgl\naux-display p3tinydisplay\n"
                        "audio-library-name null\nsync-video false\nwin-size 960 540\n")
    scope: dict = {}
    example = ROOT / "examples" / "plugin.py"
    exec(compile(example.read_text(encoding="utf-8").replace("base.run()", ""), str(example), "exec"), scope)
    base, plugin = scope["base"], scope["plugin"]
    ClockObject.getGlobalClock().setMode(ClockObject.MNonRealTime)
    ClockObject.getGlobalClock().setFrameRate(30)
    for _ in range(60):  # 2 s of game time; the clock is not real time, so give the face worker time
        base.taskMgr.step()
        time.sleep(0.02)
    base.win.saveScreenshot(args.out)
    print(json.dumps({view.character.id: framing(base, view) for view in plugin.views.values()}))


if __name__ == "__main__":
    main()
