"""Shared fixtures: the shipped sample definitions, a small definition-file writer, and one offscreen
Panda3D ShowBase for the plugin tests; the reproducible hypothesis profile. Helpers that tests import
are in helpers.py."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir


from anisync import CharacterDefinition, shipped_characters


@pytest.fixture(scope="session")
def sample_definitions() -> list[CharacterDefinition]:
    return [CharacterDefinition.load(path) for path in shipped_characters()]


@pytest.fixture
def write_yaml(tmp_path):
    """Write a Python object (or raw text) as a YAML file and return its path."""

    def write(data, name: str = "character.yaml") -> Path:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
        return path

    return write


# Property tests draw the same examples on every run (derandomize) and keep no example database, so a run
# is reproducible and leaves no .hypothesis/ folder. HYPOTHESIS_PROFILE=explore draws new examples each run,
# for hunting bugs by hand; a failure it finds becomes an @example of the test.
settings.register_profile("reproducible", derandomize=True, database=None)
settings.register_profile("explore", database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "reproducible"))
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "anisync-hypothesis")  # its caches stay out of the checkout


@pytest.fixture(scope="session")
def panda_base():
    """One offscreen ShowBase (software OpenGL, 160x160) for the whole session, with a clock that advances
    exactly 1/30 s per frame so runs are repeatable."""
    os.environ.setdefault("LP_NUM_THREADS", "1")  # llvmpipe would otherwise take every core
    from panda3d.core import ClockObject, loadPrcFileData

    loadPrcFileData("", "window-type offscreen\nload-display p3headlessgl\naux-display p3tinydisplay\n"
                        "audio-library-name null\nsync-video false\nwin-size 160 160")
    from direct.showbase.ShowBase import ShowBase

    base = ShowBase()
    base.disableMouse()
    clock = ClockObject.getGlobalClock()
    clock.setMode(ClockObject.MNonRealTime)
    clock.setFrameRate(30)
    yield base
    base.destroy()
