"""What the write mutations share: input ids to primary keys, and error field paths.

A refusal names the offending input field as a path from the mutation's argument, e.g.
``["input", "customerId"]``; the domains name their arguments in snake_case.
"""

from __future__ import annotations

from c360.errors import InvalidIdError
from c360.graphql.ids import decode_id_of
from c360.validation import InvalidInput

__all__ = ["input_path", "optional_pk", "pk"]


def pk(type_name: str, global_id: str, field: str) -> int:
    """The primary key behind ``global_id``; ``InvalidInput`` on ``field`` when it is not
    the id of a ``type_name``."""
    try:
        return decode_id_of(type_name, global_id)
    except InvalidIdError as error:
        raise InvalidInput(field, error.message) from None


def optional_pk(type_name: str, global_id: str | None, field: str) -> int | None:
    return None if global_id is None else pk(type_name, global_id, field)


def input_path(field: str | None) -> list[str] | None:
    """``customer_id`` -> ``["input", "customerId"]``."""
    if field is None:
        return None
    head, *rest = field.split("_")
    return ["input", head + "".join(part.title() for part in rest)]
