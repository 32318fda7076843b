"""Who the demo customers are: country, age, schooling, work, income, household, interests.

Attributes are drawn in the order that makes them consistent: age first, then schooling
from age, an occupation the schooling allows, an income band from the occupation and
age, the segment from the income. Customers are numbered in the order they joined, so
customer 1 is the oldest relationship.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import numpy as np

from c360.customers.models import Education
from c360.customers.normalize import fold_text
from c360.demo.catalogue import Catalogue, CountrySpec
from c360.demo.pools import locale_pool, sample
from c360.demo.propensity import INCOME_BANDS, ORGANISATION_INCOME_LEVELS
from c360.demo.propensity_rules import INTEREST_TAGS
from c360.demo.streams import choose, choose_per_row, stream
from c360.demo.timeline import Timeline, add_months, month_indices, numpy_day

ORGANISATION_SHARE = 0.06
CORPORATE_SHARE = 0.15  # of organisations; the rest are small businesses
_AGES = np.arange(18, 91)
_AGE_WEIGHTS = np.where(_AGES < 25, 0.7, np.where(_AGES < 60, 1.0, np.exp(-(_AGES - 60) / 12)))
_EDUCATION = tuple(Education)
# Rows: ages 18-24, 25-34, 35-54, 55+; columns follow ``Education``.
_EDUCATION_BY_AGE = np.array(
    [
        [0.05, 0.50, 0.15, 0.25, 0.05, 0.00],
        [0.03, 0.25, 0.17, 0.28, 0.24, 0.03],
        [0.05, 0.28, 0.22, 0.22, 0.20, 0.03],
        [0.12, 0.38, 0.25, 0.12, 0.11, 0.02],
    ]
)
# Rows: ages 18-24, 25-34, 35-54, 55-69, 70+; columns: household of 1..5.
_HOUSEHOLD_BY_AGE = np.array(
    [
        [0.35, 0.25, 0.20, 0.15, 0.05],
        [0.30, 0.35, 0.20, 0.12, 0.03],
        [0.15, 0.25, 0.25, 0.25, 0.10],
        [0.25, 0.55, 0.12, 0.06, 0.02],
        [0.45, 0.48, 0.05, 0.02, 0.00],
    ]
)
CHANNELS = ("branch", "phone", "email", "chat", "web", "mobile")
# Rows: ages under 30, 30-49, 50-64, 65+, organisations; columns follow ``CHANNELS``.
_CHANNEL_BY_AGE = np.array(
    [
        [0.05, 0.05, 0.05, 0.15, 0.20, 0.50],
        [0.10, 0.10, 0.10, 0.10, 0.25, 0.35],
        [0.20, 0.20, 0.15, 0.05, 0.20, 0.20],
        [0.35, 0.35, 0.10, 0.02, 0.10, 0.08],
        [0.20, 0.20, 0.30, 0.00, 0.30, 0.00],
    ]
)
_STUDENT, _RETIRED, _UNEMPLOYED = "student", "retired", "unemployed"


@dataclass(frozen=True)
class People:
    """One entry per customer, in customer id order (id = index + 1)."""

    count: int
    country: np.ndarray  # str codes
    is_organisation: np.ndarray
    female: np.ndarray
    birth_dates: np.ndarray  # datetime64[D], NaT for organisations
    joined_month: np.ndarray  # relative month of the timeline, ascending
    customer_since: np.ndarray  # datetime64[D]
    education: np.ndarray  # object: str | None
    occupation: np.ndarray
    income_level: np.ndarray  # 0..4 (organisations: from the segment)
    household_size: np.ndarray  # organisations: 1
    interests: np.ndarray  # bool (count, len(INTEREST_TAGS))
    segment: np.ndarray
    city: np.ndarray  # index into the country's cities
    home_branch: np.ndarray
    preferred_channel: np.ndarray
    given_name: np.ndarray
    family_name: np.ndarray
    organisation_name: np.ndarray
    age_band: np.ndarray  # 0: under 30, 1: 30-49, 2: 50-64, 3: 65+ on as_of; organisations 1

    def display_names(self) -> list[str]:
        return [
            org if org is not None else f"{given} {family}"
            for given, family, org in zip(
                self.given_name.tolist(),
                self.family_name.tolist(),
                self.organisation_name.tolist(),
                strict=True,
            )
        ]

    def interest_tags(self) -> list[list[str]]:
        tags = np.array(INTEREST_TAGS, dtype=object)
        return [tags[row].tolist() for row in self.interests]


def _ages_and_birth_dates(
    rng: np.random.Generator, count: int, as_of: dt.date
) -> tuple[np.ndarray, np.ndarray]:
    ages = _AGES[choose(rng, _AGE_WEIGHTS, count)]
    as_of_day = numpy_day(as_of)
    latest = add_months(np.full(count, as_of_day), -12 * ages)  # the birthday falls on as_of
    earliest = add_months(np.full(count, as_of_day), -12 * (ages + 1))
    span = (latest - earliest).astype(np.int64)
    offsets = 1 + (rng.random(count) * span).astype(np.int64)
    return ages, earliest + offsets.astype("timedelta64[D]")


def _joined_months(
    rng: np.random.Generator,
    timeline: Timeline,
    birth_dates: np.ndarray,
    is_organisation: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """A month after the 18th birthday's month; the few who turn 18 this month are born earlier."""
    last = timeline.months - 1
    adult_from = month_indices(birth_dates) + 18 * 12 + 1 - timeline.first_month
    too_young = ~is_organisation & (adult_from > last)
    birth_dates = np.where(too_young, birth_dates - np.timedelta64(62, "D"), birth_dates)
    adult_from = month_indices(birth_dates) + 18 * 12 + 1 - timeline.first_month
    earliest = np.where(is_organisation, 0, np.clip(adult_from, 0, last))
    joined = earliest + (rng.random(len(earliest)) * (last + 1 - earliest)).astype(np.int64)
    return joined, birth_dates


def _age_rows(ages: np.ndarray, edges: list[int]) -> np.ndarray:
    return np.searchsorted(edges, ages, side="right")


def _occupations(
    rng: np.random.Generator, catalogue: Catalogue, ages: np.ndarray, education: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """An occupation the schooling allows (or student, retired, unemployed) and its usual pay."""
    ranks = np.array([_EDUCATION.index(spec.min_education) for spec in catalogue.occupations])
    names = np.array(
        [spec.name for spec in catalogue.occupations] + [_STUDENT, _RETIRED, _UNEMPLOYED],
        dtype=object,
    )
    pay = np.array([spec.pay for spec in catalogue.occupations] + [0.2, 1.0, 0.0])
    eligible = ranks[None, :] <= education[:, None]
    picked = np.argmax(rng.random((len(ages), len(ranks))) * eligible, axis=1)
    draw = rng.random(len(ages))
    student = (ages <= 24) & (draw < 0.55)
    retired = (ages >= 66) & (draw < 0.92)
    unemployed = ~student & ~retired & (draw > 0.96)
    picked = np.where(student, len(ranks), picked)
    picked = np.where(retired, len(ranks) + 1, picked)
    picked = np.where(unemployed, len(ranks) + 2, picked)
    return names[picked], pay[picked]


def _interests(
    rng: np.random.Generator, catalogue: Catalogue, ages: np.ndarray, income: np.ndarray
) -> np.ndarray:
    specs = {spec.tag: spec for spec in catalogue.interests}
    chances = np.empty((len(ages), len(INTEREST_TAGS)))
    for column, tag in enumerate(INTEREST_TAGS):
        spec = specs[tag]
        by_age = np.where(ages < 35, spec.younger, np.where(ages >= 60, spec.older, 1.0))
        by_income = np.maximum(0.1, 1 + spec.income_slope * (income - 2))
        chances[:, column] = np.minimum(spec.share * by_age * by_income, 0.9)
    return rng.random(chances.shape) < chances


def _names(
    rng: np.random.Generator,
    countries: tuple[CountrySpec, ...],
    country_index: np.ndarray,
    female: np.ndarray,
    is_organisation: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    count = len(country_index)
    given = np.full(count, None, dtype=object)
    family = np.full(count, None, dtype=object)
    organisation = np.full(count, None, dtype=object)
    for index, country in enumerate(countries):
        pool = locale_pool(country.locale)
        here = country_index == index
        for is_female, firsts, families in (
            (False, pool.first_names_male, pool.family_names_male),
            (True, pool.first_names_female, pool.family_names_female),
        ):
            rows = np.flatnonzero(here & ~is_organisation & (female == is_female))
            given[rows] = sample(rng, firsts, len(rows))
            family[rows] = sample(rng, families, len(rows))
            if country.code == "ES":  # Spaniards carry both parents' family names
                second = sample(rng, families, len(rows))
                family[rows] = [f"{a} {b}" for a, b in zip(family[rows], second, strict=True)]
        rows = np.flatnonzero(here & is_organisation)
        organisation[rows] = sample(rng, pool.companies, len(rows))
    return given, family, organisation


def generate_people(catalogue: Catalogue, timeline: Timeline, *, count: int, seed: int) -> People:
    rng = stream(seed, "people")
    countries = catalogue.countries
    country_index = choose(rng, [country.weight for country in countries], count)
    is_organisation = rng.random(count) < ORGANISATION_SHARE
    female = ~is_organisation & (rng.random(count) < 0.51)
    ages, birth_dates = _ages_and_birth_dates(rng, count, timeline.as_of)
    joined, birth_dates = _joined_months(rng, timeline, birth_dates, is_organisation)
    since = timeline.random_days(rng, joined)

    order = np.lexsort((rng.random(count), since))
    country_index, is_organisation, female = (
        country_index[order],
        is_organisation[order],
        female[order],
    )
    ages, birth_dates, joined, since = ages[order], birth_dates[order], joined[order], since[order]
    person = ~is_organisation

    education_index = choose_per_row(rng, _EDUCATION_BY_AGE[_age_rows(ages, [25, 35, 55])])
    occupation, pay = _occupations(rng, catalogue, ages, education_index)
    age_shift = np.select([ages < 25, ages < 35, ages < 55, ages < 66], [-0.4, 0.0, 0.4, 0.2], 0.0)
    income = np.clip(np.rint(pay + age_shift + rng.normal(0, 0.6, count)), 0, 4).astype(np.int64)
    corporate = is_organisation & (rng.random(count) < CORPORATE_SHARE)
    business_parties = np.flatnonzero(is_organisation)[: len(catalogue.business_parties)]
    corporate[business_parties] = True
    segment = np.select(
        [corporate, is_organisation, income == 4, income == 3],
        ["corporate", "small_business", "private", "affluent"],
        "mass",
    ).astype(object)
    income = np.where(
        is_organisation,
        np.where(
            corporate,
            ORGANISATION_INCOME_LEVELS["corporate"],
            ORGANISATION_INCOME_LEVELS["small_business"],
        ),
        income,
    )
    household = 1 + choose_per_row(rng, _HOUSEHOLD_BY_AGE[_age_rows(ages, [25, 35, 55, 70])])
    interests = _interests(rng, catalogue, ages, income) & person[:, None]

    city = np.zeros(count, dtype=np.int64)
    home_branch = np.empty(count, dtype=object)
    for index, country in enumerate(countries):
        rows = np.flatnonzero(country_index == index)
        city[rows] = choose(rng, [c.weight for c in country.cities], len(rows))
        number = 1 + (
            rng.random(len(rows)) * np.array([c.branches for c in country.cities])[city[rows]]
        ).astype(int)
        home_branch[rows] = [
            f"{country.cities[c].branch}-{n:02d}" for c, n in zip(city[rows], number, strict=True)
        ]

    age_band = np.where(is_organisation, 1, _age_rows(ages, [30, 50, 65]))
    channel_row = np.where(is_organisation, 4, age_band)
    channel = np.array(CHANNELS, dtype=object)[choose_per_row(rng, _CHANNEL_BY_AGE[channel_row])]
    given, family, organisation_name = _names(
        rng, countries, country_index, female, is_organisation
    )
    organisation_name[business_parties] = catalogue.business_parties[: len(business_parties)]
    codes = np.array([country.code for country in countries], dtype=object)

    return People(
        count=count,
        country=codes[country_index],
        is_organisation=is_organisation,
        female=female,
        birth_dates=np.where(is_organisation, np.datetime64("NaT"), birth_dates).astype(
            "datetime64[D]"
        ),
        joined_month=joined,
        customer_since=since,
        education=np.where(
            is_organisation,
            None,
            np.array([e.value for e in _EDUCATION], dtype=object)[education_index],
        ),
        occupation=np.where(is_organisation, None, occupation),
        income_level=income,
        household_size=np.where(is_organisation, 1, household),
        interests=interests,
        segment=segment,
        city=city,
        home_branch=home_branch,
        preferred_channel=channel,
        given_name=given,
        family_name=family,
        organisation_name=organisation_name,
        age_band=age_band,
    )


def income_band_names(people: People) -> np.ndarray:
    bands = np.array(INCOME_BANDS, dtype=object)[people.income_level]
    return np.where(people.is_organisation, None, bands)


def search_names(people: People) -> list[str]:
    """``fold_text`` of each display name, folded name by name: names repeat, full names rarely."""
    fold = cache(fold_text)
    return [
        fold(org) if org is not None else f"{fold(given)} {fold(family)}"
        for given, family, org in zip(
            people.given_name.tolist(),
            people.family_name.tolist(),
            people.organisation_name.tolist(),
            strict=True,
        )
    ]
