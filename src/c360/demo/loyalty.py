"""The Stars loyalty program: tiers, who enrolled, and a ledger that follows spending.

Members earn points for card spending (posted every half year: one point
per euro on a debit card, two on a credit card) and for retail purchases, redeem some of
them, and lose what is left of each lot ``points_validity_months`` after it was earned.
Redemptions and expiries consume lots oldest first, so per account
``points_balance == sum(points) == sum(remaining_points)``. The tier is the highest whose
threshold the points earned in the ``QUALIFYING_MONTHS`` before ``as_of`` reach.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from c360.demo.catalogue import Catalogue, TierSpec
from c360.demo.holdings import INCOME_MULTIPLIERS, Holdings
from c360.demo.ledger import Earning, Ledger, Redemption
from c360.demo.people import People
from c360.demo.propensity_rules import PRODUCT_CODES, PRODUCT_INDEX
from c360.demo.streams import choose, stream
from c360.demo.tables import TableData
from c360.demo.timeline import (
    Timeline,
    add_months,
    month_index,
    month_indices,
    month_start,
    numpy_day,
    random_times,
)
from c360.demo.warranty import Purchases

QUALIFYING_MONTHS = 12
_SPEND_MEDIAN_EUR = 350.0  # a middle-income member's card spending per month
_ORGANISATION_SPEND = 3.0  # a business card spends like three middle-income members
_REDEMPTIONS_WEIGHTS = (0.55, 0.30, 0.15)  # none, one, two
_POSTING_HOUR = np.timedelta64(2, "h")


def tier_for(qualifying_points: int, tiers: tuple[TierSpec, ...]) -> TierSpec:
    return max((t for t in tiers if t.threshold_points <= qualifying_points), key=lambda t: t.rank)


def qualifying_since(as_of: dt.date) -> dt.datetime:
    """Start of the window whose earned points set the tier (midnight UTC, inclusive)."""
    start = add_months(np.array([numpy_day(as_of)]), -QUALIFYING_MONTHS)[0].item()
    return dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)


@dataclass(frozen=True)
class _Earnings:
    """Earn events of all accounts, sorted by account then time (epoch seconds)."""

    account: np.ndarray
    occurred: np.ndarray
    points: np.ndarray
    reason: list[str]
    source_ref: list[str | None]
    key: list[str]


def _seconds(instants: np.ndarray) -> np.ndarray:
    return instants.astype("datetime64[s]").astype(np.int64)


def _card_spending(
    rng: np.random.Generator,
    people: People,
    holdings: Holdings,
    members: np.ndarray,
    enrolled_month: np.ndarray,
    first: int,
    last: int,
) -> np.ndarray:
    """Points per member and program month (months ``first``..``last - 1``, absolute)."""
    months = last - first
    debit = np.zeros((people.count, months + 1), dtype=np.int64)
    credit = np.zeros_like(debit)
    for code, flags in (("debit_card", debit), ("credit_card", credit)):
        cards = np.flatnonzero(holdings.product == PRODUCT_INDEX[code])
        opened = month_indices(holdings.opened_date[cards]) + 1  # full months only
        closed = np.where(
            np.isnat(holdings.closed_date[cards]),
            last,
            month_indices(holdings.closed_date[cards]) + 1,
        )
        start, end = np.clip(opened, first, last) - first, np.clip(closed, first, last) - first
        keep = start < end
        np.add.at(flags, (holdings.customer[cards][keep], start[keep]), 1)
        np.add.at(flags, (holdings.customer[cards][keep], end[keep]), -1)
    rate = np.where(
        np.cumsum(credit, axis=1)[:, :months] > 0,
        2,
        np.where(np.cumsum(debit, axis=1)[:, :months] > 0, 1, 0),
    )[members]
    scale = np.where(
        people.is_organisation, _ORGANISATION_SPEND, INCOME_MULTIPLIERS[people.income_level]
    )[members]
    spend = _SPEND_MEDIAN_EUR * scale * rng.lognormal(0, 0.5, len(members))
    after_enrolment = (first + np.arange(months))[None, :] > enrolled_month[:, None]
    return spend[:, None] * rng.lognormal(0, 0.25, (len(members), months)) * rate * after_enrolment


def _earnings(
    rng: np.random.Generator,
    catalogue: Catalogue,
    people: People,
    holdings: Holdings,
    purchases: Purchases,
    members: np.ndarray,
    enrolled_at: np.ndarray,
    timeline: Timeline,
) -> _Earnings:
    loyalty = catalogue.loyalty
    account_of = np.full(people.count, -1)
    account_of[members] = np.arange(len(members))
    first = month_index(loyalty.launched_on)
    last = max(timeline.as_of_month, first)  # nothing to post before the launch
    monthly = _card_spending(
        rng,
        people,
        holdings,
        members,
        month_indices(enrolled_at.astype("datetime64[D]")),
        first,
        last,
    )
    account, occurred, points, reason, source_ref, key = [], [], [], [], [], []

    as_of = _seconds(np.array([timeline.as_of_instant]))[0]
    for half_start in range(first - first % 6, last, 6):
        posted = month_start(half_start + 6)
        posted_at = _seconds(np.array([np.datetime64(posted.isoformat()) + _POSTING_HOUR]))[0]
        columns = slice(max(half_start - first, 0), half_start + 6 - first)
        earned = np.floor(monthly[:, columns].sum(axis=1)).astype(np.int64)
        rows = np.flatnonzero(earned > 0) if posted_at < as_of else np.zeros(0, dtype=np.int64)
        label = f"{posted.year - (posted.month == 1)} H{1 if posted.month == 7 else 2}"
        account.append(rows)
        occurred.append(np.full(len(rows), posted_at))
        points.append(earned[rows])
        reason += [f"Card spending {label}"] * len(rows)
        source_ref += ["card-statements"] * len(rows)
        key += [f"cards:{label.replace(' ', '-')}"] * len(rows)

    buyer = account_of[holdings.customer[purchases.holding]]
    bought_at = holdings.created_at[purchases.holding] + np.timedelta64(2, "m")
    member = buyer >= 0
    after_enrolment = np.zeros(len(buyer), dtype=bool)
    after_enrolment[member] = bought_at[member] > enrolled_at[buyer[member]]
    rows = np.flatnonzero(after_enrolment)
    names = [catalogue.product(code).name for code in PRODUCT_CODES]
    holding_ids = purchases.holding[rows] + 1
    account.append(buyer[rows])
    occurred.append(_seconds(bought_at[rows]))
    points.append(
        np.floor(purchases.price_eur[rows] * catalogue.retail.points_per_eur).astype(np.int64)
    )
    reason += [f"Purchase: {names[p]}" for p in holdings.product[purchases.holding[rows]].tolist()]
    source_ref += [f"holding:{h}" for h in holding_ids.tolist()]
    key += [f"purchase:{h}" for h in holding_ids.tolist()]

    all_accounts = np.concatenate(account)
    all_occurred = np.concatenate(occurred)
    order = np.lexsort((np.arange(len(all_accounts)), all_occurred, all_accounts))
    return _Earnings(
        account=all_accounts[order],
        occurred=all_occurred[order],
        points=np.concatenate(points)[order],
        reason=[reason[i] for i in order],
        source_ref=[source_ref[i] for i in order],
        key=[key[i] for i in order],
    )


def _expiry(earned_at: np.ndarray, validity_months: int) -> list[int]:
    """When each lot expires: ``validity_months`` after it was earned, at the same time of day."""
    earned_day = earned_at.astype("datetime64[s]").astype("datetime64[D]")
    return (_seconds(add_months(earned_day, validity_months)) + earned_at % 86_400).tolist()


def _redemptions(
    rng: np.random.Generator, rewards: tuple[str, ...], enrolled_at: np.ndarray, as_of: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Planned redemptions, sorted by account then time: (account, time, share, reward index)."""
    counts = choose(rng, _REDEMPTIONS_WEIGHTS, len(enrolled_at))
    account = np.repeat(np.arange(len(enrolled_at)), counts)
    start = enrolled_at[account] + 1
    at = start + (rng.random(len(account)) * (as_of - start)).astype(np.int64)
    order = np.lexsort((at, account))
    share = rng.uniform(0.3, 1.0, len(account))
    reward = rng.integers(0, len(rewards), len(account))
    return account[order], at[order], share[order], reward[order]


def generate_loyalty(
    catalogue: Catalogue,
    rewards: tuple[str, ...],
    people: People,
    holdings: Holdings,
    purchases: Purchases,
    timeline: Timeline,
    *,
    seed: int,
) -> tuple[TableData, TableData, TableData, TableData]:
    rng = stream(seed, "loyalty")
    loyalty = catalogue.loyalty
    share = np.where(
        people.is_organisation,
        loyalty.enrolment_share_organisations,
        loyalty.enrolment_share_persons,
    )
    launch = numpy_day(loyalty.launched_on)
    enrolled_day = np.maximum(people.customer_since, launch) + rng.integers(
        0, 90, people.count
    ).astype("timedelta64[D]")
    members = np.flatnonzero(
        (rng.random(people.count) < share) & (enrolled_day < numpy_day(timeline.as_of))
    )
    enrolled_at = random_times(rng, enrolled_day[members])

    earnings = _earnings(
        rng, catalogue, people, holdings, purchases, members, enrolled_at, timeline
    )
    as_of = int(_seconds(np.array([timeline.as_of_instant]))[0])
    redemptions = _redemptions(rng, rewards, _seconds(enrolled_at), as_of)
    expires = _expiry(earnings.occurred, loyalty.points_validity_months)
    ledger = Ledger()
    earned_bounds = np.searchsorted(earnings.account, np.arange(len(members) + 1)).tolist()
    redeemed_bounds = np.searchsorted(redemptions[0], np.arange(len(members) + 1)).tolist()
    occurred, points = earnings.occurred.tolist(), earnings.points.tolist()
    _, redeemed_at, shares, chosen = (part.tolist() for part in redemptions)
    for account in range(len(members)):
        earned = [
            Earning(
                occurred[i],
                points[i],
                expires[i],
                earnings.reason[i],
                earnings.source_ref[i],
                earnings.key[i],
            )
            for i in range(earned_bounds[account], earned_bounds[account + 1])
        ]
        redeemed = [
            Redemption(redeemed_at[i], shares[i], rewards[chosen[i]])
            for i in range(redeemed_bounds[account], redeemed_bounds[account + 1])
        ]
        ledger.replay(account, earned, redeemed, until=as_of)
    return _tables(catalogue, people, members, enrolled_at, ledger, timeline, rng)


def _tables(
    catalogue: Catalogue,
    people: People,
    members: np.ndarray,
    enrolled_at: np.ndarray,
    ledger: Ledger,
    timeline: Timeline,
    rng: np.random.Generator,
) -> tuple[TableData, TableData, TableData, TableData]:
    loyalty = catalogue.loyalty
    account = np.array(ledger.account, dtype=np.int64)
    points = np.array(ledger.points, dtype=np.int64)
    occurred = np.array(ledger.occurred, dtype="datetime64[s]").astype("datetime64[us]")
    earned = np.array(ledger.kind, dtype=object) == "earn"
    since = np.datetime64(qualifying_since(timeline.as_of).replace(tzinfo=None), "us")
    qualifying = np.bincount(
        account[earned & (occurred >= since)],
        weights=points[earned & (occurred >= since)],
        minlength=len(members),
    ).astype(np.int64)
    tier = np.array(
        [tier_for(int(p), loyalty.tiers).rank for p in qualifying.tolist()], dtype=np.int64
    )
    ids = np.arange(1, len(members) + 1)
    member_numbers = _member_numbers(ids)
    expires = np.array(
        [e if e is not None else np.iinfo(np.int64).min for e in ledger.expires], dtype=np.int64
    )
    expires_at = np.where(
        expires == np.iinfo(np.int64).min, np.datetime64("NaT"), expires.astype("datetime64[s]")
    ).astype("datetime64[us]")
    remaining = np.array([r if r is not None else 0 for r in ledger.remaining], dtype=np.int64)
    program = TableData(
        "loyalty_program",
        {
            "id": np.array([1]),
            "code": [loyalty.code],
            "name": [loyalty.name],
            "points_validity_months": np.array([loyalty.points_validity_months]),
        },
    )
    tiers = TableData(
        "loyalty_tier",
        {
            "id": np.arange(1, len(loyalty.tiers) + 1),
            "program_id": np.ones(len(loyalty.tiers), dtype=np.int64),
            "code": [t.code for t in loyalty.tiers],
            "name": [t.name for t in loyalty.tiers],
            "rank": np.array([t.rank for t in loyalty.tiers]),
            "threshold_points": np.array([t.threshold_points for t in loyalty.tiers]),
        },
    )
    accounts = TableData(
        "loyalty_account",
        {
            "id": ids,
            "customer_id": members + 1,
            "program_id": np.ones(len(members), dtype=np.int64),
            "tier_id": tier + 1,
            "member_number": member_numbers,
            "status": np.where(rng.random(len(members)) < 0.01, "suspended", "active").astype(
                object
            ),
            "enrolled_at": enrolled_at,
            "points_balance": np.bincount(account, weights=points, minlength=len(members)).astype(
                np.int64
            ),
            "lifetime_points": np.bincount(
                account[earned], weights=points[earned], minlength=len(members)
            ).astype(np.int64),
            "version": np.ones(len(members), dtype=np.int64),
        },
    )
    entries = TableData(
        "loyalty_ledger_entry",
        {
            "id": np.arange(1, len(points) + 1),
            "account_id": account + 1,
            "customer_id": members[account] + 1,
            "kind": ledger.kind,
            "points": points,
            "remaining_points": np.ma.masked_array(remaining, mask=points <= 0),
            "occurred_at": occurred,
            "expires_at": expires_at,
            "reason": ledger.reason,
            "source_ref": ledger.source_ref,
            "idempotency_key": ledger.key,
            "reverses_entry_id": np.ma.masked_all(len(points), dtype=np.int64),
            "created_at": occurred,
        },
    )
    return program, tiers, accounts, entries


def _member_numbers(ids: np.ndarray) -> list[str]:
    """Ten digits ending in a Luhn check digit; no two repeat (the multiplier is coprime with
    the range)."""
    bodies = (100_000_000 + (ids * 7_654_321) % 900_000_000).tolist()
    return [f"{body}{_luhn(body)}" for body in bodies]


def _luhn(number: int) -> int:
    total = 0
    for position, char in enumerate(reversed(str(number))):
        digit = int(char)
        if position % 2 == 0:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return (10 - total % 10) % 10
