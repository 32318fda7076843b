"""The principal: who is asking, with what scopes, limited to which rows."""

from __future__ import annotations

from dataclasses import dataclass

from c360.auth.scopes import STAFF_ROLES, Role, Scope

__all__ = ["Principal"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """An authenticated caller.

    ``subject`` is what the access audit records: ``token:<id>`` for an opaque token,
    ``jwt:<issuer>#<sub>`` for a signed-in user. The row limits are set by the role:
    a partner sees customers who consented to share with ``partner_id``, a customer
    sees ``customer_id`` only, a teller with a ``branch`` sees that branch's customers.
    """

    subject: str
    role: Role
    scopes: frozenset[Scope]
    name: str = ""
    token_id: int | None = None
    partner_id: int | None = None
    customer_id: int | None = None
    branch: str | None = None
    # The most one query may cost (c360.graphql.limits); None: the server's default.
    cost_budget: int | None = None

    def has(self, scope: Scope) -> bool:
        return scope in self.scopes

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def may_introspect(self) -> bool:
        # The schema is the bank's to read; partners and customers get the documented API.
        return self.is_staff
