"""The committed SDL is the schema the code builds, so every API change shows up as a diff."""

from __future__ import annotations

from pathlib import Path

from c360.graphql.schema import schema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema" / "c360.graphql"


def test_committed_schema_matches_the_code() -> None:
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    # `c360 export-schema > schema/c360.graphql` writes it (print adds the final newline).
    assert committed.rstrip("\n") == schema.as_str().rstrip("\n"), (
        "schema/c360.graphql is out of date: regenerate it with "
        "`c360 export-schema > schema/c360.graphql`"
    )
