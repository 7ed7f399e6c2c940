"""No import circle: every module of anisync, anisync.panda and anisync.demo imports in a fresh interpreter, in
several shuffled orders (seeded, so a failing order replays), so whichever module a program imports
first, it never meets a partly initialised one."""

import pkgutil
import random
import subprocess
import sys

import anisync
import anisync.demo
import anisync.panda
import pytest


def all_modules() -> list[str]:
    names = []
    for package in (anisync, anisync.panda, anisync.demo):
        names.append(package.__name__)
        names += [info.name for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
    return names


def test_the_modules_are_found():
    names = all_modules()
    assert {"anisync.runtime", "anisync.behavior.tree", "anisync.character", "anisync.panda.plugin", "anisync.demo.game"} <= set(names)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_module_imports_in_a_fresh_interpreter_in_a_shuffled_order(tmp_path, seed):
    names = all_modules()
    random.Random(seed).shuffle(names)
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    result = subprocess.run([sys.executable, "-c", code, *names], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, f"first modules {names[:3]}: {result.stderr[-2000:]}"
