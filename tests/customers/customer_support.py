"""Customer write test helpers: the mutation documents, calls, and what the database holds.

A module takes a database of its own (``gqltest.new_database``) and makes its customers
through ``createCustomer`` itself, so every id comes from the database's own sequences.
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.customers.history import customer_change
from c360.customers.repository import contact_point, customer
from c360.graphql.ids import decode_id_of

CONTACT = """
  id kind label value addressLine1 addressLine2 city postalCode region countryCode
  isPrimary verifiedAt
"""
CUSTOMER = f"""
  id version partyType displayName givenName familyName organisationName birthDate
  nationalIdLast4 status segment homeBranch customerSince education incomeBand occupation
  householdSize interests preferredChannel preferredLanguage countryCode updatedAt
  contactPoints {{ {CONTACT} }}
"""
ERROR = "... on CustomerError { code message field }"
CREATE = f"""
mutation($input: CreateCustomerInput!) {{
  createCustomer(input: $input) {{
    __typename ... on CustomerSuccess {{ customer {{ {CUSTOMER} }} }} {ERROR}
  }}
}}"""
UPDATE = f"""
mutation($input: UpdateCustomerInput!) {{
  updateCustomer(input: $input) {{
    __typename ... on CustomerSuccess {{ customer {{ {CUSTOMER} }} }} {ERROR}
  }}
}}"""
ADD_CONTACT = f"""
mutation($input: AddContactPointInput!) {{
  addContactPoint(input: $input) {{
    __typename
    ... on ContactPointSuccess {{ contactPoint {{ {CONTACT} }} customer {{ id version }} }}
    {ERROR}
  }}
}}"""
UPDATE_CONTACT = f"""
mutation($input: UpdateContactPointInput!) {{
  updateContactPoint(input: $input) {{
    __typename
    ... on ContactPointSuccess {{ contactPoint {{ {CONTACT} }} customer {{ id }} }}
    {ERROR}
  }}
}}"""
REMOVE_CONTACT = f"""
mutation($input: RemoveContactPointInput!) {{
  removeContactPoint(input: $input) {{
    __typename
    ... on RemoveContactPointSuccess {{ removedContactPointId customer {{ id }} }}
    {ERROR}
  }}
}}"""

_serial = itertools.count(1)


def serial() -> int:
    return next(_serial)


def unique_phone() -> str:
    """A valid Polish mobile number no other test uses."""
    return f"+48500{serial():06d}"


def unique_email(name: str = "anna") -> str:
    return f"{name}.{serial()}@example.com"


async def call(api: Any, mutation: str, **input: Any) -> dict[str, Any]:
    data = await api.data(mutation, {"input": input})
    (result,) = data.values()
    return result  # type: ignore[no-any-return]


def person(**overrides: Any) -> dict[str, Any]:
    """A createCustomer input of a person; ``overrides`` replace or add fields."""
    return {
        "partyType": "PERSON",
        "segment": "MASS",
        "givenName": "Anna",
        "familyName": "Nowak",
        "countryCode": "PL",
        **overrides,
    }


async def new_person(api: Any, **overrides: Any) -> dict[str, Any]:
    """A created person (the customer of the response)."""
    result = await call(api, CREATE, **person(**overrides))
    assert result["__typename"] == "CustomerSuccess", result
    return result["customer"]  # type: ignore[no-any-return]


def pk(type_name: str, global_id: str) -> int:
    return decode_id_of(type_name, global_id)


async def customer_row(engine: AsyncEngine, global_id: str) -> Any:
    async with engine.connect() as conn:
        stmt = select(customer).where(customer.c.id == pk("Customer", global_id))
        return (await conn.execute(stmt)).one_or_none()


async def contact_rows(engine: AsyncEngine, customer_gid: str) -> list[Any]:
    async with engine.connect() as conn:
        stmt = (
            select(contact_point)
            .where(contact_point.c.customer_id == pk("Customer", customer_gid))
            .order_by(contact_point.c.id)
        )
        return list((await conn.execute(stmt)).all())


async def history_rows(engine: AsyncEngine, customer_gid: str) -> list[Any]:
    """The customer's history rows in the order they were written."""
    async with engine.connect() as conn:
        stmt = (
            select(customer_change)
            .where(customer_change.c.customer_id == pk("Customer", customer_gid))
            .order_by(customer_change.c.id)
        )
        return list((await conn.execute(stmt)).all())


async def row_counts(engine: AsyncEngine) -> tuple[int, int, int]:
    """How many customers, contact points and history rows the database holds."""
    async with engine.connect() as conn:
        counts = []
        for table in (customer, contact_point, customer_change):
            counts.append(int(await conn.scalar(select(func.count()).select_from(table)) or 0))
    return counts[0], counts[1], counts[2]
