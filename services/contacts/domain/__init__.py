"""Contacts domain: aggregates, commands, rules. No I/O here."""
