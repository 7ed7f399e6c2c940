"""The README's set-up commands, CI and the installed package agree."""

import re
import subprocess
import sys
from pathlib import Path

import sdk
from conftest import run_cli

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
    code = "import sdk; print(sdk.asset_path('characters', 'mira.yaml'))"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert Path(out.stdout.strip()).is_file()
    assert Path(sdk.__file__).parent.joinpath("..").resolve() != tmp_path


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
