"""Text every database can store, checked once at the edges: forms, the JSON API and imports.

Two kinds of characters cannot be stored faithfully:

- the null character (U+0000): PostgreSQL refuses it in text and JSON columns, while SQLite keeps
  it, so the same input would work on one database and fail on the other;
- a lone UTF-16 surrogate (U+D800 to U+DFFF on its own): JSON can spell one (``"\\ud800"``), but it
  is no character at all, and no database encoding can hold it.

Input holding either is refused with a message naming the field, rather than stripped: stripping
would silently store something other than what was sent, and neither character belongs in a
profile, a comment or a name. Every other character (right-to-left marks, zero-width joiners,
emoji, combining marks) is kept as sent.

Profile text, names and search queries are also normalised to Unicode NFC (``nfc``): "å" can be
sent as one character or as "a" and a combining ring (text pasted from macOS often is), which look
the same but compare, search and sort differently. NFC is what keyboards produce on every system.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from matchmaker.messages import _

T = TypeVar("T")


def nfc(value: T) -> T:
    """Text in NFC: a string, or every string in nested dicts (keys too) and lists; anything else
    as it is."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)  # type: ignore[return-value]
    if isinstance(value, dict):
        return {nfc(key): nfc(item) for key, item in value.items()}  # type: ignore[return-value]
    if isinstance(value, list | tuple):
        return type(value)(nfc(item) for item in value)  # type: ignore[return-value]
    return value


def text_problem(text: str) -> str | None:
    """Why this text cannot be stored, or None when it can."""
    if "\x00" in text:
        return _("Remove the null character (U+0000): it cannot be stored.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _("Contains an unpaired surrogate, which is not valid Unicode text and cannot be stored.")
    return None


def _shown(name: str) -> str:
    """A field name fit to be shown, even when the name itself is the problem."""
    return name.encode("unicode_escape").decode("ascii") if text_problem(name) else name


def unstorable_fields(data: Any, name: str = "_form") -> dict[str, str]:
    """{field: message} for every piece of text in ``data`` (nested dicts and lists, keys included)
    that cannot be stored. A nested field is named by its innermost key, as the API's other field
    errors are."""
    errors: dict[str, str] = {}
    if isinstance(data, str):
        problem = text_problem(data)
        if problem:
            errors[_shown(name)] = problem
    elif isinstance(data, Mapping):
        for key, value in data.items():
            key_text = str(key)
            key_problem = text_problem(key_text)
            if key_problem:
                errors.setdefault(_shown(key_text), key_problem)
            for field, message in unstorable_fields(value, key_text).items():
                errors.setdefault(field, message)
    elif isinstance(data, Iterable) and not isinstance(data, bytes | bytearray):
        for value in data:
            for field, message in unstorable_fields(value, name).items():
                errors.setdefault(field, message)
    return errors


def multidict_problems(values) -> dict[str, str]:
    """The same for a form or query string (a MultiDict, where a name may repeat)."""
    return unstorable_fields({key: values.getlist(key) for key in values})
