"""Trigger expressions: conditions on a character's emotion, mood and blackboard (Lu, eq. 20-21).

A trigger is a short text such as ``sadness > 0.4 and not bb.near_campfire`` or
``mood.joy - mood.sadness >= 0.1``. :func:`parse` turns it into an :class:`Expression` (a syntax tree
compiled to closures); nothing is ever passed to :func:`eval`. Grammar, loosest binding first::

    expression := disjunct ("or" disjunct)*
    disjunct   := conjunct ("and" conjunct)*
    conjunct   := "not" conjunct | comparison
    comparison := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?     -- no chains: a < b < c
    sum        := product (("+" | "-") product)*
    product    := unary ("*" unary)*
    unary      := "-" unary | atom
    atom       := NUMBER | "true" | "false" | EMOTION | "mood." EMOTION | "shows." ORIENTATION | "bb." KEY
                | "(" expression ")"

``EMOTION`` is one of :data:`~anisync.emotion.EMOTIONS` and reads the current emotion; ``mood.EMOTION`` reads
the mood; ``shows.ORIENTATION`` (positive, negative or neutral) holds while the dominant emotion, the one
the face shows, has that orientation (:func:`anisync.emotion.shown_orientations`: a surprised face shows
neutral and its second emotion's orientation); ``bb.KEY`` reads a blackboard value, and only declared
keys are accepted. Every expression is
type-checked when parsed: numbers and conditions (true/false values) do not mix, and a trigger must be a
condition. Any mistake raises :class:`~anisync.errors.DefinitionError` naming the file, the key and the
column (1-based) where the text stops making sense.

**Numbers stay finite.** A number literal may be at most :data:`MAX_MAGNITUDE` (1e9) in size, and so may
a ``bb.KEY`` number (:mod:`anisync.behavior.library` keeps blackboard values within it); emotions and moods lie
in (0, 1). From these bounds the parser works out how large each sum, difference and product can get and
refuses, at the operator, arithmetic that could exceed the largest float (``1e9 * 1e9 * ...`` 35 times): an
infinity could turn into NaN (``inf - inf``) and a comparison would then be false without a word.

Evaluation works on one character or on many at once: emotion and mood hold the seven components along
the first axis, so pass vectors of 7 for one character and 7×N matrices (``bank.T`` of an N×7 bank) for
N characters, with blackboard values that are scalars or arrays of N. ``and``, ``or`` and ``not`` are
numpy's elementwise logical functions, so both cases share one code path.
"""

from __future__ import annotations

import math
import operator
import re
import sys
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from ..emotion import EMOTION_INDEX, EMOTIONS, ORIENTATIONS, shows_orientation
from ..errors import DefinitionError

#: How deeply parentheses, ``not`` and unary minus may nest; deeper text is surely a mistake, and the
#: limit keeps the recursive-descent parser far from Python's recursion limit.
MAX_DEPTH = 32
#: The largest magnitude of a number literal or a blackboard number; see "Numbers stay finite" above.
MAX_MAGNITUDE = 1e9

_TOKEN = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)"
    r"|(?P<op><=|>=|==|!=|<|>|\(|\)|\+|-|\*)",
    re.ASCII,
)
_KEYWORDS = {"and", "or", "not", "true", "false"}
_COMPARISONS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
                "==": operator.eq, "!=": operator.ne}
_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul}
_NAMES_HELP = (f"an emotion ({', '.join(EMOTIONS)}), mood.<emotion>, shows.<orientation> "
               f"({', '.join(ORIENTATIONS)}) or bb.<key>")

NUMBER, CONDITION = "a number", "a condition"

# A compiled node: (emotion, mood, blackboard) -> scalar or array.
Evaluator = Callable[[Any, Any, Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Node:
    """One node of a parsed expression: where it starts, what type it has and how to evaluate it."""

    column: int
    type: str  # NUMBER or CONDITION
    evaluate: Evaluator
    text: str  # the source text of this node, for error messages and display
    bound: float = 0.0  # for a number, the largest magnitude its value can have


@dataclass(frozen=True)
class Expression:
    """A parsed, type-checked trigger. Build one with :func:`parse`.

    Attributes:
        text: the source text.
        names: every name it reads (``"sadness"``, ``"mood.joy"``, ``"bb.near_campfire"``); a scheduler
            needs to re-evaluate the expression only when one of these changed.
    """

    text: str
    names: frozenset[str]
    _root: Node

    def evaluate(self, emotion, mood, blackboard: Mapping[str, Any]):
        """The value: a bool for one character (vectors of 7), a bool array of N for 7×N matrices.

        A constant expression (``true``) gives a scalar whatever the input; see :meth:`evaluate_many`.
        """
        return self._root.evaluate(emotion, mood, blackboard)

    def holds(self, emotion, mood, blackboard: Mapping[str, Any]) -> bool:
        """Whether it holds for one character (emotion and mood: vectors of 7)."""
        return bool(self._root.evaluate(emotion, mood, blackboard))

    def evaluate_many(self, emotions: np.ndarray, moods: np.ndarray, blackboard: Mapping[str, Any]) -> np.ndarray:
        """Whether it holds for each of N characters: ``emotions`` and ``moods`` are N×7, blackboard
        values scalars or arrays of N. Returns a bool array of N.

        ``blackboard`` may also hold ``"shows.ORIENTATION"``: that name's array for these characters
        (:func:`~anisync.emotion.shows_orientation`), worked out once for all the triggers of an update."""
        result = self._root.evaluate(emotions.T, moods.T, blackboard)
        return np.broadcast_to(np.asarray(result, dtype=bool), (emotions.shape[0],))

    def __str__(self) -> str:
        return self.text


def parse(text: str, source: object = None, key: str = "", blackboard: Mapping[str, Any] | None = None) -> Expression:
    """Parse and type-check a trigger expression.

    Args:
        text: the expression.
        source, key: the file and the key it came from, named in errors.
        blackboard: the declared blackboard keys with their default values; a ``bb.KEY`` name must be one
            of them, and the default's type (bool or number) is the name's type.

    Raises:
        DefinitionError: ``"<source>: <key>: expected <what> at column <C>, got '<text>'"``.
    """
    if not isinstance(text, str):
        raise DefinitionError(source, key, "an expression (a string)", text)
    parser = _Parser(text, source, key, dict(blackboard or {}))
    root = parser.expression()
    parser.expect_end()
    if root.type != CONDITION:
        raise parser.error(f"a condition (a comparison, true, false, not/and/or or a true/false bb.<key>), not {root.type}",
                           root.column)
    return Expression(text, frozenset(parser.names), root)


class _Parser:
    """Recursive descent over the token list; each method parses one grammar rule."""

    def __init__(self, text: str, source: object, key: str, blackboard: dict[str, Any]):
        self.text, self.source, self.key, self.blackboard = text, source, key, blackboard
        self.tokens = self._tokenize()
        self.position = 0
        self.depth = 0
        self.names: set[str] = set()

    # --- tokens ------------------------------------------------------------------------------------
    def _tokenize(self) -> list[tuple[str, str, int]]:
        tokens, index = [], 0
        while index < len(self.text):
            match = _TOKEN.match(self.text, index)
            if match is None:
                raise self.error("a number, a name, an operator or a parenthesis", index + 1)
            kind = match.lastgroup
            if kind != "space":
                word = match.group()
                tokens.append(("keyword" if word in _KEYWORDS else kind, word, index + 1))
            index = match.end()
        tokens.append(("end", "", len(self.text) + 1))
        return tokens

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.position]

    def take(self) -> tuple[str, str, int]:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def accept(self, *words: str) -> str | None:
        kind, word, _ = self.peek()
        if kind in ("op", "keyword") and word in words:
            self.position += 1
            return word
        return None

    def error(self, expected: str, column: int) -> DefinitionError:
        return DefinitionError(self.source, self.key, f"{expected} at column {column}", self.text)

    def expect_end(self) -> None:
        kind, _, column = self.peek()
        if kind != "end":
            raise self.error("an operator (and, or, a comparison, + - *) or the end", column)

    def _span(self, column: int) -> str:
        end = self.tokens[self.position - 1]
        return self.text[column - 1:end[2] - 1 + len(end[1])]

    def _require(self, node: Node, wanted: str) -> Node:
        if node.type != wanted:
            raise self.error(f"{wanted}, not {node.type} '{node.text}'", node.column)
        return node

    def _nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"at most {MAX_DEPTH} nested parentheses, not and minus signs", self.peek()[2])

    # --- grammar -----------------------------------------------------------------------------------
    def expression(self) -> Node:
        return self._chain(self.disjunct, "or", np.logical_or)

    def disjunct(self) -> Node:
        return self._chain(self.conjunct, "and", np.logical_and)

    def _chain(self, operand: Callable[[], Node], word: str, combine) -> Node:
        first = operand()
        items = [first]
        while self.accept(word):
            if len(items) == 1:
                self._require(first, CONDITION)
            items.append(self._require(operand(), CONDITION))
        if len(items) == 1:
            return first
        evaluators = [item.evaluate for item in items]

        def evaluate(e, m, b):
            result = evaluators[0](e, m, b)
            for other in evaluators[1:]:
                result = combine(result, other(e, m, b))
            return result

        return Node(first.column, CONDITION, evaluate, self._span(first.column))

    def conjunct(self) -> Node:
        kind, word, column = self.peek()
        if kind == "keyword" and word == "not":
            self.take()
            self._nest()
            inner = self._require(self.conjunct(), CONDITION).evaluate
            self.depth -= 1
            return Node(column, CONDITION, lambda e, m, b: np.logical_not(inner(e, m, b)), self._span(column))
        return self.comparison()

    def comparison(self) -> Node:
        left = self.sum()
        word = self.accept(*_COMPARISONS)
        if word is None:
            return left
        right = self.sum()
        ordering = word not in ("==", "!=")
        if ordering:
            self._require(left, NUMBER)
            self._require(right, NUMBER)
        elif left.type != right.type:
            raise self.error(f"{left.type} to compare with '{left.text}', not {right.type}", right.column)
        if self.peek()[1] in _COMPARISONS:
            raise self.error("and, or, ')' or the end (comparisons do not chain: write a < b and b < c)", self.peek()[2])
        compare, lhs, rhs = _COMPARISONS[word], left.evaluate, right.evaluate
        return Node(left.column, CONDITION, lambda e, m, b: compare(lhs(e, m, b), rhs(e, m, b)), self._span(left.column))

    def sum(self) -> Node:
        return self._arithmetic(self.product, ("+", "-"))

    def product(self) -> Node:
        return self._arithmetic(self.unary, ("*",))

    def _arithmetic(self, operand: Callable[[], Node], words: tuple[str, ...]) -> Node:
        first = operand()
        bound, steps = first.bound, []
        while (word := self.accept(*words)) is not None:
            column = self.tokens[self.position - 1][2]
            if not steps:
                self._require(first, NUMBER)
            other = self._require(operand(), NUMBER)
            # Rounding is monotonic, so values within the operands' bounds give a result within this one.
            bound = bound * other.bound if word == "*" else bound + other.bound
            if math.isinf(bound):
                raise self.error(f"arithmetic whose result stays finite (numbers up to {MAX_MAGNITUDE:g}, emotions "
                                 f"below 1): this can exceed the largest float, {sys.float_info.max:g}", column)
            steps.append((_ARITHMETIC[word], other.evaluate))
        if not steps:
            return first
        start = first.evaluate

        def evaluate(e, m, b):
            value = start(e, m, b)
            for apply, other in steps:
                value = apply(value, other(e, m, b))
            return value

        return Node(first.column, NUMBER, evaluate, self._span(first.column), bound)

    def unary(self) -> Node:
        column = self.peek()[2]
        if self.accept("-"):
            self._nest()
            inner = self._require(self.unary(), NUMBER)
            self.depth -= 1
            negate = inner.evaluate
            return Node(column, NUMBER, lambda e, m, b: -negate(e, m, b), self._span(column), inner.bound)
        return self.atom()

    def atom(self) -> Node:
        kind, word, column = self.take()
        if kind == "number":
            value = float(word)  # inf for a literal of more than 308 digits
            if value > MAX_MAGNITUDE:
                raise self.error(f"a finite number no larger than {MAX_MAGNITUDE:g}", column)
            return Node(column, NUMBER, lambda e, m, b: value, word, value)
        if kind == "keyword" and word in ("true", "false"):
            value = word == "true"
            return Node(column, CONDITION, lambda e, m, b: value, word)
        if kind == "name":
            return self._name(word, column)
        if word == "(":
            self._nest()
            inner = self.expression()
            self.depth -= 1
            if not self.accept(")"):
                raise self.error(f"')' (the '(' at column {column} is not closed)", self.peek()[2])
            return Node(column, inner.type, inner.evaluate, self._span(column), inner.bound)
        raise self.error(f"a number, true, false, {_NAMES_HELP} or '('", column)

    def _name(self, word: str, column: int) -> Node:
        head, _, rest = word.partition(".")
        if not rest and word in EMOTION_INDEX:
            index = EMOTION_INDEX[word]
            self.names.add(word)
            return Node(column, NUMBER, lambda e, m, b: e[index], word, 1.0)
        if head == "mood" and rest in EMOTION_INDEX:
            index = EMOTION_INDEX[rest]
            self.names.add(word)
            return Node(column, NUMBER, lambda e, m, b: m[index], word, 1.0)
        if head == "shows" and rest in ORIENTATIONS:
            self.names.add(word)
            # A scheduler that reads many triggers passes the value in (see Expression.evaluate_many).
            return Node(column, CONDITION, lambda e, m, b: b[word] if word in b else shows_orientation(e, rest), word)
        if head == "bb" and rest:
            if rest not in self.blackboard:
                declared = ", ".join(sorted(self.blackboard)) or "none"
                raise self.error(f"a declared blackboard key (declared: {declared})", column)
            self.names.add(word)
            kind = CONDITION if isinstance(self.blackboard[rest], bool) else NUMBER
            return Node(column, kind, lambda e, m, b: b[rest], word, MAX_MAGNITUDE if kind == NUMBER else 0.0)
        raise self.error(_NAMES_HELP, column)
