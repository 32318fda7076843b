"""The in-process route of events, for SQLite: from a committing connection to this
process's hubs on the same database."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from threading import Lock

from sqlalchemy.engine import URL

from c360.events.model import CustomerEvent

__all__ = ["Receiver", "deliver", "key", "register", "unregister"]

Receiver = Callable[[CustomerEvent], None]

_receivers: dict[str, set[Receiver]] = {}
_lock = Lock()  # a pool may check a connection in from another thread


def key(url: URL) -> str:
    """Which database an engine writes to: two engines on one file share the key."""
    return url.render_as_string(hide_password=True)


def register(database: str, receiver: Receiver) -> None:
    with _lock:
        _receivers.setdefault(database, set()).add(receiver)


def unregister(database: str, receiver: Receiver) -> None:
    with _lock:
        receivers = _receivers.get(database, set())
        receivers.discard(receiver)
        if not receivers:
            _receivers.pop(database, None)


def deliver(database: str, events: Iterable[CustomerEvent]) -> None:
    events = list(events)
    if not events:
        return
    with _lock:
        receivers = list(_receivers.get(database, ()))
    for receiver in receivers:
        for event in events:
            receiver(event)
