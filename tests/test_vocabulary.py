"""One appearance vocabulary (issue 16): character files, the procedural renderer and the appearance
generator take the same attribute names and values, checked where they come in."""

import pytest

from anisync import CharacterDefinition, DefinitionError, ModelInputError, asset_path, shipped_characters
from anisync.appearance import ATTRIBUTES, AppearanceGenerator, attributes_of
from anisync.appearance.attributes import appearance_seed, character_attributes, complete
from anisync.panda.procedural import ProceduralFaceSource, identity_for
from helpers import MINIMAL_CHARACTER


def test_the_shipped_characters_use_the_vocabulary_and_are_drawn_as_named():
    for path in shipped_characters():
        definition = CharacterDefinition.load(path)
        assert set(definition.appearance) == set(ATTRIBUTES), path  # the samples name every attribute
        # Mira's amber eyes used to come out purple: the renderer drew any name it did not know as another.
        assert attributes_of(identity_for(definition.appearance)) == definition.appearance, path


def test_attributes_left_out_are_the_seeds_for_both_sources():
    appearance = {"style": "cool", "seed": 41}
    attributes, seed = character_attributes(appearance)
    assert seed == 41 and attributes["style"] == "cool"
    # The generator draws the missing attributes from the seed the same way, so both sources agree.
    assert attributes == AppearanceGenerator.resolve({"style": "cool"}, 41)
    assert attributes_of(identity_for(appearance)) == attributes
    drawn = {tuple(character_attributes({"seed": seed})[0].values()) for seed in range(30)}
    assert len(drawn) > 20  # seeds give different characters


def test_without_a_seed_copies_of_one_definition_look_alike():
    appearance = {"style": "tech", "hair_color": "mint"}
    assert appearance_seed(appearance) == appearance_seed(dict(reversed(appearance.items())))
    assert appearance_seed(appearance) != appearance_seed({"style": "tech", "hair_color": "pink"})
    assert identity_for(appearance) == identity_for(dict(appearance))


@pytest.mark.parametrize("appearance, message", [
    ({"eye_color": "violet"}, "eye_color 'violet' is not one of the allowed values: blue, dark_blue"),
    ({"hair_style": "short_spiky"}, "hair_style 'short_spiky' is not one of the allowed values: bob"),
    ({"glow": "strong"}, "unknown attribute 'glow'; the attributes are style, hair_style"),
])
def test_an_unknown_value_is_refused_by_the_renderer_and_the_generator(appearance, message):
    with pytest.raises(ModelInputError, match=message):
        ProceduralFaceSource(64).render("x", appearance, [0, 0, 0, 0, 0, 0, 1.0])
    with pytest.raises(ModelInputError, match=message):
        complete(appearance, 0)
    generator = AppearanceGenerator(asset_path("models", "appearance.onnx"))
    with pytest.raises(ModelInputError, match=message):
        generator.generate(appearance, seed=3)


def test_an_unknown_value_in_a_character_file_names_the_file_key_and_allowed_values(write_yaml):
    path = write_yaml({**MINIMAL_CHARACTER, "appearance": {"style": "cute", "eye_color": "steel"}})
    with pytest.raises(DefinitionError) as caught:
        CharacterDefinition.load(path)
    assert caught.value.source == str(path) and caught.value.key == "appearance.eye_color"
    assert caught.value.expected == "one of " + ", ".join(ATTRIBUTES["eye_color"])
