"""The examples in examples/: each runs and does what its docstring says, and the README shows the game-loop
and plugin examples exactly as they are (the plugin example itself runs in tests/test_readme.py)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _run(name: str, tmp_path) -> str:
    result = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=120,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("name, section", [("game_loop.py", "Using the SDK"), ("plugin.py", "Panda3D plugin")])
def test_the_readme_shows_the_example_as_it_is(name, section):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(rf"## {section}.*?```python\n(.*?)```", readme, re.S).group(1)
    assert block == (EXAMPLES / name).read_text(encoding="utf-8")


def test_the_game_loop_example_makes_mira_glad(tmp_path):
    printed = _run("game_loop.py", tmp_path)
    assert printed.startswith("mira ('joy', ") and re.search(r"^\('joy', 0\.\d+\) \w+ \[", printed, re.M)


def test_the_scripting_example_juggles_for_the_player_and_earns_a_coin(tmp_path):
    printed = _run("scripting.py", tmp_path)
    assert "jester sway -> dance (coins 0)" in printed  # the Python action, started by the Python condition
    assert printed.rstrip().endswith("coins earned: 1")  # the Python leaf after it, on the jester's own key
    assert _run("scripting.py", tmp_path) == printed  # the same story every run
