"""The safety report's arithmetic, and the published adverse-event rates it is read beside.

Pure Python, no Django: counts in, rates and intervals out. The published figures are those of
clinical reference §6, with its source tags as written there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.96

# Below this many treatments, a clinic's rate says little: the page says the range is wide.
FEW_TREATMENTS = 100


def wilson_interval(k: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval for ``k`` successes in ``n`` trials, as proportions (0..1).

    Unlike the plain "p ± z·SE" interval it never leaves 0..1 and stays honest for k = 0 or
    small n, which is exactly where a small clinic's figures sit. (0.0, 1.0) for n = 0.
    """
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return 0.0, 1.0
    p = k / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    # Clamp the rounding dust at the edges (k = 0 gives a lower bound of -1e-17, say).
    return max(0.0, centre - half), min(1.0, centre + half)


def per_100(k: int, n: int) -> float | None:
    """``k`` per 100 of ``n``; None when there is nothing to divide by."""
    return None if n == 0 else 100 * k / n


@dataclass(frozen=True)
class Rate:
    """A clinic rate: ``k`` of ``n`` treatments, per 100, with its 95 % Wilson range per 100."""

    k: int
    n: int

    @property
    def per_100(self) -> float | None:
        return per_100(self.k, self.n)

    @property
    def low(self) -> float:
        return 100 * wilson_interval(self.k, self.n)[0]

    @property
    def high(self) -> float:
        return 100 * wilson_interval(self.k, self.n)[1]

    @property
    def few(self) -> bool:
        return self.n < FEW_TREATMENTS


@dataclass(frozen=True)
class Published:
    """A published figure per 100 treatments (None when the reference has none), the words
    that say what it is, and the reference's source tags."""

    per_100: float | None
    text: str
    sources: str


BRADY = "Brady 2014"
# Clinical reference §6. Keys are AdverseEvent.Type values (and two summary rows).
PUBLISHED: dict[str, Published] = {
    "any_mild": Published(
        19.18,
        f"{BRADY}: mild events in 19.18 % of 7,629 treatments (it counts events, so a "
        "treatment with two counts twice)",
        "[R1]",
    ),
    "bruising": Published(7.55, f"{BRADY}: 7.55 %", "[R1]"),
    "bleeding": Published(4.65, f"{BRADY}: 4.65 %", "[R1]"),
    "pain_during": Published(3.01, f"{BRADY}: 3.01 %", "[R1]"),
    "pain_after": Published(2.19, f"{BRADY}: 2.19 %", "[R1]"),
    "aggravation": Published(0.88, f"{BRADY}: 0.88 %", "[R1]"),
    "drowsiness": Published(0.26, f"{BRADY}: 0.26 %", "[R1]"),
    "headache": Published(0.14, f"{BRADY}: 0.14 %", "[R1]"),
    "nausea": Published(0.13, f"{BRADY}: 0.13 %", "[R1]"),
    "fatigue": Published(0.04, f"{BRADY}: 0.04 %", "[R1]"),
    "altered_emotions": Published(0.04, f"{BRADY}: 0.04 %", "[R1]"),
    "other_mild": Published(
        None,
        f"No single published figure; {BRADY} lists shaking, itching, claustrophobia and "
        "numbness at 0.01 % each",
        "[R1]",
    ),
    "any_significant": Published(
        None,
        f"No published rate; {BRADY} saw no significant events in 7,629 treatments "
        "(upper 95 % bound 0.04 %)",
        "[R1]",
    ),
    "fainting": Published(
        0.19,
        "Chen 1990 (acupuncture, Taipei): 55 fainting episodes in 28,285 procedures, 0.19 %",
        "[R8]",
    ),
    "pneumothorax": Published(
        0.85e-4,
        "Witt 2009 (physician acupuncture): about 0.85 per million treatments",
        "[R5]",
    ),
    "nerve_injury": Published(None, "No published rate per treatment", ""),
    "infection": Published(None, "No published rate per treatment", ""),
    "retained_needle": Published(
        None,
        "No published rate; White 2001 counted 2 forgotten needles in 34,407 treatments",
        "[R6]",
    ),
    "other_significant": Published(None, "No published rate per treatment", ""),
}

# How often each event follows a treatment in synthetic data (generate_intakes): the published
# figures above as probabilities, and small stand-ins where the reference has none.
SYNTHETIC_PROBABILITY: dict[str, float] = {
    **{
        key: published.per_100 / 100
        for key, published in PUBLISHED.items()
        if published.per_100 is not None and not key.startswith("any_")
    },
    "other_mild": 0.0004,
    "nerve_injury": 0.00001,
    "infection": 0.00001,
    "retained_needle": 0.00006,
    "other_significant": 0.00001,
}


def number(value: float | None) -> str:
    """A rate per 100 in plain figures: one decimal from 1 up, more below, '—' for none."""
    if value is None:
        return "—"
    if value == 0:
        return "0"
    if value >= 1:
        return f"{value:.1f}"
    if value >= 0.01:
        return f"{value:.2f}"
    # Tiny published rates (pneumothorax) in plain decimals with two significant digits.
    return f"{value:.{1 - math.floor(math.log10(value))}f}"


def published_number(value: float | None) -> str:
    """A published figure as the source gives it (7.55, 19.18), never rounded to a clinic
    figure's precision; tiny ones in plain decimals (0.000085)."""
    if value is None or value < 0.01:
        return number(value)
    return f"{value:g}"
