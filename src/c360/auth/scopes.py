"""Scopes and roles. Deny by default: a principal holds exactly the scopes listed here
for its role, or the narrower set its token names.

A scope names a field group and an access level, ``<group>:<read|write>``, except
``customer:pii``, which unmasks personal data (contact details, birth date and
identifiers in clear) on top of ``customer:read``.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ROLE_SCOPES", "Role", "Scope", "STAFF_ROLES", "allowed_scopes", "default_scopes"]


class Scope(StrEnum):
    CUSTOMER_READ = "customer:read"
    CUSTOMER_PII = "customer:pii"
    CUSTOMER_WRITE = "customer:write"
    HOLDINGS_READ = "holdings:read"
    LOYALTY_READ = "loyalty:read"
    LOYALTY_WRITE = "loyalty:write"
    WARRANTY_READ = "warranty:read"
    WARRANTY_WRITE = "warranty:write"
    INTERACTIONS_READ = "interactions:read"
    INTERACTIONS_WRITE = "interactions:write"
    CONSENTS_READ = "consents:read"
    CONSENTS_WRITE = "consents:write"
    RECOMMENDATIONS_READ = "recommendations:read"
    RECOMMENDATIONS_WRITE = "recommendations:write"
    AUDIT_READ = "audit:read"


class Role(StrEnum):
    ADMIN = "admin"
    TELLER = "teller"
    MARKETING = "marketing"
    SERVICE = "service"  # another system of the bank, e.g. the loyalty engine or a shop
    PARTNER = "partner"  # an external organisation: sees consenting customers only
    CUSTOMER = "customer"  # a signed-in customer in a self-service app: sees itself only


STAFF_ROLES = frozenset({Role.ADMIN, Role.TELLER, Role.MARKETING, Role.SERVICE})

S = Scope
_READ_ALL = frozenset(
    {
        S.CUSTOMER_READ,
        S.HOLDINGS_READ,
        S.LOYALTY_READ,
        S.WARRANTY_READ,
        S.INTERACTIONS_READ,
        S.CONSENTS_READ,
        S.RECOMMENDATIONS_READ,
    }
)
_WRITE_ALL = frozenset(
    {
        S.CUSTOMER_WRITE,
        S.LOYALTY_WRITE,
        S.WARRANTY_WRITE,
        S.INTERACTIONS_WRITE,
        S.CONSENTS_WRITE,
        S.RECOMMENDATIONS_WRITE,
    }
)

# role -> (scopes a token of that role gets when it names none, the most it may be given)
ROLE_SCOPES: dict[Role, tuple[frozenset[Scope], frozenset[Scope]]] = {
    Role.ADMIN: (frozenset(Scope), frozenset(Scope)),
    Role.TELLER: (
        _READ_ALL | _WRITE_ALL | {S.CUSTOMER_PII},
        _READ_ALL | _WRITE_ALL | {S.CUSTOMER_PII},
    ),
    # Marketing builds campaigns on behaviour, not on who the person is: no PII by default.
    Role.MARKETING: (
        frozenset(
            {
                S.CUSTOMER_READ,
                S.HOLDINGS_READ,
                S.LOYALTY_READ,
                S.CONSENTS_READ,
                S.RECOMMENDATIONS_READ,
            }
        ),
        _READ_ALL | {S.RECOMMENDATIONS_WRITE},
    ),
    Role.SERVICE: (
        frozenset(
            {S.CUSTOMER_READ, S.LOYALTY_READ, S.LOYALTY_WRITE, S.WARRANTY_READ, S.WARRANTY_WRITE}
        ),
        _READ_ALL | _WRITE_ALL | {S.CUSTOMER_PII},
    ),
    Role.PARTNER: (
        frozenset({S.CUSTOMER_READ, S.LOYALTY_READ}),
        frozenset(
            {
                S.CUSTOMER_READ,
                S.CUSTOMER_PII,
                S.LOYALTY_READ,
                S.LOYALTY_WRITE,
                S.WARRANTY_READ,
                S.WARRANTY_WRITE,
                S.RECOMMENDATIONS_READ,
            }
        ),
    ),
    # A customer sees all of its own data, in clear, and who looked at it.
    Role.CUSTOMER: (
        _READ_ALL | {S.CUSTOMER_PII, S.AUDIT_READ, S.CONSENTS_WRITE, S.RECOMMENDATIONS_WRITE},
        _READ_ALL | {S.CUSTOMER_PII, S.AUDIT_READ, S.CONSENTS_WRITE, S.RECOMMENDATIONS_WRITE},
    ),
}


def default_scopes(role: Role) -> frozenset[Scope]:
    return ROLE_SCOPES[role][0]


def allowed_scopes(role: Role) -> frozenset[Scope]:
    return ROLE_SCOPES[role][1]
