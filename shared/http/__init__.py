"""HTTP plumbing shared by every service: app factory, errors, authentication, health."""
