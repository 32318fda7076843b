"""Realistic, internally consistent demo data: ``c360 demo-data``.

``load_demo_data`` generates customers with twelve years of product acquisitions drawn
month by month from explicit propensities (``c360.demo.propensity``, which the
next-best-product evaluation uses as its oracle), and everything that follows from them:
contacts, holdings, loyalty, warranties, interactions, consents, source records. The same
(customers, seed, as_of) gives the same rows, ids included, on SQLite and PostgreSQL.

Module map: ``catalogue`` (the TOML definitions), ``timeline`` and ``streams`` (dates and
seeded randomness), ``pools`` (Faker vocabularies), ``people``, ``national_ids``,
``propensity``/``propensity_rules`` (the oracle), ``simulate``; then one module per group
of tables: ``customers``, ``contacts``/``addresses``, ``holdings``, ``warranty``,
``loyalty``/``ledger``, ``service``, ``consents``, ``records``; ``dataset`` ties them
together, ``tables``/``encode`` hold and encode the columnar rows, ``bulk``/``load`` write
them, and ``oracle`` reads the model's inputs back from a database.
"""

from c360.demo.load import DemoLoadReport, database_is_empty, load_demo_data
from c360.demo.propensity import CustomerProfile, monthly_acquisition_probabilities
from c360.demo.timeline import DEMO_AS_OF

__all__ = [
    "DEMO_AS_OF",
    "CustomerProfile",
    "DemoLoadReport",
    "database_is_empty",
    "load_demo_data",
    "monthly_acquisition_probabilities",
]
