"""The contacts service: contacts, their phones, status and consent, and organisation settings."""
