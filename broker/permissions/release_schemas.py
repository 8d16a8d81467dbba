"""What ``POST /api/v1/decisions`` accepts and answers: the release policy's answer per category,
with its basis named in words."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field

from broker.permissions.release_policy import Basis, Ruling
from consent.schemas import CategoryDecisionRead, DecisionCreate, DecisionRead


class ReleaseDecisionCreate(DecisionCreate):
    assessment_id: uuid.UUID | None = Field(default=None, description=(
        "One of your organisation's cases: advice it sought under reg 6(1) from the holder is then released on "
        "the council's statutory duty"))


ReleasedItems = Literal["all", "named_documents", "advice_for_this_assessment", "none"]


class ReleaseCategoryRead(CategoryDecisionRead):
    basis: Basis | None = Field(description=(
        "public_task (the council's statutory duty), permission (the family's) or safeguarding; none when denied"))
    basis_in_words: str = Field(description="The basis as the family is told it")
    released_items: ReleasedItems = Field(description=(
        "all items of the category; only the named documents; only advice written for the assessment "
        "(the holder's other reports need the family's permission); or none"))
    family_may_be_asked: bool = Field(description=(
        "Whether part of the category rests on a permission the family has not given (never for what the "
        "statutory duty covers)"))

    @classmethod
    def of(cls, ruling: Ruling) -> ReleaseCategoryRead:
        answer = ruling.summary()
        if not answer.released:
            items: ReleasedItems = "none"
        elif answer.basis is Basis.family_permission and ruling.documents is not None:
            items = "named_documents"
        elif answer.basis is Basis.statutory_duty and not ruling.statutory:
            items = "advice_for_this_assessment"
        else:
            items = "all"
        return cls(category=ruling.category, permitted=answer.released, consent_id=answer.consent_id,
                   consent_version=answer.consent_version, documents=ruling.documents, reason=answer.reason,
                   basis=answer.basis, basis_in_words=answer.in_words, released_items=items,
                   family_may_be_asked=ruling.rests_on_missing_permission)


class ReleaseDecisionRead(DecisionRead):
    categories: list[ReleaseCategoryRead]  # type: ignore[assignment]
