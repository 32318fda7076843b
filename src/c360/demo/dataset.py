"""All demo tables for one (customers, seed, as_of), generated in memory, database-free.

The same arguments give the same rows, ids included, whatever database they go to:
every part draws from its own seeded stream and nothing depends on the clock, the
backend or hash order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from c360.demo.catalogue import load_catalogue, load_texts
from c360.demo.consents import generate_consents
from c360.demo.contacts import generate_contacts
from c360.demo.customers import customer_table
from c360.demo.holdings import generate_holdings, product_table
from c360.demo.loyalty import generate_loyalty
from c360.demo.national_ids import national_ids
from c360.demo.people import People, generate_people
from c360.demo.records import generate_attachments, generate_source_records
from c360.demo.service import generate_service
from c360.demo.simulate import Simulation, simulate
from c360.demo.streams import stream
from c360.demo.tables import TABLE_ORDER, TableData
from c360.demo.timeline import Timeline, random_times
from c360.demo.warranty import generate_warranties

Progress = Callable[[str, int, int], None]
GENERATING = "generating customers"
SIMULATING = "simulating product acquisitions"
RELATING = "generating related rows"
_RELATED_STEPS = 8


@dataclass(frozen=True)
class DemoDataset:
    tables: dict[str, TableData]  # in TABLE_ORDER
    people: People
    simulation: Simulation
    # The clear national ids, in customer order: kept in memory for tests, never written.
    national_ids: list[str]

    @property
    def rows_by_table(self) -> dict[str, int]:
        return {name: len(table) for name, table in self.tables.items()}


def _ignore(_stage: str, _done: int, _total: int) -> None:
    return None


def generate_dataset(
    *,
    customers: int,
    seed: int,
    secret_key: str,
    as_of: dt.date,
    on_progress: Progress | None = None,
) -> DemoDataset:
    if customers < 1:
        raise ValueError("customers must be at least 1")
    if seed < 0:
        raise ValueError("seed must not be negative")
    progress = on_progress or _ignore
    catalogue, texts = load_catalogue(), load_texts()
    timeline = Timeline(as_of)

    progress(GENERATING, 0, 1)
    people = generate_people(catalogue, timeline, count=customers, seed=seed)
    created_at = random_times(stream(seed, "created"), people.customer_since)
    clear_ids = national_ids(
        stream(seed, "national-ids"),
        people.country,
        people.birth_dates,
        people.female,
        people.is_organisation,
    )
    progress(GENERATING, 1, 1)

    progress(SIMULATING, 0, timeline.months)
    simulation = simulate(
        people,
        catalogue,
        timeline,
        seed=seed,
        on_month=lambda done: progress(SIMULATING, done, timeline.months),
    )

    step = iter(range(1, _RELATED_STEPS + 1))
    progress(RELATING, 0, _RELATED_STEPS)
    holding, holdings = generate_holdings(
        catalogue, people, created_at, simulation, timeline, seed=seed
    )
    progress(RELATING, next(step), _RELATED_STEPS)
    policies, claims, purchases, _ = generate_warranties(
        catalogue, texts, people, holdings, timeline, seed=seed
    )
    progress(RELATING, next(step), _RELATED_STEPS)
    program, tiers, accounts, ledger = generate_loyalty(
        catalogue, texts.rewards, people, holdings, purchases, timeline, seed=seed
    )
    progress(RELATING, next(step), _RELATED_STEPS)
    contact_points, contacts = generate_contacts(catalogue, people, created_at, timeline, seed=seed)
    progress(RELATING, next(step), _RELATED_STEPS)
    interactions, tickets = generate_service(
        catalogue, texts, people, created_at, simulation, holdings, purchases, timeline, seed=seed
    )
    progress(RELATING, next(step), _RELATED_STEPS)
    partners, consents, marketing = generate_consents(
        catalogue, people, created_at, timeline, seed=seed
    )
    progress(RELATING, next(step), _RELATED_STEPS)
    records = generate_source_records(
        people, contacts, holdings, purchases.holding, marketing, created_at, timeline, seed=seed
    )
    attachments = generate_attachments(
        catalogue, texts, people, contacts, holdings, created_at, seed=seed
    )
    progress(RELATING, next(step), _RELATED_STEPS)
    customer = customer_table(
        catalogue,
        people,
        clear_ids,
        created_at,
        contacts.moved_at,
        holdings,
        timeline,
        secret_key=secret_key,
        seed=seed,
    )
    progress(RELATING, next(step), _RELATED_STEPS)

    tables = {
        table.name: table
        for table in (
            product_table(catalogue),
            program,
            tiers,
            partners,
            customer,
            contact_points,
            attachments,
            holding,
            policies,
            claims,
            accounts,
            ledger,
            interactions,
            tickets,
            consents,
            records,
        )
    }
    return DemoDataset(
        tables={name: tables[name] for name in TABLE_ORDER},
        people=people,
        simulation=simulation,
        national_ids=clear_ids,
    )
