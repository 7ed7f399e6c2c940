"""The village: scenery at dusk, where its villagers stand, and who they are.

The scenery is built in code from :mod:`anisync.demo.meshes` (houses round a square, a campfire in the
middle, a bell tower, lanterns, trees, a ground of the grass texture that ships inside the panda3d wheel),
lit for dusk: a low orange sun, blue ambient light and fog, and the campfire's flickering point light.

Villagers are the shipped sample characters (Mira's villager tree, Bram's guard tree, Yuki's shopkeeper
tree) with a generated appearance each: every villager gets its own style class and appearance seed, from
which the face source draws a distinct identity (hair, eyes, palette, accessory, clothing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from anisync import CharacterDefinition, asset_path
from anisync.loading import load_yaml
from panda3d.core import AmbientLight, DirectionalLight, Fog, PointLight, SamplerState

from .meshes import MeshBuilder

#: The campfire in the middle of the square (x, y), and how near a villager must be to feel its warmth.
CAMPFIRE = (0.0, 0.0)
CAMPFIRE_REACH = 4.0
#: The bell tower, and how far its ringing startles (everyone hears the bell as an event).
BELL = (-7.5, 6.5)
BELL_REACH = 9.0
#: Villagers keep inside this radius of the square's centre.
VILLAGE_RADIUS = 11.0

#: Roles in the order villagers are added: (archetype definition, style classes to cycle).
ROLES = (("mira", ("cute", "cool")), ("yuki", ("tech", "cute")), ("mira", ("cool", "tech")), ("bram", ("cool", "tech")))
NAMES = ("Aiko", "Haru", "Sora", "Ren", "Mei", "Kaito", "Hana", "Daichi", "Yui", "Sota", "Rin", "Takumi", "Nao",
         "Emi", "Kenji", "Saki", "Riku", "Aoi", "Jun", "Momo")

DUSK_SKY = (0.42, 0.30, 0.42, 1.0)


@dataclass(frozen=True)
class Spot:
    """Where a villager lives: a place on the ground and the way it faces at rest (degrees)."""

    x: float
    y: float
    heading: float


def villager_definitions(count: int) -> list[CharacterDefinition]:
    """``count`` villagers: the shipped samples' personalities and trees, each with its own appearance.

    Each is checked against the character schema like any definition file (the archetype's file with a
    new id, name and appearance)."""
    archetypes = {}
    for name in {role for role, _ in ROLES}:
        path = asset_path("characters", f"{name}.yaml")
        archetypes[name] = (path, load_yaml(path))
    definitions = []
    for i in range(count):
        role, styles = ROLES[i % len(ROLES)]
        path, data = archetypes[role]
        name = NAMES[i % len(NAMES)] + ("" if i < len(NAMES) else f" {i // len(NAMES) + 1}")
        appearance = {"style": styles[(i // len(ROLES)) % len(styles)], "seed": i}
        definitions.append(CharacterDefinition.from_dict(
            {**data, "id": f"villager_{i:03d}", "name": name, "appearance": appearance}, source=path))
    return definitions


def villager_spots(count: int) -> list[Spot]:
    """Places round the square in rings, facing the campfire, so that every villager is in view."""
    spots = []
    ring, placed = 0, 0
    while placed < count:
        radius = 3.0 + 1.6 * ring
        on_ring = min(max(6, int(2 * math.pi * radius / 1.3)), count - placed)
        for k in range(on_ring):
            angle = 2 * math.pi * (k + 0.5 * (ring % 2)) / on_ring
            x, y = CAMPFIRE[0] + radius * math.cos(angle), CAMPFIRE[1] + radius * math.sin(angle)
            # bodies face +Y at heading 0; turn each towards the fire
            spots.append(Spot(x, y, math.degrees(math.atan2(CAMPFIRE[1] - y, CAMPFIRE[0] - x)) - 90.0))
        placed += on_ring
        ring += 1
    return spots


class Scenery:
    """The static village and its lights, under ``base.render``."""

    def __init__(self, base, seed: int = 0):
        self.root = base.render.attachNewNode("village")
        rng = np.random.default_rng(seed)
        self._ground(base)
        self._houses(rng)
        self._trees(rng)
        self._campfire()
        self._bell_tower()
        self._lanterns()
        self._lights(base)

    def _ground(self, base) -> None:
        mesh = MeshBuilder("ground")
        mesh.ground(40.0, 0.0, (0.62, 0.66, 0.55, 1), repeat=16)
        ground = mesh.node()
        texture = base.loader.loadTexture("maps/envir-ground.jpg")
        texture.setWrapU(SamplerState.WM_repeat)
        texture.setWrapV(SamplerState.WM_repeat)
        ground.setTexture(texture)
        ground.reparentTo(self.root)
        square = MeshBuilder("square")  # packed earth round the fire
        square.cylinder((0, 0, 0.0), 6.2, 0.02, (0.50, 0.40, 0.30, 1), sides=24, cap=(0.52, 0.42, 0.31, 1))
        square.node().reparentTo(self.root)

    def _houses(self, rng: np.random.Generator) -> None:
        walls = [(0.93, 0.86, 0.72, 1), (0.85, 0.78, 0.66, 1), (0.95, 0.90, 0.80, 1), (0.80, 0.72, 0.62, 1)]
        roofs = [(0.64, 0.22, 0.20, 1), (0.30, 0.36, 0.52, 1), (0.42, 0.30, 0.22, 1), (0.28, 0.45, 0.34, 1)]
        for k in range(9):
            angle = 2 * math.pi * (k + 0.3) / 9
            radius = 15.0 + float(rng.uniform(-1.0, 1.5))
            x, y = radius * math.cos(angle), radius * math.sin(angle)
            width, depth, height = float(rng.uniform(3.5, 5.0)), float(rng.uniform(3.0, 4.0)), float(rng.uniform(2.4, 3.2))
            house = MeshBuilder("house")
            wall, roof = walls[k % len(walls)], roofs[k % len(roofs)]
            house.box((0, 0, height / 2), (width, depth, height), wall)
            house.gable_roof((0, 0, height), (width + 0.5, depth + 0.5), 1.6, roof, wall)
            house.box((0, -depth / 2 - 0.01, 0.9), (0.9, 0.05, 1.8), (0.36, 0.24, 0.16, 1))  # door
            for side in (-1, 1):  # lit windows
                house.box((side * width / 3.2, -depth / 2 - 0.01, 1.6), (0.7, 0.05, 0.6), (1.0, 0.80, 0.45, 1))
            node = house.node()
            node.setPos(x, y, 0)
            node.setH(math.degrees(angle) + 90)  # doors face the square
            node.reparentTo(self.root)

    def _trees(self, rng: np.random.Generator) -> None:
        mesh = MeshBuilder("trees")
        for _ in range(22):
            angle, radius = float(rng.uniform(0, 2 * math.pi)), float(rng.uniform(19, 30))
            x, y, size = radius * math.cos(angle), radius * math.sin(angle), float(rng.uniform(0.8, 1.4))
            mesh.cylinder((x, y, 0), 0.18 * size, 1.0 * size, (0.36, 0.25, 0.17, 1), sides=6)
            green = (0.16 + 0.08 * float(rng.random()), 0.34 + 0.10 * float(rng.random()), 0.22, 1)
            for level, (r, h) in enumerate(((1.4, 2.0), (1.1, 1.7), (0.75, 1.4))):
                mesh.cylinder((x, y, size * (0.8 + 0.9 * level)), r * size, h * size, green, sides=7, top_radius=0)
        mesh.node().reparentTo(self.root)

    def _campfire(self) -> None:
        mesh = MeshBuilder("campfire")
        for k in range(8):  # stones
            a = 2 * math.pi * k / 8
            mesh.box((CAMPFIRE[0] + 0.7 * math.cos(a), CAMPFIRE[1] + 0.7 * math.sin(a), 0.1), (0.3, 0.3, 0.2),
                     (0.45, 0.44, 0.46, 1))
        for k in range(3):  # logs
            a = math.pi * k / 3
            mesh.box((CAMPFIRE[0], CAMPFIRE[1], 0.12), (1.0 * abs(math.cos(a)) + 0.15, 1.0 * abs(math.sin(a)) + 0.15, 0.14),
                     (0.34, 0.22, 0.12, 1))
        mesh.node().reparentTo(self.root)
        flame = MeshBuilder("flame")  # tongues of flame round a bright core
        for k in range(5):
            a = 2 * math.pi * k / 5
            flame.cylinder((0.16 * math.cos(a), 0.16 * math.sin(a), 0.15), 0.13, 0.45 + 0.12 * (k % 2),
                           (0.95, 0.35, 0.08, 1), sides=5, top_radius=0)
        flame.cylinder((0, 0, 0.15), 0.16, 0.75, (1.0, 0.80, 0.30, 1), sides=6, top_radius=0)
        self.flame = flame.node()
        self.flame.setPos(CAMPFIRE[0], CAMPFIRE[1], 0)
        self.flame.setLightOff(1)  # fire glows by itself
        self.flame.reparentTo(self.root)

    def _bell_tower(self) -> None:
        mesh = MeshBuilder("bell_tower")
        x, y = BELL
        for dx in (-0.9, 0.9):
            for dy in (-0.9, 0.9):
                mesh.box((x + dx, y + dy, 2.0), (0.25, 0.25, 4.0), (0.42, 0.30, 0.20, 1))
        mesh.box((x, y, 4.1), (2.3, 2.3, 0.2), (0.38, 0.27, 0.18, 1))
        mesh.cylinder((x, y, 4.2), 1.7, 1.4, (0.55, 0.20, 0.18, 1), sides=4, top_radius=0)
        mesh.cylinder((x, y, 2.9), 0.45, 0.8, (0.80, 0.62, 0.22, 1), sides=10, top_radius=0.2, cap=(0.8, 0.62, 0.22, 1))
        mesh.node().reparentTo(self.root)

    def _lanterns(self) -> None:
        mesh = MeshBuilder("lanterns")
        for k in range(6):
            a = 2 * math.pi * (k + 0.5) / 6
            x, y = 8.3 * math.cos(a), 8.3 * math.sin(a)
            mesh.cylinder((x, y, 0), 0.06, 2.2, (0.20, 0.18, 0.18, 1), sides=5)
            mesh.box((x, y, 2.3), (0.3, 0.3, 0.35), (1.0, 0.78, 0.40, 1))
        lanterns = mesh.node()
        lanterns.setLightOff(1)
        lanterns.reparentTo(self.root)

    def _lights(self, base) -> None:
        base.setBackgroundColor(*DUSK_SKY)
        ambient = AmbientLight("dusk-ambient")
        ambient.setColor((0.36, 0.34, 0.48, 1))
        sun = DirectionalLight("low-sun")
        sun.setColor((0.85, 0.52, 0.32, 1))
        fire = PointLight("campfire-light")
        fire.setColor((1.6, 0.85, 0.40, 1))
        fire.setAttenuation((1.0, 0.0, 0.035))
        self.fire_light = self.root.attachNewNode(fire)
        self.fire_light.setPos(CAMPFIRE[0], CAMPFIRE[1], 1.2)
        sun_node = self.root.attachNewNode(sun)
        sun_node.setHpr(-120, -14, 0)
        for light in (self.root.attachNewNode(ambient), sun_node, self.fire_light):
            base.render.setLight(light)
        fog = Fog("dusk-fog")
        fog.setColor(*DUSK_SKY[:3])
        fog.setExpDensity(0.022)
        base.render.setFog(fog)

    def flicker(self, time: float) -> None:
        """Let the campfire breathe: flame height and light strength follow two incommensurate sines."""
        wave = 0.5 + 0.25 * math.sin(7.3 * time) + 0.25 * math.sin(12.9 * time + 1.3)
        self.flame.setSz(0.85 + 0.3 * wave)
        self.fire_light.node().setColor((1.3 + 0.5 * wave, 0.70 + 0.25 * wave, 0.32, 1))

