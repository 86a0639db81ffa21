"""Whole-number priorities for CP-SAT, which only optimises integer objectives."""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_DECIMALS = 3


@dataclass(frozen=True)
class Weights:
    """Priority p of meeting m is weights[m] * unit, exactly when `exact`."""

    weights: list[int]
    unit: float  # the step every total of priorities is a multiple of
    decimals: int  # decimals needed to write a multiple of unit
    exact: bool


def integer_weights(priorities: list[float]) -> Weights:
    """Priorities divided by the largest step they are all whole multiples of, found among
    powers of ten down to 1/1000 and then by the greatest common divisor: priorities 2, 4, 6 give
    weights 1, 2, 3 in steps of 2. Priorities finer than 1/1000 are rounded to that, and the
    result marked inexact (CP-SAT then optimises a very close approximation; reported totals
    always use the priorities as given)."""
    for decimals in range(MAX_DECIMALS + 1):
        scaled = [p * 10**decimals for p in priorities]
        if all(abs(value - round(value)) <= 1e-9 * max(1.0, value) for value in scaled):
            return _reduced([round(value) for value in scaled], decimals, exact=True)
    return _reduced([round(p * 10**MAX_DECIMALS) for p in priorities], MAX_DECIMALS, exact=False)


def _reduced(scaled: list[int], decimals: int, exact: bool) -> Weights:
    step = math.gcd(*scaled) or 1
    return Weights([value // step for value in scaled], step / 10**decimals, decimals, exact)


def total(values: list[float]) -> float | int:
    """A sum reported as an int when it is whole, so integer priorities give integer totals."""
    result = sum(values)
    if isinstance(result, float) and result.is_integer():
        return int(result)
    return round(result, 9) if isinstance(result, float) else result
