"""The sample file an organisation fills in: the standard columns, then its own fields."""

from __future__ import annotations

from services.importer.domain.organization import OrgView

STANDARD = ["name", "phone", "secondary_phone", "email", "category", "language", "opt_in",
            "collection", "status"]  # fmt: skip
EXAMPLE = ["Amina Odhiambo", "+254712345678", "", "amina@example.org", "parent", "swa", "yes",
           "Parents, Nairobi", "active"]  # fmt: skip


def template_rows(org: OrgView) -> list[list[str]]:
    keys = sorted(org.fields)
    return [[*STANDARD, *keys], [*EXAMPLE, *("" for _ in keys)]]
