"""Measuring identity matching on the synthetic population, where the truth is known.

Each child is looked up in each system the way the broker does it: the system's own search
(by identifier, or by date of birth and name), then ``identity.decide`` on the candidates.  A
review is counted as confirmed when the candidate really is the child (the caseworker's answer)
and rejected otherwise.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from adapters.identity import Demographics, Verdict, decide
from adapters.simulators.common import SearchRequest, search_matches
from adapters.simulators.population import Child, Population


@dataclass
class MatchingReport:
    true_pairs: int = 0
    auto_correct: int = 0
    auto_wrong: int = 0
    review_correct: int = 0
    review_wrong: int = 0
    missed: int = 0
    by_system: dict[str, dict[str, int]] = field(default_factory=dict)
    wrong_auto_examples: list[str] = field(default_factory=list)

    @property
    def automatic_precision(self) -> float:
        made = self.auto_correct + self.auto_wrong
        return self.auto_correct / made if made else 1.0

    @property
    def automatic_recall(self) -> float:
        return self.auto_correct / self.true_pairs if self.true_pairs else 1.0

    @property
    def recall_with_reviews(self) -> float:
        return (self.auto_correct + self.review_correct) / self.true_pairs if self.true_pairs else 1.0

    @property
    def reviews(self) -> int:
        return self.review_correct + self.review_wrong


def subject_view(child: Child, rng: random.Random) -> Demographics:
    """What the broker knows about a child: the true details, with identifiers sometimes unknown."""
    return Demographics(
        child.given_name, child.family_name, child.date_of_birth, child.sex, child.postcode,
        child.nhs_number if rng.random() < 0.85 else None, child.upn if rng.random() < 0.9 else None)


def _systems(population: Population) -> dict[str, list[tuple[str, Demographics]]]:
    return {
        "education": [(r.child_key, Demographics.from_parts(
            given_name=r.forename, family_name=r.surname, date_of_birth=r.dob, sex=r.sex,
            postcode=None, identifiers={"upn": r.upn} if r.upn else {})) for r in population.education.values()],
        "social_care": [(r.child_key, Demographics.from_parts(
            given_name=r.forename, family_name=r.surname, date_of_birth=r.dob, sex=r.gender, postcode=r.postcode,
            identifiers={"nhs_number": r.nhs_number} if r.nhs_number else {})) for r in population.social_care.values()],
        "educational_psychology": [(r.child_key, Demographics.from_parts(
            given_name=r.forename, family_name=r.surname, date_of_birth=r.dob, postcode=r.postcode,
            identifiers={"nhs_number": r.nhs_number} if r.nhs_number else {})) for r in population.ep.values()],
    }


def evaluate(population: Population, progress: Callable[[int, int], None] | None = None) -> MatchingReport:
    rng = random.Random(population.seed + 1)  # nosec B311  # seeded test population, not a secret
    report = MatchingReport()
    systems = _systems(population)
    children = list(population.children.values())
    for n, child in enumerate(children, start=1):
        subject = subject_view(child, rng)
        query = SearchRequest(nhs_number=subject.nhs_number, upn=subject.upn, given_name=subject.given_name,
                              family_name=subject.family_name, date_of_birth=subject.date_of_birth)
        for system, records in systems.items():
            stats = report.by_system.setdefault(system, {"true_pairs": 0, "auto": 0, "review": 0, "missed": 0, "auto_wrong": 0})
            truth = sum(1 for key, _ in records if key == child.key)
            report.true_pairs += truth
            stats["true_pairs"] += truth
            found = [(key, d) for key, d in records if search_matches(
                query, nhs=d.nhs_number, upn=d.upn, given=d.given_name or "", family=d.family_name or "",
                dob=d.date_of_birth)] if records else []
            decisions = decide(subject, [d for _, d in found])
            hits = 0
            for decision in decisions:
                key = found[decision.candidate_index][0]
                if decision.verdict is Verdict.no_link:
                    continue
                automatic = decision.verdict is Verdict.auto_link
                if key == child.key:
                    hits += 1
                    stats["auto" if automatic else "review"] += 1
                    report.auto_correct += automatic
                    report.review_correct += not automatic
                else:
                    report.auto_wrong += automatic
                    report.review_wrong += not automatic
                    if automatic:
                        stats["auto_wrong"] += 1
                        report.wrong_auto_examples.append(f"{child.key} -> {key} ({decision.score.method})")
            report.missed += truth - hits
            stats["missed"] += truth - hits
        if progress:
            progress(n, len(children))
    return report
