"""The templates collection: one document per template. A broadcast stores a copy of its
template in the same shape (`template_document`), so what it says never changes after it is
created. A save is conditional on the version read, as for channels."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from services.dispatcher.adapters.versioned_documents import VersionedDocuments
from services.dispatcher.domain.templates import Parameter, Template
from shared.mongo.client import Document, ensure_indexes

TEMPLATE_INDEXES = [
    IndexModel([("org_id", ASCENDING), ("deleted", ASCENDING), ("name", ASCENDING)],
               name="org_templates"),
]  # fmt: skip


def template_document(t: Template) -> Document:
    return {
        "_id": t.id,
        "org_id": t.org_id,
        "name": t.name,
        "category": t.category,
        # A list, not a document keyed by language: key order and codes stay as they are.
        "variants": [{"language": k, "text": v} for k, v in t.variants.items()],
        "parameters": [
            {"name": p.name, "value": p.value, "fallback": p.fallback} for p in t.parameters
        ],
        "created_by": t.created_by,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
        "version": t.version,
        "deleted": t.deleted,
    }


def template_from_document(doc: Document) -> Template:
    return Template(
        id=doc["_id"],
        org_id=doc["org_id"],
        name=doc["name"],
        category=doc["category"],
        variants={v["language"]: v["text"] for v in doc.get("variants") or []},
        parameters=tuple(
            Parameter(p["name"], p["value"], p.get("fallback")) for p in doc.get("parameters") or []
        ),
        created_by=doc.get("created_by", ""),
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
        version=int(doc["version"]),
        deleted=bool(doc.get("deleted")),
    )


class MongoTemplateRepository(VersionedDocuments[Template]):
    order = "name"

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["templates"]

    async def create_indexes(self) -> None:
        await ensure_indexes(self.collection, TEMPLATE_INDEXES)

    def _document(self, item: Template) -> Document:
        return template_document(item)

    def _item(self, doc: Document) -> Template:
        return template_from_document(doc)
