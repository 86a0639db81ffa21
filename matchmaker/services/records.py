"""Turning one JSONL record into the input the profile and organisation services take.

Imports come from spreadsheets and other systems, so this side is lenient: singular or
plural field names, labels instead of codes, "5-8" for a TRL range. What it cannot place is
kept in the profile's ``extra`` and reported as a warning; only what makes a profile
unusable is an error.
"""

from __future__ import annotations

import re
from typing import Any

from matchmaker import vocabulary as v
from matchmaker.services.language import guess_language
from matchmaker.services.schemas import known_fields

# field in the record -> (field in the service input, vocabulary)
CODE_LISTS = {
    "clinical_area": ("clinical_areas", v.CLINICAL_AREAS),
    "care_setting": ("care_settings", v.CARE_SETTINGS),
    "test_type": ("test_types", v.TEST_TYPES),
    "affected_group": ("affected_groups", v.AFFECTED_GROUPS),
}
LANGUAGE_ALIASES = {"no": "nb", "nob": "nb", "nor": "nb", "norwegian": "nb", "bokmål": "nb", "bokmal": "nb",
                    "nynorsk": "nn", "nno": "nn", "swe": "sv", "swedish": "sv", "se": "sv", "dan": "da",
                    "danish": "da", "dk": "da", "eng": "en", "english": "en"}
RECORD_ONLY = {"kind", "id", "organisation", "name", "trl_range", "regulatory_requirement"}


class RecordError(ValueError):
    """A record that cannot be imported; the message says why."""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def to_code(value: Any, vocabulary: dict) -> str | None:
    """A code from a code, a slug of one, or an English label; None when nothing fits."""
    if not isinstance(value, str | int) or value == "":
        return None
    text = str(value)
    if text in vocabulary:
        return text
    by_slug = {_slug(code): code for code in vocabulary} | {_slug(str(lbl)): code for code, lbl in vocabulary.items()}
    return by_slug.get(_slug(text))


def as_list(value: Any) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, str) and ";" in value:
        return [part.strip() for part in value.split(";")]
    return [value]


def language_code(value: Any) -> str | None:
    text = str(value or "").strip().lower().replace("_", "-")
    primary = LANGUAGE_ALIASES.get(text) or LANGUAGE_ALIASES.get(text.split("-")[0]) or text.split("-")[0]
    return primary if primary in v.PROFILE_LANGUAGES else None


def parse_trl(value: Any) -> tuple[int | None, int | None]:
    """5 -> (5, 5); [4, 7] or "4-7" or "TRL 4–7" -> (4, 7)."""
    if value is None or value == "":
        return None, None
    numbers = [int(n) for n in re.findall(r"\d+", str(value))] if not isinstance(value, list) else value
    if not numbers or not all(isinstance(n, int) and 1 <= n <= 9 for n in numbers):
        raise RecordError(f"trl must be a number from 1 to 9 or a range such as 4-7, not {value!r}")
    return min(numbers), max(numbers)


def profile_input(kind: str, record: dict[str, Any], warnings: list[str]) -> tuple[dict, dict]:
    """(service input, extra fields to keep) for a need or capability record."""
    data: dict[str, Any] = {"title": record.get("title") or record.get("name"),
                            "description": record.get("description"),
                            "status": record.get("status") or "published"}
    extra: dict[str, Any] = {}
    _add_codes(record, data, extra, warnings)
    _add_language(record, data, warnings)
    _add_trl(kind, record, data)
    regulatory = record.get("regulatory_class") or record.get("regulatory_requirement")
    if regulatory:
        _add_single_code(data, extra, warnings, "regulatory_class", regulatory, v.REGULATORY_CLASSES)
    if kind == "need" and record.get("procurement_route"):
        _add_single_code(data, extra, warnings, "procurement_route", record["procurement_route"],
                         v.PROCUREMENT_ROUTES)
    fields = known_fields(kind)
    handled = set(data) | set(CODE_LISTS) | {f"{name}s" for name in CODE_LISTS} | RECORD_ONLY | {"trl"}
    for key, value in record.items():
        if key in handled or key == "language":
            continue
        (data if key in fields else extra)[key] = value
    return data, extra


def _add_codes(record: dict, data: dict, extra: dict, warnings: list[str]) -> None:
    for singular, (field, vocabulary) in CODE_LISTS.items():
        values = as_list(record.get(field, record.get(singular)))
        codes = [to_code(value, vocabulary) for value in values]
        data[field] = [code for code in codes if code]
        unknown = [value for value, code in zip(values, codes, strict=True) if not code]
        if unknown:
            extra[f"unrecognised_{field}"] = unknown
            warnings.append(f"{singular}: kept but did not recognise {', '.join(map(str, unknown))}")


def _add_single_code(data: dict, extra: dict, warnings: list[str], field: str, value: Any, vocabulary: dict):
    code = to_code(value, vocabulary)
    if code:
        data[field] = code
    else:
        extra[field] = value
        warnings.append(f"{field}: kept but did not recognise {value!r}")


def _add_language(record: dict, data: dict, warnings: list[str]) -> None:
    given = record.get("language")
    code = language_code(given) if given else None
    if code is None:
        text = f"{data.get('title') or ''} {data.get('description') or ''}"
        code = guess_language(text)
        reason = "missing" if not given else f"{given!r} is not one of {', '.join(v.PROFILE_LANGUAGES)}"
        warnings.append(f"language {reason}; guessed {code} from the text")
    data["language"] = code


def _add_trl(kind: str, record: dict, data: dict) -> None:
    if kind == "need":
        low, high = parse_trl(record.get("trl", record.get("trl_range")))
        data["trl_min"] = record.get("trl_min", low)
        data["trl_max"] = record.get("trl_max", high)
    else:
        low, high = parse_trl(record.get("trl"))
        if low != high:
            raise RecordError("a capability has one TRL, not a range")
        data["trl"] = low


def organisation_input(record: dict[str, Any]) -> dict[str, Any]:
    kind = record.get("type") or record.get("org_kind") or record.get("organisation_kind")
    known = {"name", "country", "org_number", "website", "description", "size", "founded"}
    data = {key: record.get(key) for key in known if record.get(key) not in (None, "")}
    data["kind"] = to_code(kind, v.ORGANISATION_KINDS) if kind else None
    data["extra"] = {k: val for k, val in record.items()
                     if k not in known | {"kind", "id", "type", "org_kind", "organisation_kind", "parent", "approved"}}
    return data
