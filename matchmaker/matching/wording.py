"""Explanations in words, in the reader's language, for pages and API alike."""

from __future__ import annotations

from flask_babel import gettext as _

from matchmaker.vocabulary import CARE_SETTINGS, CLINICAL_AREAS, label


def strength_label(strength: str) -> str:
    return {"strong": _("Strong match"), "good": _("Good match"), "possible": _("Possible match")}[strength]


def _labels(vocabulary: dict, codes: list[str]) -> str:
    return ", ".join(label(vocabulary, code) for code in codes)


def describe_mismatch(code: str, params: dict) -> str:
    if code == "trl":
        return _("TRL %(trl)s, the need wants %(low)s–%(high)s", **params)
    if code == "care_setting":
        return _("Different care setting: %(offered)s here, %(wanted)s in yours",
                 offered=_labels(CARE_SETTINGS, params["offered"]), wanted=_labels(CARE_SETTINGS, params["wanted"]))
    return _("Different clinical area: %(offered)s here, %(wanted)s in yours",
             offered=_labels(CLINICAL_AREAS, params["offered"]), wanted=_labels(CLINICAL_AREAS, params["wanted"]))
