"""EXPLAIN (ANALYZE, BUFFERS) of what c360 sends for a partner's customer list (bench (d)).

The statement is the one ``c360.customers.listing`` builds for a partner's token
(``list_statement``, or ``count_statement`` for ``totalCount``), prepared and run the
way c360 runs it: bound parameters, and the generic plan (``c360.database`` sets
``plan_cache_mode = force_generic_plan``); ``--custom`` writes the parameters in
instead (the plan psql shows for the statement as text). Run through psql twice, the
second plan printed (the first warms the caches). Against a demo database
(``c360 demo-data --customers N``, then VACUUM ANALYZE as bench/run does):

    .venv/bin/python bench/explain_partner.py --database-url postgresql+asyncpg://... \\
        [--partner insureco] [--after 5000] [--desc] [--order DISPLAY_NAME] [--count] [--custom]

The partner defaults to bench/run's (the most customers whose newest sharing consent
grants). The ids-only variant quoted in bench/README.md selects every column here, as
c360 does.
"""

import argparse
import subprocess
import sys
from pathlib import Path

from sqlalchemy.dialects import postgresql

from c360.customers.listing import (
    CustomerFilter,
    CustomerOrder,
    CustomerOrderField,
    ListPosition,
    SortDirection,
    count_statement,
    list_statement,
)
from c360.customers.visibility import CustomerScope

ap = argparse.ArgumentParser()
ap.add_argument("--database-url", required=True)
ap.add_argument("--partner", help="partner code (default: bench/run's partner)")
ap.add_argument("--after", type=int, help="the cursor's customer id (default: the first page)")
ap.add_argument("--desc", action="store_true")
ap.add_argument("--order", default="ID", choices=[f.name for f in CustomerOrderField])
ap.add_argument("--count", action="store_true", help="the totalCount statement instead")
ap.add_argument("--first", type=int, default=50)
ap.add_argument("--custom", action="store_true", help="parameters written in, a custom plan")
a = ap.parse_args()
dsn = a.database_url.replace("+asyncpg", "")


def psql(script: str) -> str:
    """What psql prints for ``script`` (statements and psql commands, a line each)."""
    out = subprocess.run(
        ["psql", dsn, "-AtqX", "-v", "ON_ERROR_STOP=1", "-f", "-"],
        input=script,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        sys.exit(out.stderr)
    return out.stdout


if a.partner is None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import _PARTNER_SHARES

    a.partner = psql(_PARTNER_SHARES).split("|")[0]
partner_id = int(psql(f"SELECT id FROM partner WHERE code = '{a.partner}'"))
scope = CustomerScope(partner_id=partner_id)
if a.count:
    stmt = count_statement(filter=CustomerFilter(), scope=scope)
else:
    field = CustomerOrderField[a.order]
    after = None
    if a.after is not None:
        sort_value = psql(f"SELECT {field.value} FROM customer WHERE id = {a.after}").strip()
        after = ListPosition(a.after if field is CustomerOrderField.ID else sort_value, a.after)
    order = CustomerOrder(field, SortDirection.DESC if a.desc else SortDirection.ASC)
    # first + 1, as the GraphQL layer asks (to know whether a next page exists).
    stmt = list_statement(
        filter=CustomerFilter(), order=order, limit=a.first + 1, after=after, scope=scope
    )


def sql_literal(value: object) -> str:
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


explain = "EXPLAIN (ANALYZE, BUFFERS) "
if a.custom:
    sql = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    setup, run = "", explain + sql.replace("\n", " ")
else:
    compiled = stmt.compile(
        dialect=postgresql.asyncpg.dialect(), compile_kwargs={"render_postcompile": True}
    )
    sql = compiled.string
    values = ", ".join(sql_literal(compiled.params[key]) for key in compiled.positiontup or ())
    execute = f"EXECUTE q({values})" if values else "EXECUTE q"
    setup = "SET plan_cache_mode = force_generic_plan;\nPREPARE q AS " + sql.replace("\n", " ")
    run = explain + execute
    sql += f";\n-- {execute}"
print(f"-- partner {a.partner} (id {partner_id})\n{sql};\n")
print(psql(f"{setup};\n\\o /dev/null\n{run};\n\\o\n{run};\n"))
