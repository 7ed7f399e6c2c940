import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anisync import EMOTIONS, DefinitionError, InvalidArgumentError
from anisync.behavior.library import BehaviorLibrary
from anisync.behavior.expr import MAX_DEPTH, MAX_MAGNITUDE, parse
from anisync.emotion import shows_orientation

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


def test_shows_values_worked_out_once_are_read_as_given():
    """A scheduler passes ``shows.*`` in with the blackboard so that 25 triggers do not each work it out."""
    rng = np.random.default_rng(1)
    emotions, moods = rng.random((50, 7)), rng.random((50, 7))
    expression = parse("shows.negative or joy > 2", blackboard=BLACKBOARD)
    worked_out = shows_orientation(emotions.T, "negative")
    assert 0 < worked_out.sum() < 50
    assert expression.evaluate_many(emotions, moods, {}).tolist() == worked_out.tolist()
    given_in = {"shows.negative": ~worked_out}  # what the caller passes is what the expression reads
    assert expression.evaluate_many(emotions, moods, given_in).tolist() == (~worked_out).tolist()


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
    with np.errstate(over="raise", invalid="raise"):  # nothing that parses can overflow (MAX_MAGNITUDE)
        many = expression.evaluate_many(emotions, moods, blackboard)
        one = [expression.holds(emotions[i], moods[i], {k: v[i] for k, v in blackboard.items()}) for i in range(4)]
    assert many.tolist() == one


# --- numbers stay finite ---------------------------------------------------------------------------------
def test_a_literal_too_large_for_a_float_is_refused():
    huge = "9" * 400  # float("9" * 400) is inf, and inf - inf is NaN: the comparison would silently be false
    with pytest.raises(DefinitionError) as caught:
        parse(f"joy + {huge} - {huge} > 0", "library.yaml", "autonomous.x.trigger")
    error = caught.value
    assert (error.source, error.key) == ("library.yaml", "autonomous.x.trigger")
    assert error.expected == f"a finite number no larger than {MAX_MAGNITUDE:g} at column 7"


def test_literals_up_to_the_bound_are_accepted_and_larger_ones_refused():
    assert MAX_MAGNITUDE == 1e9
    assert parse("joy * 1000000000 > 1").holds(EMOTION, MOOD, {})
    assert parse("joy > -1000000000.0").holds(EMOTION, MOOD, {})
    for text in ("joy * 1000000000.5 > 1", "joy > -10000000000"):
        with pytest.raises(DefinitionError, match="a finite number no larger than 1e"):
            parse(text)


_LARGEST = "100 * bb.level" + " * bb.level" * 33  # can reach 100 * 1e9 ** 34 = 1e308, just below the largest float


@pytest.mark.parametrize("text, operator", [
    (" * ".join(["1000000000"] * 35) + " > 1", "*"),  # 1e9 ** 35 is beyond the largest float
    ("bb.level" + " * bb.level" * 34 + " < 1", "*"),
    (f"joy - {_LARGEST} - {_LARGEST} < 1", "-"),      # a difference of two can reach 2e308
])
def test_arithmetic_that_could_overflow_is_refused_at_the_operator(text, operator):
    with pytest.raises(DefinitionError) as caught:
        parse(text, "library.yaml", "autonomous.x.trigger", BLACKBOARD)
    assert (caught.value.source, caught.value.key) == ("library.yaml", "autonomous.x.trigger")
    assert caught.value.expected.startswith("arithmetic whose result stays finite")
    assert caught.value.expected.endswith(f"at column {text.rindex(operator) + 1}")  # the last operator


def test_arithmetic_within_the_largest_float_parses():
    assert parse(" * ".join(["1000000000"] * 34) + " > 1").holds(EMOTION, MOOD, {})  # 1e306
    assert parse(f"{_LARGEST} - joy > 0", blackboard=BLACKBOARD).holds(EMOTION, MOOD, {"level": MAX_MAGNITUDE})
    level = parse("bb.level * bb.level * bb.level > 0", blackboard=BLACKBOARD)
    assert level.holds(EMOTION, MOOD, {"level": -MAX_MAGNITUDE}) is False


_NUMBER_TEXT = st.recursive(
    st.one_of(st.sampled_from(["joy", "mood.fear", "bb.level"]), st.integers(0, 10**12).map(str),
              st.integers(300, 400).map(lambda digits: "9" * digits)),  # float("9" * 309) is already inf
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(" ".join),
        st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
        inner.map(lambda text: f"-{text}")),
    max_leaves=40)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(_NUMBER_TEXT)
def test_a_number_that_parses_stays_finite_at_the_extremes(number):
    """``x - x == 0`` holds for every finite x and for no infinite or NaN one."""
    try:
        expression = parse(f"({number}) - ({number}) == 0", "fuzz.yaml", "trigger", BLACKBOARD)
    except DefinitionError as error:
        assert (error.source, error.key) == ("fuzz.yaml", "trigger")
        return
    extremes = np.ones(7)  # emotions and moods lie in (0, 1)
    with np.errstate(over="raise", invalid="raise"):
        for level in (-MAX_MAGNITUDE, MAX_MAGNITUDE):
            assert expression.holds(extremes, extremes, {"near": True, "level": level}), number


def test_blackboard_numbers_are_bounded_like_literals():
    library = BehaviorLibrary.from_dict({"blackboard": {"gold": 0.0}})
    blackboard = library.new_blackboard({"gold": MAX_MAGNITUDE})
    blackboard.set("gold", -MAX_MAGNITUDE)
    with pytest.raises(InvalidArgumentError, match="a number in"):
        blackboard.set("gold", 2 * MAX_MAGNITUDE)
    with pytest.raises(DefinitionError) as caught:
        library.new_blackboard({"gold": 1e300}, "tree.yaml")
    assert (caught.value.source, caught.value.key) == ("tree.yaml", "blackboard.gold")
    with pytest.raises(DefinitionError) as caught:
        BehaviorLibrary.from_dict({"blackboard": {"gold": 1e300}}, "library.yaml")
    assert caught.value.key == "blackboard.gold" and "a number in [-1e+09, 1e+09]" in caught.value.expected
