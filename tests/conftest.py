"""Shared fixtures: the shipped sample definitions and a small definition-file writer."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

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


MINIMAL_CHARACTER = {"id": "tester", "appraisal": {"greet": {"joy": 0.5, "neutral": -0.3}}}
