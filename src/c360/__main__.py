"""``python -m c360`` runs the ``c360`` command."""

from c360.cli import app

app(prog_name="c360")
