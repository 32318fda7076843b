"""Partners, and consents that customers grant and later revoke (rows are only ever appended).

Most customers state a marketing choice when they join and some profiling choice; some
change their mind later; a few agree to share data with a partner, and some of those
withdraw. Per customer, purpose and partner, ``captured_at`` only increases.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from c360.demo.catalogue import Catalogue
from c360.demo.people import People
from c360.demo.streams import stream
from c360.demo.tables import TableData
from c360.demo.timeline import Timeline, random_instants_between

_ASKED = {"marketing": 0.70, "profiling": 0.35}
_GRANTED = {"marketing": 0.60, "profiling": 0.55}
_CHANGED_MIND = {"marketing": 0.20, "profiling": 0.10}
_PARTNER_SHARE = 0.06  # per partner
_PARTNER_WITHDRAWN = 0.25
_MINUTE = np.timedelta64(60, "s")


@dataclass
class _Rows:
    customer: list[np.ndarray]
    purpose: list[np.ndarray]
    partner: list[np.ndarray]
    granted: list[np.ndarray]
    captured_at: list[np.ndarray]
    source: list[np.ndarray]

    def add(
        self,
        customer: np.ndarray,
        purpose: str,
        partner: int,
        granted: np.ndarray,
        at: np.ndarray,
        source: np.ndarray,
    ) -> None:
        self.customer.append(customer)
        self.purpose.append(np.full(len(customer), purpose, dtype=object))
        self.partner.append(np.full(len(customer), partner))
        self.granted.append(granted)
        self.captured_at.append(at)
        self.source.append(source)


def _sources(rng: np.random.Generator, people: People, customers: np.ndarray) -> np.ndarray:
    at_branch = people.preferred_channel[customers] == "branch"
    online = np.where(rng.random(len(customers)) < 0.5, "web", "mobile")
    return np.where(at_branch, "branch", online).astype(object)


def generate_consents(
    catalogue: Catalogue, people: People, created_at: np.ndarray, timeline: Timeline, *, seed: int
) -> tuple[TableData, TableData, np.ndarray]:
    """Partners, consents, and whether each customer's latest marketing consent is a grant."""
    rng = stream(seed, "consents")
    as_of = timeline.as_of_instant
    rows = _Rows([], [], [], [], [], [])
    marketing_granted = np.zeros(people.count, dtype=bool)
    for purpose in ("marketing", "profiling"):
        eligible = (
            ~people.is_organisation if purpose == "profiling" else np.ones(people.count, bool)
        )
        asked = np.flatnonzero(eligible & (rng.random(people.count) < _ASKED[purpose]))
        granted = rng.random(len(asked)) < _GRANTED[purpose]
        joined_at = created_at[asked] + 2 * _MINUTE
        rows.add(asked, purpose, -1, granted, joined_at, _sources(rng, people, asked))
        changed = np.flatnonzero(
            (rng.random(len(asked)) < _CHANGED_MIND[purpose])
            & (as_of - joined_at > np.timedelta64(2, "D"))
        )
        later = random_instants_between(
            rng, joined_at[changed] + np.timedelta64(1, "D"), np.full(len(changed), as_of)
        )
        # Most withdrawals of marketing come through the unsubscribe link in a mailing.
        withdrawal_source = np.where(rng.random(len(changed)) < 0.6, "mailing", "web").astype(
            object
        )
        source = np.where(
            granted[changed], withdrawal_source, _sources(rng, people, asked[changed])
        )
        rows.add(asked[changed], purpose, -1, ~granted[changed], later, source)
        if purpose == "marketing":
            marketing_granted[asked] = granted
            marketing_granted[asked[changed]] = ~granted[changed]

    persons = np.flatnonzero(~people.is_organisation)
    for partner_id in range(1, len(catalogue.partners) + 1):
        agreed = persons[rng.random(len(persons)) < _PARTNER_SHARE]
        at = random_instants_between(rng, created_at[agreed] + _MINUTE, np.full(len(agreed), as_of))
        rows.add(
            agreed,
            "partner_sharing",
            partner_id,
            np.ones(len(agreed), bool),
            at,
            _sources(rng, people, agreed),
        )
        withdrawn = np.flatnonzero(
            (rng.random(len(agreed)) < _PARTNER_WITHDRAWN) & (as_of - at > np.timedelta64(1, "D"))
        )
        later = random_instants_between(
            rng, at[withdrawn] + np.timedelta64(12, "h"), np.full(len(withdrawn), as_of)
        )
        rows.add(
            agreed[withdrawn],
            "partner_sharing",
            partner_id,
            np.zeros(len(withdrawn), bool),
            later,
            np.full(len(withdrawn), "web", dtype=object),
        )

    customer = np.concatenate(rows.customer)
    captured_at = np.concatenate(rows.captured_at)
    order = np.lexsort((captured_at, customer))
    partner = np.concatenate(rows.partner)[order]
    consents = TableData(
        "consent",
        {
            "id": np.arange(1, len(order) + 1),
            "customer_id": customer[order] + 1,
            "purpose": np.concatenate(rows.purpose)[order],
            "partner_id": np.ma.masked_array(partner, mask=partner < 0),
            "granted": np.concatenate(rows.granted)[order],
            "captured_at": captured_at[order],
            "source": np.concatenate(rows.source)[order],
        },
    )
    partners = TableData(
        "partner",
        {
            "id": np.arange(1, len(catalogue.partners) + 1),
            "code": [p.code for p in catalogue.partners],
            "name": [p.name for p in catalogue.partners],
        },
    )
    return partners, consents, marketing_granted
