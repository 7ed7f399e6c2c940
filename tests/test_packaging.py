"""One import namespace, a core on five packages, and extras that say so when they are missing."""

import configparser
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from anisync.extras import MissingExtraError, import_extra

ROOT = Path(__file__).resolve().parent.parent
CORE = {"numpy", "onnxruntime", "transitions", "py-trees", "pyyaml"}
#: Everything the extras install (and the training-only packages): hidden from the core's interpreter below.
OPTIONAL = ("PIL", "panda3d", "direct", "trimesh", "pyrr", "gltf", "tokenizers", "bink", "pocketsphinx", "torch",
            "onnx", "sklearn", "scipy", "ray")


def _setup_cfg() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return config


def _requirement_names(text: str) -> set[str]:
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return {line.split(">")[0].split("=")[0].split("<")[0].split("[")[0].strip() for line in lines}


def test_the_core_requires_its_five_packages_only():
    assert _requirement_names(_setup_cfg()["options"]["install_requires"]) == CORE


def test_every_package_is_in_the_anisync_namespace():
    options = _setup_cfg()["options"]
    packages = [line.strip() for line in options["packages"].splitlines() if line.strip()]
    assert packages and all(name == "anisync" or name.startswith("anisync.") for name in packages)
    assert {"anisync", "anisync.panda", "anisync.demo", "anisync.assets"} <= set(packages)


def test_the_installed_distribution_provides_no_other_top_level_name(tmp_path):
    code = ("import importlib.util, anisync; "
            "print([n for n in ('sdk', 'engine_plugin', 'demo_game') if importlib.util.find_spec(n)])")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_without_the_extras_the_core_runs_and_each_feature_names_its_extra(tmp_path):
    # A fresh interpreter in which every optional package fails to import, as in `pip install anisync`.
    code = textwrap.dedent(f"""
        import importlib.abc, runpy, sys

        class Hide(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name.split(".")[0] in {OPTIONAL!r}:
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)

        sys.meta_path.insert(0, Hide())
        runpy.run_path({str(ROOT / "examples" / "game_loop.py")!r}, run_name="__main__")
        from anisync.cli import main
        assert main(["run", "--characters", "3", "--seconds", "2", "--headless"]) == 0

        from anisync import Runtime, asset_path
        from anisync.extras import MissingExtraError
        runtime = Runtime(seed=1)
        runtime.spawn(asset_path("characters", "mira.yaml"))

        def extra_named(action):
            try:
                action()
            except MissingExtraError as error:
                return error.extra
            return None

        import anisync.dialogue, anisync.panda, anisync.procedural, anisync.scenes
        print("speech", extra_named(lambda: runtime.say("mira", "Hello there")))
        print("dialogue", extra_named(lambda: anisync.dialogue.EmotionClassifier()))
        print("scenes", extra_named(lambda: anisync.scenes.load_scene(asset_path("scenes", "campfire.json"), [])))
        print("faces", extra_named(lambda: anisync.procedural.render_face))
        print("panda", extra_named(lambda: anisync.panda.AnisyncPlugin))
        from anisync.panda.cast import generate_cast
        print("scale", extra_named(lambda: generate_cast([asset_path("characters", "mira.yaml")], "cast")))
    """)
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    named = dict(line.split() for line in result.stdout.splitlines() if line.split()[0] in
                 ("speech", "dialogue", "scenes", "faces", "panda", "scale"))
    assert named == {"speech": "speech", "dialogue": "dialogue", "scenes": "scenes", "faces": "faces", "panda": "panda",
                     "scale": "scale"}


def test_a_missing_extra_names_the_pip_install():
    with pytest.raises(MissingExtraError, match=r"lip sync needs the 'no_such_package_xyz' package, which is not "
                                                r"installed: pip install \"anisync\[speech\]\"") as caught:
        import_extra("no_such_package_xyz.sub", "speech", "lip sync")
    assert isinstance(caught.value, ImportError) and caught.value.extra == "speech"


def test_a_broken_dependency_inside_an_installed_extra_is_not_blamed_on_the_extra(tmp_path, monkeypatch):
    (tmp_path / "half_installed.py").write_text("import its_own_missing_part_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError) as caught:
        import_extra("half_installed", "speech", "lip sync")
    assert not isinstance(caught.value, MissingExtraError) and caught.value.name == "its_own_missing_part_xyz"
