"""Distributions a person browsing the demo would notice, on a larger in-memory generation."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import pytest

from c360.demo import DEMO_AS_OF
from c360.demo.dataset import DemoDataset, generate_dataset
from c360.demo.propensity import acquisition_probabilities
from c360.demo.simulate import Closure, inputs_at_month
from c360.demo.timeline import Timeline

CUSTOMERS = 3000


@pytest.fixture(scope="module")
def dataset() -> DemoDataset:
    return generate_dataset(customers=CUSTOMERS, seed=11, secret_key="k", as_of=DEMO_AS_OF)


def _values(dataset: DemoDataset, table: str, column: str) -> Counter:
    return Counter(np.asarray(dataset.tables[table].columns[column], dtype=object).tolist())


def test_mix_of_countries_parties_and_segments(dataset: DemoDataset) -> None:
    countries = _values(dataset, "customer", "country_code")
    assert set(countries) == {"PL", "UA", "ES", "GB"} and min(countries.values()) > CUSTOMERS * 0.1
    parties = _values(dataset, "customer", "party_type")
    assert 0.02 < parties["organisation"] / CUSTOMERS < 0.12
    assert set(_values(dataset, "customer", "segment")) == {
        "mass",
        "affluent",
        "private",
        "small_business",
        "corporate",
    }
    assert set(_values(dataset, "customer", "status")) >= {"active", "prospect", "closed"}


def test_holdings_have_roles_closures_and_statuses(dataset: DemoDataset) -> None:
    assert set(_values(dataset, "holding", "role")) == {"owner", "joint", "guarantor"}
    statuses = _values(dataset, "holding", "status")
    assert {"active", "closed", "dormant", "in_arrears"} <= set(statuses)
    assert 0.1 < statuses["closed"] / sum(statuses.values()) < 0.4
    closures = Counter(dataset.simulation.holdings.closure.tolist())
    assert (
        closures[Closure.REPLACED]
        and closures[Closure.WITH_ACCOUNT]
        and closures[Closure.TERM_OR_CHOICE]
    )


def test_claims_and_tickets_take_every_status(dataset: DemoDataset) -> None:
    assert set(_values(dataset, "warranty_claim", "status")) == {
        "submitted",
        "in_review",
        "decided",
    }
    assert set(_values(dataset, "warranty_claim", "decision")) == {
        None,
        "repair",
        "replace",
        "refund",
        "rejected",
    }
    assert set(_values(dataset, "support_ticket", "status")) == {
        "open",
        "pending",
        "resolved",
        "closed",
    }
    assert set(_values(dataset, "warranty_policy", "kind")) == {"manufacturer", "extended"}
    open_tickets = {
        customer
        for customer, status in zip(
            dataset.tables["support_ticket"].columns["customer_id"].tolist(),
            dataset.tables["support_ticket"].columns["status"].tolist(),
            strict=True,
        )
        if status in ("open", "pending")
    }
    assert 0.02 < len(open_tickets) / CUSTOMERS < 0.15


def test_about_a_fifth_of_customers_acquire_something_in_any_half_year(
    dataset: DemoDataset,
) -> None:
    holdings = dataset.simulation.holdings
    people = dataset.people
    for start in (96, 120, 138):
        active = int((people.joined_month < start).sum())
        window = (
            (holdings.opened_month >= start)
            & (holdings.opened_month < start + 6)
            & (holdings.customer < active)
        )
        share = len(np.unique(holdings.customer[window])) / active
        assert 0.15 <= share <= 0.30, (start, share)


def test_the_oracle_ranks_far_better_than_popularity(dataset: DemoDataset) -> None:
    """The signal the next-best-product model must learn: MAP@3 over the following six months."""
    holdings, people = dataset.simulation.holdings, dataset.people
    cutoff = 132
    inputs = inputs_at_month(people, dataset.simulation, Timeline(DEMO_AS_OF), cutoff)
    oracle = acquisition_probabilities(inputs)
    customers, products = oracle.shape
    later = (
        (holdings.opened_month >= cutoff)
        & (holdings.opened_month < cutoff + 6)
        & (holdings.customer < customers)
    )
    truth = np.zeros(oracle.shape, dtype=bool)
    truth[holdings.customer[later], holdings.product[later]] = True
    candidates = oracle > 0
    truth &= candidates
    before = (holdings.opened_month >= cutoff - 12) & (holdings.opened_month < cutoff)
    popularity = np.broadcast_to(
        np.bincount(holdings.product[before], minlength=products).astype(float), oracle.shape
    )

    def map_at_3(scores: np.ndarray) -> float:
        top = np.argsort(-np.where(candidates, scores, -np.inf), axis=1, kind="stable")[:, :3]
        hits = np.take_along_axis(truth, top, axis=1)
        precision = np.cumsum(hits, axis=1) / np.arange(1, 4)
        relevant = truth.sum(axis=1)
        average = (precision * hits).sum(axis=1) / np.minimum(relevant, 3).clip(1)
        return float(average[relevant > 0].mean())

    assert map_at_3(oracle) > 1.3 * map_at_3(popularity)


def test_rebuilt_inputs_on_as_of_match_the_simulations_final_state(dataset: DemoDataset) -> None:
    rebuilt = inputs_at_month(
        dataset.people, dataset.simulation, Timeline(DEMO_AS_OF), Timeline(DEMO_AS_OF).months
    )
    final = dataset.simulation.inputs_on_as_of
    np.testing.assert_array_equal(
        acquisition_probabilities(rebuilt), acquisition_probabilities(final)
    )


# Columns that look ahead on purpose: cover that runs on, points that will expire.
_FUTURE_COLUMNS = {"coverage_start_date", "coverage_end_date", "expires_at"}


@pytest.mark.parametrize("as_of", [dt.date(2025, 3, 15), dt.date(2024, 6, 1), DEMO_AS_OF], ids=str)
def test_nothing_happens_after_as_of(as_of: dt.date) -> None:
    generated = generate_dataset(customers=120, seed=5, secret_key="k", as_of=as_of)
    instant = np.datetime64(as_of.isoformat(), "us")
    for table in generated.tables.values():
        for name, values in table.columns.items():
            if not (isinstance(values, np.ndarray) and values.dtype.kind == "M"):
                continue
            if name in _FUTURE_COLUMNS or not len(values):
                continue
            known = values[~np.isnat(values)].astype("datetime64[us]")
            assert (known < instant).all(), f"{table.name}.{name}"
