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
