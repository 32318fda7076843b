"""Customers (parties): profile, contact points and attachments."""
