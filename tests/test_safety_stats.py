"""The safety report's arithmetic: the Wilson interval against textbook values and against a
second, independent formula (the roots of the score equation), and the plain figures."""

import math

import pytest

from screening.safety_stats import (
    PUBLISHED,
    Rate,
    number,
    per_100,
    published_number,
    wilson_interval,
)


def _score_equation_roots(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Where n (k/n - p)^2 = z^2 p (1 - p): the quadratic (n + z^2) p^2 - (2k + z^2) p + k^2/n
    = 0, solved with the ordinary quadratic formula (a different route from the closed form)."""
    a = n + z * z
    b = -(2 * k + z * z)
    c = k * k / n
    root = math.sqrt(b * b - 4 * a * c)
    return (-b - root) / (2 * a), (-b + root) / (2 * a)


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (0, 10, 0.0, 0.2775),  # nothing seen in 10: up to about 28 % is still plausible
        (5, 10, 0.2366, 0.7634),
        (81, 263, 0.2553, 0.3662),
        (10, 10, 0.7225, 1.0),
        (1, 7629, 0.0000231, 0.000742),
    ],
)
def test_wilson_interval_matches_textbook_values(k, n, low, high):
    got_low, got_high = wilson_interval(k, n)

    assert got_low == pytest.approx(low, abs=5e-5 if low > 0.001 else 1e-6)
    assert got_high == pytest.approx(high, abs=5e-5 if high > 0.001 else 1e-6)


@pytest.mark.parametrize(("k", "n"), [(0, 1), (1, 2), (3, 17), (40, 100), (2, 5), (999, 1000)])
def test_wilson_interval_agrees_with_the_score_equation(k, n):
    assert wilson_interval(k, n) == pytest.approx(_score_equation_roots(k, n), abs=1e-12)


def test_wilson_interval_narrows_as_treatments_grow_at_the_same_rate():
    small = wilson_interval(8, 100)
    large = wilson_interval(800, 10_000)

    assert small[1] - small[0] > 3 * (large[1] - large[0])
    assert small[0] < 0.08 < small[1]


def test_wilson_interval_of_nothing_is_everything_and_bad_counts_raise():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson_interval(3, 2)
    with pytest.raises(ValueError):
        wilson_interval(-1, 2)


def test_rate_per_100_and_its_range():
    rate = Rate(k=81, n=263)

    assert rate.per_100 == pytest.approx(30.798, abs=1e-3)
    assert (round(rate.low, 2), round(rate.high, 2)) == (25.53, 36.62)
    assert per_100(3, 0) is None
    assert Rate(0, 0).per_100 is None
    assert Rate(1, 99).few and not Rate(1, 100).few


def test_numbers_read_plainly():
    assert number(8.0938) == "8.1"
    assert number(0.26) == "0.26"
    assert number(0.85e-4) == "0.000085"
    assert number(0.0023) == "0.0023"
    assert number(0) == "0"
    assert number(None) == "—"
    # Published figures keep the precision of their source.
    assert published_number(7.55) == "7.55"
    assert published_number(19.18) == "19.18"
    assert published_number(0.85e-4) == "0.000085"


def test_published_figures_are_those_of_the_clinical_reference():
    assert PUBLISHED["any_mild"].per_100 == 19.18
    assert PUBLISHED["bruising"].per_100 == 7.55
    assert PUBLISHED["bleeding"].per_100 == 4.65
    assert PUBLISHED["pneumothorax"].per_100 == pytest.approx(0.85 / 1_000_000 * 100)
    assert PUBLISHED["bruising"].sources == "[R1]"
    assert PUBLISHED["pneumothorax"].sources == "[R5]"
    # Where the reference has no per-treatment figure, the page says so.
    assert PUBLISHED["nerve_injury"].per_100 is None
    assert "No published" in PUBLISHED["nerve_injury"].text
