"""The README's set-up commands, CI and the installed package agree."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent


def _setup_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Set up.*?```bash\n(.*?)```", readme, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_second():
    commands = _setup_commands()
    assert len(commands) == 2
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert commands[1] in ci_lines
    assert "set -euo pipefail" in ci_lines


def test_assets_are_found_from_another_directory(tmp_path):
    code = ("import json, anisync, anisync.assets; print(json.dumps({'asset': str(anisync.asset_path('characters', 'mira.yaml')), "
            "'anisync': anisync.__file__, 'assets': list(anisync.assets.__path__)}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    found = json.loads(out.stdout)
    asset, package = Path(found["asset"]), Path(found["anisync"]).resolve().parent
    assert asset.is_absolute() and asset.is_file() and not asset.resolve().is_relative_to(tmp_path.resolve())
    # The asset lies in the imported anisync.assets package, not in whatever the current directory holds...
    assets_dirs = [Path(entry).resolve() for entry in found["assets"]]
    assert any(asset.resolve().is_relative_to(folder) for folder in assets_dirs), (asset, assets_dirs)
    checkout_assets = ROOT.resolve() / "assets"
    if package == ROOT.resolve() / "sdk":
        # ...an editable install maps anisync.assets onto the checkout's assets/ folder (setup.cfg package_dir)...
        assert assets_dirs == [checkout_assets]
    else:
        # ...a regular install ships it inside the installed anisync package, not the checkout's copy (the
        # package itself may still lie under the checkout, in CI's .venv).
        assert assets_dirs == [package / "assets"] and not asset.resolve().is_relative_to(checkout_assets)


def test_run_command_prints_a_summary_each_second(tmp_path):
    result = run_cli("run", "--characters", "4", "--seconds", "3", "--headless", "--seed", "4", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    blocks = re.findall(r"^t=\s*(\d+)s", result.stdout, re.M)
    assert blocks == ["1", "2", "3"]
    assert re.search(r"^\s+mira\s+(anger|disgust|fear|joy|neutral|sadness|surprise)\s+0\.\d\d\s+\w+", result.stdout, re.M)
    assert "done: 4 characters" in result.stdout


def test_cli_reports_bad_arguments(tmp_path):
    result = run_cli("run", "--characters", "0", cwd=tmp_path)
    assert result.returncode == 2 and "--characters" in result.stderr


def test_the_plugin_snippet_shows_both_characters_in_frame_facing_the_camera(tmp_path):
    # docs/images/plugin_characters.py runs examples/plugin.py (the README's snippet) as written (base.run()
    # aside) offscreen; its screenshot is the picture under the snippet.
    result = subprocess.run([sys.executable, str(ROOT / "docs" / "images" / "plugin_characters.py"),
                             "--out", str(tmp_path / "shot.png")], capture_output=True, text=True, timeout=300,
                            cwd=tmp_path, env={**os.environ, "LP_NUM_THREADS": "0"})
    assert result.returncode == 0, result.stderr
    framing = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(framing) == {"mira", "bram"}
    for character, seen in framing.items():
        assert seen["in_frame"] and seen["facing_camera"], (character, seen)
        assert seen["face"] is not None  # a face arrived and is on screen
    assert (tmp_path / "shot.png").stat().st_size > 10_000


def test_help_states_each_default_once_from_the_parser(capsys):
    import argparse

    from anisync.arguments import DefaultsHelpFormatter

    parser = argparse.ArgumentParser(prog="x", formatter_class=DefaultsHelpFormatter)
    parser.add_argument("--steps", type=int, default=3, help="training steps")
    parser.add_argument("--out", help="where to write")
    parser.add_argument("--resume", action="store_true", help="continue")
    parser.add_argument("--npcs", default=[10, 50], help="crowd sizes")
    parser.add_argument("--checkpoint", help="checkpoint file (default: OUT with .ckpt)", default="")
    text = " ".join(parser.format_help().split())
    assert "training steps (default: 3)" in text and "crowd sizes (default: 10,50)" in text
    assert "where to write --resume" in text and "continue" in text and "None" not in text and "False" not in text
    assert text.count("(default") == 3  # the hand-written one is not doubled
    from anisync.cli import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "appearance", "--help"])
    assert "faces per step (default: 32)" in " ".join(capsys.readouterr().out.split())
