"""Authentication in front of /graphql, end to end through the real app and real tokens.

Deny by default: no token, a malformed, unknown, expired or revoked one all get the
same HTTP 401; only /healthz answers without one. And a token never appears in clear:
not in any table, not in the log, whatever happens to the request.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import String, Text, select

from c360.app import create_app
from c360.auth import tokens
from c360.auth.scopes import Role
from c360.consent.models import ConsentPurpose
from c360.graphql.ids import encode_id
from c360.models import Base
from c360.settings import Environment, Settings
from factories import Rows

QUERY = "query($id: ID!) { customer(id: $id) { displayName } }"


@dataclass
class Site:
    client: httpx.AsyncClient
    app: object
    customers: dict[str, int]
    partner_id: int

    async def issue(
        self, role: Role, *, issued_ago: dt.timedelta = dt.timedelta(0), **options: object
    ) -> tuple[int, str]:
        engine = self.app.state.engine  # type: ignore[attr-defined]
        async with engine.begin() as conn:
            issued = await tokens.issue_token(
                conn,
                role=role,
                name=f"test {role.value}",
                secret_key=self.app.state.settings.secret_key.get_secret_value(),  # type: ignore[attr-defined]
                now=dt.datetime.now(dt.UTC) - issued_ago,
                **options,  # type: ignore[arg-type]
            )
        return issued.id, issued.token

    async def ask(self, token: str | None, customer: str = "ada") -> httpx.Response:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return await self.client.post(
            "/graphql",
            json={
                "query": QUERY,
                "variables": {"id": encode_id("Customer", self.customers[customer])},
            },
            headers=headers,
        )


@pytest.fixture(scope="module")
async def site(database_url: str) -> AsyncIterator[Site]:
    tokens.reset_caches()
    app = create_app(Settings(database_url=database_url, environment=Environment.TEST))
    rows = Rows()
    partner = rows.partner("travelco", "TravelCo")
    customers = {
        "ada": rows.customer(given_name="Ada", family_name="Lis"),
        "bruno": rows.customer(given_name="Bruno", family_name="Lis"),
    }
    rows.consent(
        customers["ada"],
        ConsentPurpose.PARTNER_SHARING,
        granted=True,
        captured_at=rows.now - dt.timedelta(days=1),
        partner_id=partner,
    )
    async with LifespanManager(app) as manager:
        await rows.insert(app.state.engine)
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://c360") as client:
            yield Site(client, app, customers, partner)
    tokens.reset_caches()


def _assert_401(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="c360"')
    body = response.json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
    assert "data" not in body


async def test_without_a_token_only_health_answers(site: Site) -> None:
    assert (await site.client.get("/healthz")).status_code == 200
    _assert_401(await site.ask(None))
    _assert_401(await site.client.get("/graphql", params={"query": "{ __typename }"}))


@pytest.mark.parametrize(
    "header",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer c360_not-a-real-token", "Bearer a.b.c", "c360_x"],
)
async def test_a_bad_credential_gets_401(site: Site, header: str) -> None:
    response = await site.client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Authorization": header}
    )
    _assert_401(response)


async def test_a_teller_token_reads_in_clear(site: Site) -> None:
    _, token = await site.issue(Role.TELLER)
    response = await site.ask(token)
    assert response.status_code == 200
    assert response.json()["data"] == {"customer": {"displayName": "Ada Lis"}}


async def test_a_partner_token_sees_consenting_customers_masked(site: Site) -> None:
    _, token = await site.issue(Role.PARTNER, partner_code="travelco")
    assert (await site.ask(token, "ada")).json()["data"] == {
        "customer": {"displayName": "A*** L***"}
    }
    assert (await site.ask(token, "bruno")).json()["data"] == {"customer": None}


async def test_a_customer_token_sees_itself_only(site: Site) -> None:
    _, token = await site.issue(Role.CUSTOMER, customer_id=site.customers["bruno"])
    answer = (await site.ask(token, "bruno")).json()["data"]
    assert answer == {"customer": {"displayName": "Bruno Lis"}}
    assert (await site.ask(token, "ada")).json()["data"] == {"customer": None}


async def test_a_revoked_token_gets_401_at_once(site: Site) -> None:
    token_id, token = await site.issue(Role.TELLER)
    assert (await site.ask(token)).status_code == 200
    async with site.app.state.engine.begin() as conn:  # type: ignore[attr-defined]
        await tokens.revoke_token(conn, token_id, now=dt.datetime.now(dt.UTC))
    _assert_401(await site.ask(token))


async def test_an_expired_token_gets_401(site: Site) -> None:
    _, token = await site.issue(
        Role.TELLER, issued_ago=dt.timedelta(days=2), expires_in=dt.timedelta(days=1)
    )
    _assert_401(await site.ask(token))


async def test_no_token_appears_in_clear_in_the_database_or_the_log(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token_id, token = await site.issue(Role.TELLER)
    _, partner_token = await site.issue(Role.PARTNER, partner_code="travelco")
    # Succeed, fail on scope, fail on syntax, fail on an unexpected id, then be revoked.
    await site.ask(token)
    await site.ask(partner_token)
    for bad in ["{ customer(id: 1) { holdings { id } } }", "{ nope", '{ node(id: "!!") { id } }']:
        await site.client.post(
            "/graphql", json={"query": bad}, headers={"Authorization": f"Bearer {partner_token}"}
        )
    async with site.app.state.engine.begin() as conn:  # type: ignore[attr-defined]
        await tokens.revoke_token(conn, token_id, now=dt.datetime.now(dt.UTC))
    await site.ask(token)
    await site.ask(token[:-1] + ("A" if token[-1] != "A" else "B"))

    for secret in (token, partner_token):
        assert secret not in caplog.text
        assert secret.removeprefix("c360_") not in caplog.text
    async with site.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        for table in Base.metadata.sorted_tables:
            text_columns = [c for c in table.c if isinstance(c.type, (String, Text))]
            if not text_columns:
                continue
            for row in (await conn.execute(select(*text_columns))).all():
                for value in row:
                    if isinstance(value, str):
                        assert token.removeprefix("c360_") not in value, table.name
                        assert partner_token.removeprefix("c360_") not in value, table.name


async def test_a_token_has_its_own_cost_budget(site: Site) -> None:
    _, small = await site.issue(Role.TELLER, cost_budget=3)
    _, default = await site.issue(Role.TELLER)
    query = "{ customers(first: 5) { edges { node { displayName } } } }"
    refused = await site.client.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {small}"}
    )
    body = refused.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["COST_LIMIT_EXCEEDED"]
    assert body["errors"][0]["extensions"]["cost"]["limit"] == 3
    answered = await site.client.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {default}"}
    )
    assert "errors" not in answered.json()
    assert answered.json()["extensions"]["cost"]["limit"] == 100_000


async def test_the_rate_limit_is_per_principal_and_guessing_is_limited_by_address(
    database_url: str,
) -> None:
    settings = Settings(
        database_url=database_url, environment=Environment.TEST, rate_limit_requests=3
    )
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://c360") as client:
            async with app.state.engine.begin() as conn:
                issued = [
                    await tokens.issue_token(
                        conn,
                        role=Role.TELLER,
                        name=f"t{i}",
                        now=dt.datetime.now(dt.UTC),
                        secret_key=settings.secret_key.get_secret_value(),
                    )
                    for i in range(2)
                ]

            async def ask(token: str) -> httpx.Response:
                return await client.post(
                    "/graphql",
                    json={"query": "{ __typename }"},
                    headers={"Authorization": f"Bearer {token}"},
                )

            first = [(await ask(issued[0].token)).status_code for _ in range(4)]
            other = (await ask(issued[1].token)).status_code
            guesses = [(await ask(f"c360_guess{i}")).status_code for i in range(4)]
            refused = await ask(issued[0].token)
    assert first == [200, 200, 200, 429]
    assert other == 200  # another principal, another budget
    assert guesses == [401, 401, 401, 429]
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
