"""Unicode tricks in names and identifiers from a source system: compared in a normal form, and
never linked automatically when a name mixes scripts or hides characters."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.identity import (
    Demographics,
    Verdict,
    decide,
    has_hidden_characters,
    has_mixed_scripts,
    is_valid_nhs_number,
    name_similarity,
    normalise_name,
)

SUBJECT = Demographics("James", "Clarke", date(2016, 3, 14), "M", "NS1 4AB")


def _verdict(given: str, family: str = "Clarke", **overrides: object) -> Verdict:
    candidate = Demographics(given, family, date(2016, 3, 14), "M", "NS1 4AB")
    for name, value in overrides.items():
        object.__setattr__(candidate, name, value)
    return decide(SUBJECT, [candidate])[0].verdict


def test_the_plain_name_links_automatically() -> None:
    assert _verdict("James") is Verdict.auto_link


@pytest.mark.parametrize("given", [
    "\uff2aames",   # full-width J
    "JAMES",
    "Ja\u0301mes",  # combining acute accent
    "J\u00e1mes",   # precomposed á
])
def test_width_case_and_accents_normalise_to_the_same_name(given: str) -> None:
    assert normalise_name(given) == "james"
    assert not has_hidden_characters(given) and not has_mixed_scripts(given)
    assert _verdict(given) is Verdict.auto_link


@pytest.mark.parametrize(("given", "family"), [
    ("J\u0430mes", "Clarke"),        # Cyrillic а
    ("James", "Cl\u0430rke"),        # Cyrillic а in the family name
    ("\u0408ames", "Clarke"),        # Cyrillic Ј
    ("Jam\u0435s", "Clarke"),        # Cyrillic е
    ("J\u03b1mes", "Clarke"),        # Greek alpha
])
def test_a_name_mixing_scripts_compares_equal_but_goes_to_review(given: str, family: str) -> None:
    assert normalise_name(given) == "james" and normalise_name(family) == "clarke"
    assert has_mixed_scripts(given + family)
    assert _verdict(given, family) is Verdict.review


@pytest.mark.parametrize("given", [
    "Ja\u200bmes",        # zero-width space
    "Ja\u200dmes",        # zero-width joiner
    "Ja\u200cmes",        # zero-width non-joiner
    "\ufeffJames",        # byte order mark
    "Ja\u2060mes",        # word joiner
    "\u202eJames",        # right-to-left override
    "James\u00ad",        # soft hyphen
    "Ja\x00mes",          # NUL
])
def test_a_name_with_invisible_characters_compares_equal_but_goes_to_review(given: str) -> None:
    assert normalise_name(given) == "james"
    assert has_hidden_characters(given)
    assert name_similarity(given, "James") == 1.0
    assert _verdict(given) is Verdict.review


def test_an_all_cyrillic_name_is_one_script_and_not_confused_with_a_latin_one() -> None:
    assert not has_mixed_scripts("\u0414\u0436\u0435\u0439\u043c\u0441")  # Джеймс
    assert _verdict("\u0414\u0436\u0435\u0439\u043c\u0441") is not Verdict.auto_link


@pytest.mark.parametrize("number", [
    "\uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19",  # full-width digits
    "\u0669\u0664\u0663\u0664\u0667\u0666\u0665\u0669\u0661\u0669",  # Arabic-Indic digits
    "943476\u200b5919",                                               # zero-width space inside
])
def test_identifiers_in_look_alike_digits_are_not_valid_so_never_link_on_their_own(number: str) -> None:
    assert not is_valid_nhs_number(number)
    subject = Demographics.from_parts(given_name="Amelia", family_name="Clarke", date_of_birth=date(2016, 3, 14),
                                      sex="F", postcode="NS1 4AB", identifiers={"nhs_number": "9434765919"})
    other_child = Demographics.from_parts(given_name="Olivia", family_name="Smith", date_of_birth=date(2012, 1, 1),
                                          sex="F", postcode="NS9 9ZZ", identifiers={"nhs_number": number})
    assert other_child.nhs_number is None
    assert decide(subject, [other_child])[0].verdict is Verdict.no_link
    same_child = Demographics.from_parts(given_name="Amelia", family_name="Clarke", date_of_birth=date(2016, 3, 14),
                                         sex="F", postcode="NS1 4AB", identifiers={"nhs_number": number})
    assert decide(subject, [same_child])[0].score.method == "demographic"
