"""c360: one GraphQL API over everything a bank or retailer knows about a customer."""

__version__ = "0.1.0"
