"""The event contract every service and outside consumer relies on: envelope, payloads, topics."""
