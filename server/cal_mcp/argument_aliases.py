"""Argument names callers use that are not ours: resolved to the canonical name before validation.

Callers name arguments in other spellings: the seed toolkit's descriptions write ``bookinguid`` and
``loggedinuserstz``, snake-case frameworks send ``booking_uid``, and Composio-era callers send the
names of older Cal API versions (``startTime``/``endTime`` for slots). A name matches a property when
the two are equal ignoring letter case, ``_`` and ``-``; a spec's ``aliases`` adds names that differ
in more than spelling (``{"startTime": "start"}``). Neither appears in ``tools/list``: the schema a
model is sent names each argument once. Only top-level arguments are resolved.

Two names for one argument in the same call are refused, naming both: silently preferring one would
drop a value the caller meant.
"""

from __future__ import annotations

import re
from typing import Any

from cal_mcp.errors import ArgumentError

_SEPARATORS = re.compile(r"[_\-]")


def fold(name: str) -> str:
    """The form two spellings of one name share: ``booking_uid``, ``bookingUid``, ``BOOKINGUID``."""
    return _SEPARATORS.sub("", name).lower()


def alias_table(properties: dict[str, Any], aliases: dict[str, str]) -> dict[str, str]:
    """Folded name → canonical property, for every property and explicit alias.

    A folded form shared by two properties names neither: guessing would send a value to the wrong one.
    """
    table: dict[str, str] = {}
    ambiguous: set[str] = set()
    for name in properties:
        key = fold(name)
        if key in table:
            ambiguous.add(key)
        table[key] = name
    for key in ambiguous:
        del table[key]
    for alias, canonical in aliases.items():
        table[fold(alias)] = canonical
    return table


def resolve(
    tool: str, properties: dict[str, Any], table: dict[str, str], arguments: dict[str, Any]
) -> dict[str, Any]:
    """``arguments`` under canonical names; unknown names are kept for validation to report."""
    if all(name in properties for name in arguments):
        return arguments
    resolved: dict[str, Any] = {}
    given_as: dict[str, str] = {}
    for name, value in arguments.items():
        canonical = name if name in properties else table.get(fold(name), name)
        if canonical in given_as:
            first, second = sorted((given_as[canonical], name))
            raise ArgumentError(
                f"Invalid arguments for {tool}: `{first}` and `{second}` both name the argument `{canonical}`.",
                f"Send the value once, as `{canonical}`, and call the tool again.",
                field=canonical,
            )
        given_as[canonical] = name
        resolved[canonical] = value
    return resolved
