"""The oracle behaves as documented, and the database gives back exactly the simulation's inputs."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.demo import DEMO_AS_OF, CustomerProfile, monthly_acquisition_probabilities
from c360.demo.dataset import DemoDataset
from c360.demo.oracle import read_enquiries, read_held, read_inputs, read_profiles
from c360.demo.propensity import FUNNEL_CONVERSION, acquisition_probabilities

AS_OF = dt.date(2026, 5, 1)


def _person(**changes: object) -> CustomerProfile:
    profile = {
        "party_type": "person",
        "birth_date": dt.date(1990, 3, 15),
        "income_band": "middle",
        "segment": "mass",
        "customer_since_date": dt.date(2019, 6, 10),
        "household_size": 3,
        "interests": frozenset({"travel"}),
    }
    return CustomerProfile(**(profile | changes))  # type: ignore[arg-type]


def _months_ago(months: int) -> dt.date:
    index = AS_OF.year * 12 + AS_OF.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 12)


def test_no_card_without_a_current_account() -> None:
    without = monthly_acquisition_probabilities(_person(), {}, AS_OF)
    assert without["debit_card"] == without["credit_card"] == 0.0
    with_account = monthly_acquisition_probabilities(
        _person(), {"current_account": _months_ago(1)}, AS_OF
    )
    assert with_account["debit_card"] > 0.2
    assert with_account["credit_card"] > 0


def test_home_insurance_follows_a_mortgage() -> None:
    account = {"current_account": _months_ago(60)}
    before = monthly_acquisition_probabilities(_person(), account, AS_OF)["home_insurance"]
    right_after = monthly_acquisition_probabilities(
        _person(), account | {"mortgage": _months_ago(1)}, AS_OF
    )
    years_after = monthly_acquisition_probabilities(
        _person(), account | {"mortgage": _months_ago(40)}, AS_OF
    )
    assert right_after["home_insurance"] > 50 * before
    assert before < years_after["home_insurance"] < right_after["home_insurance"]
    assert (
        right_after["washing_machine"]
        > monthly_acquisition_probabilities(_person(), account, AS_OF)["washing_machine"]
    )


def test_mortgage_needs_age_income_and_a_person() -> None:
    def mortgage(**changes: object) -> float:
        return monthly_acquisition_probabilities(
            _person(**changes), {"current_account": _months_ago(30)}, AS_OF
        )["mortgage"]

    assert mortgage() > 0
    assert mortgage(birth_date=dt.date(2004, 1, 1)) == 0.0  # 22
    assert mortgage(birth_date=dt.date(1960, 1, 1)) == 0.0  # 66
    assert mortgage(income_band="low") == 0.0
    assert mortgage(income_band="high") > mortgage()
    assert mortgage(household_size=1) < mortgage()
    assert mortgage(party_type="organisation", segment="corporate", birth_date=None) == 0.0


def test_a_recent_enquiry_converts_for_three_months() -> None:
    held = {"current_account": _months_ago(30)}
    cold = monthly_acquisition_probabilities(_person(), held, AS_OF)["mortgage"]
    for months in (1, 2, 3):
        warm = monthly_acquisition_probabilities(
            _person(), held, AS_OF, enquiries={"mortgage": _months_ago(months)}
        )
        assert warm["mortgage"] == FUNNEL_CONVERSION["mortgage"] > 10 * cold
    stale = monthly_acquisition_probabilities(
        _person(), held, AS_OF, enquiries={"mortgage": _months_ago(4)}
    )
    assert stale["mortgage"] == cold


def test_held_products_are_not_acquired_again_except_goods_that_age() -> None:
    held = {
        "current_account": _months_ago(30),
        "savings_account": _months_ago(20),
        "smartphone": _months_ago(3),
    }
    probabilities = monthly_acquisition_probabilities(_person(), held, AS_OF)
    assert probabilities["current_account"] == probabilities["savings_account"] == 0.0
    old_phone = monthly_acquisition_probabilities(
        _person(), held | {"smartphone": _months_ago(30)}, AS_OF
    )
    assert 0 < probabilities["smartphone"] < old_phone["smartphone"]


def test_nothing_happens_before_the_customer_joins() -> None:
    probabilities = monthly_acquisition_probabilities(
        _person(customer_since_date=dt.date(2026, 6, 1)), {}, AS_OF
    )
    assert set(probabilities.values()) == {0.0}
    newcomer = monthly_acquisition_probabilities(
        _person(customer_since_date=dt.date(2026, 5, 1)), {}, AS_OF
    )
    assert newcomer["current_account"] > 0.5


def test_travel_insurance_follows_the_interest_and_the_season() -> None:
    held = {"current_account": _months_ago(30)}
    keen = monthly_acquisition_probabilities(_person(), held, dt.date(2026, 6, 1))[
        "travel_insurance"
    ]
    indifferent = monthly_acquisition_probabilities(
        _person(interests=frozenset()), held, dt.date(2026, 6, 1)
    )
    winter = monthly_acquisition_probabilities(_person(), held, dt.date(2026, 2, 1))[
        "travel_insurance"
    ]
    assert keen > 4 * indifferent["travel_insurance"]
    assert keen > 3 * winter


def test_unknown_product_codes_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown product code"):
        monthly_acquisition_probabilities(_person(), {"yacht": _months_ago(1)}, AS_OF)


async def test_database_reproduces_the_simulations_inputs_on_as_of(
    demo_engine: AsyncEngine, demo_dataset: DemoDataset
) -> None:
    async with demo_engine.connect() as connection:
        ids, inputs = await read_inputs(connection, DEMO_AS_OF)
    assert ids == list(range(1, demo_dataset.people.count + 1))
    expected = demo_dataset.simulation.inputs_on_as_of
    np.testing.assert_array_equal(inputs.held_months, expected.held_months)
    np.testing.assert_array_equal(
        np.minimum(inputs.enquiry_months, 99), np.minimum(expected.enquiry_months, 99)
    )
    np.testing.assert_array_equal(inputs.age, expected.age)
    np.testing.assert_array_equal(inputs.tenure_months, expected.tenure_months)
    np.testing.assert_array_equal(
        acquisition_probabilities(inputs), acquisition_probabilities(expected)
    )


async def test_scalar_oracle_matches_the_batch_oracle(demo_engine: AsyncEngine) -> None:
    async with demo_engine.connect() as connection:
        ids, inputs = await read_inputs(connection, AS_OF)
        chosen = ids[:: max(1, len(ids) // 15)]
        profiles = await read_profiles(connection, chosen)
        held = await read_held(connection, AS_OF, chosen)
        enquiries = await read_enquiries(connection, AS_OF, chosen)
    batch = acquisition_probabilities(inputs)
    for customer_id in chosen:
        one = monthly_acquisition_probabilities(
            profiles[customer_id],
            held.get(customer_id, {}),
            AS_OF,
            enquiries=enquiries.get(customer_id, {}),
        )
        assert list(one.values()) == batch[ids.index(customer_id)].tolist()
