"""What the auth tests share: the database the ``auth_db`` fixture (conftest.py) makes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass(frozen=True)
class AuthDatabase:
    """A migrated database with partners ACME and BETA and two customers."""

    url: str
    engine: AsyncEngine
    partner_ids: dict[str, int]
    customer_ids: tuple[int, int]
