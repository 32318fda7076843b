"""Scopes declared on the schema.

Every object type that holds customer data and every root or mutation field names the
scope it needs with the ``@requiresScope`` directive, so the committed SDL shows who may
read what::

    type LoyaltyAccount implements Node @requiresScope(scope: "loyalty:read") { ... }
    type Mutation { earnPoints(...): EarnPointsResult! @requiresScope(scope: "loyalty:write") }

A field's own directive wins over its type's. Declare it with::

    @strawberry.type(directives=requires(Scope.LOYALTY_READ))
    @strawberry.mutation(directives=requires(Scope.LOYALTY_WRITE))
"""

from __future__ import annotations

import strawberry
from strawberry.schema_directive import Location

from c360.auth.scopes import Scope

__all__ = ["RequiresScope", "declared_scope", "requires"]


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION, Location.OBJECT],
    name="requiresScope",
    description="The token scope a caller needs to select this field or any field of this type.",
)
class RequiresScope:
    scope: str


def requires(scope: Scope) -> list[object]:
    """The ``directives=`` value for a type or field that needs ``scope``."""
    return [RequiresScope(scope=scope.value)]


def declared_scope(definition: object) -> Scope | None:
    """The scope a strawberry type or field definition declares, if any."""
    for directive in getattr(definition, "directives", None) or ():
        if isinstance(directive, RequiresScope):
            return Scope(directive.scope)
    return None
