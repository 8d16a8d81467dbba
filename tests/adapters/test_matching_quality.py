"""Matching quality on the synthetic population, where the truth is known."""

from __future__ import annotations

from adapters.identity import is_valid_nhs_number, is_valid_upn
from adapters.simulators.matching_quality import evaluate
from adapters.simulators.population import DEMO_CHILDREN, build_population


def test_population_is_deterministic_large_and_realistically_messy() -> None:
    population = build_population()
    assert population is build_population() and len(population.children) >= 500
    again = build_population(seed=population.seed + 0, size=len(population.children) + 1)
    assert [c.nhs_number for c in list(again.children.values())[:50]] == [c.nhs_number for c in list(population.children.values())[:50]]
    children = list(population.children.values())
    assert all(is_valid_nhs_number(c.nhs_number) for c in children)
    assert all(is_valid_upn(c.upn) for c in children if c.upn)
    assert any(c.twin_of for c in children) and any(c.looked_after for c in children)
    sc = list(population.social_care.values())
    assert any(r.nhs_number and not is_valid_nhs_number(r.nhs_number) for r in sc)  # mistyped
    assert any(r.nhs_number is None for r in sc)
    assert any(r.safeguarding for r in sc)
    keys = [r.child_key for r in sc]
    assert len(keys) != len(set(keys))  # a child held twice under two local ids
    for key, given, family, _sex, dob, nhs, upn, _lac in DEMO_CHILDREN:
        child = population.children[key]
        assert (child.given_name, child.family_name, child.date_of_birth, child.nhs_number, child.upn) == (
            given, family, dob, nhs, upn)


def test_automatic_links_are_all_right_and_recall_with_reviews_meets_the_target() -> None:
    for seed in (20260901, 7):
        report = evaluate(build_population(seed=seed))
        assert report.auto_wrong == 0, report.wrong_auto_examples
        assert report.automatic_precision == 1.0
        assert report.recall_with_reviews >= 0.95
        assert report.reviews > 0
