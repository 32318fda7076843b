"""The typed per-request context every resolver receives as ``info.context``."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import TypeAlias

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from strawberry import Info

from c360.audit.recorder import AccessRecord, AccessRecorder
from c360.auth.principal import Principal
from c360.auth.scopes import Role, Scope
from c360.customers.visibility import UNRESTRICTED, CustomerScope
from c360.graphql.access import OperationInfo
from c360.graphql.db import RequestDatabase
from c360.graphql.loaders import Loaders
from c360.recommend.service import Recommender
from c360.settings import Settings

__all__ = ["Context", "GraphQLInfo", "customer_scope_of", "loaders_for"]


@dataclass(slots=True, kw_only=True)
class Context:
    settings: Settings
    db: RequestDatabase
    loaders: Loaders
    # The request's clock: every "soon" and "recent" rule in one response uses this instant.
    now: dt.datetime
    # Who is asking. None only where nothing authenticated the caller (then every
    # field that needs a scope is refused: deny by default).
    principal: Principal | None = None
    # A websocket's connection_init payload (strawberry fills it in): credentials go here.
    connection_params: dict[str, object] | None = None
    request: Request | None = None
    # Lookups done once per request, e.g. the national-id hashing key.
    secret_key: str = field(default="", repr=False)
    # The most this request's operation may cost (c360.graphql.limits); None: the settings'.
    cost_budget: int | None = None
    # Where reads of customer data are recorded (None: not audited, e.g. a CLI check).
    recorder: AccessRecorder | None = None
    # Set before execution by AccessPolicy: what the access audit records of the operation.
    operation: OperationInfo | None = None

    @property
    def scopes(self) -> frozenset[Scope]:
        return frozenset() if self.principal is None else self.principal.scopes

    @property
    def shows_pii(self) -> bool:
        """Personal data in clear; masked otherwise (``c360.customers.masking``)."""
        return self.loaders.shows_pii

    @property
    def customer_scope(self) -> CustomerScope:
        return self.loaders.scope

    async def customer_visible(self, customer_id: int) -> bool:
        """Whether the principal may see (and so write to) this customer.

        Every mutation, subscription and node lookup asks this before touching a
        customer and answers an invisible customer exactly as a missing one. For a
        limited principal it is decided in SQL by the scoped customer loader (batched
        with the request's other customer reads).
        """
        if self.loaders.scope.unrestricted:
            return True
        return await self.loaders.customer_by_id.load(customer_id) is not None

    def record_access(self, *, purpose: str | None = None) -> None:
        """Hand what this request (or subscription event) read to the access audit."""
        read = self.loaders.read_customer_ids
        principal = self.principal
        if not read or principal is None or self.operation is None or self.recorder is None:
            return
        self.recorder.record(
            AccessRecord(
                customer_ids=set(read),
                accessed_at=self.now,
                subject=principal.subject,
                role=principal.role.value,
                partner_id=principal.partner_id,
                field_groups=self.operation.field_groups,
                operation_name=self.operation.name,
                operation_hash=self.operation.hash,
                purpose=None if purpose is None else purpose[:100],
                request_id=uuid.uuid4().hex,
            )
        )
        read.clear()  # a socket records each event's reads once

    @classmethod
    def for_request(
        cls,
        *,
        engine: AsyncEngine,
        settings: Settings,
        principal: Principal | None,
        request: Request | None = None,
        recommender: Recommender | None = None,
        recorder: AccessRecorder | None = None,
    ) -> Context:
        db = RequestDatabase(engine)
        now = dt.datetime.now(dt.UTC)
        return cls(
            settings=settings,
            db=db,
            loaders=loaders_for(db=db, now=now, recommender=recommender, principal=principal),
            now=now,
            principal=principal,
            cost_budget=None if principal is None else principal.cost_budget,
            request=request,
            recorder=recorder,
            secret_key=settings.secret_key.get_secret_value(),
        )


def loaders_for(
    *,
    db: RequestDatabase,
    now: dt.datetime,
    recommender: Recommender | None,
    principal: Principal | None,
) -> Loaders:
    """Fresh loaders that read only what ``principal`` may see."""
    return Loaders(
        db=db,
        now=now,
        recommender=recommender,
        scope=customer_scope_of(principal),
        shows_pii=principal is not None and principal.has(Scope.CUSTOMER_PII),
    )


def customer_scope_of(principal: Principal | None) -> CustomerScope:
    """The customers ``principal`` may see, from its role and what its token names."""
    if principal is None:
        return CustomerScope(nothing=True)
    match principal.role:
        case Role.PARTNER:
            if principal.partner_id is None:
                return CustomerScope(nothing=True)
            return CustomerScope(partner_id=principal.partner_id)
        case Role.CUSTOMER:
            if principal.customer_id is None:
                return CustomerScope(nothing=True)
            return CustomerScope(customer_id=principal.customer_id)
        case _:
            if principal.branch is not None:
                return CustomerScope(branch=principal.branch)
            return UNRESTRICTED


GraphQLInfo: TypeAlias = Info[Context, None]
