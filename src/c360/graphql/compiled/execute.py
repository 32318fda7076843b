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
            kwargs = convert_arguments(
                self._arguments(field) if field.has_arguments else {},
                definition.arguments,
                scalar_registry=self.scalar_registry,
                config=self.config,
                info=info,
            )
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
        serialize = field.serialize
        if field.typename is not None:
            for output, value in zip(outputs, values, strict=True):
                output[key] = value
            return
        assert serialize is not None
        for output, value in zip(outputs, values, strict=True):
            if value is None:
                if not field.nullable:
                    raise Unanswerable(f"null for the non-null {field.name}")
                output[key] = None
            elif field.is_list:
                output[key] = [self._leaf(field, item) for item in value]
            else:
                output[key] = self._leaf(field, value)

    @staticmethod
    def _leaf(field: FieldPlan, value: Any) -> Any:
        if value is None:
            if field.is_list and field.items_nullable:
                return None
            raise Unanswerable(f"null for the non-null {field.name}")
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
    """``asyncio.gather``, except that the first failure cancels the rest (the request is
    about to be answered another way, and nothing of this one may run on beside it), and
    that a coroutine runs at once, in this tick, until it first waits.

    Most resolvers below the first level await loader futures that are already done (a
    policy's claims came with the customer, the summary reads the sections' rows) and
    finish at once: they need no task, no loop turn, no gather. A coroutine that does
    wait goes on in a task, as it would have from the start.
    """
    results: list[Any] = [None] * len(awaitables)
    waiting: list[tuple[int, asyncio.Future[Any]]] = []
    awaited: list[Any] = []  # what the started coroutines wait for
    try:
        for index, each in enumerate(awaitables):
            if not asyncio.iscoroutine(each):
                waiting.append((index, asyncio.ensure_future(each, loop=loop)))
                continue
            try:
                yielded = each.send(None)
            except StopIteration as finished:
                results[index] = finished.value
                continue
            waiting.append((index, loop.create_task(_go_on(each, yielded))))
            awaited.append(yielded)
    except BaseException:
        _discard(awaitables[index + 1 :])  # never started
        _cancel([task for _, task in waiting], awaited)
        raise
    if waiting:
        tasks = [task for _, task in waiting]
        try:
            values = await asyncio.gather(*tasks)
        except BaseException:
            _cancel(tasks, awaited)
            raise
        for (index, _), value in zip(waiting, values, strict=True):
            results[index] = value
    return results


async def _go_on(coroutine: Any, yielded: Any) -> Any:
    """The rest of ``coroutine``, whose first step yielded ``yielded`` (the future it
    waits for, or None to let the loop turn), driven the way a task drives one."""
    while True:
        try:
            await _Yield(yielded)
        except BaseException as exc:  # cancelled while it waited: it hears of it
            step = coroutine.throw
            argument: Any = exc
        else:
            step = coroutine.send
            argument = None
        try:
            yielded = step(argument)
        except StopIteration as finished:
            return finished.value


class _Yield:
    """Hands what a coroutine yielded on to the task: a future to wait for, or None."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __await__(self) -> Any:
        yield self.value


def _cancel(tasks: list[asyncio.Future[Any]], awaited: list[Any]) -> None:
    for task in tasks:
        task.cancel()
        task.add_done_callback(observe)
    # A task cancelled before its first step never hands its coroutine the future it
    # waits for: whatever that future ends with, nobody else will look.
    for each in awaited:
        if asyncio.isfuture(each):
            each.add_done_callback(observe)


def _discard(values: list[Any]) -> None:
    for value in values:
        if asyncio.iscoroutine(value):
            value.close()


def observe(future: asyncio.Future[Any]) -> None:
    """A done callback for a future nobody may await: takes its error, so that asyncio
    does not log it as never retrieved."""
    if not future.cancelled():
        future.exception()
