"""Messages worded when they are shown, not when they are made.

A service says ``_("Only %(name)s may do this.", name=...)`` and gets a ``Message``: the msgid
and its parameters. The page, the API answer or the flash that shows it turns it into text with
``str()``, in the language of whoever reads it (the translator the app registers with
``set_translator``; without one, the English msgid). ``_`` and ``ngettext`` are names that the
message extraction looks for by default, so the strings still reach the catalogues.

Nothing here knows about the web framework."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Translator:
    gettext: Callable[..., str]  # gettext(msgid, **params) -> text
    ngettext: Callable[..., str]  # ngettext(singular, plural, num, **params) -> text
    in_locale: Callable[[str], AbstractContextManager]  # words the messages inside it in that language


def _gettext(msgid: str, **params: Any) -> str:
    return msgid % params if params else msgid


def _ngettext(singular: str, plural: str, num: int, **params: Any) -> str:
    params.setdefault("num", num)
    return (singular if num == 1 else plural) % params


@contextmanager
def _same_locale(locale: str) -> Iterator[None]:
    yield


_translator = Translator(_gettext, _ngettext, _same_locale)


def set_translator(translator: Translator) -> None:
    global _translator
    _translator = translator


def in_locale(locale: str) -> AbstractContextManager:
    """Messages turned into text inside this block are in ``locale`` (an e-mail to someone else)."""
    return _translator.in_locale(locale)


class Message:
    """A msgid (and its plural) with parameters; ``str()`` words it in the current language."""

    __slots__ = ("singular", "plural", "num", "params")

    def __init__(self, singular: str, plural: str | None = None, num: int | None = None, **params: Any):
        self.singular, self.plural, self.num, self.params = singular, plural, num, params

    def __str__(self) -> str:
        params = {name: str(value) if isinstance(value, Message) else value for name, value in self.params.items()}
        if self.plural is None:
            return _translator.gettext(self.singular, **params)
        return _translator.ngettext(self.singular, self.plural, self.num, **params)

    def __repr__(self) -> str:
        return f"Message({self.singular!r}, {self.params!r})"

    # Compared, joined and searched as the text it reads as now.
    def __eq__(self, other: object) -> bool:
        if isinstance(other, Message | str):
            return str(self) == str(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))

    def __contains__(self, part: str) -> bool:
        return part in str(self)

    def __add__(self, other: object) -> str:
        return str(self) + str(other)

    def __radd__(self, other: object) -> str:
        return str(other) + str(self)


class Joined(Message):
    """Texts (messages, labels) joined with ``separator`` when shown; ``empty`` when there are none."""

    __slots__ = ("parts", "separator", "empty")

    def __init__(self, parts: Iterable[object], separator: str = ", ", empty: object = ""):
        super().__init__("")
        self.parts, self.separator, self.empty = list(parts), separator, empty

    def __str__(self) -> str:
        return self.separator.join(str(part) for part in self.parts) or str(self.empty)

    def __repr__(self) -> str:
        return f"Joined({self.parts!r})"


class Later(Message):
    """Text that ``make()`` writes when shown: a date or a time in the reader's language."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], object]):
        super().__init__("")
        self.make = make

    def __str__(self) -> str:
        return str(self.make())

    def __repr__(self) -> str:
        return f"Later({self.make!r})"


def _(msgid: str, **params: Any) -> Message:
    return Message(msgid, **params)


def ngettext(singular: str, plural: str, num: int, **params: Any) -> Message:
    return Message(singular, plural, num, **params)


def text(message: Message | str | None) -> str | None:
    """A message as text in the current language; plain text and None as they are."""
    return None if message is None else str(message)
