"""Scene style pairs: the village drawn twice from the same viewpoint and lights, once with realistic
shading and once as an anime background, for training and measuring the stylizer
(:mod:`anisync.stylize.pairs`).

Both looks are our own GLSL shaders (Panda3D's built-in toon path fails on software OpenGL), one program
with a ``mode`` input, so that the two renders differ only in shading:

* **realistic** (mode 0): per-pixel Lambert light with smooth falloff, a Blinn specular sheen, the ground's
  photographic grass texture and a mottled grain in world space over every surface, fog; then photographed
  (:func:`anisync.stylize.pairs.photograph`: blur, sensor noise, JPEG);
* **anime** (mode 1): flat vertex colours (the ground's texture replaced by its mean colour), light in two
  bands, fog, and dark outlines where depth or normals jump (mode 2 draws view normals and depth, from
  which the outlines are found).

Each layout (the village built from one seed: houses and trees placed anew) is seen from several random
viewpoints under random light (sun direction and colour, ambient, the campfire's strength, fog). Frames are
drawn at twice the size and averaged down, so both looks are antialiased alike. Train and test splits
use disjoint layouts and viewpoint streams.
"""

from __future__ import annotations

import math

import numpy as np
from anisync.errors import AnisyncError
from anisync.stylize.pairs import photograph, write_pairs

from .village import Scenery

#: Viewpoints drawn of each village layout.
VIEWS_PER_LAYOUT = 8
#: The test split's layouts are numbered from here (the training layouts from 0).
TEST_LAYOUTS = 10_000

_VERTEX = """#version 330
uniform mat4 p3d_ModelViewProjectionMatrix;
uniform mat4 p3d_ModelViewMatrix;
uniform mat4 p3d_ModelMatrix;
uniform mat3 p3d_NormalMatrix;
in vec4 p3d_Vertex;
in vec3 p3d_Normal;
in vec4 p3d_Color;
in vec2 p3d_MultiTexCoord0;
out vec3 eye_position;
out vec3 world_position;
out vec3 eye_normal;
out vec4 color;
out vec2 uv;
void main() {
  gl_Position = p3d_ModelViewProjectionMatrix * p3d_Vertex;
  eye_position = (p3d_ModelViewMatrix * p3d_Vertex).xyz;
  world_position = (p3d_ModelMatrix * p3d_Vertex).xyz;
  eye_normal = normalize(p3d_NormalMatrix * p3d_Normal);
  color = p3d_Color;
  uv = p3d_MultiTexCoord0;
}
"""

_FRAGMENT = """#version 330
uniform struct p3d_LightSourceParameters { vec4 color; vec4 position; vec3 attenuation; } p3d_LightSource[4];
uniform struct p3d_LightModelParameters { vec4 ambient; } p3d_LightModel;
uniform struct p3d_FogParameters { vec4 color; float density; } p3d_Fog;
uniform sampler2D p3d_Texture0;
uniform int mode;          // 0 realistic, 1 anime, 2 view normals and depth
uniform vec4 flat_tint;    // anime: what the texture becomes (its mean colour; white where there is none)
in vec3 eye_position;
in vec3 world_position;
in vec3 eye_normal;
in vec4 color;
in vec2 uv;
out vec4 frag;

float hash(vec3 p) { return fract(sin(dot(floor(p), vec3(12.9898, 78.233, 37.719))) * 43758.5453); }
float grain(vec3 p) {  // value noise, trilinear between lattice points
  vec3 f = fract(p), s = f * f * (3.0 - 2.0 * f);
  float x00 = mix(hash(p), hash(p + vec3(1, 0, 0)), s.x), x10 = mix(hash(p + vec3(0, 1, 0)), hash(p + vec3(1, 1, 0)), s.x);
  float x01 = mix(hash(p + vec3(0, 0, 1)), hash(p + vec3(1, 0, 1)), s.x), x11 = mix(hash(p + vec3(0, 1, 1)), hash(p + vec3(1, 1, 1)), s.x);
  return mix(mix(x00, x10, s.y), mix(x01, x11, s.y), s.z);
}

void main() {
  vec3 n = normalize(eye_normal);
  float depth = -eye_position.z;
  if (mode == 2) {
    float d = clamp(depth / 100.0, 0.0, 1.0) * 255.0;
    frag = vec4(n.xy * 0.5 + 0.5, floor(d) / 255.0, fract(d));
    return;
  }
  vec4 albedo = mode == 0 ? color * texture(p3d_Texture0, uv) : color * flat_tint;
  vec3 ambient = p3d_LightModel.ambient.rgb;
  if (dot(ambient, ambient) == 0.0) { frag = albedo; return; }  // lights off: the fire and lanterns glow
  if (mode == 0) albedo.rgb *= 0.8 + 0.25 * grain(world_position * 3.0) + 0.15 * grain(world_position * 17.0);
  vec3 light = ambient, sheen = vec3(0.0);
  for (int i = 0; i < 4; ++i) {
    vec4 position = p3d_LightSource[i].position;
    vec3 to_light = position.xyz - eye_position * position.w;
    float distance = length(to_light);
    vec3 direction = to_light / distance;
    float reach = 1.0 / dot(p3d_LightSource[i].attenuation, vec3(1.0, distance, distance * distance));
    float lambert = max(dot(n, direction), 0.0) * reach;
    if (mode == 1) {
      lambert = lambert > 0.45 ? 1.0 : (lambert > 0.1 ? 0.5 : 0.0);
    } else {
      vec3 half_vector = normalize(direction + normalize(-eye_position));
      sheen += p3d_LightSource[i].color.rgb * 0.35 * pow(max(dot(n, half_vector), 0.0), 24.0) * reach;
    }
    light += p3d_LightSource[i].color.rgb * lambert;
  }
  vec3 rgb = albedo.rgb * light + sheen;
  float seen = clamp(exp(-p3d_Fog.density * depth), 0.0, 1.0);
  frag = vec4(mix(p3d_Fog.color.rgb, rgb, seen), 1.0);
}
"""


class SceneRenderer:
    """An offscreen Panda3D window of ``2 * size`` pixels that draws village style pairs of ``size``."""

    def __init__(self, size: int):
        from direct.showbase.ShowBase import ShowBase
        from panda3d.core import GraphicsOutput, Shader, Texture, loadPrcFileData

        loadPrcFileData("anisync.style_scenes", f"window-type offscreen\nload-display p3headlessgl\n"
                                                f"aux-display p3tinydisplay\nwin-size {2 * size} {2 * size}\n"
                                                "audio-library-name null\nsync-video 0\n")
        self.size = size
        self.base = ShowBase()
        self.frame = Texture()
        self.base.win.addRenderTexture(self.frame, GraphicsOutput.RTMCopyRam)
        self.base.render.setShader(Shader.make(Shader.SL_GLSL, _VERTEX, _FRAGMENT), 100)
        self.base.render.setShaderInput("flat_tint", (1.0, 1.0, 1.0, 1.0))
        self.scenery = None

    def close(self) -> None:
        """Close the window and Panda3D's engine."""
        self.base.destroy()

    def layout(self, seed: int) -> None:
        """Build the village laid out from ``seed`` (replacing the last one)."""
        if self.scenery is not None:
            self.scenery.root.removeNode()
            self.base.render.clearLight()
            self.base.render.clearFog()
        self.scenery = Scenery(self.base, seed=seed)
        ground = self.scenery.root.find("**/ground")
        texture = ground.getTexture()
        image = np.frombuffer(texture.getRamImageAs("RGB"), np.uint8).reshape(-1, 3)
        ground.setShaderInput("flat_tint", (*(image.mean(axis=0) / 255.0), 1.0))

    def view(self, rng: np.random.Generator) -> None:
        """A random viewpoint in the village looking at a point near the square, and random light."""
        distance, bearing = rng.uniform(4.0, 20.0), rng.uniform(0, 2 * math.pi)
        self.base.camera.setPos(distance * math.cos(bearing), distance * math.sin(bearing), rng.uniform(1.2, 7.0))
        self.base.camera.lookAt(*rng.uniform(-4.0, 4.0, 2), rng.uniform(0.3, 2.0))
        self.base.camLens.setFov(float(rng.uniform(45, 75)))
        root = self.scenery.root
        warm = rng.uniform(0.0, 1.0)  # 0: noon white, 1: dusk orange
        root.find("**/low-sun").node().setColor((0.95, 0.95 - 0.4 * warm, 0.9 - 0.6 * warm, 1))
        root.find("**/low-sun").setHpr(rng.uniform(0, 360), rng.uniform(-70, -10), 0)
        level = rng.uniform(0.25, 0.55)
        root.find("**/dusk-ambient").node().setColor((level, level * rng.uniform(0.9, 1.05), level * rng.uniform(0.95, 1.3), 1))
        fire = rng.uniform(0.0, 1.6)
        root.find("**/campfire-light").node().setColor((fire, 0.55 * fire, 0.25 * fire, 1))
        sky = (0.35 + 0.5 * (1 - warm) * rng.uniform(0.5, 1), 0.35 + 0.3 * rng.uniform(), 0.45 + 0.4 * rng.uniform(), 1)
        self.base.setBackgroundColor(*sky)
        self.base.render.getFog().setColor(*sky[:3])
        self.base.render.getFog().setExpDensity(float(rng.uniform(0.005, 0.035)))

    def _draw(self, mode: int) -> np.ndarray:
        self.base.render.setShaderInput("mode", mode)
        self.base.graphicsEngine.renderFrame()
        side = self.frame.getYSize()
        return np.frombuffer(self.frame.getRamImageAs("RGBA"), np.uint8).reshape(side, -1, 4)[::-1]

    def pair(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(realistic photograph, anime render) of the current view, uint8 RGB ``[size, size, 3]``."""
        realistic = self._draw(0)[..., :3].astype(np.float32)
        anime = self._draw(1)[..., :3].astype(np.float32)
        sky = self.base.getBackgroundColor()
        self.base.setBackgroundColor(0.5, 0.5, 1.0, 1.0)  # the depth of the sky: as far as can be
        geometry = self._draw(2).astype(np.float32) / 255.0
        self.base.setBackgroundColor(sky)
        anime *= 1.0 - 0.7 * outlines(geometry)[..., None]
        return photograph(_halve(realistic), rng), _halve(anime)


def outlines(geometry: np.ndarray) -> np.ndarray:
    """Where the anime look draws a line (float 0/1 ``[H, W]``): a jump in view depth of over 4 % between
    neighbours, or in the view normal by more than about 25 degrees; ``geometry`` is mode 2's frame in [0, 1]."""
    depth = (geometry[..., 2] * 255.0 + geometry[..., 3]) / 255.0 * 100.0
    normal_xy = geometry[..., :2] * 2.0 - 1.0
    lines = np.zeros(depth.shape, bool)
    for axis in (0, 1):
        near = np.minimum(depth, np.roll(depth, 1, axis))
        jump = np.abs(depth - np.roll(depth, 1, axis)) > 0.04 * np.maximum(near, 0.5)
        bend = np.linalg.norm(normal_xy - np.roll(normal_xy, 1, axis), axis=-1) > 0.45
        lines |= jump | bend
    lines[0, :] = lines[:, 0] = False  # np.roll wraps round the frame's edges
    return lines.astype(np.float32)


def _halve(image: np.ndarray) -> np.ndarray:
    """2x2 box average of a float image in 0-255, as uint8."""
    side_y, side_x = image.shape[0] // 2, image.shape[1] // 2
    small = image.reshape(side_y, 2, side_x, 2, -1).mean(axis=(1, 3))
    return np.clip(small + 0.5, 0, 255).astype(np.uint8)


def make_scene_pairs(out, train: int, test: int, size: int = 256, seed: int = 0):
    """Write ``train`` + ``test`` scene pairs to ``out`` (:func:`anisync.stylize.pairs.write_pairs`):
    :data:`VIEWS_PER_LAYOUT` views of each layout; test layouts from :data:`TEST_LAYOUTS` on."""
    # Layout numbers are disjoint: training below TEST_LAYOUTS, testing below the next seed's 100,000.
    if train > TEST_LAYOUTS * VIEWS_PER_LAYOUT:
        raise AnisyncError(f"--train: at most {TEST_LAYOUTS * VIEWS_PER_LAYOUT} scene pairs, got {train}")
    if test > (100_000 - TEST_LAYOUTS) * VIEWS_PER_LAYOUT:
        raise AnisyncError(f"--test: at most {(100_000 - TEST_LAYOUTS) * VIEWS_PER_LAYOUT} scene pairs, got {test}")
    renderer = SceneRenderer(size)
    first_layout = {"train": 0, "test": TEST_LAYOUTS}
    streams = {split: np.random.default_rng([seed, k]) for k, split in enumerate(("train", "test"))}

    def make_pair(split: str, number: int):
        if number % VIEWS_PER_LAYOUT == 0:
            renderer.layout(seed * 100_000 + first_layout[split] + number // VIEWS_PER_LAYOUT)
        renderer.view(streams[split])
        return renderer.pair(streams[split])

    try:
        return write_pairs(out, "scenes", size, seed, {"train": train, "test": test}, make_pair,
                           {"views_per_layout": VIEWS_PER_LAYOUT})
    finally:
        renderer.close()
