"""Shared fixtures: the shipped sample definitions, a small definition-file writer, and one offscreen
Panda3D ShowBase for the plugin tests."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir


from sdk import CharacterDefinition, shipped_characters


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

MINIMAL_CHARACTER = {"id": "tester", "appraisal": {"greet": {"joy": 0.5, "neutral": -0.3}}}


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


def scripted_world(seed: int, seconds: int, characters: int, events_per_second: float, **runtime_options):
    """A runtime with ``characters`` shipped samples run ``seconds`` in the headless world script at 30 Hz."""
    from sdk import Runtime
    from sdk.headless import WorldScript, spawn_samples

    runtime = Runtime(seed=seed, **runtime_options)
    spawn_samples(runtime, characters)
    script = WorldScript(runtime, seed=seed, events_per_second=events_per_second)
    for second in range(seconds):
        script.schedule_second(float(second))
        for _ in range(30):
            runtime.update(1 / 30)
    return runtime


def run_cli(*args: str, cwd: Path, timeout: float = 180, module: str = "sdk.cli", **options):
    """Run ``python -m MODULE ARGS`` (the ``anisync`` command line by default) from ``cwd``, a folder outside
    the checkout, so that the installed package (with its ``sdk.assets``) is imported rather than the
    checkout's ``sdk/``."""
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, **options)


def save_graph(nodes, inputs, outputs, path, constants=()):
    """Save a small ONNX graph (opset 17, IR version 8, which the installed onnxruntime reads) to ``path``."""
    from onnx import helper, save_model

    graph = helper.make_graph(nodes, path.stem, inputs, outputs, list(constants))
    save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), path)
    return path


def in_parallel(calls):
    """Run each zero-argument callable in its own thread, all at once; their results, in order."""
    import threading

    results = [None] * len(calls)

    def run(k):
        results[k] = calls[k]()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
