"""Identifier validators (examples worked out by hand from the NHS number and UPN check-digit rules in docs/law.md) and matching."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.identity import (
    AUTO_LINK,
    REVIEW,
    Demographics,
    Verdict,
    decide,
    has_mixed_scripts,
    is_valid_nhs_number,
    is_valid_upn,
    name_similarity,
    normalise_name,
    score,
)

# 943 476 591 9: 9*10+4*9+3*8+4*7+7*6+6*5+5*4+9*3+1*2 = 299; 299 mod 11 = 2; 11-2 = 9.
# 401 023 213 7: 40+0+8+0+12+15+4+3+6 = 88; 88 mod 11 = 0; 11-0 = 11 -> 0?  No: 4*10+0*9+1*8+0*7+2*6+3*5+2*4+1*3+3*2
#   = 40+0+8+0+12+15+8+3+6 = 92; 92 mod 11 = 4; 11-4 = 7.
# 123 456 788 1: 10+18+24+28+30+30+28+24+16 = 208; 208 mod 11 = 10; 11-10 = 1.
# 000 000 000 0: sum 0, 11-0 = 11 -> check digit 0.
# 123 456 789 x: 10+18+24+28+30+30+28+24+18 = 210; 210 mod 11 = 1; 11-1 = 10 -> no valid number.
VALID_NHS = ["9434765919", "4010232137", "1234567881", "0000000000", "943 476 5919"]
INVALID_NHS = ["9434765918", "4010232173", "1234567890", "1234567899", "123456788", "12345678811",
               "943476591X", "", "９４３４７６５９１９", None, 9434765919]


@pytest.mark.parametrize("value", VALID_NHS)
def test_valid_nhs_numbers(value: str) -> None:
    assert is_valid_nhs_number(value)


@pytest.mark.parametrize("value", INVALID_NHS)
def test_invalid_nhs_numbers(value: object) -> None:
    assert not is_valid_nhs_number(value)


# UPN X820200115001: characters 2-13 are 8,2,0,2,0,0,1,1,5,0,0,1 with weights 2..13:
#   16+6+0+10+0+0+8+9+50+0+0+13 = 112; 112 mod 23 = 20; letters[20] = "X".
# A000000000000: sum 0 -> letters[0] = "A".
# 000000000001 -> 1*13 = 13 -> letters[13] = "P": P000000000001.
# Temporary A00000000000A... 12 zeros is permanent; temporary 00000000000B: B = 1, weight 13 -> 13 -> "P".
#   So P00000000000B is a valid temporary UPN; 00000000000Z: Z = 22, 22*13 = 286, 286 mod 23 = 10 -> "L".
VALID_UPN = ["X820200115001", "A000000000000", "P000000000001", "P00000000000B", "L00000000000Z", "x820200115001"]
INVALID_UPN = ["Y820200115001", "X820200115002", "X82020011500", "X8202001150011", "I000000000000",
               "P00000000000I", "O000000000000", "S00000000000B", "1820200115001", "X82020011500O", "", None]


@pytest.mark.parametrize("value", VALID_UPN)
def test_valid_upns(value: str) -> None:
    assert is_valid_upn(value)


@pytest.mark.parametrize("value", INVALID_UPN)
def test_invalid_upns(value: object) -> None:
    assert not is_valid_upn(value)


def test_names_normalise_unicode_tricks() -> None:
    assert normalise_name("Am\u200belia") == "amelia"  # zero-width space
    assert normalise_name("\uff21melia") == "amelia"  # fullwidth A (NFKC)
    assert normalise_name("Zo\u00eb") == normalise_name("Zoe\u0308") == "zoe"
    assert normalise_name("O'Brien") == normalise_name("O Brien") == "obrien"
    assert normalise_name("\u0410melia") == "amelia"  # Cyrillic A folded for comparison
    assert has_mixed_scripts("\u0410melia") and not has_mixed_scripts("Amelia") and not has_mixed_scripts("Zoë")


def test_name_similarity_knows_variants_but_not_different_names() -> None:
    assert name_similarity("Katherine", "Catherine") == 0.9
    assert name_similarity("Smith", "SMYTH") == 0.9
    assert name_similarity("Smith-Jones", "Jones") >= 0.9
    assert name_similarity("Oliver", "Olivia") < 0.9
    assert name_similarity("Harry", "Noah") < 0.6


CHILD = Demographics("Amelia", "Clarke", date(2016, 3, 14), "F", "NS1 4AB", "9434765919", "X820200115001")


def test_same_nhs_number_and_birth_date_is_deterministic() -> None:
    other = Demographics("Amy", "Clark", date(2016, 3, 14), nhs_number="9434765919")
    assert score(CHILD, other).method == "nhs_number"
    assert decide(CHILD, [other])[0].verdict is Verdict.auto_link


def test_same_nhs_number_but_other_birth_date_is_not_deterministic() -> None:
    other = Demographics("Zara", "Khan", date(2012, 1, 1), nhs_number="9434765919")
    assert decide(CHILD, [other])[0].verdict is Verdict.no_link


def test_different_valid_nhs_numbers_never_link() -> None:
    twin = Demographics("Amelia", "Clarke", date(2016, 3, 14), "F", "NS1 4AB", "4010232137")
    assert decide(CHILD, [twin])[0].verdict is Verdict.no_link


def test_exact_demographics_link_automatically() -> None:
    other = Demographics("Amelia", "Clarke", date(2016, 3, 14), "F", "NS1 4AB")
    decision = decide(CHILD, [other])[0]
    assert decision.score.score >= AUTO_LINK and decision.verdict is Verdict.auto_link


def test_spelling_variants_without_a_postcode_go_to_review() -> None:
    other = Demographics("Emilia", "Clark", date(2016, 3, 14), "F")
    assert decide(CHILD, [other])[0].verdict is Verdict.review


def test_twins_with_the_same_birth_date_and_address_are_not_linked() -> None:
    twin = Demographics("Grace", "Clarke", date(2016, 3, 14), "F", "NS1 4AB")
    assert decide(CHILD, [twin])[0].score.score < REVIEW


def test_two_plausible_candidates_both_go_to_review() -> None:
    subject = Demographics("Aiden", "Smith", date(2015, 5, 5), "M", "NS2 1AA")
    aiden = Demographics("Aiden", "Smith", date(2015, 5, 5), "M", "NS2 1AA")
    aidan = Demographics("Aidan", "Smith", date(2015, 5, 5), "M", "NS2 1AA")
    verdicts = [d.verdict for d in decide(subject, [aiden, aidan])]
    assert verdicts == [Verdict.review, Verdict.review]


def test_mixed_script_names_are_never_linked_automatically() -> None:
    spoofed = Demographics("\u0410melia", "Clarke", date(2016, 3, 14), "F", "NS1 4AB")
    subject = Demographics("Amelia", "Clarke", date(2016, 3, 14), "F", "NS1 4AB")
    decision = decide(subject, [spoofed])[0]
    assert decision.score.mixed_scripts and decision.verdict is Verdict.review


def test_different_sex_needs_a_person_and_a_different_birth_date_does_not_link() -> None:
    assert decide(CHILD, [Demographics("Amelia", "Clarke", date(2016, 3, 14), "M", "NS1 4AB")])[0].verdict is Verdict.review
    assert decide(CHILD, [Demographics("Amelia", "Clarke", date(2011, 9, 30), "F", "NS1 4AB")])[0].verdict is Verdict.no_link
