"""A loyalty account's ledger, replayed in time order: lots are earned, then redeemed and
expired oldest first.

Each earn entry is a lot whose ``remaining_points`` start at its points. A redemption
takes points from the oldest lots that still have some; when a lot reaches its expiry
whatever is left of it becomes an expire entry. Every negative entry takes exactly its
points from lots, so per account ``sum(points) == sum(remaining_points)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

MINIMUM_REDEMPTION = 500
REDEMPTION_STEP = 100


class Earning(NamedTuple):
    """Points earned; times are epoch seconds (UTC)."""

    at: int
    points: int
    expires_at: int
    reason: str
    source_ref: str | None
    key: str


class Redemption(NamedTuple):
    at: int
    share: float  # of the balance at the time, rounded down to ``REDEMPTION_STEP``
    reward: str


@dataclass
class Ledger:
    """Entries of all accounts in id order (id = index + 1); times are epoch seconds."""

    account: list[int] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    points: list[int] = field(default_factory=list)
    remaining: list[int | None] = field(default_factory=list)
    occurred: list[int] = field(default_factory=list)
    expires: list[int | None] = field(default_factory=list)
    reason: list[str] = field(default_factory=list)
    source_ref: list[str | None] = field(default_factory=list)
    key: list[str] = field(default_factory=list)

    def add(
        self, account: int, kind: str, points: int, at: int, reason: str, source_ref: str | None,
        key: str, expires: int | None = None,
    ) -> int:  # fmt: skip
        self.account.append(account)
        self.kind.append(kind)
        self.points.append(points)
        self.remaining.append(points if points > 0 else None)
        self.occurred.append(at)
        self.expires.append(expires)
        self.reason.append(reason)
        self.source_ref.append(source_ref)
        self.key.append(key)
        return len(self.points) - 1

    def replay(
        self,
        account: int,
        earnings: Sequence[Earning],
        redemptions: Sequence[Redemption],
        *,
        until: int,
    ) -> None:
        """Append one account's entries, in time order, up to (not including) ``until``."""
        lots = _Lots(self, account)
        events = sorted(
            [(e.at, False, i) for i, e in enumerate(earnings)]
            + [(r.at, True, i) for i, r in enumerate(redemptions)]
        )
        for at, is_redemption, index in events:
            lots.expire_until(at)
            if is_redemption:
                lots.redeem(redemptions[index], number=index + 1)
            else:
                lots.earn(earnings[index])
        lots.expire_until(until - 1)


class _Lots:
    """One account's lots while its events replay."""

    def __init__(self, ledger: Ledger, account: int) -> None:
        self._ledger = ledger
        self._account = account
        self._entries: list[int] = []  # ledger indices of the earn entries, oldest first
        self._oldest = 0  # the first lot that may still have points
        self._expiring = 0  # the next lot to expire: lots expire in the order they were earned
        self.balance = 0

    def earn(self, earning: Earning) -> None:
        entry = self._ledger.add(
            self._account, "earn", earning.points, earning.at, earning.reason,
            earning.source_ref, earning.key, expires=earning.expires_at,
        )  # fmt: skip
        self._entries.append(entry)
        self.balance += earning.points

    def redeem(self, redemption: Redemption, *, number: int) -> None:
        if self.balance < MINIMUM_REDEMPTION:
            return
        share = int(self.balance * redemption.share) // REDEMPTION_STEP * REDEMPTION_STEP
        amount = max(MINIMUM_REDEMPTION, share)
        self._ledger.add(
            self._account, "redeem", -amount, redemption.at, f"Reward: {redemption.reward}",
            f"reward:{number}", f"redeem:{number}",
        )  # fmt: skip
        self.balance -= amount
        remaining = self._ledger.remaining
        while amount:
            lot = self._entries[self._oldest]
            left = remaining[lot] or 0
            taken = min(left, amount)
            remaining[lot] = left - taken
            amount -= taken
            if taken == left:
                self._oldest += 1

    def expire_until(self, moment: int) -> None:
        ledger = self._ledger
        while self._expiring < len(self._entries):
            lot = self._entries[self._expiring]
            expires = ledger.expires[lot]
            if expires is None or expires > moment:
                return
            left = ledger.remaining[lot] or 0
            if left:
                ledger.remaining[lot] = 0
                self.balance -= left
                earned_on = dt.datetime.fromtimestamp(ledger.occurred[lot], dt.UTC).date()
                reason = f"Points earned on {earned_on} expired"
                ledger.add(
                    self._account, "expire", -left, expires, reason, f"entry:{lot + 1}",
                    f"expire:{lot + 1}",
                )  # fmt: skip
            self._expiring += 1
