"""The loading layer (anisync.loading): hostile definition files are refused with a DefinitionError naming the
file, the key path or line and what was expected, quickly and without quoting more than a line."""

import shutil

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from anisync import CharacterDefinition, DefinitionError, InvalidArgumentError, Runtime, asset_path, asset_roots
from anisync.behavior.bpfa import BPFA
from anisync.behavior.tree import TreeDefinition
from anisync.loading import MAX_DEPTH, MAX_FILE_BYTES

from helpers import MINIMAL_CHARACTER

BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))


def refused(path, loader=CharacterDefinition.load) -> DefinitionError:
    with pytest.raises(DefinitionError) as caught:
        loader(path)
    error = caught.value
    assert error.source == str(path) and len(str(error)) < 400  # names the file, quotes at most a line
    return error


def test_aliases_are_refused_before_they_expand(write_yaml):
    # 9^9 values if expanded: refused at the first alias, before anything is built
    error = refused(write_yaml("id: tester\n" + BILLION_LAUGHS.replace("a: &a", "groups: &a", 1)))
    assert "no aliases" in error.expected and error.got == "*a" and error.key == "b[0]"


def test_deep_nesting_is_refused_not_a_recursion_error(write_yaml):
    error = refused(write_yaml("id: tester\nappearance: " + "[" * 50_000 + "]" * 50_000 + "\n"))
    assert f"at most {MAX_DEPTH} levels" in error.expected and error.key.startswith("appearance[0][0]")


@pytest.mark.parametrize("text, key, line", [
    ("id: tester\nid: other\n", "id", 2),
    ("id: tester\nappraisal:\n  greet: {joy: 0.5}\n  greet: {anger: 0.5}\n", "appraisal.greet", 4),
    ("id: tester\nappraisal:\n  greet: {joy: 0.5, joy: -0.5}\n", "appraisal.greet.joy", 3),
])
def test_a_key_written_twice_is_refused(write_yaml, text, key, line):
    error = refused(write_yaml(text))
    assert error.key == key and f"(line {line})" in error.expected and "each key at most once" in error.expected


def test_a_bpfa_state_or_arc_written_twice_is_refused(tmp_path):
    text = asset_path("behaviors", "bpfa", "greet.yaml").read_text(encoding="utf-8")
    twice_state = tmp_path / "state.yaml"
    twice_state.write_text(text.replace("\n  bow: {duration: 2.0}", "\n  wave: {duration: 9}", 1), encoding="utf-8")
    assert refused(twice_state, BPFA.load).key == "states.wave"
    twice_arc = tmp_path / "arc.yaml"
    twice_arc.write_text(text.replace("\n  bow: {done: {rest: 1.0}}", "\n  wave: {done: {rest: 1.0}}", 1), encoding="utf-8")
    assert refused(twice_arc, BPFA.load).key == "arcs.wave"


def test_text_that_is_not_utf8_is_refused(write_yaml, tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("id: tester\nname: Ren\xe9e\n".encode("latin-1"))
    error = refused(path)
    assert error.expected == "UTF-8 text" and "offset 20" in str(error)


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text("id: tester\nappraisal:\n" + "".join(f"  e{i}: {{joy: 0.1}}\n" for i in range(20_000)))
    assert path.stat().st_size > MAX_FILE_BYTES
    assert f"at most {MAX_FILE_BYTES} bytes" in refused(path).expected


def test_a_file_just_under_the_size_limit_loads(tmp_path):
    lines = ["id: tester\n", "appraisal:\n"]
    while sum(map(len, lines)) < MAX_FILE_BYTES - 100:
        lines.append(f"  e{len(lines)}: {{joy: 0.1, anger: -0.2}}\n")
    path = tmp_path / "big.yaml"
    path.write_text("".join(lines))
    assert len(CharacterDefinition.load(path).appraisal) == len(lines) - 2


def test_messages_quote_an_excerpt_of_a_long_value(write_yaml):
    error = refused(write_yaml({"id": "X" * 100_000}))
    assert error.key == "id" and len(error.got) == 100_000  # the whole value stays on the error


def test_a_400_digit_number_is_refused_by_name(write_yaml):
    error = refused(write_yaml("id: tester\nemotion: {half_life: " + "9" * 400 + "}\n"))
    assert error.key == "emotion.half_life"


# --- referenced files stay under the definition's folder, the shipped assets or the asset roots ---------------
@pytest.fixture
def game(tmp_path):
    """A game folder: characters/ holds a character whose tree lives in trees/, beside characters/."""
    (tmp_path / "characters").mkdir()
    (tmp_path / "trees").mkdir()
    shutil.copy(asset_path("behaviors", "trees", "villager.yaml"), tmp_path / "trees" / "mine.yaml")
    mira = yaml.safe_load(asset_path("characters", "mira.yaml").read_text(encoding="utf-8"))
    path = tmp_path / "characters" / "mira.yaml"
    path.write_text(yaml.safe_dump({**mira, "behavior": {**mira["behavior"], "tree": "../trees/mine.yaml"}}))
    return tmp_path, path


def test_a_reference_outside_the_definitions_folder_is_refused(game):
    root, path = game
    error = refused(path)
    assert error.key == "behavior.tree" and error.got == "../trees/mine.yaml" and "asset_roots" in error.expected


def test_asset_roots_allow_a_reference_and_end_with_their_block(game):
    root, path = game
    with asset_roots(root):
        assert CharacterDefinition.load(path).tree.source.endswith("mine.yaml")
    refused(path)
    runtime = Runtime(seed=0, asset_roots=[root])
    assert runtime.spawn(path).activity == "idle"
    with pytest.raises(InvalidArgumentError, match="asset_roots"):
        Runtime(asset_roots=[root / "nowhere"])


@pytest.mark.parametrize("reference", ["/etc/hostname", "../../../../../../etc/hostname", "sub/../../x.yaml"])
def test_a_tree_cannot_read_a_library_elsewhere(tmp_path, reference):
    path = tmp_path / "tree.yaml"
    path.write_text(yaml.safe_dump({"library": reference, "root": "idle"}))
    error = refused(path, TreeDefinition.load)
    assert error.key == "library" and error.got == reference


def test_symbolic_links_out_of_the_folder_are_followed_and_refused(tmp_path):
    (tmp_path / "inside").mkdir()
    shutil.copy(asset_path("behaviors", "library.yaml"), tmp_path / "outside.yaml")
    (tmp_path / "inside" / "library.yaml").symlink_to(tmp_path / "outside.yaml")
    path = tmp_path / "inside" / "tree.yaml"
    path.write_text(yaml.safe_dump({"library": "library.yaml", "root": "idle"}))
    assert refused(path, TreeDefinition.load).key == "library"


# --- fuzz: whatever the bytes, loading ends in a definition or a DefinitionError ---------------------------------
@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.binary(max_size=200),
    st.text(alphabet=st.sampled_from(list("ab:{}[]-&*!|>'\"#\n \t0.1eE%@`,?")), max_size=200).map(str.encode),
    st.recursive(st.one_of(st.none(), st.booleans(), st.floats(), st.integers(), st.text(max_size=5)),
                 lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                 max_leaves=12).map(lambda data: yaml.safe_dump({**MINIMAL_CHARACTER, "appraisal": data}).encode()),
))
def test_any_bytes_load_or_raise_a_definition_error(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("fuzz") / "character.yaml"
    path.write_bytes(raw)
    try:
        CharacterDefinition.load(path)
    except DefinitionError as error:
        assert error.source == str(path) and len(str(error)) < 600


def test_a_refusal_under_a_complex_key_is_still_a_definition_error(write_yaml):
    error = refused(write_yaml("id: &x tester\n? [a, b]\n: [*x]\n"))  # YAML's complex key, then an alias below it
    assert error.got == "*x" and error.key == "?[0]"
