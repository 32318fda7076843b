"""Global object ids: opaque strings that name a type and a primary key.

An id is the URL-safe base64 of ``"<GraphQL type name>:<primary key>"``, without
padding. Clients must treat it as opaque; the encoding only has to be stable, and it
lets ``node(id)`` find the type without a lookup table in the database.
"""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache

from c360.errors import InvalidIdError

__all__ = ["NODE_TYPE_NAMES", "decode_id", "decode_id_of", "encode_id"]

# The types ``node(id)`` resolves; an id naming any other type is malformed. (The node
# module checks at import that it can resolve exactly these.)
NODE_TYPE_NAMES = frozenset(
    {
        "Attachment",
        "Consent",
        "ContactPoint",
        "Customer",
        "Holding",
        "Interaction",
        "LedgerEntry",
        "LoyaltyAccount",
        "Product",
        "SupportTicket",
        "WarrantyClaim",
        "WarrantyPolicy",
    }
)
_MAX_ID_LENGTH = 200
_MAX_PK = 2**63 - 1


# Cached: a page of 50 customers encodes about 1,000 ids (every holding, product,
# account...), and products, programs and tiers repeat on every page. Bounded.
@lru_cache(maxsize=16384)
def encode_id(type_name: str, pk: int) -> str:
    raw = f"{type_name}:{pk}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_id(global_id: str) -> tuple[str, int]:
    """(type name, primary key) of a well-formed id."""
    if len(global_id) > _MAX_ID_LENGTH:
        raise InvalidIdError("not a valid id")
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        raw = base64.b64decode(padded, altchars=b"-_", validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidIdError(f"not a valid id: {global_id!r}") from None
    type_name, _, pk = raw.partition(":")
    if type_name not in NODE_TYPE_NAMES or not pk.isascii() or not pk.isdigit():
        raise InvalidIdError(f"not a valid id: {global_id!r}")
    if int(pk) > _MAX_PK:  # would overflow a BIGINT bind parameter
        raise InvalidIdError(f"not a valid id: {global_id!r}")
    return type_name, int(pk)


def decode_id_of(type_name: str, global_id: str) -> int:
    """The primary key of an id that must be of ``type_name``."""
    actual, pk = decode_id(global_id)
    if actual != type_name:
        raise InvalidIdError(f"expected the id of a {type_name}, got the id of a {actual}")
    return pk
