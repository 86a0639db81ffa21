"""A small guess of a text's language among the ones profiles are written in.

Used when an import leaves out the language: counting frequent function words tells the
Nordic languages and English apart well enough for texts of a paragraph or more.
"""

from __future__ import annotations

import re

MARKERS = {
    "en": {"the", "and", "of", "to", "is", "for", "with", "that", "are", "we", "our", "patients", "which"},
    "nb": {"og", "ikke", "det", "er", "som", "av", "med", "til", "på", "for", "vi", "hvor", "også",
           "eller", "skal", "pasienter", "blir", "etter", "hvordan", "ved", "fra"},
    "nn": {"ikkje", "eg", "korleis", "kva", "frå", "òg", "vere", "dei", "pasientar", "blir", "ved"},
    "sv": {"och", "inte", "det", "är", "som", "av", "med", "till", "på", "för", "vi", "hur", "också",
           "eller", "ska", "patienter", "blir", "efter", "vid", "från", "att", "en", "ett"},
    "da": {"og", "ikke", "det", "er", "som", "af", "med", "til", "på", "for", "vi", "hvordan", "også",
           "eller", "skal", "patienter", "bliver", "efter", "ved", "fra", "hvad", "meget", "mellem"},
}
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def guess_language(text: str, default: str = "en") -> str:
    words = [w.lower() for w in WORD.findall(text or "")]
    if not words:
        return default
    scores = {lang: sum(1 for w in words if w in markers) for lang, markers in MARKERS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] > 0 else default
