"""Adapters of the contacts service: MongoDB repositories (state and outbox in one document)."""
