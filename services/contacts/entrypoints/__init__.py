"""How the world reaches the contacts service: HTTP routes, Kafka consumers, the outbox relay."""
