"""Language-neutral vectors: subtract part of each language's mean before comparing.

Multilingual encoders place texts of one language near each other whatever they are about, so
without this a Norwegian need prefers any Norwegian text to the English product that solves it
(Libovický et al. 2020, "On the language neutrality of pre-trained multilingual
representations"). Each vector has ``strength`` times its language's mean taken off and is
normalised again.

A language's mean comes from two places: reference texts that say the same things in every
language (so the means differ by language, not by topic), and the corpus's own texts once there
are many of them. ``prior_weight`` is how many corpus texts the reference counts as: a language
with five profiles keeps a mean that is mostly the reference one, not those five profiles' topic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from embeddings.encoders import normalise

# Tuned on the labelled development set (scripts/evaluate_matching.py); half to a whole mean
# all helped there, three quarters most.
STRENGTH = 0.75
PRIOR_WEIGHT = 40.0


@dataclass
class LanguageMeans:
    """Per-language mean vectors (unnormalised) and how many texts each was taken from."""

    means: dict[str, np.ndarray] = field(default_factory=dict)
    counts: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, vectors: np.ndarray, languages: Iterable[str]) -> LanguageMeans:
        vectors, languages = np.asarray(vectors, dtype=np.float32), list(languages)
        result = cls()
        for language in sorted(set(languages)):
            rows = vectors[[i for i, lang in enumerate(languages) if lang == language]]
            result.means[language], result.counts[language] = rows.mean(axis=0), float(len(rows))
        return result

    def blend(self, corpus: LanguageMeans, prior_weight: float = PRIOR_WEIGHT) -> LanguageMeans:
        """These (reference) means, moved towards the corpus's as the corpus grows."""
        blended = LanguageMeans()
        for language in sorted(set(self.means) | set(corpus.means)):
            if language not in self.means:
                blended.means[language] = corpus.means[language]
                blended.counts[language] = corpus.counts[language]
                continue
            n = corpus.counts.get(language, 0.0)
            corpus_mean = corpus.means.get(language, self.means[language])
            blended.means[language] = ((prior_weight * self.means[language] + n * corpus_mean)
                                       / (prior_weight + n)).astype(np.float32)
            blended.counts[language] = prior_weight + n
        return blended

    def mean_for(self, weights: Mapping[str, float] | str) -> np.ndarray | None:
        """The mean for one language, or the mix for a text whose language is uncertain."""
        if isinstance(weights, str):
            weights = {weights: 1.0}
        known = {lang: w for lang, w in weights.items() if lang in self.means and w > 0}
        if not known:
            return self._overall()
        total = sum(known.values())
        return sum(self.means[lang] * (w / total) for lang, w in known.items())

    def _overall(self) -> np.ndarray | None:
        if not self.means:
            return None
        return np.mean(np.stack(list(self.means.values())), axis=0)

    def to_arrays(self) -> dict[str, np.ndarray]:
        languages = sorted(self.means)
        return {"languages": np.array(languages), "means": np.stack([self.means[lang] for lang in languages]),
                "counts": np.array([self.counts[lang] for lang in languages], dtype=np.float64)}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> LanguageMeans:
        languages = [str(lang) for lang in arrays["languages"]]
        return cls(dict(zip(languages, np.asarray(arrays["means"], dtype=np.float32), strict=True)),
                   dict(zip(languages, map(float, arrays["counts"]), strict=True)))


class Centering:
    """Takes ``strength`` times the language mean off vectors and normalises them again."""

    def __init__(self, means: LanguageMeans, strength: float = STRENGTH):
        self.means, self.strength = means, strength
        self._offsets: dict[str, np.ndarray | None] = {}  # per language code: what is taken off

    def apply(self, vectors: np.ndarray, language: Mapping[str, float] | str | None) -> np.ndarray:
        vectors = np.asarray(vectors, dtype=np.float32)
        offset = self._offset(language or {})
        if offset is None or vectors.size == 0:
            return vectors
        return normalise(vectors - offset)

    def _offset(self, language: Mapping[str, float] | str) -> np.ndarray | None:
        # A ranking centres a hundred candidates' passages per request: one product per language.
        if isinstance(language, str) and language in self._offsets:
            return self._offsets[language]
        mean = self.means.mean_for(language)
        offset = None if mean is None or self.strength == 0 else (self.strength * mean).astype(np.float32)
        if isinstance(language, str):
            self._offsets[language] = offset
        return offset

    def apply_rows(self, vectors: np.ndarray, languages: list[str]) -> np.ndarray:
        """Many vectors, each with its own language."""
        out = np.asarray(vectors, dtype=np.float32).copy()
        for language in set(languages):
            rows = [i for i, lang in enumerate(languages) if lang == language]
            out[rows] = self.apply(out[rows], language)
        return out
