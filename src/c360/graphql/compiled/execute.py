"""The direct executor: a plan walked level by level, every object of a level at once.

graphql-core completes one field of one object at a time, with a resolve-info, a
path, middleware and type checks for each; most fields of a customer view are plain
attributes of an object built from a row, and a page of 50 customers has thousands of
them. This executor calls the same resolvers (strawberry's, so arguments, permissions
and loaders behave as they always do) and the same leaf serialisers, but:

- a level's resolvers run for all of its objects before anything is awaited, so every
  loader of the level dispatches in one tick (and the request's reads of that tick
  travel as one statement, ``c360.graphql.db``);
- a plain field is a ``getattr``;
- arguments are coerced once per field per request, not once per object.

It gives up (``Unanswerable``) at the first error of any kind, a null where the schema
says non-null included: the caller then answers the request through graphql-core, which
reports errors the way clients expect (partial data, paths, codes).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from decimal import Decimal
from enum import Enum
from inspect import isawaitable
from typing import Any

from graphql.execution.values import get_argument_values
from strawberry.types.arguments import convert_arguments
from strawberry.types.info import Info

from c360.graphql.compiled.plan import FieldPlan, OperationPlan, SelectionPlan
from graphql import GraphQLSchema, Undefined

__all__ = ["Unanswerable", "execute_plan", "observe"]


class Unanswerable(Exception):
    """The direct executor cannot answer this request; graphql-core must."""


class _Info:
    """What a c360 resolver reads of its info: the context (nothing else, by rule)."""

    __slots__ = ("context", "field_name", "schema", "operation", "variable_values")

    def __init__(
        self, context: Any, schema: GraphQLSchema, plan: OperationPlan, variables: Any
    ) -> None:
        self.context = context
        self.field_name = ""
        self.schema = schema
        self.operation = plan.operation
        self.variable_values = variables


async def execute_plan(
    plan: OperationPlan,
    schema: GraphQLSchema,
    context: Any,
    variables: Any,
    *,
    scalar_registry: Any,
    config: Any,
) -> dict[str, Any]:
    """The ``data`` of the response; raises ``Unanswerable`` on any error.

    ``scalar_registry`` and ``config`` are the strawberry schema's, for converting the
    arguments of the resolvers called directly.
    """
    run = _Run(_Info(context, schema, plan, variables), variables, scalar_registry, config)
    try:
        (data,) = await run.objects(plan.root, [None])
    except Unanswerable:
        raise
    except Exception as exc:
        raise Unanswerable(str(exc)) from exc
    return data


class _Run:
    __slots__ = ("info", "variables", "arguments", "calls", "scalar_registry", "config", "loop")

    def __init__(self, info: _Info, variables: Any, scalar_registry: Any, config: Any) -> None:
        self.info = info
        self.variables = variables
        self.arguments: dict[int, dict[str, Any]] = {}
        self.calls: dict[int, tuple[Any, bool, dict[str, Any]]] = {}
        self.scalar_registry = scalar_registry
        self.config = config
        # Looked up once: on Python 3.11 each asyncio.get_running_loop() is a getpid()
        # system call, and a teller's view has dozens of levels and fields to await.
        self.loop = asyncio.get_running_loop()

    def _call(self, field: FieldPlan) -> tuple[Any, bool, dict[str, Any]]:
        """(the resolver, whether it takes the source first, its keyword arguments):
        what strawberry's wrapper works out on every call, once per request."""
        found = self.calls.get(id(field))
        if found is None:
            definition = field.strawberry_field
            resolver = definition.base_resolver
            info = Info(_raw_info=self.info, _field=definition)  # type: ignore[arg-type]
            if field.constant_arguments is not None:
                kwargs = dict(field.constant_arguments)
            else:
                kwargs = convert_arguments(
                    self._arguments(field) if field.has_arguments else {},
                    definition.arguments,
                    scalar_registry=self.scalar_registry,
                    config=self.config,
                    info=info,
                )
                if field.arguments_fixed and all(map(_immutable, kwargs.values())):
                    # The same for every request: converted once for the plan.
                    field.constant_arguments = dict(kwargs)
            if resolver.info_parameter is not None:
                kwargs[resolver.info_parameter.name] = info
            found = (resolver, resolver.self_parameter is not None, kwargs)
            self.calls[id(field)] = found
        return found

    def _arguments(self, field: FieldPlan) -> dict[str, Any]:
        found = self.arguments.get(id(field))
        if found is None:
            assert field.definition is not None
            found = self.arguments[id(field)] = get_argument_values(
                field.definition, field.node, self.variables
            )
        return found

    async def objects(self, selection: SelectionPlan, sources: list[Any]) -> list[dict[str, Any]]:
        """Each of ``sources`` answered with ``selection``."""
        outputs = [dict.fromkeys(selection.keys) for _ in sources]
        info = self.info
        resolved: list[list[Any]] = []
        waiting: list[Any] = []
        places: list[tuple[int, int]] = []
        created: list[Any] = []  # every value made so far, to close on the way out
        try:
            for index, field in enumerate(selection.fields):
                if field.typename is not None:
                    resolved.append([field.typename] * len(sources))
                    continue
                if field.attribute is not None:
                    name = field.attribute
                    resolved.append([getattr(source, name) for source in sources])
                    continue
                values: list[Any] = []
                resolved.append(values)
                if field.strawberry_field is not None:
                    resolver, takes_source, kwargs = self._call(field)
                    for source in sources:
                        value = resolver(source, **kwargs) if takes_source else resolver(**kwargs)
                        values.append(value)
                        created.append(value)
                else:
                    kwargs = self._arguments(field) if field.has_arguments else {}
                    resolve = field.resolve
                    for source in sources:
                        value = resolve(source, info, **kwargs)
                        values.append(value)
                        created.append(value)
                for position, value in enumerate(values):
                    if isawaitable(value):
                        waiting.append(value)
                        places.append((index, position))
        except BaseException:
            _discard(created)  # a later field failed: the earlier coroutines never run
            raise
        if waiting:
            answers = await _all(waiting, self.loop)
            for (index, position), value in zip(places, answers, strict=True):
                resolved[index][position] = value
        children = []
        for field, values in zip(selection.fields, resolved, strict=True):
            key = field.key
            if field.selection is None:
                self._leaves(field, values, outputs, key)
            else:
                children.append(self._nested(field, values, outputs, key))
        if children:
            await _all(children, self.loop)
        return outputs

    def _leaves(
        self, field: FieldPlan, values: list[Any], outputs: list[dict[str, Any]], key: str
    ) -> None:
        if field.typename is not None:
            for output, value in zip(outputs, values, strict=True):
                output[key] = value
            return
        serialize, passes = field.serialize, field.passes
        assert serialize is not None
        for output, value in zip(outputs, values, strict=True):
            if value is None:
                if not field.nullable:
                    raise Unanswerable(f"null for the non-null {field.name}")
                output[key] = None
            elif type(value) is passes:
                output[key] = value  # what the serialiser would return
            elif field.is_list:
                output[key] = [self._leaf(field, item) for item in value]
            else:
                serialized = serialize(value)
                if serialized is None or serialized is Undefined:
                    raise Unanswerable(f"{field.name} did not serialise")
                output[key] = serialized

    @staticmethod
    def _leaf(field: FieldPlan, value: Any) -> Any:
        if value is None:
            if field.is_list and field.items_nullable:
                return None
            raise Unanswerable(f"null for the non-null {field.name}")
        if type(value) is field.passes:
            return value
        serialized = field.serialize(value)  # type: ignore[misc]
        if serialized is None or serialized is Undefined:
            raise Unanswerable(f"{field.name} did not serialise")
        return serialized

    async def _nested(
        self, field: FieldPlan, values: list[Any], outputs: list[dict[str, Any]], key: str
    ) -> None:
        assert field.selection is not None
        # Every child object of every parent, answered in one pass.
        children: list[Any] = []
        for position, (output, value) in enumerate(zip(outputs, values, strict=True)):
            if value is None:
                if not field.nullable:
                    raise Unanswerable(f"null for the non-null {field.name}")
                output[key] = None
            elif field.is_list:
                items = values[position] = list(value)  # iterated twice
                for item in items:
                    if item is None:
                        if not field.items_nullable:
                            raise Unanswerable(f"null item in {field.name}")
                    else:
                        children.append(item)
            else:
                children.append(value)
        answered = iter(await self.objects(field.selection, children)) if children else iter(())
        for output, value in zip(outputs, values, strict=True):
            if value is None:
                continue
            if field.is_list:
                output[key] = [None if item is None else next(answered) for item in value]
            else:
                output[key] = next(answered)


async def _all(awaitables: list[Any], loop: asyncio.AbstractEventLoop) -> list[Any]:
    """``asyncio.gather``, except that the first failure stops the rest (the request is
    about to be answered another way, and nothing of this one may run on beside it), and
    that no coroutine gets a task of its own.

    Each coroutine runs at once, in this tick, until it first waits. Most resolvers below
    the first level await loader futures that are already done (a policy's claims came
    with the customer, the summary reads the sections' rows) and finish there. One that
    does wait is resumed by a callback on the future it waits for, as a task would be,
    but without the task: a web page's 150 waiting resolvers cost a task, a wrapper
    coroutine and two extra loop turns each. The futures are never cancelled from here
    (the loaders share one future per key among all the fields that ask for it).
    """
    driver = _Driver(loop, len(awaitables))
    try:
        for index, each in enumerate(awaitables):
            if not asyncio.iscoroutine(each):
                each = _awaiting(each)
            driver.step(index, each)
    except BaseException:
        _discard(awaitables[index + 1 :])  # never started
        driver.stop()
        raise
    if driver.parked:
        driver.finished = loop.create_future()
        try:
            await driver.finished
        except BaseException:
            driver.stop()
            raise
    return driver.results


async def _awaiting(awaitable: Any) -> Any:
    return await awaitable


class _Driver:
    """Drives coroutines the way tasks would: ``step`` runs one until it waits on a
    future, and a done-callback on that future runs it on."""

    __slots__ = ("loop", "results", "waiting", "parked", "finished", "stopped")

    def __init__(self, loop: asyncio.AbstractEventLoop, size: int) -> None:
        self.loop = loop
        self.results: list[Any] = [None] * size
        # future -> the (index, coroutine) pairs waiting for it
        self.waiting: dict[asyncio.Future[Any], list[tuple[int, Any]]] = {}
        self.parked = 0  # coroutines waiting
        self.finished: asyncio.Future[None] | None = None  # set when none is left
        self.stopped = False

    def step(self, index: int, coroutine: Any) -> None:
        """Run ``coroutine`` until it returns (its result is kept) or waits for a future
        not yet done (it is parked on it); its error propagates."""
        send = coroutine.send
        while True:
            try:
                yielded = send(None)
            except StopIteration as returned:
                self.results[index] = returned.value
                return
            if yielded is None:  # a bare yield (asyncio.sleep(0)): on at the next turn
                yielded = self.loop.create_future()
                self.loop.call_soon(yielded.set_result, None)
            elif getattr(yielded, "_asyncio_future_blocking", None) is None:
                coroutine.close()  # what a task would refuse too
                raise Unanswerable(f"a resolver yielded {yielded!r}")
            else:
                yielded._asyncio_future_blocking = False
                if yielded.done():
                    continue  # Future.__await__ returns its result on the next send
            waiters = self.waiting.get(yielded)
            if waiters is None:
                self.waiting[yielded] = [(index, coroutine)]
                yielded.add_done_callback(self._wake)
            else:
                waiters.append((index, coroutine))
            self.parked += 1
            return

    def _wake(self, future: asyncio.Future[Any]) -> None:
        waiters = self.waiting.pop(future, None)
        if waiters is None or self.stopped:
            return
        self.parked -= len(waiters)
        for position, (index, coroutine) in enumerate(waiters):
            try:
                self.step(index, coroutine)
            except BaseException as exc:
                for _, rest in waiters[position + 1 :]:
                    _close(rest)
                self.stop()
                if self.finished is not None and not self.finished.done():
                    if isinstance(exc, asyncio.CancelledError):
                        self.finished.cancel()
                    else:
                        self.finished.set_exception(exc)
                if not isinstance(exc, (Exception, asyncio.CancelledError)):
                    raise
                return
        if not self.parked and self.finished is not None and not self.finished.done():
            self.finished.set_result(None)

    def stop(self) -> None:
        """Close every parked coroutine; whatever their futures end with, nobody looks."""
        self.stopped = True
        waiting, self.waiting = self.waiting, {}
        for future, waiters in waiting.items():
            future.remove_done_callback(self._wake)
            future.add_done_callback(observe)
            for _, coroutine in waiters:
                _close(coroutine)
        self.parked = 0


def _close(coroutine: Any) -> None:
    # RuntimeError: it awaited in its cleanup, and nothing more can be done for it.
    with contextlib.suppress(RuntimeError):
        coroutine.close()


_IMMUTABLE = (str, int, float, Decimal, dt.date, dt.time, Enum, type(None))


def _immutable(value: Any) -> bool:
    """Whether a converted argument can be shared by requests (a resolver could change
    a list or an input object it was given)."""
    return isinstance(value, _IMMUTABLE)


def _discard(values: list[Any]) -> None:
    for value in values:
        if asyncio.iscoroutine(value):
            value.close()


def observe(future: asyncio.Future[Any]) -> None:
    """A done callback for a future nobody may await: takes its error, so that asyncio
    does not log it as never retrieved."""
    if not future.cancelled():
        future.exception()
