"""Kafka plumbing: topic creation, the reliable producer, the idempotent consumer runner."""
