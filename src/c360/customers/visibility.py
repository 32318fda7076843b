"""Which customers a caller may see, as a SQL condition on the ``customer`` table.

Row scoping is applied in the statement that reads customers (by id, listed, searched,
counted), never by filtering rows after fetching them: a page holds only visible
customers, ``totalCount`` counts only them, and nothing else leaves the database.

- a partner sees customers whose newest PARTNER_SHARING consent for that partner grants it,
  so a revocation hides the customer from the next statement on;
- a signed-in customer sees itself;
- a teller whose token names a branch sees that branch's customers;
- everyone else (staff) sees every customer.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Table, and_, false

from c360.consent.models import ConsentPurpose
from c360.consent.repository import granted_now
from c360.customers.models import Customer

__all__ = ["UNRESTRICTED", "CustomerScope", "visible_condition"]

customer: Table = Customer.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerScope:
    """The rows a caller is limited to; ``CustomerScope()`` limits nothing."""

    partner_id: int | None = None
    customer_id: int | None = None
    branch: str | None = None
    # A principal that should be limited but lacks what it is limited to (a partner
    # token without a partner, say) sees nothing: deny by default.
    nothing: bool = False

    @property
    def unrestricted(self) -> bool:
        return (
            not self.nothing
            and self.partner_id is None
            and self.customer_id is None
            and self.branch is None
        )


UNRESTRICTED = CustomerScope()


def visible_condition(
    scope: CustomerScope, *, ids_above: int | None = None, ids_below: int | None = None
) -> ColumnElement[bool] | None:
    """The WHERE clause on ``customer`` for ``scope``; None when it limits nothing.

    A caller that reads only ids above ``ids_above`` (or below ``ids_below``), as a page
    in id order after a cursor does, says so here too: the partner's rule then repeats
    the range on the consent rows, so that PostgreSQL reads the partner's consents from
    the cursor on (it does not carry a range across the join's equality by itself) and
    stops after a page, instead of reading them from the first. Other scopes ignore it.
    """
    if scope.nothing:
        return false()
    clauses: list[ColumnElement[bool]] = []
    if scope.customer_id is not None:
        clauses.append(customer.c.id == scope.customer_id)
    if scope.branch is not None:
        clauses.append(customer.c.home_branch == scope.branch)
    if scope.partner_id is not None:
        clauses.append(
            granted_now(
                customer.c.id,
                ConsentPurpose.PARTNER_SHARING,
                partner_id=scope.partner_id,
                ids_above=ids_above,
                ids_below=ids_below,
            )
        )
    if not clauses:
        return None
    return and_(*clauses)
