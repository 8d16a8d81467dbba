"""The code lists of data categories (with their tiers) and purposes, as docs/law.md gives them."""

from __future__ import annotations

import pytest

from consent.errors import InvalidInput, TierThreeCategory, UnknownCode
from consent.vocabulary import DATA_CATEGORIES, PURPOSES, check_categories, data_category, purpose

TIER_3 = ["SAFEGUARDING", "COURT", "ADOPTION", "THIRD_PARTY", "YJ_CRIMINAL", "CHILD_CONFIDENCE", "GENDER_RECOGNITION"]


def test_the_categories_and_tiers_are_those_of_the_domain_reference() -> None:
    tiers = {code: c.tier for code, c in DATA_CATEGORIES.items()}
    assert [c for c, t in tiers.items() if t == 0] == ["ID_CORE", "ID_CONTACT"]
    assert [c for c, t in tiers.items() if t == 2] == ["EP_ADVICE", "HEALTH_ADVICE", "SC_ASSESSMENT", "SC_PLAN", "PFA_ADVICE"]
    assert [c for c, t in tiers.items() if t == 3] == TIER_3
    assert len(PURPOSES) == 10 and not PURPOSES["SAFEGUARDING"].on_permission


@pytest.mark.parametrize("code", TIER_3)
def test_every_tier_3_category_is_refused_with_the_same_clear_error(code: str) -> None:
    with pytest.raises(TierThreeCategory, match="never shared on a family's permission"):
        data_category(code)
    with pytest.raises(TierThreeCategory):
        check_categories(["EP_ADVICE", code])


def test_unknown_codes_name_the_known_ones() -> None:
    with pytest.raises(UnknownCode, match="EP_ADVICE"):
        data_category("EP_REPORT")
    with pytest.raises(UnknownCode, match="EHC_NEEDS_ASSESSMENT"):
        purpose("ASSESSMENT")
    with pytest.raises(InvalidInput, match="outside the permission path"):
        purpose("SAFEGUARDING")
    with pytest.raises(InvalidInput, match="at least one"):
        check_categories([])
    assert check_categories(["EP_ADVICE", "EP_ADVICE", "ID_CORE"]) == ["EP_ADVICE", "ID_CORE"]
