"""The customer rows: names, hashed national ids, segment, status and record timestamps."""

from __future__ import annotations

import numpy as np

from c360.customers.normalize import last4, national_id_hash
from c360.demo.catalogue import Catalogue
from c360.demo.holdings import Holdings
from c360.demo.people import People, income_band_names, search_names
from c360.demo.streams import stream
from c360.demo.tables import TableData
from c360.demo.timeline import Timeline, random_instants_between

_DORMANT_AFTER_DAYS = 3 * 365  # active holdings but nothing new for years: some go quiet
_DORMANT_SHARE = 0.25
_PROFILE_EDITED_SHARE = 0.3


def statuses(
    rng: np.random.Generator, people: People, holdings: Holdings, timeline: Timeline
) -> np.ndarray:
    """Prospect without any holding, closed when all closed, sometimes dormant when long quiet."""
    ever = np.bincount(holdings.customer, minlength=people.count) > 0
    open_now = (
        np.bincount(holdings.customer[np.isnat(holdings.closed_date)], minlength=people.count) > 0
    )
    latest = np.full(people.count, np.datetime64("1900-01-01"), dtype="datetime64[D]")
    np.maximum.at(latest, holdings.customer, holdings.opened_date)
    quiet = timeline.days_before_as_of(latest) > _DORMANT_AFTER_DAYS
    dormant = quiet & (rng.random(people.count) < _DORMANT_SHARE)
    return np.select(
        [~ever, ~open_now, dormant], ["prospect", "closed", "dormant"], "active"
    ).astype(object)


def customer_table(
    catalogue: Catalogue,
    people: People,
    national_ids: list[str],
    created_at: np.ndarray,
    moved_at: np.ndarray,
    holdings: Holdings,
    timeline: Timeline,
    *,
    secret_key: str,
    seed: int,
) -> TableData:
    rng = stream(seed, "customers")
    display = people.display_names()
    language = {c.code: c.language for c in catalogue.countries}
    edited = rng.random(people.count) < _PROFILE_EDITED_SHARE
    edited_at = random_instants_between(
        rng, created_at, np.full(people.count, timeline.as_of_instant)
    )
    updated_at = np.maximum(created_at, np.where(edited, edited_at, created_at))
    updated_at = np.where(np.isnat(moved_at), updated_at, np.maximum(updated_at, moved_at))
    return TableData(
        "customer",
        {
            "id": np.arange(1, people.count + 1),
            "party_type": np.where(people.is_organisation, "organisation", "person").astype(object),
            "given_name": people.given_name,
            "family_name": people.family_name,
            "organisation_name": people.organisation_name,
            "display_name": display,
            "search_name": search_names(people),
            "birth_date": people.birth_dates,
            "national_id_hash": [
                national_id_hash(value, secret_key=secret_key) for value in national_ids
            ],
            "national_id_last4": [last4(value) for value in national_ids],
            "status": statuses(rng, people, holdings, timeline),
            "segment": people.segment,
            "home_branch": people.home_branch,
            "customer_since_date": people.customer_since,
            "education": people.education,
            "income_band": income_band_names(people),
            "occupation": people.occupation,
            "household_size": np.ma.masked_array(
                people.household_size, mask=people.is_organisation
            ),
            "interests": people.interest_tags(),
            "preferred_channel": people.preferred_channel,
            "preferred_language": [language[code] for code in people.country.tolist()],
            "country_code": people.country,
            "created_at": created_at,
            "updated_at": updated_at,
            "version": np.ones(people.count, dtype=np.int64),
        },
    )
