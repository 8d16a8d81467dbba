"""Hostile answers: XML with DTDs or entities, wrong media types, and items labelled tier 3."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from adapters.connection import Answer, SourceSystemConfig
from adapters.education import EducationAdapter
from adapters.errors import SourceFailure
from adapters.protocol import DataCategory, RecordItem, Sensitivity, releasable, requestable

ADAPTER = EducationAdapter(SourceSystemConfig("education", "education", "http://127.0.0.1:9"))


def xml(body: bytes, media_type: str = "application/xml") -> Answer:
    return Answer(200, httpx.Headers({"content-type": media_type}), body)


@pytest.mark.parametrize("body", [
    b'<?xml version="1.0"?><!DOCTYPE CTfile [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><CTfile>&b;</CTfile>',
    b'<?xml version="1.0"?><!DOCTYPE CTfile SYSTEM "file:///etc/passwd"><CTfile/>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "http://169.254.169.254/">]><CTfile>&e;</CTfile>',
    b"<CTfile><Header>",
])
def test_unsafe_or_broken_xml_is_refused(body: bytes) -> None:
    with pytest.raises(SourceFailure) as failure:
        ADAPTER.parse_xml(xml(body))
    assert failure.value.reason == "malformed"


def test_xml_with_the_wrong_media_type_is_refused() -> None:
    with pytest.raises(SourceFailure):
        ADAPTER.parse_xml(xml(b"<CTfile/>", "text/html"))


def test_tier_three_is_never_requested_and_never_released() -> None:
    assert requestable(["SAFEGUARDING", "EDU_ATTENDANCE", "COURT", "EDU_ATTENDANCE"]) == [DataCategory.EDU_ATTENDANCE]
    now = datetime.now(UTC)
    items = [RecordItem("sc", "1", DataCategory.SC_PLAN, "Plan", None, now, {"a": 1}),
             RecordItem("sc", "2", DataCategory.SC_PLAN, "CP plan", None, now, {"a": 2}, sensitivity=Sensitivity.restricted),
             RecordItem("sc", "3", DataCategory.SAFEGUARDING, "s47", None, now, {"a": 3})]
    assert [i.source_record_id for i in releasable(items)] == ["1"]


def test_record_items_hash_what_they_carry() -> None:
    now = datetime.now(UTC)
    a = RecordItem("ep", "1", DataCategory.EP_ADVICE, "Report", None, now, {"x": 1}, b"%PDF-1", "application/pdf")
    b = RecordItem("ep", "1", DataCategory.EP_ADVICE, "Report", None, now, {"x": 1}, b"%PDF-2", "application/pdf")
    assert a.content_hash != b.content_hash and len(a.content_hash) == 64
    with pytest.raises(ValueError):
        RecordItem("ep", "1", DataCategory.EP_ADVICE, "Report", None, now, None, b"%PDF-1")
