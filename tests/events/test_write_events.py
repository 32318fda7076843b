"""Every customer write publishes its event: the mutation over HTTP, the event over a real
websocket, against the real app on SQLite and PostgreSQL.

A refused or idempotent write publishes nothing: shown by the next write's event being
the next message, never by waiting.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
from events_support import LiveServer, WsClient, auth_headers, live_server, ws_client

from gqltest import new_database  # isort: skip

from c360 import events
from c360.auth import tokens
from c360.auth.scopes import Role, Scope
from c360.database import create_engine
from c360.graphql.ids import decode_id_of

WATCH = """
subscription($customerId: ID!) {
  customerEvents(customerId: $customerId) {
    kind customerId entityId changedFields ticketStatus previousTicketStatus
    claimDecision claimAmount { amount currency } consentPurpose
    entity { __typename id }
  }
}
"""
ERROR = "code field"
CREATE_CUSTOMER = f"""
mutation($input: CreateCustomerInput!) {{
  createCustomer(input: $input) {{
    __typename ... on CustomerSuccess {{ customer {{ id version }} }}
    ... on CustomerError {{ {ERROR} }}
  }}
}}"""
UPDATE_CUSTOMER = f"""
mutation($input: UpdateCustomerInput!) {{
  updateCustomer(input: $input) {{
    __typename ... on CustomerSuccess {{ customer {{ id version }} }}
    ... on CustomerError {{ {ERROR} }}
  }}
}}"""
ADD_CONTACT = f"""
mutation($input: AddContactPointInput!) {{
  addContactPoint(input: $input) {{
    __typename ... on ContactPointSuccess {{ contactPoint {{ id }} }}
    ... on CustomerError {{ {ERROR} }}
  }}
}}"""
UPDATE_CONTACT = f"""
mutation($input: UpdateContactPointInput!) {{
  updateContactPoint(input: $input) {{
    __typename ... on ContactPointSuccess {{ contactPoint {{ id }} }}
    ... on CustomerError {{ {ERROR} }}
  }}
}}"""
REMOVE_CONTACT = f"""
mutation($input: RemoveContactPointInput!) {{
  removeContactPoint(input: $input) {{
    __typename ... on RemoveContactPointSuccess {{ removedContactPointId }}
    ... on CustomerError {{ {ERROR} }}
  }}
}}"""
RECORD = f"""
mutation($input: RecordInteractionInput!) {{
  recordInteraction(input: $input) {{
    __typename ... on InteractionSuccess {{ interaction {{ id }} }}
    ... on InteractionError {{ {ERROR} }}
  }}
}}"""
OPEN_TICKET = f"""
mutation($input: OpenTicketInput!) {{
  openTicket(input: $input) {{
    __typename ... on TicketSuccess {{ ticket {{ id }} }}
    ... on InteractionError {{ {ERROR} }}
  }}
}}"""
UPDATE_TICKET = OPEN_TICKET.replace("OpenTicket", "UpdateTicket").replace(
    "openTicket", "updateTicket"
)
REGISTER = f"""
mutation($input: RegisterWarrantyInput!) {{
  registerWarranty(input: $input) {{
    __typename ... on WarrantyPolicySuccess {{ policy {{ id }} }}
    ... on WarrantyError {{ {ERROR} }}
  }}
}}"""
FILE_CLAIM = f"""
mutation($input: FileWarrantyClaimInput!) {{
  fileWarrantyClaim(input: $input) {{
    __typename ... on WarrantyClaimSuccess {{ claim {{ id }} }}
    ... on WarrantyError {{ {ERROR} }}
  }}
}}"""
DECIDE_CLAIM = FILE_CLAIM.replace("FileWarrantyClaim", "DecideWarrantyClaim").replace(
    "fileWarrantyClaim", "decideWarrantyClaim"
)
GRANT = """
mutation($input: GrantConsentInput!) {
  grantConsent(input: $input) {
    __typename ... on ConsentSuccess { recorded consent { id } }
    ... on ConsentError { code field }
  }
}"""
REVOKE = GRANT.replace("GrantConsent", "RevokeConsent").replace("grantConsent", "revokeConsent")

# What every event answers for the fields a kind does not use.
BLANK = {
    "changedFields": None,
    "ticketStatus": None,
    "previousTicketStatus": None,
    "claimDecision": None,
    "claimAmount": None,
    "consentPurpose": None,
}


@pytest.fixture(scope="module")
async def database(database_factory: Any) -> str:
    return await new_database(database_factory)


@pytest.fixture(scope="module")
async def server(database: str) -> AsyncIterator[LiveServer]:
    async with live_server(database) as server:
        yield server


@pytest.fixture(scope="module")
def base_url(server: LiveServer) -> str:
    return server.base_url


async def mutate(base_url: str, document: str, **input: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.post(
            "/graphql",
            json={"query": document, "variables": {"input": input}},
            headers=auth_headers(base_url),
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    (result,) = body["data"].values()
    return result  # type: ignore[no-any-return]


async def succeed(base_url: str, document: str, **input: Any) -> dict[str, Any]:
    result = await mutate(base_url, document, **input)
    assert not result["__typename"].endswith("Error"), result
    return result


async def new_customer(base_url: str, **profile: Any) -> dict[str, Any]:
    person = {
        "partyType": "PERSON",
        "segment": "MASS",
        "givenName": "Ewa",
        "familyName": "Lis",
        "countryCode": "PL",
    }
    result = await succeed(base_url, CREATE_CUSTOMER, **person, **profile)
    return result["customer"]  # type: ignore[no-any-return]


class Watch:
    """One customer's subscription: ``next()`` is the event that came next."""

    def __init__(self, client: WsClient, customer_gid: str) -> None:
        self.client = client
        self.customer_gid = customer_gid

    async def next(self) -> dict[str, Any]:
        event = await next_event(self.client, "w")
        assert event["customerId"] == self.customer_gid, event
        return event


async def next_event(client: WsClient, operation_id: str) -> dict[str, Any]:
    """The next event but the customer's creation: on PostgreSQL, the notice of a commit
    made just before SUBSCRIBED may still arrive after it (every test subscribes to a
    customer it has just created)."""
    event = await client.event(operation_id)
    if event["kind"] == "CUSTOMER_CREATED":
        event = await client.event(operation_id)
    return event


@asynccontextmanager
async def watching(base_url: str, customer_gid: str) -> AsyncIterator[Watch]:
    async with ws_client(base_url) as client:
        await client.subscribe("w", WATCH, customerId=customer_gid)
        assert (await client.event("w"))["kind"] == "SUBSCRIBED"
        yield Watch(client, customer_gid)


@contextmanager
def tapped(server: LiveServer) -> Iterator[list[events.CustomerEvent]]:
    """Every event the server's hub receives from the database, for any customer, as
    published (the data a subscriber never sees whole)."""
    hub = server.hub
    received: list[events.CustomerEvent] = []
    receive = hub._receive

    def tap(event: events.CustomerEvent) -> None:
        received.append(event)
        receive(event)

    hub._receive = tap  # type: ignore[method-assign]
    try:
        yield received
    finally:
        del hub._receive


def expect(kind: str, entity_type: str | None, entity_id: str, **facts: Any) -> dict[str, Any]:
    entity = None if entity_type is None else {"__typename": entity_type, "id": entity_id}
    return {"kind": kind, "entityId": entity_id, "entity": entity, **BLANK, **facts}


def without_customer(event: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in event.items() if key != "customerId"}


# interactions and tickets ------------------------------------------------------------


async def test_interactions_and_ticket_changes_are_published(base_url: str) -> None:
    customer = await new_customer(base_url)
    async with watching(base_url, customer["id"]) as watch:
        visit = await succeed(
            base_url,
            RECORD,
            customerId=customer["id"],
            channel="BRANCH",
            direction="INBOUND",
            topic="enquiry:card",
        )
        visit_id = visit["interaction"]["id"]
        assert without_customer(await watch.next()) == expect(
            "INTERACTION_RECORDED", "Interaction", visit_id
        )

        opened = await succeed(base_url, OPEN_TICKET, customerId=customer["id"], subject="Lost")
        ticket_id = opened["ticket"]["id"]
        assert without_customer(await watch.next()) == expect(
            "TICKET_OPENED", "SupportTicket", ticket_id, ticketStatus="OPEN"
        )

        await succeed(base_url, UPDATE_TICKET, id=ticket_id, status="RESOLVED")
        assert without_customer(await watch.next()) == expect(
            "TICKET_UPDATED",
            "SupportTicket",
            ticket_id,
            ticketStatus="RESOLVED",
            previousTicketStatus="OPEN",
        )

        refused = await mutate(base_url, UPDATE_TICKET, id=ticket_id, status="PENDING")
        assert refused["code"] == "INVALID_TRANSITION", refused
        # The next event is the next write's: the refused one published nothing.
        await succeed(base_url, UPDATE_TICKET, id=ticket_id, priority="HIGH")
        assert without_customer(await watch.next()) == expect(
            "TICKET_UPDATED",
            "SupportTicket",
            ticket_id,
            ticketStatus="RESOLVED",
            previousTicketStatus="RESOLVED",
        )


# warranty ----------------------------------------------------------------------------


async def test_warranty_registrations_claims_and_decisions_are_published(base_url: str) -> None:
    customer = await new_customer(base_url)
    today = dt.datetime.now(dt.UTC).date()
    async with watching(base_url, customer["id"]) as watch:
        registered = await succeed(
            base_url,
            REGISTER,
            customerId=customer["id"],
            productModel="Vela One",
            serialNumber="VL-77",
            purchaseDate=(today - dt.timedelta(days=30)).isoformat(),
            coverageMonths=12,
            kind="MANUFACTURER",
            pricePaid="0",
            coverageValue="1000.00",
            currency="PLN",
        )
        policy_id = registered["policy"]["id"]
        assert without_customer(await watch.next()) == expect(
            "WARRANTY_REGISTERED", "WarrantyPolicy", policy_id
        )

        before_purchase = dt.datetime.now(dt.UTC) - dt.timedelta(days=60)
        refused = await mutate(
            base_url,
            FILE_CLAIM,
            policyId=policy_id,
            defectDescription="Dead.",
            reportedAt=before_purchase.isoformat(),
        )
        assert refused["code"] == "OUTSIDE_COVERAGE", refused
        filed = await succeed(base_url, FILE_CLAIM, policyId=policy_id, defectDescription="Dead.")
        claim_id = filed["claim"]["id"]
        # The claim, not the refusal before it, is the next event.
        assert without_customer(await watch.next()) == expect(
            "WARRANTY_CLAIM_FILED", "WarrantyClaim", claim_id
        )

        too_much = await mutate(
            base_url, DECIDE_CLAIM, claimId=claim_id, decision="REPAIR", amount="1000.01"
        )
        assert too_much["code"] == "AMOUNT_EXCEEDS_COVERAGE", too_much
        await succeed(base_url, DECIDE_CLAIM, claimId=claim_id, decision="REPAIR", amount="120.5")
        assert without_customer(await watch.next()) == expect(
            "WARRANTY_CLAIM_DECIDED",
            "WarrantyClaim",
            claim_id,
            claimDecision="REPAIR",
            claimAmount={"amount": "120.50", "currency": "PLN"},
        )

        second = await succeed(base_url, FILE_CLAIM, policyId=policy_id, defectDescription="Again.")
        second_id = second["claim"]["id"]
        assert (await watch.next())["entityId"] == second_id
        await succeed(base_url, DECIDE_CLAIM, claimId=second_id, decision="REJECTED")
        assert without_customer(await watch.next()) == expect(
            "WARRANTY_CLAIM_DECIDED", "WarrantyClaim", second_id, claimDecision="REJECTED"
        )


# consent -----------------------------------------------------------------------------


async def test_consent_decisions_are_published_once(base_url: str) -> None:
    customer = await new_customer(base_url)
    decision = {"customerId": customer["id"], "purpose": "MARKETING", "source": "web"}
    async with watching(base_url, customer["id"]) as watch:
        granted = await succeed(base_url, GRANT, **decision)
        assert granted["recorded"] is True
        assert without_customer(await watch.next()) == expect(
            "CONSENT_GRANTED", "Consent", granted["consent"]["id"], consentPurpose="MARKETING"
        )

        again = await succeed(base_url, GRANT, **decision)
        assert (again["recorded"], again["consent"]["id"]) == (False, granted["consent"]["id"])
        revoked = await succeed(base_url, REVOKE, **decision)
        # The revocation is the next event: the repeated grant recorded and published nothing.
        assert without_customer(await watch.next()) == expect(
            "CONSENT_REVOKED", "Consent", revoked["consent"]["id"], consentPurpose="MARKETING"
        )


# customers and contact points --------------------------------------------------------


async def test_a_created_customer_is_published_with_its_field_names(server: LiveServer) -> None:
    # Nobody can subscribe to a customer before it exists: what the hub received shows
    # the event was published, and with which data.
    base_url = server.base_url
    witness = await new_customer(base_url)
    with tapped(server) as received:
        async with watching(base_url, witness["id"]) as watch:
            created = await new_customer(
                base_url,
                occupation="pilot",
                contactPoints=[{"kind": "EMAIL", "value": "ewa.created@example.com"}],
            )
            await succeed(base_url, UPDATE_CUSTOMER, id=witness["id"], version=1, segment="PRIVATE")
            await watch.next()  # committed after the creation, so received after it
    pk = decode_id_of("Customer", created["id"])
    # (On PostgreSQL the witness's own creation may reach the hub after the tap began.)
    (event,) = (e for e in received if e.customer_id == pk)
    assert (event.kind, event.entity_type, event.entity_id) == (
        events.EventKind.CUSTOMER_CREATED,
        "Customer",
        pk,
    )
    assert event.data == {
        "fields": [
            "partyType",
            "givenName",
            "familyName",
            "status",
            "segment",
            "customerSince",
            "occupation",
            "countryCode",
            "contactPoints",
        ]
    }


async def test_profile_and_contact_changes_are_published_without_values(
    server: LiveServer,
) -> None:
    base_url = server.base_url
    customer = await new_customer(base_url)
    customer_id = customer["id"]
    with tapped(server) as received:
        async with watching(base_url, customer_id) as watch:
            await succeed(
                base_url,
                UPDATE_CUSTOMER,
                id=customer_id,
                version=1,
                occupation="glazier",
                segment="AFFLUENT",
                familyName="Lis",  # unchanged: not named
            )
            assert without_customer(await watch.next()) == expect(
                "CUSTOMER_UPDATED",
                "Customer",
                customer_id,
                changedFields=["segment", "occupation"],
            )

            unchanged = await succeed(
                base_url, UPDATE_CUSTOMER, id=customer_id, version=2, occupation="glazier"
            )
            assert unchanged["customer"]["version"] == 2  # nothing written...

            added = await succeed(
                base_url,
                ADD_CONTACT,
                customerId=customer_id,
                kind="PHONE",
                value="+48 500 900 123",
                label="mobile",
            )
            contact_id = added["contactPoint"]["id"]
            # ...and nothing published: the contact point is the next event.
            assert without_customer(await watch.next()) == expect(
                "CUSTOMER_UPDATED",
                "ContactPoint",
                contact_id,
                changedFields=["kind", "value", "label", "isPrimary"],
            )

            await succeed(base_url, UPDATE_CONTACT, id=contact_id, label="work")
            assert without_customer(await watch.next()) == expect(
                "CUSTOMER_UPDATED", "ContactPoint", contact_id, changedFields=["label"]
            )

            refused = await mutate(base_url, UPDATE_CONTACT, id=contact_id, value="12")
            assert refused["__typename"] == "CustomerError", refused
            await succeed(base_url, REMOVE_CONTACT, id=contact_id)
            # The removal is the next event; the contact point is gone, its id stays.
            assert without_customer(await watch.next()) == expect(
                "CUSTOMER_UPDATED",
                None,
                contact_id,
                changedFields=["kind", "value", "label", "isPrimary"],
            )

    # As published, across processes: names, never the values.
    # (On PostgreSQL the customer's creation may reach the hub after the tap began.)
    published = [
        e
        for e in received
        if e.customer_id == decode_id_of("Customer", customer_id)
        and e.kind != events.EventKind.CUSTOMER_CREATED
    ]
    assert [(e.kind, e.entity_type) for e in published] == [
        (events.EventKind.CUSTOMER_UPDATED, "Customer"),
        *[(events.EventKind.CUSTOMER_UPDATED, "ContactPoint")] * 3,
    ]
    for event in published:
        assert list(event.data) == ["fields"]
        for value in ("glazier", "AFFLUENT", "500900123", "mobile", "work"):
            assert value not in event.encode()


# scopes ------------------------------------------------------------------------------


async def test_an_events_facts_need_the_scope_of_their_entity(base_url: str, database: str) -> None:
    customer = await new_customer(base_url)
    engine = create_engine(database)
    try:
        async with engine.begin() as conn:
            issued = await tokens.issue_token(
                conn,
                role=Role.TELLER,
                name="tickets only",
                scopes=[Scope.CUSTOMER_READ, Scope.INTERACTIONS_READ],
                secret_key=os.environ["C360_SECRET_KEY"],
                now=dt.datetime.now(dt.UTC),
            )
    finally:
        await engine.dispose()
    login = {"Authorization": f"Bearer {issued.token}"}
    async with ws_client(base_url, login) as client:
        facts = "subscription($id: ID!) { customerEvents(customerId: $id) { kind %s } }"
        await client.subscribe("claims", facts % "claimDecision", id=customer["id"])
        refused = await client.receive()
        assert refused["type"] == "error", refused
        assert [e["extensions"]["code"] for e in refused["payload"]] == ["FORBIDDEN"]

        await client.subscribe("tickets", facts % "ticketStatus", id=customer["id"])
        assert (await client.event("tickets"))["kind"] == "SUBSCRIBED"
        await succeed(base_url, OPEN_TICKET, customerId=customer["id"], subject="Card")
        event = await next_event(client, "tickets")
        assert event == {"kind": "TICKET_OPENED", "ticketStatus": "OPEN"}
