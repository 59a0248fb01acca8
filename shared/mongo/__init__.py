"""MongoDB plumbing: client, store detection, the transactional outbox and its relay."""
