"""A customer's sections read in the same statement as the customer itself.

A query for one customer by id (the teller's screen) reads level by level: first the
customer, then, once it is known to exist and be visible, every section of it. Both
levels are keyed by the id the query names, so they could travel together; only the
order of resolvers keeps them apart. ``CustomerPrefetch`` learns, per plan, which
loader keys answering the plan used that start with the customer's id (the sections,
with their arguments), and from then on asks for them in the same tick as the customer:
one statement instead of two.

Nothing is shown that would not have been: the loaders fill their caches, and only the
resolvers read them, after the customer has been found visible. Only the loaders whose
keys are customer ids take part: by the naming rule of ``Loaders``, ``customer_by_id``
and every ``*_by_customer_id``. A learned key that a later request does not need
(another ``first:`` in its variables, say) costs a wasted read, not a wrong answer.

What hangs under a section (a policy's claims, an account's points expiring) is keyed
by the section's own ids, known only a level later; for those, a loader keyed by the
customer (``_FILLED_BY_CUSTOMER``) reads them for all of the customer's sections in the
same statement and fills the section-keyed loader's cache. The teller's view is then
one statement.

Any plan (a search, a list) also learns whether its answers take one statement; one
that does then reads outside a transaction (``RequestDatabase.read_in_one_statement``),
and an answer that needs a second after all is refused it and answered afresh.
"""

from __future__ import annotations

from typing import Any

from aiodataloader import DataLoader
from graphql.execution.values import get_argument_values

from c360.errors import InvalidIdError
from c360.graphql.compiled.execute import observe
from c360.graphql.compiled.plan import FieldPlan, OperationPlan
from c360.graphql.ids import decode_id_of
from graphql import GraphQLNonNull, get_named_type

__all__ = ["CustomerPrefetch"]

_BARE = object()  # a loader keyed by the customer id alone, not (id, arguments)


# Fields whose loaders are keyed by a section's own ids (a policy's, an account's),
# known only a level later, and the loader keyed by the customer that fills them for
# all of a customer's sections at once.
_FILLED_BY_CUSTOMER = {
    ("WarrantyPolicy", "claims"): "warranty_claims_by_customer_id",
    ("LoyaltyAccount", "pointsExpiringSoon"): "points_expiring_soon_by_customer_id",
    ("CustomerSummary", "flags"): "points_expiring_soon_by_customer_id",
}
# Second statements refused before a plan stops trying to read in one.
_REFUSALS = 3


def _keyed_by_customer(loader_name: str) -> bool:
    return loader_name == "customer_by_id" or loader_name.endswith("_by_customer_id")


class CustomerPrefetch:
    def __init__(self, plan: OperationPlan) -> None:
        self._field = _customer_by_id_field(plan)
        self._keys: frozenset[tuple[str, Any]] | None = None
        self._fillers = frozenset() if self._field is None else _fillers(self._field)
        # Whether answers with the learned keys take one statement: None until one
        # has been seen (or after a refused second statement), False once one took
        # more, for good after _REFUSALS refusals.
        self.one_statement: bool | None = None
        self._refusals = 0

    def customer_pk(self, variables: Any) -> int | None:
        """The id of the one customer the plan asks for, or None."""
        if self._field is None or self._field.definition is None:
            return None
        arguments = get_argument_values(self._field.definition, self._field.node, variables)
        try:
            return decode_id_of("Customer", arguments["id"])
        except (InvalidIdError, KeyError, TypeError):
            return None

    def start(self, loaders: Any, pk: int) -> bool:
        """Ask for the learned keys of customer ``pk`` now, in one tick; False when
        nothing has been learned yet."""
        if not self._keys:
            return False
        for name, rest in self._keys:
            loader: DataLoader[Any, Any] = getattr(loaders, name)
            future = loader.load(pk if rest is _BARE else (pk, *rest))
            # Nobody may await it (a section the answer turns out not to need).
            future.add_done_callback(observe)
        return True

    def learn(self, loaders: Any, pk: int, statements: int | None) -> None:
        """Note the keys of ``pk`` that answering the plan used (once per plan, from an
        answer that found the customer: an invisible one shows none of its sections),
        and then whether answers that read them up front take one statement
        (``statements``: how many an answer that started with them took; None for
        one that started before they were learned, concurrently with the learning)."""
        if self._keys is not None:
            if statements is not None and self.one_statement is None and _found(loaders, pk):
                self.one_statement = statements == 1
            return
        if not _found(loaders, pk):
            return
        used = {(filler, _BARE) for filler in self._fillers}
        for name, value in vars(loaders).items():
            if not isinstance(value, DataLoader) or not _keyed_by_customer(name):
                continue
            for key in value._cache:
                if key == pk:
                    used.add((name, _BARE))
                elif isinstance(key, tuple) and key and key[0] == pk:
                    used.add((name, key[1:]))
        self._keys = frozenset(used)

    def learn_statements(self, statements: int) -> None:
        """For a plan that is not about one customer (a search, a list): whether an
        answer took one statement, which then reads outside a transaction too."""
        if self.one_statement is None and statements:
            self.one_statement = statements == 1

    def refused(self) -> None:
        """An answer expected in one statement asked for a second."""
        self._refusals += 1
        self.one_statement = False if self._refusals >= _REFUSALS else None


def _fillers(field: FieldPlan) -> frozenset[str]:
    found: set[str] = set()
    selection = field.selection
    if selection is not None:
        for child in selection.fields:
            filler = _FILLED_BY_CUSTOMER.get((selection.type_name, child.name))
            if filler is not None:
                found.add(filler)
            found |= _fillers(child)
    return frozenset(found)


def _customer_by_id_field(plan: OperationPlan) -> FieldPlan | None:
    if len(plan.root.fields) != 1:
        return None
    field = plan.root.fields[0]
    definition = field.definition
    if definition is None or get_named_type(definition.type).name != "Customer":
        return None
    argument = definition.args.get("id")
    if argument is None or not isinstance(argument.type, GraphQLNonNull):
        return None
    return field


def _found(loaders: Any, pk: int) -> bool:
    loaded = vars(loaders).get("customer_by_id")
    future = None if loaded is None else loaded._cache.get(pk)
    return (
        future is not None
        and future.done()
        and not future.cancelled()
        and future.exception() is None
        and future.result() is not None
    )
