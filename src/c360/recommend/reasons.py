"""Why an offer: sentences a teller can read out, built from the model's own statistics.

In order of preference, for a personalised (model) offer:

1. a held product whose holders take the offer up much more often than everyone
   ("holds a mortgage but no home insurance; customers like this add it at 4x the
   usual rate");
2. a recent enquiry about the product ("asked about a car loan 2 months ago");
3. the model's lift without a single driver ("customers like this take up a car loan at
   2.5x the usual rate");
4. otherwise the plain odds ("about 1 in 150 customers like this take up term deposit
   within 3 months"), which never read as "a 0.0% chance".

An offer from segment popularity says so. Probabilities are shown as "1 in N" below 10%,
where a percentage with one decimal either rounds to nothing or looks falsely precise.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from c360.recommend.features import NO_ENQUIRY, Snapshot
from c360.recommend.model import PropensityModel

__all__ = ["EXPLAINING_LIFT", "RECENT_ENQUIRY_MONTHS", "explain", "odds", "times"]

# A held product explains an offer when its holders take the offer up this much more often.
EXPLAINING_LIFT = 1.5
RECENT_ENQUIRY_MONTHS = 6
_VOWELS = "aeiou"


def odds(probability: float) -> str:
    """``"about 1 in 150"`` below 10%, ``"about 35%"`` from there."""
    if probability >= 0.1:
        return f"about {probability:.0%}"
    n = 1 / max(probability, 1e-9)
    significant = float(f"{n:.2g}")  # 1 in 151.5 reads as 1 in 150
    return f"about 1 in {significant:,.0f}"


def times(ratio: float) -> str:
    """``"4x"`` from 2 up (a decimal there is false precision), ``"1.6x"`` below."""
    return f"{ratio:.0f}x" if ratio >= 2 else f"{ratio:.1f}x"


def _lower(name: str) -> str:
    # "Home insurance" -> "home insurance"; keep acronyms such as "OLED TV" as they are.
    return name if name[:2].isupper() else name[0].lower() + name[1:]


def _with_article(name: str) -> str:
    lowered = _lower(name)
    return f"{'an' if lowered[0] in _VOWELS else 'a'} {lowered}"


def _months_ago(months: int) -> str:
    if months == 0:
        return "this month"
    return f"{months} month{'s' if months > 1 else ''} ago"


def explain(
    model: PropensityModel,
    snapshot: Snapshot,
    row: int,
    column: int,
    score: float,
    *,
    personalised: bool,
    names: Mapping[str, str],
) -> tuple[str, ...]:
    """Why this product for this customer, in words an adviser can repeat."""
    code = snapshot.product_codes[column]
    offered = _lower(names.get(code, code.replace("_", " ")))
    window = f"{model.window_months} months"
    if not personalised:
        segment = snapshot.segments[row].replace("_", " ")
        rate = float(model.segment_rates.get(snapshot.segments[row], model.base_rates)[column])
        return (
            f"popular with {segment} customers: {odds(rate)} take up {offered} within {window}",
        )
    reasons = []
    ratio = score / max(float(model.base_rates[column]), 1e-9)
    held = np.flatnonzero(snapshot.held[row])
    if len(held) and ratio >= EXPLAINING_LIFT:
        driver = held[np.argmax(model.lift[held, column])]
        if model.lift[driver, column] >= EXPLAINING_LIFT:
            driver_code = snapshot.product_codes[driver]
            holding = _with_article(names.get(driver_code, driver_code.replace("_", " ")))
            reasons.append(
                f"holds {holding} but no {offered}; customers like this add it at "
                f"{times(ratio)} the usual rate"
            )
    months = int(snapshot.enquiry_months[row, column])
    if months <= RECENT_ENQUIRY_MONTHS and months < NO_ENQUIRY:
        reasons.append(f"asked about {offered} {_months_ago(months)}")
    if not reasons and ratio >= EXPLAINING_LIFT:
        reasons.append(f"customers like this take up {offered} at {times(ratio)} the usual rate")
    if not reasons:
        reasons.append(f"{odds(score)} customers like this take up {offered} within {window}")
    return tuple(reasons)
