"""What of a profile is embedded, cut into passages, and reduced to stemmed terms."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from functools import cache

import snowballstemmer

STEMMER_LANGUAGE = {"nb": "norwegian", "nn": "norwegian", "sv": "swedish", "da": "danish", "en": "english"}
SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")
WORD = re.compile(r"[^\W_]+", re.UNICODE)
PASSAGE_WORDS = 60
MAX_PASSAGES = 12
# Function words of the four languages; they carry no meaning for matching.
STOPWORDS = {
    "a", "af", "an", "and", "are", "as", "at", "att", "av", "be", "blir", "bliver", "by", "de", "den", "det",
    "eller", "en", "er", "et", "ett", "for", "fra", "from", "från", "för", "har", "has", "have", "i", "ikke",
    "in", "inte", "is", "it", "its", "kan", "med", "och", "of", "og", "om", "on", "or", "our", "på", "ska",
    "skal", "som", "that", "the", "til", "till", "to", "ved", "vi", "vid", "was", "we", "were", "will",
    "with", "är",
}


def profile_text(title: str, description: str) -> str:
    return f"{title.strip()}. {description.strip()}"


# Raise when what is stored per profile changes (passage rules, prefixes): every stored vector
# then counts as stale and `flask index rebuild` or the next save re-embeds it.
EMBEDDING_VERSION = 2


def text_hash(text: str, model: str) -> str:
    return hashlib.sha256(f"{model}\nv{EMBEDDING_VERSION}\n{text}".encode()).hexdigest()


def split_passages(title: str, description: str) -> list[str]:
    """Sentences grouped into passages of about PASSAGE_WORDS words; the title only when there
    is no description. Titles are left out otherwise: short and generic ("Faster ... for
    patients"), they paired up with each other more than with what solves the problem (and on
    the labelled set leaving them out scored slightly better)."""
    passages, current = [], []
    for sentence in (s.strip() for s in SENTENCE_END.split(description) if s and s.strip()):
        if current and len(" ".join(current + [sentence]).split()) > PASSAGE_WORDS:
            passages.append(" ".join(current))
            current = []
        current.append(sentence)
    if current:
        passages.append(" ".join(current))
    return passages[:MAX_PASSAGES] or [title.strip()]


@cache
def _stemmer(language: str):
    return snowballstemmer.stemmer(STEMMER_LANGUAGE.get(language, "english"))


def stems(text: str, language: str) -> list[str]:
    words = [w.lower() for w in WORD.findall(text)]
    return _stemmer(language).stemWords([w for w in words if w not in STOPWORDS and len(w) > 1])


def term_counts(text: str, language: str) -> dict[str, int]:
    return dict(Counter(stems(text, language)))
