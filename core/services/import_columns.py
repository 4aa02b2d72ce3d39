"""Checking an import's cells a column at a time: each distinct value of a column is checked once.

A file of 100,000 contacts holds a few hundred cities, a few dozen incomes and three genders; running
the whole input model on every row (~90 µs) checked the same values again and again. The input models'
rules are all per field (no rule reads two fields), so a row's verdict is the verdict of each of its
cells: the model's own validator checks one field at a time (pydantic-core's validate_assignment, the
same code, constraints and messages as a full validation), and the verdict is remembered per value.
What the row gets back is what `schema.model_validate(row).model_dump()` returns, or the same errors in
the same order (fields in the model's order). A model with a rule across fields (a model validator, a
field validator of its own, a validated default, a serializer) is validated whole, row by row.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import pydantic
from pydantic.fields import FieldInfo

from core.services.records import pydantic_errors
from core.services.schemas import Input

# Results that rows may share: a remembered list would be one object in every row that typed it.
SHAREABLE = (str, int, float, bool, date, datetime, time, Decimal, type(None))
Problems = list[tuple[str, str]]  # (field, message) as pydantic_errors words them


class Refused:
    """A cell's errors, remembered like a good value."""

    __slots__ = ("problems",)

    def __init__(self, problems: Problems):
        self.problems = problems


class SchemaChecker:
    """schema.model_validate(row).model_dump() for many rows, a field at a time, each distinct value
    of a field checked once. check() returns the clean row, or None and the errors. One checker
    serves one import (one thread): it checks each field on an instance of its own."""

    def __init__(self, schema: type[Input]):
        self.schema = schema
        self.fields = schema.model_fields
        self.per_field = per_field_rules_only(schema)
        self._validator = schema.__pydantic_validator__
        self._blank = schema.model_construct()  # what validate_assignment checks a field against
        self._memo: dict[str, dict[Any, Any]] = {name: {} for name in self.fields}
        self._required = {name for name, info in self.fields.items() if info.is_required()}
        # A clean row starts as every field in the model's order (model_dump's order) with its
        # default; fields whose default must be fresh per row (a list) are made per row.
        self._template: dict[str, Any] = {}
        self._fresh: list[tuple[str, Callable[[], Any]]] = []
        for name, info in self.fields.items():
            shared = info.default_factory is None and isinstance(info.default, SHAREABLE)
            self._template[name] = info.default if shared and name not in self._required else None
            if not shared and name not in self._required:
                self._fresh.append((name, default_maker(info)))

    def check(self, values: dict[str, Any]) -> tuple[dict[str, Any] | None, Problems]:
        if not self.per_field:
            return self._whole(values)
        clean = self._template.copy()
        for name, make in self._fresh:
            clean[name] = make()
        refused = False
        memos = self._memo
        for name, value in values.items():  # self.field, inlined: it runs for every cell of the file
            try:
                memo = memos[name]
            except KeyError:  # a key the model does not have: pydantic words the error
                return self._whole(values)
            try:
                verdict = memo[value if value.__class__ is str else (value.__class__, value)]
            except (KeyError, TypeError):
                verdict = self.field(name, value)
            if verdict.__class__ is Refused:
                refused = True
            else:
                clean[name] = verdict
        if refused or any(name not in values for name in self._required):
            return None, self._problems(values)
        return clean, []

    def _problems(self, values: dict[str, Any]) -> Problems:
        """A refused row's errors in the model's field order, as a whole validation lists them."""
        problems: Problems = []
        for name in self.fields:
            if name in values:
                verdict = self.field(name, values[name])
                if verdict.__class__ is Refused:
                    problems.extend(verdict.problems)
            elif name in self._required:
                problems.append((name, "is required"))  # pydantic's "missing", as pydantic_errors words it
        return problems

    def field(self, name: str, value: Any) -> Any:
        """The field's clean value, or Refused with its errors."""
        key = value if value.__class__ is str else (value.__class__, value)  # 1, 1.0 and True differ
        memo = self._memo[name]
        try:
            return memo[key]
        except KeyError:
            verdict = self._check_field(name, value)
            if verdict.__class__ is Refused or isinstance(verdict, SHAREABLE):
                memo[key] = verdict
            return verdict
        except TypeError:  # unhashable (a list of tags, a dict): checked every time
            return self._check_field(name, value)

    def _check_field(self, name: str, value: Any) -> Any:
        try:
            checked = self._validator.validate_assignment(self._blank, name, value)
        except pydantic.ValidationError as exc:
            return Refused([(problem.field, problem.message) for problem in pydantic_errors(exc)])
        return checked.__dict__[name]

    def _whole(self, values: dict[str, Any]) -> tuple[dict[str, Any] | None, Problems]:
        try:
            return self.schema.model_validate(values).model_dump(), []
        except pydantic.ValidationError as exc:
            return None, [(problem.field, problem.message) for problem in pydantic_errors(exc)]


def per_field_rules_only(schema: type[Input]) -> bool:
    """True when every rule of the model reads one field only, so fields can be checked apart:
    no model validator or serializer, no field validator but the shared storable check, no
    validated default."""
    decorators = schema.__pydantic_decorators__
    own_field_rules = set(decorators.field_validators) - set(Input.__pydantic_decorators__.field_validators)
    return not (decorators.model_validators or decorators.model_serializers or decorators.field_serializers
                or decorators.computed_fields or decorators.root_validators or decorators.validators
                or own_field_rules
                or any(info.validate_default or (info.default_factory is not None
                                                 and info.default_factory_takes_validated_data)
                       for info in schema.model_fields.values()))


def default_maker(info: FieldInfo) -> Callable[[], Any]:
    """What the field holds when the row leaves it out, as pydantic fills it (a fresh list from a
    factory, a copy of a mutable default); asking FieldInfo.get_default each time inspects the
    factory's signature on every call."""
    if info.default_factory is not None:
        return info.default_factory  # type: ignore[return-value]
    default = info.default
    if isinstance(default, SHAREABLE):
        return lambda: default
    return lambda: copy.deepcopy(default)


def remembered(check: Callable[[Any], tuple[Any, str | None]]) -> Callable[[Any], tuple[Any, str | None]]:
    """`check` (value -> (result, error message or None)) run once per distinct hashable value."""
    memo: dict[Any, tuple[Any, str | None]] = {}

    def once(value: Any) -> tuple[Any, str | None]:
        key = value if value.__class__ is str else (value.__class__, value)
        try:
            return memo[key]
        except KeyError:
            memo[key] = verdict = check(value)
            return verdict
        except TypeError:
            return check(value)

    return once
