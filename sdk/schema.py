"""Checking definition files (YAML data), and snapshots, against a schema.

A schema is built from a few spec classes (:class:`Number`, :class:`Text`, :class:`Flag`, :class:`Nothing`,
:class:`Anything`, :class:`ListOf`, :class:`MapOf`, :class:`Record`, :class:`Shorthand`, :class:`AnyOf`).
:func:`check` walks the data and either returns it normalised (defaults filled in) or raises
:class:`~anisync.errors.DefinitionError` naming the file, the dotted key path and what was expected. Unknown keys
in a record are errors, so typos never pass silently.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from .errors import DefinitionError

#: Names of characters, behaviors, states, groups and event kinds in definition files: lower case, digits,
#: ``_`` and ``-``, starting with a letter. Here, at the bottom of the import graph, so every definition
#: module can use it without importing another.
NAME_PATTERN = r"[a-z][a-z0-9_\-]*"
#: Blackboard keys (and Python conditions, which are read as keys): names the trigger language can read
#: after ``bb.``.
KEY_PATTERN = r"[a-z_][a-z0-9_]*"

_REQUIRED = object()


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


class Spec:
    """Base class: ``check(value, source, path)`` returns the normalised value or raises."""

    def describe(self) -> str:
        raise NotImplementedError

    def check(self, value: Any, source: object, path: str) -> Any:
        raise NotImplementedError

    def fail(self, value: Any, source: object, path: str) -> DefinitionError:
        return DefinitionError(source, path, self.describe(), value)


def finite_number(value: object) -> bool:
    """Whether ``value`` is a real number (never a bool) that is a finite float: an integer of hundreds of
    digits is not, as it overflows a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


@dataclass(frozen=True)
class Number(Spec):
    """A finite int or float (never a bool) within ``[minimum, maximum]``; ``open_`` bounds exclude the ends."""

    minimum: float = -math.inf
    maximum: float = math.inf
    open_min: bool = False
    open_max: bool = False
    integer: bool = False

    def describe(self) -> str:
        kind = "an integer" if self.integer else "a number"
        low = "(" if self.open_min else "["
        high = ")" if self.open_max else "]"
        if math.isinf(self.minimum) and math.isinf(self.maximum):
            return kind
        return f"{kind} in {low}{self.minimum:g}, {self.maximum:g}{high}"

    def check(self, value, source, path):
        if not (isinstance(value, (int, float)) and finite_number(value)):
            raise self.fail(value, source, path)
        if self.integer and not float(value).is_integer():
            raise self.fail(value, source, path)
        too_low = value <= self.minimum if self.open_min else value < self.minimum
        too_high = value >= self.maximum if self.open_max else value > self.maximum
        if too_low or too_high:
            raise self.fail(value, source, path)
        return int(value) if self.integer else float(value)


@dataclass(frozen=True)
class Text(Spec):
    """A string, optionally one of ``choices`` or matching the regular expression ``pattern``."""

    choices: tuple[str, ...] | None = None
    pattern: str | None = None

    def describe(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.pattern:
            return f"a string matching {self.pattern}"
        return "a string"

    def check(self, value, source, path):
        if not isinstance(value, str):
            raise self.fail(value, source, path)
        if self.choices and value not in self.choices:
            raise self.fail(value, source, path)
        if self.pattern and not re.fullmatch(self.pattern, value):
            raise self.fail(value, source, path)
        return value


@dataclass(frozen=True)
class Flag(Spec):
    """true or false."""

    def describe(self) -> str:
        return "true or false"

    def check(self, value, source, path):
        if not isinstance(value, bool):
            raise self.fail(value, source, path)
        return value


@dataclass(frozen=True)
class Nothing(Spec):
    """null (Python's None), for a value that may be absent: ``AnyOf((Nothing(), Text()))``."""

    def describe(self) -> str:
        return "null"

    def check(self, value, source, path):
        if value is not None:
            raise self.fail(value, source, path)
        return None


@dataclass(frozen=True)
class Anything(Spec):
    """Any value, left for a later, more specific check."""

    def describe(self) -> str:
        return "any value"

    def check(self, value, source, path):
        return value


@dataclass(frozen=True)
class AnyOf(Spec):
    """The first of ``options`` that accepts the value."""

    options: tuple[Spec, ...]

    def describe(self) -> str:
        return " or ".join(option.describe() for option in self.options)

    def check(self, value, source, path):
        for option in self.options:
            try:
                return option.check(value, source, path)
            except DefinitionError:
                continue
        raise self.fail(value, source, path)


@dataclass(frozen=True)
class ListOf(Spec):
    """A list whose items all match ``item``; at least ``min_items`` and at most ``max_items`` of them."""

    item: Spec
    min_items: int = 0
    max_items: int | None = None

    def describe(self) -> str:
        if self.max_items is None:
            count = f" (at least {self.min_items})" if self.min_items else ""
        elif self.max_items == self.min_items:
            count = f" (exactly {self.min_items})"
        else:
            count = f" ({self.min_items} to {self.max_items})"
        return f"a list of {self.item.describe()}{count}"

    def check(self, value, source, path):
        if not isinstance(value, list) or len(value) < self.min_items:
            raise self.fail(value, source, path)
        if self.max_items is not None and len(value) > self.max_items:
            raise self.fail(value, source, path)
        return [self.item.check(item, source, f"{path}[{i}]") for i, item in enumerate(value)]


@dataclass(frozen=True)
class MapOf(Spec):
    """A mapping with keys matching ``key`` and values matching ``value``."""

    value: Spec
    key: Text = Text()

    def describe(self) -> str:
        return f"a mapping of {self.key.describe()} to {self.value.describe()}"

    def check(self, value, source, path):
        if not isinstance(value, dict):
            raise self.fail(value, source, path)
        checked = {}
        for key, item in value.items():
            key_path = _join(path, key)
            if not isinstance(key, str):
                raise DefinitionError(source, key_path, f"a key that is {self.key.describe()}", key)
            try:
                self.key.check(key, source, key_path)
            except DefinitionError:
                raise DefinitionError(source, key_path, f"a key that is {self.key.describe()}", key) from None
            checked[key] = self.value.check(item, source, key_path)
        return checked


@dataclass(frozen=True)
class Field:
    """One key of a :class:`Record`: its spec and its default (none: the key is required)."""

    spec: Spec
    default: Any = _REQUIRED
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED


@dataclass(frozen=True)
class Record(Spec):
    """A mapping with a fixed set of keys; unknown keys are rejected, missing optional keys get defaults."""

    fields: Mapping[str, Field] = field(default_factory=dict)

    def describe(self) -> str:
        return "a mapping with keys " + ", ".join(self.fields)

    def check(self, value, source, path):
        if not isinstance(value, dict):
            raise self.fail(value, source, path)
        for key in value:
            if key not in self.fields:
                raise DefinitionError(source, _join(path, key), "one of the keys " + ", ".join(self.fields), key)
        checked = {}
        for key, spec_field in self.fields.items():
            if key in value:
                checked[key] = spec_field.spec.check(value[key], source, _join(path, key))
            elif spec_field.required:
                raise DefinitionError(source, _join(path, key), spec_field.spec.describe(), missing=True)
            else:
                default = spec_field.default
                checked[key] = default() if callable(default) else default
        return checked


@dataclass(frozen=True)
class Shorthand(Spec):
    """A :class:`Record` that may also be written as just the value of its main ``key``.

    ``Shorthand(Record({"p": ..., "weight": ...}), "p")`` accepts ``0.5`` as ``{"p": 0.5, "weight": <default>}``.
    Errors in the short form are reported at the value's own path.
    """

    record: Record
    key: str

    def describe(self) -> str:
        return f"{self.record.fields[self.key].spec.describe()} or {self.record.describe()}"

    def check(self, value, source, path):
        if isinstance(value, dict):
            return self.record.check(value, source, path)
        self.record.fields[self.key].spec.check(value, source, path)  # so errors name the value's own path
        return self.record.check({self.key: value}, source, path)


def check(spec: Spec, data: Any, source: object = None) -> Any:
    """Check a whole document against ``spec``; returns it normalised or raises DefinitionError."""
    return spec.check(data, source, "")
