"""Consents: an append-only record of what each customer allowed, and when."""
