"""Service messages are worded when shown, in the language active then."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from matchmaker import messages
from matchmaker.messages import Joined, Later, Translator, _, in_locale, ngettext

WORDS = {"nb": {"Hello %(name)s": "Hei %(name)s", "one": "én", "yes": "ja", "%(num)d meeting": "%(num)d møte",
                "%(num)d meetings": "%(num)d møter"}}


@pytest.fixture
def norwegian_when_asked():
    """A translator with a language switch of its own, put back afterwards."""
    active = ["en"]

    def gettext(msgid, **params):
        text = WORDS.get(active[-1], {}).get(msgid, msgid)
        return text % params if params else text

    def plural(singular, plural_, num, **params):
        return gettext(singular if num == 1 else plural_, num=num, **params)

    @contextmanager
    def switch(locale):
        active.append(locale)
        try:
            yield
        finally:
            active.pop()

    before = messages._translator
    messages.set_translator(Translator(gettext, plural, switch))
    yield
    messages.set_translator(before)


def test_a_message_is_worded_when_shown_not_when_made(norwegian_when_asked):
    greeting = _("Hello %(name)s", name="Ada")
    assert str(greeting) == "Hello Ada"
    with in_locale("nb"):
        assert str(greeting) == "Hei Ada"
        assert str(ngettext("%(num)d meeting", "%(num)d meetings", 2)) == "2 møter"
    assert greeting == "Hello Ada" and "Ada" in greeting and f"{greeting}!" == "Hello Ada!"


def test_parts_of_a_message_are_worded_with_it(norwegian_when_asked):
    listed = _("Hello %(name)s", name=Joined([_("one"), "two"], empty=_("yes")))
    with in_locale("nb"):
        assert str(listed) == "Hei én, two"
        assert str(Joined([], empty=_("yes"))) == "ja"
        assert str(_("Hello %(name)s", name=Later(lambda: "now"))) == "Hei now"


def test_outside_a_request_the_msgid_is_the_text():
    assert str(_("Hello %(name)s", name="Bo")) == "Hello Bo"
    assert str(ngettext("%(num)d meeting", "%(num)d meetings", 1)) == "1 meeting"
