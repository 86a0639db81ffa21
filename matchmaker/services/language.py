"""Which of the profile languages a text is written in.

Matching takes each language's mean off the vectors, so a wrong tag now hurts ranking. Bokmål,
Nynorsk, Danish and Swedish share most function words, which a word-list guess cannot tell
apart; lingua's statistical models can (on the labelled set: 1 of 185 texts wrong, where the
word-list guess had 8). Its models load once per process, on first use (a worker's warm-up).
"""

from __future__ import annotations

import threading
import unicodedata

LINGUA_CODES = {"BOKMAL": "nb", "NYNORSK": "nn", "SWEDISH": "sv", "DANISH": "da", "ENGLISH": "en"}
# Below this many letters a guess is mostly noise; such texts get a mix of all languages.
MIN_LETTERS = 3
_detector = None
_lock = threading.Lock()


def _get_detector():
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                from lingua import Language, LanguageDetectorBuilder

                languages = [getattr(Language, name) for name in LINGUA_CODES]
                # Loaded lazily, lingua reads its models on the first texts of each length and
                # language: a second or two inside some user's request. All at once instead.
                _detector = LanguageDetectorBuilder.from_languages(*languages).with_preloaded_language_models().build()
    return _detector


def _letters(text: str) -> int:
    return sum(1 for ch in text if ch.isalpha())


def language_weights(text: str) -> dict[str, float]:
    """How likely the text is in each language (summing to 1); empty when it cannot be told."""
    text = unicodedata.normalize("NFC", text or "")
    if _letters(text) < MIN_LETTERS:
        return {}
    values = _get_detector().compute_language_confidence_values(text)
    return {LINGUA_CODES[v.language.name]: float(v.value) for v in values if v.value > 0}


def most_likely(weights: dict[str, float], default: str = "en") -> str:
    return max(weights, key=weights.get) if weights else default


def guess_language(text: str, default: str = "en") -> str:
    return most_likely(language_weights(text), default)
