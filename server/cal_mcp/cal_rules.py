"""Cal's request rules that its OpenAPI document does not state, written once as data.

Cal.com validates requests with NestJS class-validator DTOs, and on a few routes with custom pipes
that pick one *variant* of the body (or query) and then reject every property that variant does
not declare (``whitelist`` + ``forbidNonWhitelisted``). The OpenAPI document merges the variants,
so "which fields go together" and some "required" markers are lost there. A tool spec states them
in ``request.calRules``, each with the Cal source file it comes from::

    "calRules": {
      "variants": [{"at": "body", "source": "…/cancel-booking-input.pipe.ts", "choices": [
          {"name": "seated cancellation", "when": {"present": ["seatUid"]}, "fields": ["seatUid"],
           "required": ["seatUid"]},
          {"name": "cancellation", "fields": ["cancellationReason", "cancelSubsequentBookings"]}]}],
      "fields": [{"at": "body", "field": "name", "required": true, "source": "…/update-team.input.ts"}],
      "drop": [{"at": "body", "field": "instant", "equals": false, "source": "…", "why": "…"}]
    }

The same rules are enforced in two places from this one definition: the server refuses a call
before sending it (``cal_mcp.handlers.base``), and the sandbox answers the raw HTTP request with
Cal's 400 (``cal_mcp.sandbox``). This module is pure: no I/O, no HTTP.

``at`` is ``body`` or ``query`` (the top level), ``body.<object>`` for a nested object (the booking
``attendee``), or ``body.<array>[]`` for each item of a body array (event-type ``locations``). Field names
are wire names, as Cal sees them.

A field rule may also carry the value checks a DTO's decorators make and the OpenAPI document does not
state: ``format`` (``IsUrl``, ``IsEmail``, ``IsTimeZone``, ``IsDateString``/``IsISO8601``, ``IsHexColor``,
Cal's ICS-feed validator), ``minimum`` (``Min``), ``oneOf`` (``IsIn``/``IsEnum``), ``notEmpty`` (``IsNotEmpty``,
``ArrayNotEmpty``), with ``message`` where Cal words the failure itself (``{message: ...}`` or a custom
validator's ``defaultMessage``). On an array value, ``format`` and ``oneOf`` judge each item; ``minItems``
counts a query's comma-separated list as Cal's transforms split it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cal_mcp.cal_formats import FORMATS, Format


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Condition(_Frozen):
    """When a variant applies: every ``present`` field is there, and every ``equals`` field has that value."""

    present: tuple[str, ...] = ()
    equals: dict[str, Any] = Field(default_factory=dict)

    def holds(self, data: Mapping[str, Any]) -> bool:
        if not all(name in data for name in self.present):
            return False
        return all(name in data and _same(data[name], value) for name, value in self.equals.items())

    def describe(self, prefix: str = "") -> str:
        parts = [f"`{prefix}{name}` is given" for name in self.present]
        parts += [f"`{prefix}{name}` is {_show(value)}" for name, value in self.equals.items()]
        return " and ".join(parts)


class Choice(_Frozen):
    """One variant: the fields Cal's DTO for it declares, and those it requires."""

    name: str = Field(min_length=1)
    when: Condition | None = None  # None: Cal's fallback when no earlier choice applied
    fields: tuple[str, ...]
    required: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _required_are_fields(self) -> Choice:
        unknown = set(self.required) - set(self.fields)
        if unknown:
            raise ValueError(f"variant {self.name!r} requires fields it does not declare: {sorted(unknown)}")
        return self


# Where a rule applies: the body or query itself, a nested body object, or each item of a body array.
AT_PATTERN = r"^(query|body(\.[A-Za-z0-9_]+(\[\])?)?)$"


class Variants(_Frozen):
    """Cal picks the first choice whose condition holds; then only that choice's fields may appear."""

    at: str = Field(pattern=AT_PATTERN)
    source: str = Field(min_length=1)
    common: tuple[str, ...] = ()  # fields every choice accepts (e.g. the slots window)
    choices: tuple[Choice, ...] = Field(min_length=1)
    # Cal's message when no choice applies (only for rules without a fallback choice).
    otherwise: str | None = None
    # "forbid": Cal's pipe validates the choice with forbidNonWhitelisted, so other fields are errors;
    # "ignore": Cal validates the choice without whitelisting (event-type locations), so they pass unread.
    extra: Literal["forbid", "ignore"] = "forbid"

    @model_validator(mode="after")
    def _fallback_is_last(self) -> Variants:
        for choice in self.choices[:-1]:
            if choice.when is None:
                raise ValueError(f"only the last variant may be the fallback (no `when`): {choice.name!r}")
        has_fallback = self.choices[-1].when is None
        if has_fallback == (self.otherwise is not None):
            raise ValueError("give `otherwise` exactly when the last variant has a `when` (no fallback)")
        return self

    def accepted(self, choice: Choice) -> tuple[str, ...]:
        return (*self.common, *choice.fields)


class FieldRule(_Frozen):
    """A requirement a DTO adds to the OpenAPI: a field that must be present, an array's minimum size,
    or a check of the value (format, minimum, allowed values, not empty)."""

    at: str = Field(pattern=AT_PATTERN)
    field: str = Field(min_length=1)
    required: bool = False
    min_items: int | None = Field(default=None, alias="minItems", ge=1)
    not_empty: bool = Field(default=False, alias="notEmpty")
    format: Format | None = None
    minimum: float | None = None
    one_of: tuple[Any, ...] | None = Field(default=None, alias="oneOf", min_length=1)
    # Cal's own wording for a failed format, oneOf or minItems check, where its decorator sets one.
    message: str | None = Field(default=None, min_length=1)
    # Only for the items (or bodies) where these fields have one of these values.
    when: dict[str, tuple[Any, ...]] = Field(default_factory=dict)
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _message_has_a_check(self) -> FieldRule:
        checks = (self.format, self.one_of, self.min_items)
        if self.message is not None and sum(c is not None for c in checks) != 1:
            raise ValueError(f"rule for {self.field!r}: `message` words one format, oneOf or minItems check")
        return self


class DropRule(_Frozen):
    """A harmless value that Cal would refuse, left out instead of sent (``instant: false``)."""

    at: Literal["body", "query"]
    field: str = Field(min_length=1)
    equals: Any
    source: str = Field(min_length=1)
    why: str = Field(min_length=1)


class CalRules(_Frozen):
    variants: tuple[Variants, ...] = ()
    fields: tuple[FieldRule, ...] = ()
    drop: tuple[DropRule, ...] = ()

    def forbids_unknown(self, at: str) -> bool:
        """Whether Cal refuses undeclared fields at ``at`` (a custom pipe with forbidNonWhitelisted);
        elsewhere its global ValidationPipe strips them (``apps/api/v2/src/app.ts``: whitelist only)."""
        return any(v.at == at and v.extra == "forbid" for v in self.variants)

    def is_empty(self) -> bool:
        return not (self.variants or self.fields or self.drop)


@dataclass(frozen=True)
class Violation:
    """One broken rule: ``cal_message`` in class-validator's wording (the sandbox's 400); ``context``,
    ``problem`` and ``fix`` for a model (the server's refusal reads "<context>: it <problem>. <fix>").
    ``field`` is the wire path (``locations.0.public``)."""

    field: str
    cal_message: str
    context: str
    problem: str
    fix: str
    source: str


def _same(a: Any, b: Any) -> bool:
    """Equality as Cal's checks see it; query values arrive as text (``instant=true``)."""
    if isinstance(a, str) and not isinstance(b, str):
        return a == _show(b)
    return type(a) is type(b) and a == b


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _targets(
    at: str, body: Mapping[str, Any] | None, query: Mapping[str, Any]
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(path prefix, object) for each object a rule located at ``at`` applies to."""
    top, _, inner = at.partition(".")
    root = query if top == "query" else body
    if root is None:
        return
    if not inner:
        yield "", root
        return
    name = inner.removesuffix("[]")
    found = root.get(name)
    if not inner.endswith("[]"):
        if isinstance(found, Mapping):
            yield f"{name}.", found
        return
    if not isinstance(found, list):
        return
    for index, item in enumerate(found):
        if isinstance(item, Mapping):
            yield f"{name}.{index}.", item


def pick(rule: Variants, data: Mapping[str, Any]) -> Choice | None:
    """The choice Cal's pipe would take for ``data``; None when none applies."""
    for choice in rule.choices:
        if choice.when is None or choice.when.holds(data):
            return choice
    return None


def _variant_violations(rule: Variants, prefix: str, data: Mapping[str, Any]) -> Iterator[Violation]:
    choice = pick(rule, data)
    if choice is None:
        ways = "; or ".join(c.when.describe(prefix) for c in rule.choices if c.when is not None)
        yield Violation(
            field=prefix.rstrip("."),
            cal_message=rule.otherwise or "",
            context=f"Cal accepts {f'`{prefix[:-1]}`' if prefix else 'this request'} only in one of its forms",
            problem=f"matches none of them ({ways})",
            fix="Give the fields of one of those forms.",
            source=rule.source,
        )
        return
    if choice.when is not None:
        why = f" because {choice.when.describe(prefix)}"
    else:
        others = "; ".join(c.when.describe(prefix) for c in rule.choices if c.when is not None)
        why = f" because none of these holds: {others}" if others else ""
    for name in choice.required:
        if name not in data:
            yield Violation(
                field=prefix + name,
                cal_message=f"{prefix}{name} should not be empty",
                context=f"Cal treats this request as a {choice.name}{why}",
                problem=f"needs `{prefix}{name}`",
                fix=f"Give `{prefix}{name}`.",
                source=rule.source,
            )
    accepted = set(rule.accepted(choice))
    for name in (name for name in data if name not in accepted and rule.extra == "forbid"):
        yield Violation(
            field=prefix + name,
            cal_message=f"property {prefix}{name} should not exist",
            context=f"Cal treats this request as a {choice.name}{why}",
            problem=f"does not accept `{prefix}{name}`",
            fix=f"Leave out `{prefix}{name}`"
            + (f", or leave out {' and '.join(f'`{n}`' for n in _selectors(choice))} for another kind of request"
               if _selectors(choice) else "")
            + ".",
            source=rule.source,
        )


def _short(source: str) -> str:
    """The file name of a source citation, for messages (the full path stays in the spec)."""
    return source.split(" ")[0].rsplit("/", 1)[-1]


def _selectors(choice: Choice) -> tuple[str, ...]:
    if choice.when is None:
        return ()
    return (*choice.when.present, *choice.when.equals)


def _field_violations(rule: FieldRule, prefix: str, data: Mapping[str, Any]) -> Iterator[Violation]:
    if not all(name in data and any(_same(data[name], v) for v in allowed) for name, allowed in rule.when.items()):
        return
    path = prefix + rule.field
    scope = "".join(f" when `{prefix}{k}` is {' or '.join(map(_show, v))}" for k, v in rule.when.items())
    value = data.get(rule.field)
    if rule.required and rule.field not in data:
        yield Violation(
            field=path,
            cal_message=f"{path} should not be empty",
            context=f"Cal requires `{path}`{scope} ({_short(rule.source)})",
            problem=f"lacks `{path}`",
            fix=f"Give `{path}`.",
            source=rule.source,
        )
    items = value
    if rule.at == "query" and isinstance(value, str):
        items = [part for part in value.split(",") if part]  # a query list, as Cal's transforms split it
    if rule.min_items is not None and isinstance(items, list) and len(items) < rule.min_items:
        yield Violation(
            field=path,
            cal_message=rule.message or f"{path} must contain at least {rule.min_items} elements",
            context=f"Cal requires at least {rule.min_items} item(s) in `{path}`{scope} ({_short(rule.source)})",
            problem=f"has {len(items)}",
            fix=f"Give at least {rule.min_items} item(s) in `{path}`.",
            source=rule.source,
        )
    if rule.field in data and value is not None:
        yield from _value_violations(rule, path, scope, value)


def _value_violations(rule: FieldRule, path: str, scope: str, value: Any) -> Iterator[Violation]:
    """The checks of one present value (``IsOptional``: null skips them, as it does in class-validator).
    A value of the wrong type is left to the schema's type check."""
    where = f"({_short(rule.source)})"
    if rule.not_empty and value in ("", []):
        yield Violation(
            field=path,
            cal_message=f"{path} should not be empty",
            context=f"Cal refuses an empty `{path}`{scope} {where}",
            problem="is empty",
            fix=f"Give at least one item in `{path}`." if value == [] else f"Give a non-empty `{path}`.",
            source=rule.source,
        )
    items = value if isinstance(value, list) else [value]
    each = "each value in " if isinstance(value, list) else ""
    if rule.format is not None:
        spec = FORMATS[rule.format]
        bad = [item for item in items if isinstance(item, str) and not spec.valid(item)]
        if bad:
            yield Violation(
                field=path,
                cal_message=rule.message or spec.message.format(path=each + path),
                context=f"Cal requires {each}`{path}` to be {spec.means}{scope} {where}",
                problem=f"has {_quote(bad[0])}",
                fix=f"Give {spec.means}, e.g. {spec.example}.",
                source=rule.source,
            )
    if rule.one_of is not None:
        bad = [item for item in items if not any(_same(item, allowed) for allowed in rule.one_of)]
        if bad:
            allowed = ", ".join(map(_show, rule.one_of))
            yield Violation(
                field=path,
                cal_message=rule.message or f"{each}{path} must be one of the following values: {allowed}",
                context=f"Cal accepts only {allowed} in `{path}`{scope} {where}",
                problem=f"has {_quote(bad[0])}",
                fix=f"Use one of {allowed}.",
                source=rule.source,
            )
    number = _number(value, from_text=rule.at.startswith("query"))
    if rule.minimum is not None and number is not None and number < rule.minimum:
        least = _show(int(rule.minimum) if float(rule.minimum).is_integer() else rule.minimum)
        yield Violation(
            field=path,
            cal_message=f"{path} must not be less than {least}",
            context=f"Cal requires `{path}` to be at least {least}{scope} {where}",
            problem=f"is {_show(value)}",
            fix=f"Give a value of {least} or more.",
            source=rule.source,
        )


def _quote(value: Any) -> str:
    text = value if isinstance(value, str) else _show(value)
    return repr(text[:60])


def _number(value: Any, *, from_text: bool) -> float | None:
    """A number as Cal's DTO sees it; query text is read as a number, as its transforms parse it."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if from_text and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def check(rules: CalRules, *, body: Mapping[str, Any] | None, query: Mapping[str, Any]) -> list[Violation]:
    """Every rule ``body``/``query`` breaks, in rule order (variants first: they decide what else applies)."""
    found: list[Violation] = []
    for variants in rules.variants:
        for prefix, data in _targets(variants.at, body, query):
            found.extend(_variant_violations(variants, prefix, data))
    for field_rule in rules.fields:
        for prefix, data in _targets(field_rule.at, body, query):
            found.extend(_field_violations(field_rule, prefix, data))
    return found


def normalise(
    rules: CalRules, *, body: dict[str, Any] | None, query: Iterable[tuple[str, str]]
) -> tuple[dict[str, Any] | None, tuple[tuple[str, str], ...]]:
    """``body`` and ``query`` without the harmless values Cal would refuse (see ``DropRule``)."""
    pairs = tuple(query)
    for rule in rules.drop:
        if rule.at == "body" and body is not None and rule.field in body and _same(body[rule.field], rule.equals):
            body = {k: v for k, v in body.items() if k != rule.field}
        elif rule.at == "query":
            pairs = tuple((k, v) for k, v in pairs if not (k == rule.field and _same(v, rule.equals)))
    return body, pairs
