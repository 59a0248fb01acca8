"""Use cases of the contacts service: one handler per command."""
