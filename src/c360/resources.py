"""Where the files of the top-level ``db/`` folder are, installed or in a checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def db_dir() -> Path:
    """The ``db/`` folder: migrations and demo-data definitions.

    A wheel carries it inside the package as ``c360/_db``; an editable install or a
    checkout reads it from the repository root.
    """
    packaged = Path(__file__).parent / "_db"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "db"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        "c360's db/ folder (migrations, demo data) is missing from this install"
    )
