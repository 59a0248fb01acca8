"""The groups service: groups ("collections"), their members, smart groups, staff access, export."""
