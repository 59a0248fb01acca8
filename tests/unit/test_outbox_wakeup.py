"""What writers tell the outbox relay: named events in write order, merged per document, and
a search whenever something may be stored that nobody named."""

from __future__ import annotations

import pytest
from pymongo import AsyncMongoClient

from shared.mongo import outbox
from shared.mongo.outbox import OutboxWakeup

client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
    "mongodb://127.0.0.1:1/", connect=False
)
contacts = client["db"]["contacts"]
replies = client["db"]["replies"]


def entry(event_id: str) -> dict[str, str]:
    return {"id": event_id}


def test_a_new_process_searches_first_then_only_when_asked() -> None:
    wakeup = OutboxWakeup()
    assert wakeup.take_search() is True  # what an earlier process left behind
    assert wakeup.take_search() is False
    wakeup.notify()
    assert wakeup.take_search() is True


def test_named_events_keep_write_order_and_merge_per_document() -> None:
    wakeup = OutboxWakeup()
    wakeup.written(contacts, "c1", [entry("e1")])
    wakeup.written(replies, "r1", [entry("e2"), entry("e3")], purge=True)
    wakeup.written(contacts, "c1", [entry("e4")])
    wakeup.written(contacts, "c2", [])  # nothing written: nothing to publish

    written = wakeup.take_written()

    assert [(w.collection, w.doc_id, [e["id"] for e in w.entries], w.purge) for w in written] == [
        ("contacts", "c1", ["e1", "e4"], False),
        ("replies", "r1", ["e2", "e3"], True),
    ]
    assert wakeup.take_written() == []


def test_events_a_search_published_are_not_published_again() -> None:
    wakeup = OutboxWakeup()
    wakeup.written(contacts, "c1", [entry("e1"), entry("e2")])
    wakeup.written(contacts, "c2", [entry("e3")])

    wakeup.forget({"e1", "e3"})

    assert [(w.doc_id, [e["id"] for e in w.entries]) for w in wakeup.take_written()] == [
        ("c1", ["e2"])
    ]


def test_named_events_are_bounded_and_a_search_takes_over(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox, "MAX_NAMED_DOCUMENTS", 3)
    wakeup = OutboxWakeup()
    wakeup.take_search()
    for n in range(3):
        wakeup.written(contacts, f"c{n}", [entry(f"e{n}")])
    assert wakeup.take_search() is False

    wakeup.written(contacts, "c3", [entry("e3")])

    assert wakeup.take_search() is True
    assert [w.doc_id for w in wakeup.take_written()] == ["c3"]


def test_the_oldest_pending_event_is_known_until_its_pass_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = iter([100.0, 105.0, 110.0, 120.0, 130.0, 140.0])
    monkeypatch.setattr(outbox.time, "time", lambda: next(clock))
    wakeup = OutboxWakeup()  # 100: what an earlier process left waits from its start
    assert wakeup.take_search() is True
    assert wakeup.oldest_pending() == 100.0  # in hand while the search runs
    wakeup.pass_ended()
    assert wakeup.oldest_pending() is None

    wakeup.written(contacts, "c1", [entry("e1")])  # 105
    wakeup.written(contacts, "c2", [entry("e2")])  # 110
    assert wakeup.oldest_pending() == 105.0
    wakeup.take_written()
    assert wakeup.oldest_pending() == 105.0  # taken by a pass that has not ended
    wakeup.notify()  # 120: the pass failed; its events are searched for, still from 105
    assert wakeup.oldest_pending() == 105.0
    assert wakeup.take_search() is True
    wakeup.pass_ended()
    assert wakeup.oldest_pending() is None
