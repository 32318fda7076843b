"""Run the Alembic migrations kept in ``db/migrations`` against a database URL."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.config import Config

from c360.resources import db_dir


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(db_dir() / "migrations"))
    # Escaped because Alembic's config is an ini file, where % starts an interpolation.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    """Upgrade from inside a running event loop (the migration env runs its own loop)."""
    await asyncio.to_thread(upgrade, database_url, revision)
