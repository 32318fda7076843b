"""Contacts with the customer (calls, visits, messages) and support tickets."""
