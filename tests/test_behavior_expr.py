import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdk import EMOTIONS, DefinitionError
from sdk.behavior.expr import MAX_DEPTH, parse

BLACKBOARD = {"near": True, "level": 0.5}
EMOTION = np.array([0.1, 0.2, 0.3, 0.6, 0.5, 0.45, 0.05])  # anger ... surprise
MOOD = np.array([0.05, 0.05, 0.2, 0.4, 0.5, 0.3, 0.05])


@pytest.mark.parametrize("text, value", [
    ("joy > 0.5", True),
    ("sadness >= 0.45 and fear < 0.3", False),
    ("not bb.near or joy > 0.5 and sadness > 0.4", True),   # and binds tighter than or
    ("not (bb.near or joy > 0.5)", False),
    ("mood.joy - mood.sadness >= 0.1", True),
    ("1 + 2 * 3 == 7", True),                               # * binds tighter than +
    ("(1 + 2) * 3 == 9", True),
    ("-joy < -0.5 and - -joy == joy", True),
    ("bb.level * 2 > 0.9 and bb.near == true", True),
    ("false != true", True),
    ("true", True),
    ("surprise > .04", True),
    ("shows.positive and not shows.neutral", True),         # joy dominates: the face shows positive
    ("shows.negative", False),
])
def test_values_for_one_character(text, value):
    assert parse(text, blackboard=BLACKBOARD).holds(EMOTION, MOOD, BLACKBOARD) is value


def test_names_it_reads():
    expression = parse("sadness > 0.4 or mood.sadness > bb.level and not bb.near", blackboard=BLACKBOARD)
    assert expression.names == {"sadness", "mood.sadness", "bb.level", "bb.near"}
    assert parse("true").names == frozenset()


@pytest.mark.parametrize("text", [
    "joy > 0.5 or bb.near", "mood.fear * 2 - anger >= bb.level", "not (sadness > 0.3 and joy < 0.6)",
    "true", "1 < 2", "bb.near", "shows.negative or shows.positive and bb.near", "shows.neutral",
])
def test_vectorised_matches_one_by_one(text):
    rng = np.random.default_rng(0)
    emotions, moods = rng.random((50, 7)), rng.random((50, 7))
    blackboard = {"near": rng.random(50) < 0.5, "level": rng.random(50)}
    expression = parse(text, blackboard=BLACKBOARD)
    many = expression.evaluate_many(emotions, moods, blackboard)
    one_by_one = [expression.holds(emotions[i], moods[i], {k: v[i] for k, v in blackboard.items()}) for i in range(50)]
    assert many.shape == (50,) and many.dtype == bool and many.tolist() == one_by_one


@pytest.mark.parametrize("text, column, expected", [
    ("sadness >", 10, "a number, true, false, an emotion"),
    ("sadness", 1, "a condition"),
    ("joy < 1 < 2", 9, "comparisons do not chain"),
    ("bb.nope", 1, "a declared blackboard key (declared: level, near)"),
    ("glee > 0.5", 1, "an emotion (anger"),
    ("mood.glee > 0.5", 1, "an emotion (anger"),
    ("shows.happy", 1, "shows.<orientation> (positive, negative, neutral)"),
    ("(joy > 1", 9, "')' (the '(' at column 1 is not closed)"),
    ("joy > 1 )", 9, "an operator"),
    ("joy $ 2", 5, "a number, a name, an operator"),
    ("sadness and joy > 0.1", 1, "a condition, not a number 'sadness'"),
    ("bb.near > 1", 1, "a number, not a condition"),
    ("1 == true", 6, "a number to compare with '1'"),
    ("not 3", 5, "a condition, not a number"),
    ("__import__(os) or true", 1, "an emotion"),                  # nothing is eval-ed or called
    ("eval('1')", 6, "a number, a name, an operator"),
    ("", 1, "a number, true, false"),
    ("(" * (MAX_DEPTH + 1) + "true" + ")" * (MAX_DEPTH + 1), MAX_DEPTH + 2, f"at most {MAX_DEPTH} nested"),
])
def test_syntax_and_type_errors_name_file_key_and_column(text, column, expected):
    with pytest.raises(DefinitionError) as caught:
        parse(text, "library.yaml", "autonomous.cry.trigger", BLACKBOARD)
    error = caught.value
    assert error.source == "library.yaml" and error.key == "autonomous.cry.trigger"
    assert expected in error.expected and error.expected.endswith(f"at column {column}") and error.got == text


def test_deep_nesting_within_the_limit_parses():
    depth = MAX_DEPTH
    assert parse("(" * depth + "joy > 0.5" + ")" * depth).holds(EMOTION, MOOD, {})
    assert parse("not " * depth + "true").holds(EMOTION, MOOD, {}) is True


_TOKENS = st.sampled_from([*EMOTIONS, "mood.joy", "mood.fear", "bb.near", "bb.level", "bb.x", "and", "or", "not",
                           "true", "false", "(", ")", "<", "<=", ">", ">=", "==", "!=", "+", "-", "*", "0.5", "3",
                           ".", "..", "1.2.3", "$", "mood.", "bb", "\t", "é", "9" * 400])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(_TOKENS, max_size=25).map(" ".join)))
def test_random_text_raises_only_definition_error_and_evaluates_alike_one_and_many(text):
    try:
        expression = parse(text, "fuzz.yaml", "trigger", BLACKBOARD)
    except DefinitionError as error:
        assert "at column" in error.expected or error.expected.startswith("a condition")
        return
    rng = np.random.default_rng(1)
    emotions, moods = rng.random((4, 7)), rng.random((4, 7))
    blackboard = {"near": np.array([True, False, True, False]), "level": rng.random(4)}
    with np.errstate(all="ignore"):  # huge literals may overflow to inf; that is a value, not an error
        many = expression.evaluate_many(emotions, moods, blackboard)
        one = [expression.holds(emotions[i], moods[i], {k: v[i] for k, v in blackboard.items()}) for i in range(4)]
    assert many.tolist() == one
