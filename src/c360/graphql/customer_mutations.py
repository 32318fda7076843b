"""``createCustomer``, ``updateCustomer``, ``addContactPoint``, ``updateContactPoint``,
``removeContactPoint``.

Each returns a ``...Success`` or a ``CustomerError``: a refusal the client can act on is
data (a ``CustomerErrorCode`` and the input field at fault), never a top-level error.
The writes run in ``c360.customers.service``, one transaction each with the history
rows, on a connection of their own: the request's shared connection is a read-only
snapshot. A customer the caller may not see is answered exactly as a missing one.

In an update, a field left out is kept and a field given as null is cleared (strawberry's
``UNSET`` tells the two apart). Nested fields of the returned customer (``contactPoints``,
``history``) read through the request's snapshot, which a second mutation in the same
document does not refresh; the customer's own columns come from the write itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeAlias, TypeVar

import strawberry

from c360.auth.scopes import Scope
from c360.customers import contacts, service
from c360.customers import errors as customer_errors
from c360.customers.contact_validation import CONTACT_FIELDS
from c360.customers.errors import CustomerErrorCode
from c360.customers.history import Author
from c360.customers.validation import PROFILE_FIELDS
from c360.errors import InvalidIdError
from c360.graphql.context import GraphQLInfo
from c360.graphql.customer_inputs import (
    AddContactPointInput,
    ContactPointInput,
    CreateCustomerInput,
    RemoveContactPointInput,
    UpdateContactPointInput,
    UpdateCustomerInput,
)
from c360.graphql.customers import ContactPoint, Customer
from c360.graphql.ids import decode_id_of, encode_id
from c360.graphql.permissions import requires

__all__ = ["CustomerMutation"]

T = TypeVar("T")

strawberry.enum(
    CustomerErrorCode,
    name="CustomerErrorCode",
    description="Why a change to a customer was refused. Nothing was written.",
)


@strawberry.type(description="The customer as it is after the change.")
class CustomerSuccess:
    customer: Customer


@strawberry.type(description="The contact point as it is after the change, and its customer.")
class ContactPointSuccess:
    contact_point: ContactPoint
    customer: Customer


@strawberry.type(description="The contact point was removed; its history stays.")
class RemoveContactPointSuccess:
    removed_contact_point_id: strawberry.ID
    customer: Customer


@strawberry.type(description="A refused change to a customer. Nothing was written.")
class CustomerError:
    code: CustomerErrorCode
    message: str
    field: list[str] | None = strawberry.field(
        description="The path of the offending input field, e.g. [input, contactPoints, 0, value]."
    )


CustomerResult: TypeAlias = Annotated[
    CustomerSuccess | CustomerError, strawberry.union("CustomerResult")
]
ContactPointResult: TypeAlias = Annotated[
    ContactPointSuccess | CustomerError, strawberry.union("ContactPointResult")
]
RemoveContactPointResult: TypeAlias = Annotated[
    RemoveContactPointSuccess | CustomerError, strawberry.union("RemoveContactPointResult")
]

_WRITE = requires(Scope.CUSTOMER_WRITE)


@strawberry.type
class CustomerMutation:
    @strawberry.mutation(description="Create a customer.", directives=_WRITE)
    async def create_customer(
        self, info: GraphQLInfo, input: CreateCustomerInput
    ) -> CustomerResult:
        async def run() -> CustomerSuccess:
            row = await service.create_customer(
                info.context.db.engine,
                party_type=input.party_type,
                profile={field: getattr(input, field) for field in PROFILE_FIELDS},
                national_id=input.national_id,
                contact_points=[_draft(contact) for contact in input.contact_points or ()],
                author=_author(info, "createCustomer"),
                secret_key=info.context.secret_key,
                now=info.context.now,
            )
            return CustomerSuccess(customer=Customer.from_row(row, pii=info.context.shows_pii))

        return await _respond(run)

    @strawberry.mutation(
        description="Change a customer's profile, if nobody changed it since `version`.",
        directives=_WRITE,
    )
    async def update_customer(
        self, info: GraphQLInfo, input: UpdateCustomerInput
    ) -> CustomerResult:
        async def run() -> CustomerSuccess:
            customer_id = await _visible_customer(info, input.id, field="id")
            fields = (*PROFILE_FIELDS, "national_id")
            row = await service.update_customer(
                info.context.db.engine,
                customer_id=customer_id,
                version=input.version,
                changes=_given(input, fields),
                author=_author(info, "updateCustomer"),
                secret_key=info.context.secret_key,
                now=info.context.now,
            )
            _forget(info)
            return CustomerSuccess(customer=Customer.from_row(row, pii=info.context.shows_pii))

        return await _respond(run)

    @strawberry.mutation(description="Add an email, a phone or an address.", directives=_WRITE)
    async def add_contact_point(
        self, info: GraphQLInfo, input: AddContactPointInput
    ) -> ContactPointResult:
        async def run() -> ContactPointSuccess:
            customer_id = await _visible_customer(info, input.customer_id, field="customer_id")
            result = await contacts.add_contact_point(
                info.context.db.engine,
                customer_id=customer_id,
                draft=_draft(input),
                author=_author(info, "addContactPoint"),
                now=info.context.now,
            )
            _forget(info)
            return _contact_success(info, result)

        return await _respond(run)

    @strawberry.mutation(description="Change a contact point.", directives=_WRITE)
    async def update_contact_point(
        self, info: GraphQLInfo, input: UpdateContactPointInput
    ) -> ContactPointResult:
        async def run() -> ContactPointSuccess:
            contact_point_id, customer_id = await _visible_contact_point(info, input.id)
            result = await contacts.update_contact_point(
                info.context.db.engine,
                customer_id=customer_id,
                contact_point_id=contact_point_id,
                changes=_given(input, CONTACT_FIELDS),
                author=_author(info, "updateContactPoint"),
                now=info.context.now,
            )
            _forget(info)
            return _contact_success(info, result)

        return await _respond(run)

    @strawberry.mutation(description="Remove a contact point.", directives=_WRITE)
    async def remove_contact_point(
        self, info: GraphQLInfo, input: RemoveContactPointInput
    ) -> RemoveContactPointResult:
        async def run() -> RemoveContactPointSuccess:
            contact_point_id, customer_id = await _visible_contact_point(info, input.id)
            result = await contacts.remove_contact_point(
                info.context.db.engine,
                customer_id=customer_id,
                contact_point_id=contact_point_id,
                author=_author(info, "removeContactPoint"),
                now=info.context.now,
            )
            _forget(info)
            return RemoveContactPointSuccess(
                removed_contact_point_id=strawberry.ID(
                    encode_id("ContactPoint", result.contact_point.id)
                ),
                customer=Customer.from_row(result.customer, pii=info.context.shows_pii),
            )

        return await _respond(run)


async def _respond(run: Callable[[], Awaitable[T]]) -> T | CustomerError:
    try:
        return await run()
    except customer_errors.CustomerError as error:
        return CustomerError(
            code=error.code,
            message=error.message,
            field=None if error.field is None else ["input", *map(_camel, error.field)],
        )


def _author(info: GraphQLInfo, via: str) -> Author:
    principal = info.context.principal
    return Author(actor="anonymous" if principal is None else principal.subject, via=via)


async def _visible_customer(info: GraphQLInfo, global_id: str, *, field: str) -> int:
    customer_id = _pk("Customer", global_id, field)
    if not await info.context.customer_visible(customer_id):
        raise customer_errors.CustomerError(
            CustomerErrorCode.CUSTOMER_NOT_FOUND, "no such customer", field=(field,)
        )
    return customer_id


async def _visible_contact_point(info: GraphQLInfo, global_id: str) -> tuple[int, int]:
    """(contact point id, its customer's id); a contact point of a customer the caller may
    not see is answered as a missing one."""
    contact_point_id = _pk("ContactPoint", global_id, "id")
    owner = await contacts.contact_point_owner(info.context.db.engine, contact_point_id)
    if owner is None or not await info.context.customer_visible(owner):
        raise customer_errors.CustomerError(
            CustomerErrorCode.CONTACT_POINT_NOT_FOUND, "no such contact point", field=("id",)
        )
    return contact_point_id, owner


def _contact_success(info: GraphQLInfo, result: contacts.ContactResult) -> ContactPointSuccess:
    pii = info.context.shows_pii
    return ContactPointSuccess(
        contact_point=ContactPoint.from_row(result.contact_point, pii=pii),
        customer=Customer.from_row(result.customer, pii=pii),
    )


def _draft(contact: ContactPointInput) -> contacts.ContactDraft:
    return contacts.ContactDraft(
        kind=contact.kind, values={field: getattr(contact, field) for field in CONTACT_FIELDS}
    )


def _given(input: object, fields: tuple[str, ...] | dict[str, str]) -> dict[str, Any]:
    """The fields the client gave, null included; a field left out is not there."""
    given = {field: getattr(input, field) for field in fields}
    return {field: value for field, value in given.items() if value is not strawberry.UNSET}


def _forget(info: GraphQLInfo) -> None:
    """Drop what this request's loaders cached about customers: it predates the write."""
    loaders = info.context.loaders
    for loader in (
        loaders.customer_by_id,
        loaders.contact_points_by_customer_id,
        loaders.contact_point_by_id,
        loaders.customer_changes_by_customer_id,
        loaders.customer_change_count_by_customer_id,
    ):
        loader.clear_all()


def _pk(type_name: str, global_id: str, field: str) -> int:
    try:
        return decode_id_of(type_name, global_id)
    except InvalidIdError as error:
        raise customer_errors.CustomerError(
            CustomerErrorCode.INVALID_ID, error.message, field=(field,)
        ) from None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
