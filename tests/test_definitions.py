import pytest

from anisync import CharacterDefinition, DefinitionError, Runtime

from helpers import MINIMAL_CHARACTER


def test_shipped_definitions_load(sample_definitions):
    assert {d.id for d in sample_definitions} >= {"bram", "mira", "yuki"}
    for definition in sample_definitions:
        assert definition.appraisal and definition.source.endswith(f"{definition.id}.yaml")


def test_defaults_fill_in(write_yaml):
    definition = CharacterDefinition.load(write_yaml(MINIMAL_CHARACTER))
    assert definition.name == "Tester" and definition.emotion["half_life"] == 4.0 and definition.groups == ()


@pytest.mark.parametrize(
    "change, key, expected",
    [
        ({"colour": "red"}, "colour", "one of the keys"),
        ({"id": 7}, "id", "a string matching"),
        ({"id": "Bad Name"}, "id", "a string matching"),
        ({"groups": "guards"}, "groups", "a list of"),
        ({"emotion": {"half_life": -1}}, "emotion.half_life", "a number in (0, 3600]"),
        ({"emotion": {"half_life": "slow"}}, "emotion.half_life", "a number"),
        ({"emotion": {"half_life": float("nan")}}, "emotion.half_life", "a number"),
        ({"personality": {"baseline": {"joy": 1.0}}}, "personality.baseline.joy", "a number in (0, 1)"),
        ({"personality": {"baseline": {"glee": 0.5}}}, "personality.baseline.glee", "one of anger"),
        ({"personality": {"sensitivity": {"fear": 9}}}, "personality.sensitivity.fear", "a number in [0, 5]"),
        ({"appraisal": {"greet": {"joy": 1.5}}}, "appraisal.greet.joy", "a number in [-1, 1]"),
        ({"appraisal": {"greet": {"joy": True}}}, "appraisal.greet.joy", "a number"),
        ({"appraisal": {"Greet Loudly": {"joy": 0.1}}}, "appraisal.Greet Loudly", "a key that is"),
        ({"reflexes": {"joy": []}}, "reflexes.joy", "at least 1"),
        ({"appearance": {"hair": ["red"]}}, "appearance.hair", "one of the keys style, hair_style"),
        ({"appearance": {"hair_style": "short_spiky"}}, "appearance.hair_style", "one of bob, long, twin_tails"),
        ({"appearance": {"eye_color": "violet"}}, "appearance.eye_color", "one of blue, dark_blue"),
        ({"appearance": {"seed": -1}}, "appearance.seed", "an integer in [0,"),
        ({"appearance": {"seed": 1.5}}, "appearance.seed", "an integer"),
    ],
)
def test_bad_definitions_name_file_key_and_expectation(write_yaml, change, key, expected):
    path = write_yaml({**MINIMAL_CHARACTER, **change})
    with pytest.raises(DefinitionError) as caught:
        CharacterDefinition.load(path)
    error = caught.value
    assert error.source == str(path) and error.key == key and expected in error.expected
    assert str(path) in str(error) and key in str(error)


def test_missing_required_key(write_yaml):
    with pytest.raises(DefinitionError, match=r"id: expected .* it is missing"):
        CharacterDefinition.load(write_yaml({"name": "Nobody"}))


@pytest.mark.parametrize("text, expected", [("", "a mapping"), ("- a\n- b\n", "a mapping"), ("id: [unclosed\n", "valid YAML at line")])
def test_not_a_definition(write_yaml, text, expected):
    with pytest.raises(DefinitionError, match=expected):
        CharacterDefinition.load(write_yaml(text))


def test_missing_file_and_unsafe_yaml(tmp_path, write_yaml):
    with pytest.raises(DefinitionError, match="nope.yaml"):
        CharacterDefinition.load(tmp_path / "nope.yaml")
    with pytest.raises(DefinitionError, match="valid YAML"):
        CharacterDefinition.load(write_yaml("!!python/object/apply:os.system ['true']\n"))


def test_spawn_from_a_bad_file_changes_nothing(write_yaml):
    runtime = Runtime()
    with pytest.raises(DefinitionError):
        runtime.spawn(write_yaml({"id": "x", "emotion": {"half_life": 0}}))
    assert len(runtime) == 0 and not runtime.trace
