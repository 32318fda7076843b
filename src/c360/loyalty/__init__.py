"""Loyalty programs, tiers, member accounts and the points ledger."""
