"""No N+1: a page of customers costs the same SQL statements however long the page is.

Every customer of the world below has rows in every relation. One query selects every
relation (nested pages and their counts included) for a page of 10 and a page of 50
customers; both must run exactly the pinned number of statements, one per level of
the query. The teller's one-customer view (every section and the summary) is pinned too.
If a pinned number changes, the loaders changed: say why in the commit.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from gqltest import Api, count_statements, new_database, serve
from sqlalchemy import event

from c360.consent.models import ConsentPurpose
from c360.customers.models import Channel
from c360.graphql.ids import encode_id
from c360.holdings.models import HoldingStatus, ProductCategory
from c360.interactions.models import TicketStatus
from factories import Rows

CUSTOMERS = 120

# One statement per level of the query, not per loader: the loaders that dispatch
# while the event loop is busy with one level travel as one statement
# (c360.graphql.db, c360.graphql.statement_batch).
#   1. the customers page;
#   2. its count (totalCount resolves a level above the nodes' fields);
#   3. every section of every customer on the page: contact points, holdings
#      (+ products), loyalty accounts (+ program, tier), warranty policies, the
#      interaction page, tickets, tickets(status: [OPEN, PENDING]) (another argument
#      set), consents, attachments;
#   4. what hangs under the sections: the ledger page, points expiring, claims, and the
#      interaction counts and last contact (interactions.totalCount, the summary);
#   5. the ledger count.
# The summary adds none: it reads the same loaders' rows.
PAGE_STATEMENTS = 5
# The teller's view: the customer by id instead of the page and its count.
TELLER_STATEMENTS = 4

CUSTOMER_VIEW = """
  id displayName nationalIdLast4 segment customerSince
  contactPoints { id kind value }
  holdings { id status balance { amount currency } product { id code category } }
  loyalty {
    id pointsBalance pointsExpiringSoon program { code } tier { code isTop }
    ledger(first: 2) { totalCount pageInfo { hasNextPage } edges { cursor node { id points } } }
  }
  loyaltyAccounts { id }
  warranties { id status product { code } claims { id status amount { amount } } }
  interactions(first: 3) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id channel occurredAt } }
  }
  tickets { id status }
  openTickets: tickets(status: [OPEN, PENDING]) { id }
  consents { purpose granted partner { name } }
  consentHistory { id }
  attachments { id fileName }
  summary {
    totalDeposits { amount currency } totalDebt { amount currency }
    productsHeld { count codes } loyaltyTier { code } pointsBalance activeWarranties
    openTickets lastContactAt customerSince flags
  }
"""

PAGE = f"""query($first: Int!) {{
  customers(first: $first) {{
    totalCount pageInfo {{ hasNextPage }} edges {{ node {{ {CUSTOMER_VIEW} }} }}
  }}
}}"""

TELLER = f"query($id: ID!) {{ customer(id: $id) {{ {CUSTOMER_VIEW} }} }}"
_LEDGER = (
    "ledger(first: 2) { totalCount pageInfo { hasNextPage } edges { cursor node { id points } } }"
)
assert _LEDGER in CUSTOMER_VIEW
TELLER_WITHOUT_LEDGER = TELLER.replace(_LEDGER, "")


def _build(rows: Rows) -> None:
    now = rows.now
    day = dt.timedelta(days=1)
    current = rows.product("current_account", ProductCategory.DEPOSIT)
    loan = rows.product("personal_loan", ProductCategory.LENDING)
    washer = rows.product("washing_machine", ProductCategory.RETAIL_GOODS)
    program = rows.program()
    tiers = [
        rows.tier(program, code, rank) for rank, code in enumerate(["bronze", "silver", "gold"])
    ]
    partner = rows.partner("travelco", "TravelCo")
    for n in range(CUSTOMERS):
        c = rows.customer(
            given_name=f"Customer{n:03d}", family_name="Test", national_id=f"8501{n:07d}"
        )
        rows.email(c, f"customer{n}@example.com")
        rows.phone(c, f"+48601{n:06d}")
        rows.postal(c, "Kraków")
        rows.holding(c, current, balance=f"{1000 + n}.25")
        rows.holding(
            c,
            loan,
            balance="-5000.00",
            status=HoldingStatus.IN_ARREARS if n % 7 == 0 else HoldingStatus.ACTIVE,
        )
        rows.holding(c, current, balance="12.00", currency="EUR")
        if n < 115:  # the last few have no loyalty account (no ledger to read a level later)
            account = rows.loyalty_account(c, program, tiers[n % 3], points_balance=600)
            for k, points in enumerate([300, 400, -100]):
                rows.ledger_entry(account, c, points, occurred_at=now - (200 - 50 * k) * day)
            if n >= 100:  # beyond the pages the tests count: points that expire within 90 days
                rows.ledger_entry(account, c, 250, occurred_at=now - 300 * day)
        policy = rows.policy(c, product_id=washer)
        rows.claim(policy, c, amount=Decimal("99.00"))
        rows.claim(policy, c, reported_at=now - 90 * day)
        for k in range(5):
            rows.interaction(c, occurred_at=now - (k * 11 + n % 5) * day, channel=list(Channel)[k])
        rows.ticket(c)
        rows.ticket(c, status=TicketStatus.CLOSED)
        rows.consent(c, ConsentPurpose.MARKETING, granted=n % 2 == 0, captured_at=now - 30 * day)
        rows.consent(c, ConsentPurpose.PROFILING, granted=True, captured_at=now - 30 * day)
        rows.consent(
            c,
            ConsentPurpose.PARTNER_SHARING,
            granted=True,
            captured_at=now - 30 * day,
            partner_id=partner,
        )
        rows.attachment(c)
        rows.attachment(c)


@pytest.fixture(scope="module")
async def api(database_factory: Any) -> AsyncIterator[Api]:
    rows = Rows()
    _build(rows)
    url = await new_database(database_factory)
    async with serve(url) as api:
        await rows.insert(api.engine)
        # The pool's first connection runs the dialect's own setup queries: not ours to count.
        await api.data("{ customers(first: 1) { totalCount } }")
        yield api


async def _statements(
    api: Api, query: str, variables: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    with count_statements(api.engine) as log:
        data = await api.data(query, variables)
    return len(log), data


async def test_a_page_of_customers_costs_the_same_statements_at_10_and_50(api: Api) -> None:
    ten, small = await _statements(api, PAGE, {"first": 10})
    fifty, large = await _statements(api, PAGE, {"first": 50})

    assert len(small["customers"]["edges"]) == 10 and len(large["customers"]["edges"]) == 50
    assert small["customers"]["totalCount"] == CUSTOMERS
    # Every relation really was loaded for every customer of the page.
    for edge in large["customers"]["edges"]:
        customer = edge["node"]
        assert len(customer["holdings"]) == 3 and len(customer["warranties"][0]["claims"]) == 2
        assert (
            customer["interactions"]["totalCount"] == 5
            and len(customer["interactions"]["edges"]) == 3
        )
        assert customer["loyalty"]["ledger"]["totalCount"] == 3
        assert len(customer["consents"]) == 3 and len(customer["attachments"]) == 2
        assert customer["summary"]["productsHeld"]["count"] == 3
    assert (ten, fifty) == (PAGE_STATEMENTS, PAGE_STATEMENTS)


async def test_the_tellers_one_customer_view_is_a_handful_of_statements(api: Api) -> None:
    # A document never asked before (its own text): nothing learned about it yet.
    first_time = f"{TELLER}\n# first look"
    count, data = await _statements(api, first_time, {"id": encode_id("Customer", 42)})
    assert data["customer"]["summary"]["openTickets"] == 1
    assert count == TELLER_STATEMENTS


async def test_asked_again_the_tellers_view_reads_the_sections_with_the_customer(
    api: Api,
) -> None:
    # The direct executor learns, from its first answer, which sections a plan reads by
    # the customer's id; from then on they travel in the customer's own statement.
    await _statements(api, TELLER, {"id": encode_id("Customer", 1)})
    count, data = await _statements(api, TELLER, {"id": encode_id("Customer", 43)})
    assert data["customer"]["summary"]["openTickets"] == 1
    assert len(data["customer"]["holdings"]) == 3
    # 1. the customer, every section and what hangs under them (a policy's claims, an
    # account's points expiring); 2. the ledger page; 3. the ledger count (the ledger
    # takes arguments, so it waits for its account).
    assert count == 3
    # A customer nobody can see answers null, and reads nothing more than before.
    count, data = await _statements(api, TELLER, {"id": encode_id("Customer", 10_000)})
    assert data == {"customer": None} and count == 1


async def test_a_plan_first_asked_for_a_missing_customer_still_learns_its_sections(
    api: Api,
) -> None:
    document = f"{TELLER}\n# first asked for nobody"
    count, data = await _statements(api, document, {"id": encode_id("Customer", 10_000)})
    assert data == {"customer": None} and count == 1
    await _statements(api, document, {"id": encode_id("Customer", 7)})  # learns here
    count, data = await _statements(api, document, {"id": encode_id("Customer", 44)})
    assert len(data["customer"]["holdings"]) == 3
    assert count == 3  # the sections travelled with the customer


async def test_without_a_ledger_the_tellers_learned_view_is_one_statement(api: Api) -> None:
    document = TELLER_WITHOUT_LEDGER
    unlearned = f"{document}\n# never learned"
    customer = {"id": encode_id("Customer", 105)}
    await _statements(api, document, {"id": encode_id("Customer", 101)})  # learns here
    count, data = await _statements(api, document, customer)
    assert count == 1
    # The claims and points that travelled with the customer are the ones read a level
    # later by a plan that learned nothing.
    assert data == (await _statements(api, unlearned, customer))[1]
    assert [len(w["claims"]) for w in data["customer"]["warranties"]] == [2]
    assert data["customer"]["loyalty"]["pointsExpiringSoon"] == 250


async def _in_transaction(api: Api, query: str, variables: dict[str, Any]) -> list[bool]:
    """Whether each statement the request ran was inside a transaction (PostgreSQL)."""
    seen: list[bool] = []

    def record(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("INSERT INTO access_log"):
            return  # the audit's background writer, whenever its timer fires (as above)
        asks = getattr(conn.connection.driver_connection, "is_in_transaction", None)
        seen.append(None if asks is None else asks())  # None: SQLite's driver

    event.listen(api.engine.sync_engine, "after_cursor_execute", record)
    try:
        await api.data(query, variables)
    finally:
        event.remove(api.engine.sync_engine, "after_cursor_execute", record)
    return [each for each in seen if each is not None]


async def test_a_view_answered_in_one_statement_reads_it_outside_a_transaction(
    api: Api,
) -> None:
    if api.engine.dialect.name != "postgresql":
        pytest.skip("SQLite reads outside a transaction anyway")
    document = f"{TELLER_WITHOUT_LEDGER}\n# outside a transaction"
    await api.data(document, {"id": encode_id("Customer", 102)})  # learns the sections
    # Answered in one statement: a snapshot by itself, so BEGIN and ROLLBACK are spared.
    assert await _in_transaction(api, document, {"id": encode_id("Customer", 102)}) == [True]
    assert await _in_transaction(api, document, {"id": encode_id("Customer", 103)}) == [False]


async def test_a_view_that_needs_more_statements_than_learned_is_answered_in_a_snapshot(
    api: Api,
) -> None:
    # Learned from customers without a loyalty account, the view took one statement;
    # a customer with one has a ledger to read a level later.
    document = f"{TELLER}\n# learned from customers without loyalty"
    for pk in (116, 117):
        await api.data(document, {"id": encode_id("Customer", pk)})
    one = await _in_transaction(api, document, {"id": encode_id("Customer", 118)})
    with_ledger = {"id": encode_id("Customer", 46)}
    count, data = await _statements(api, document, with_ledger)
    # Answered afresh (by graphql-core, in a snapshot): the same answer as a plan that
    # learned nothing.
    assert data == (await _statements(api, f"{TELLER}\n# fresh", with_ledger))[1]
    assert data["customer"]["loyalty"]["ledger"]["totalCount"] == 3
    # The next answer reads in a snapshot again, without a refused start.
    after = await _in_transaction(api, document, with_ledger)
    if api.engine.dialect.name == "postgresql":
        assert one == [False]
        assert count == 1 + TELLER_STATEMENTS  # the refused start, then the fresh answer
        assert after == [True, True, True]
    else:
        assert count == 3 and after == []  # no optimism: the learned three


async def test_answers_that_started_before_the_learning_do_not_judge_the_plan(api: Api) -> None:
    if api.engine.dialect.name != "postgresql":
        pytest.skip("SQLite reads outside a transaction anyway")
    document = f"{TELLER_WITHOUT_LEDGER}\n# asked by several tellers at once"
    # The first of these to finish teaches the plan its sections; the others started
    # without them and took several statements, which says nothing about the plan.
    await asyncio.gather(
        *(api.data(document, {"id": encode_id("Customer", pk)}) for pk in range(60, 66))
    )
    await api.data(document, {"id": encode_id("Customer", 66)})  # one statement
    assert await _in_transaction(api, document, {"id": encode_id("Customer", 67)}) == [False]


async def test_a_search_answered_in_one_statement_reads_it_outside_a_transaction(
    api: Api,
) -> None:
    if api.engine.dialect.name != "postgresql":
        pytest.skip("SQLite reads outside a transaction anyway")
    search = """query($q: String!) {
      searchCustomers(query: $q, first: 10) { edges { matchedOn node { id displayName } } }
    }"""
    first = await _in_transaction(api, search, {"q": "+48601000007"})
    # Learned: the plan takes one statement, a snapshot by itself.
    again = await _in_transaction(api, search, {"q": "+48601000008"})
    assert (first, again) == ([True], [False])
    data = await api.data(search, {"q": "+48601000009"})
    assert [edge["matchedOn"] for edge in data["searchCustomers"]["edges"]] == ["PHONE"]


async def test_a_list_learned_in_one_statement_still_answers_a_page_that_needs_more(
    api: Api,
) -> None:
    # Learned from a page past the end (no customers, so no sections to read), the
    # plan expects one statement; a page with customers needs two, is refused the
    # second, and is answered afresh in a snapshot, the same as a plan that learned
    # nothing.
    page = """query($after: String) {
      customers(first: 2, after: $after) { edges { node { id contactPoints { kind } } } }
    }"""
    walk = "query($after: String) { customers(first: 100, after: $after) { edges { cursor } } }"
    last = None
    while edges := (await api.data(walk, {"after": last}))["customers"]["edges"]:
        last = edges[-1]["cursor"]
    past_the_end = {"after": last}
    assert (await api.data(page, past_the_end))["customers"]["edges"] == []
    count, data = await _statements(api, page, {"after": None})
    assert data == await api.data(f"{page}\n# fresh", {"after": None})
    assert len(data["customers"]["edges"]) == 2
    if api.engine.dialect.name == "postgresql":
        assert count == 1 + 2  # the refused start, then the fresh answer
