"""Generated rows, kept column by column until they are written.

A column is a numpy array or a list, in the *generator's* form of its SQL type:

=====================  ===================================================
column type            generator form
=====================  ===================================================
``UtcDateTime``        ``datetime64[us]`` in UTC, ``NaT`` for null
``Date``               ``datetime64[D]``, ``NaT`` for null
``Money``              ``int64`` cents (``numpy.ma`` masked where null):
                       exact, and what SQLite stores anyway
integers, booleans     numpy arrays (masked where null)
strings, enums         lists or object arrays, ``None`` for null
JSON                   lists of Python lists/dicts
=====================  ===================================================

``encode.py`` turns each form into what a database driver stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from c360.models import Base


@dataclass(frozen=True)
class TableData:
    name: str
    columns: dict[str, Any]

    def __post_init__(self) -> None:
        expected = [column.name for column in Base.metadata.tables[self.name].columns]
        if sorted(self.columns) != sorted(expected):
            missing = sorted(set(expected) - set(self.columns))
            extra = sorted(set(self.columns) - set(expected))
            raise ValueError(f"{self.name}: missing columns {missing}, unknown columns {extra}")
        lengths = {name: len(values) for name, values in self.columns.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"{self.name}: columns differ in length: {lengths}")

    def __len__(self) -> int:
        return len(self.columns["id"])


# Parents before children, so that foreign keys hold while rows arrive.
TABLE_ORDER: tuple[str, ...] = (
    "product",
    "loyalty_program",
    "loyalty_tier",
    "partner",
    "customer",
    "contact_point",
    "attachment",
    "holding",
    "warranty_policy",
    "warranty_claim",
    "loyalty_account",
    "loyalty_ledger_entry",
    "interaction",
    "support_ticket",
    "consent",
    "source_record",
)
