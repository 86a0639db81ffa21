"""Interface language and time zone of each request, and how dates, times and numbers are written:
one format per language, in the reader's zone unless a time belongs to a place (an arena)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from zoneinfo import ZoneInfo

import flask_babel
from babel import Locale
from babel.dates import format_date, format_time, get_timezone_name
from babel.numbers import format_decimal, format_percent
from flask import Flask, has_app_context, has_request_context, request, session
from flask_babel import Babel, get_locale, get_timezone
from flask_login import current_user

from matchmaker import messages
from matchmaker.vocabulary import INTERFACE_LOCALES

DEFAULT_TIMEZONE = "Europe/Oslo"
# Browsers send "no" or "nn" for Norwegian; bokmål is the interface we have for both.
LOCALE_ALIASES = {"no": "nb", "nn": "nb", "nb": "nb", "sv": "sv", "en": "en"}


def select_locale() -> str:
    if not has_request_context():
        return "en"
    if current_user.is_authenticated and current_user.locale in INTERFACE_LOCALES:
        return current_user.locale
    if session.get("locale") in INTERFACE_LOCALES:
        return session["locale"]
    return browser_locale(request.accept_languages)


def browser_locale(accept_languages) -> str:
    for value, _quality in accept_languages:
        primary = value.lower().replace("_", "-").split("-")[0]
        if primary in LOCALE_ALIASES:
            return LOCALE_ALIASES[primary]
    return "en"


def select_timezone() -> str:
    if not has_request_context():
        return DEFAULT_TIMEZONE
    if current_user.is_authenticated and current_user.timezone:
        return current_user.timezone
    return DEFAULT_TIMEZONE


def register_i18n(app: Flask) -> None:
    from matchmaker.people import register_people

    Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
    # The services' messages (``matchmaker.messages``) are worded where they are shown, in its language.
    messages.set_translator(messages.Translator(flask_babel.gettext, flask_babel.ngettext, flask_babel.force_locale))
    register_formats(app)
    register_people(app)


# English is written as in Europe (day before month, 24-hour clock), never in US order.
FORMAT_LOCALES = {"en": "en_GB"}


def format_locale() -> Locale:
    """The locale dates and numbers are written in: the interface language's own."""
    language = str(get_locale() or "en")
    return Locale.parse(FORMAT_LOCALES.get(language, language))


def user_zone() -> tzinfo:
    # Outside the app (a script, a worker) there is no user: Oslo, as for a visitor.
    return (get_timezone() if has_app_context() else None) or ZoneInfo(DEFAULT_TIMEZONE)


def _zone(zone: str | tzinfo | None) -> tzinfo:
    if zone is None:
        return user_zone()
    return ZoneInfo(zone) if isinstance(zone, str) else zone


def _local(moment: datetime, zone: str | tzinfo | None) -> datetime:
    """Stored times are UTC; SQLite hands them back without a zone."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(_zone(zone))


def zone_name(moment: datetime) -> str:
    """The zone's short name at that moment ("CET", "CEST")."""
    return get_timezone_name(moment, "short", locale=format_locale())


def _differs_from_user(local: datetime) -> bool:
    # Compared by today's offset: a zone the reader would not read times in, whatever its name.
    now = datetime.now(UTC)
    return now.astimezone(local.tzinfo).utcoffset() != now.astimezone(user_zone()).utcoffset()


def when(moment: datetime | None, zone: str | tzinfo | None = None, labelled: bool | None = None) -> str:
    """A date and time, in `zone` (the user's own by default): "12 Mar 2026, 09:05", "12. mars 2026, 09:05".
    Labelled with the zone's name when asked, or by default when it is not the user's zone."""
    if moment is None:
        return ""
    local, locale = _local(moment, zone), format_locale()
    text = locale.datetime_formats["medium"].format(format_time(local, "short", locale=locale),
                                                    format_date(local, "medium", locale=locale))
    return _labelled(text, local, labelled)


def _labelled(text: str, local: datetime, labelled: bool | None) -> str:
    if labelled or (labelled is None and _differs_from_user(local)):
        return f"{text} ({zone_name(local)})"
    return text


def day(value: date | datetime | None, zone: str | tzinfo | None = None) -> str:
    """A date: "12 Mar 2026"; a moment's date in `zone` (the user's by default)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value, zone)
    return format_date(value, "medium", locale=format_locale())


def clock(value: datetime | time | None, zone: str | tzinfo | None = None) -> str:
    """A time of day: "09:05"."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value, zone)
    return format_time(value, "short", locale=format_locale())


def time_range(zone: str | tzinfo, start: datetime, end: datetime, with_day: bool = True,
               labelled: bool | None = False) -> str:
    """"12 Mar 2026, 09:00–09:20" in the arena's zone; the day left out for a column of one day."""
    local_start = _local(start, zone)
    hours = f"{clock(start, zone)}–{clock(end, zone)}"
    if with_day:
        hours = format_locale().datetime_formats["medium"].format(hours, day(start, zone))
    return _labelled(hours, local_start, labelled)


def arena_range(arena, start: datetime, end: datetime, with_day: bool = True, labelled: bool | None = False) -> str:
    return time_range(arena.timezone, start, end, with_day, labelled)


def arena_when(arena, moment: datetime | None, labelled: bool | None = True) -> str:
    """An arena's deadline or publication time, in the arena's zone and named with it."""
    return when(moment, arena.timezone, labelled)


def number(value, digits: int | None = None) -> str:
    """A number in the reader's language; `digits` fixes the decimals ("2,5" with one)."""
    if value is None:
        return ""
    pattern = f"#,##0.{'0' * digits}" if digits else ("#,##0" if digits == 0 else None)
    return format_decimal(value, pattern, locale=format_locale())


def percent(value, digits: int = 1) -> str:
    """A share given from 0 to 100, with the locale's sign and spacing: "100,0 %" in Norwegian."""
    if value is None:
        return ""
    locale = format_locale()
    pattern = locale.percent_formats[None].pattern
    if digits:
        pattern = pattern.replace("#,##0", "#,##0." + "0" * digits, 1)
    return format_percent(value / 100, pattern, locale=locale)


def month(value: str) -> str:
    """A "2026-03" month key as the reader says it ("Mar 2026", "mars 2026")."""
    try:
        year, number_of_month = (int(part) for part in str(value).split("-")[:2])
        return format_date(date(year, number_of_month, 1), "LLL y", locale=format_locale())
    except ValueError:
        return str(value)


def current_timezone() -> str:
    """The user's zone by name ("Europe/Oslo"), for saying which zone times are in."""
    zone = user_zone()
    return getattr(zone, "key", None) or getattr(zone, "zone", None) or str(zone)


def machine_time(moment: datetime | None) -> str:
    """The moment in UTC for a <time datetime> attribute: read by programs, never shown."""
    return _local(moment, UTC).isoformat() if moment else ""


def register_formats(app: Flask) -> None:
    """One format per language everywhere: the filters Flask-Babel defines are replaced by ours,
    which ignore the width they are asked for (that was how English came to show three formats)."""
    helpers = {"when": when, "day": day, "clock": clock, "time_range": time_range, "arena_range": arena_range,
               "arena_when": arena_when, "number": number, "percent": percent, "month": month,
               "current_timezone": current_timezone, "machine_time": machine_time}
    app.jinja_env.globals.update(helpers)
    app.jinja_env.filters.update(when=when, day=day, clock=clock, number=number, percent=percent, month=month,
                                 datetimeformat=lambda value, _width=None: when(value),
                                 dateformat=lambda value, _width=None: day(value),
                                 timeformat=lambda value, _width=None: clock(value))
