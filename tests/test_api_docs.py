"""The API reference builds from the docstrings, with the command the README gives, without a warning."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_api_reference_builds_without_warnings(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = shlex.split(re.search(r"## API reference.*?```bash\n(pdoc .*?)\n```", readme, re.S).group(1))
    assert command[:3] == ["pdoc", "-o", "docs/api"]
    result = subprocess.run([sys.executable, "-m", "pdoc", "-o", str(tmp_path), *command[3:]], capture_output=True,
                            text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0 and "Warn" not in result.stderr + result.stdout, result.stderr
    for page, anchor in (("anisync.html", "Runtime.on_behavior_started"), ("anisync/panda/plugin.html", "AnisyncPlugin"),
                         ("anisync/behavior.html", "condition"), ("anisync/dialogue.html", "EmotionClassifier.classify_many")):
        assert f'id="{anchor}"' in (tmp_path / page).read_text(encoding="utf-8"), (page, anchor)
