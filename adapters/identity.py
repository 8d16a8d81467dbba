"""Who is who across systems: identifier validation, name normalisation, and a scored match.

Linking is deterministic when both sides carry the same valid NHS number, or the same valid UPN,
and the same date of birth.  Otherwise names (with spelling variants), date of birth, sex and
postcode are scored: at or above ``AUTO_LINK`` a link is made automatically, between ``REVIEW``
and ``AUTO_LINK`` a person confirms or rejects it, below ``REVIEW`` nothing is linked.  A
candidate is never linked automatically when a second candidate also looks plausible, when the
two sides carry different valid identifiers of the same kind, or when a name mixes scripts or
holds invisible characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import jellyfish

UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_UPN_SHAPE = re.compile(r"^[A-HJ-NP-RT-Z][0-9]{11}[0-9A-HJ-NP-RT-Z]$")

AUTO_LINK = 0.92
REVIEW = 0.55


def nhs_check_digit(first_nine: str) -> int | None:
    """The modulus 11 check digit for nine digits, or None when no valid number can end them."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def is_valid_nhs_number(value: object) -> bool:
    """Ten digits (spaces allowed in the usual 3-3-4 grouping) whose last is the modulus 11 check."""
    if not isinstance(value, str):
        return False
    digits = value.replace(" ", "")
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return False
    return nhs_check_digit(digits[:9]) == int(digits[9])


def upn_check_letter(last_twelve: str) -> str:
    """The UPN check letter for characters 2-13 (weights 2 to 13, modulus 23)."""
    total = 0
    for weight, char in enumerate(last_twelve, start=2):
        total += weight * (int(char) if char.isdigit() else UPN_LETTERS.index(char))
    return UPN_LETTERS[total % 23]


def is_valid_upn(value: object) -> bool:
    """A 13-character UPN (permanent, or temporary with a final letter) with the right check letter."""
    if not isinstance(value, str) or not value.isascii():
        return False
    candidate = value.strip().upper()
    if not _UPN_SHAPE.match(candidate):
        return False
    return upn_check_letter(candidate[1:]) == candidate[0]


def normalise_nhs_number(value: str | None) -> str | None:
    if value is None:
        return None
    digits = value.replace(" ", "").replace("-", "")
    return digits if is_valid_nhs_number(digits) else None


def normalise_upn(value: str | None) -> str | None:
    if value is None:
        return None
    candidate = value.strip().upper()
    return candidate if is_valid_upn(candidate) else None


# Letters from other scripts that look like Latin ones: used to compare, never to decide alone.
_CONFUSABLES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j",
    "ѕ": "s", "һ": "h", "ԁ": "d", "ӏ": "l", "к": "k", "м": "m", "н": "h", "т": "t", "в": "b",
    "α": "a", "ο": "o", "ρ": "p", "ν": "v", "τ": "t", "ι": "i", "κ": "k", "χ": "x", "υ": "u",
})


def _script(char: str) -> str | None:
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else None


def has_mixed_scripts(value: str) -> bool:
    """True when a name mixes letters of several scripts (for example Latin with Cyrillic)."""
    cleaned = unicodedata.normalize("NFKC", value)
    scripts = {s for s in map(_script, cleaned) if s is not None}
    return len(scripts) > 1


def has_hidden_characters(value: str) -> bool:
    """True when a name holds characters a reader cannot see: zero-width spaces and joiners,
    direction overrides (which make a name display differently from how it is stored), and
    other format or control characters.  Nobody types them into a name; they are stripped to
    compare, but a person looks at the match before it is made."""
    return any(unicodedata.category(c) in ("Cf", "Cc") for c in value)


def normalise_name(value: str | None) -> str:
    """A comparable form of a name: NFKC, no invisible characters, confusables folded to Latin,
    accents removed, case folded, punctuation and spacing collapsed ("O'Brien" -> "obrien")."""
    if not value:
        return ""
    text = unicodedata.normalize("NFKC", value)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Cc", "Mn") or c == " ")
    text = text.casefold().translate(_CONFUSABLES)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = re.sub(r"[^a-z ]+", "", text.replace("-", " "))
    parts = [p for p in text.split() if p]
    if len(parts) > 1 and parts[0] in ("o", "mc", "mac", "st"):
        parts = [parts[0] + parts[1], *parts[2:]]
    return " ".join(parts)


def normalise_postcode(value: str | None) -> str:
    if not value:
        return ""
    return re.sub(r"[^A-Z0-9]", "", unicodedata.normalize("NFKC", value).upper())


def normalise_sex(value: str | None) -> str | None:
    if not value:
        return None
    first = normalise_name(value)[:1]
    return {"m": "M", "f": "F"}.get(first)


# Common English spelling variants and short forms of given names, as groups.
_VARIANT_GROUPS = [
    {"katherine", "catherine", "kathryn", "katharine", "kate", "katie", "cathy"},
    {"mohammed", "muhammad", "mohammad", "mohamed", "muhammed"},
    {"aiden", "aidan", "ayden"}, {"zoe", "zoey"}, {"sophie", "sofie", "sophia", "sofia"},
    {"isabel", "isabelle", "isobel", "izzy"}, {"jayden", "jaden", "jaiden"}, {"leah", "lea"},
    {"freya", "freja"}, {"william", "will", "bill", "billy"}, {"thomas", "tom", "tommy"},
    {"alexander", "alex", "alexandra", "sasha"}, {"elizabeth", "beth", "lizzie", "eliza"},
    {"jack", "jak"}, {"oliver", "olly", "ollie"}, {"amelia", "emilia", "millie"},
    {"james", "jamie", "jim"}, {"daniel", "danny", "dan"}, {"matthew", "matt"},
    {"charlotte", "charlie", "lottie"}, {"ellie", "elle", "eleanor", "ella"},
    {"niamh", "neve", "neave"}, {"sean", "shaun", "shawn"}, {"stephen", "steven"},
    {"jon", "john", "jonathan"}, {"lewis", "louis"}, {"callum", "calum"}, {"rhys", "reece", "reese"},
]
_VARIANTS: dict[str, frozenset[str]] = {}
for _group in _VARIANT_GROUPS:
    for _name in _group:
        _VARIANTS[_name] = _VARIANTS.get(_name, frozenset()) | frozenset(_group)

_SURNAME_VARIANTS = [
    {"smith", "smyth"}, {"clarke", "clark"}, {"thompson", "thomson"}, {"macdonald", "mcdonald"},
    {"mackenzie", "mckenzie"}, {"philips", "phillips"}, {"davies", "davis"}, {"reid", "reed", "read"},
]
for _group in _SURNAME_VARIANTS:
    for _name in _group:
        _VARIANTS[_name] = _VARIANTS.get(_name, frozenset()) | frozenset(_group)


def name_similarity(a: str | None, b: str | None) -> float:
    """0..1: 1 for the same name, 0.9 for a known variant, otherwise Jaro-Winkler on the
    normalised forms (taking the best pairing of the parts of a double-barrelled name)."""
    left, right = normalise_name(a), normalise_name(b)
    if not left or not right:
        return 0.0
    if left == right or left.replace(" ", "") == right.replace(" ", ""):
        return 1.0
    if right in _VARIANTS.get(left, ()):
        return 0.9
    best = jellyfish.jaro_winkler_similarity(left, right)
    left_parts, right_parts = left.split(), right.split()
    if len(left_parts) > 1 or len(right_parts) > 1:
        for lp in left_parts:
            for rp in right_parts:
                if lp == rp and len(lp) > 2:
                    best = max(best, 0.9)
    return best


def dob_similarity(a: date | None, b: date | None) -> float:
    """1 for the same date, 0.6 for day and month swapped or one digit's slip, else 0."""
    if a is None or b is None:
        return 0.0
    if a == b:
        return 1.0
    if a.year == b.year and a.day == b.month and a.month == b.day:
        return 0.6
    same = (a.year == b.year) + (a.month == b.month) + (a.day == b.day)
    return 0.5 if same == 2 else 0.0


@dataclass(frozen=True)
class Demographics:
    """One side of a comparison: a broker person or a source system's candidate."""

    given_name: str | None
    family_name: str | None
    date_of_birth: date | None
    sex: str | None = None
    postcode: str | None = None
    nhs_number: str | None = None
    upn: str | None = None

    @classmethod
    def from_parts(
        cls, *, given_name: str | None, family_name: str | None, date_of_birth: date | None,
        sex: str | None = None, postcode: str | None = None, identifiers: Mapping[str, str] | None = None,
    ) -> Demographics:
        identifiers = identifiers or {}
        return cls(
            given_name, family_name, date_of_birth, normalise_sex(sex), postcode,
            normalise_nhs_number(identifiers.get("nhs_number")), normalise_upn(identifiers.get("upn")),
        )


class Verdict(StrEnum):
    auto_link = "auto_link"
    review = "review"
    no_link = "no_link"


@dataclass(frozen=True)
class MatchScore:
    score: float
    method: str
    reasons: tuple[str, ...]
    conflicting_identifier: bool = False
    mixed_scripts: bool = False
    hidden_characters: bool = False

    @property
    def deterministic(self) -> bool:
        return self.method in ("nhs_number", "upn")


def score(subject: Demographics, candidate: Demographics) -> MatchScore:
    """How likely ``candidate`` is the same child as ``subject``, with the reasons."""
    reasons: list[str] = []
    dob = dob_similarity(subject.date_of_birth, candidate.date_of_birth)
    for scheme in ("nhs_number", "upn"):
        mine, theirs = getattr(subject, scheme), getattr(candidate, scheme)
        if mine and theirs:
            if mine == theirs and dob == 1.0:
                return MatchScore(1.0, scheme, (f"same {scheme} and date of birth",))
            if mine != theirs:
                return MatchScore(0.0, "conflict", (f"different valid {scheme}",), conflicting_identifier=True)
    names = [n or "" for n in (subject.given_name, subject.family_name, candidate.given_name, candidate.family_name)]
    mixed = any(has_mixed_scripts(n) for n in names)
    hidden = any(has_hidden_characters(n) for n in names)
    given = name_similarity(subject.given_name, candidate.given_name)
    family = name_similarity(subject.family_name, candidate.family_name)
    if not given or not family or dob == 0.0:
        return MatchScore(0.0, "demographic", ("name or date of birth missing or different",), mixed_scripts=mixed,
                          hidden_characters=hidden)

    # Weights: date of birth and family name carry the most; a given name below 0.85 is a
    # different child (twins share everything else), so it pulls the score down hard.
    total = 0.30 * dob + 0.30 * family + 0.30 * given
    reasons.append(f"dob {dob:.2f}, family name {family:.2f}, given name {given:.2f}")
    if given < 0.85:
        total -= 0.35
    if family < 0.8:
        total -= 0.2
    sex_a, sex_b = subject.sex, candidate.sex
    if sex_a and sex_b:
        total += 0.05 if sex_a == sex_b else -0.3
        reasons.append("same sex" if sex_a == sex_b else "different sex")
    postcode_a, postcode_b = normalise_postcode(subject.postcode), normalise_postcode(candidate.postcode)
    if postcode_a and postcode_b:
        if postcode_a == postcode_b:
            total += 0.05
            reasons.append("same postcode")
        elif postcode_a[:-3] == postcode_b[:-3]:
            total += 0.02
            reasons.append("same postcode district")
        else:
            total -= 0.03
            reasons.append("different postcode")
    if mixed:
        reasons.append("a name mixes scripts")
    if hidden:
        reasons.append("a name holds invisible characters")
    return MatchScore(max(0.0, min(1.0, round(total, 4))), "demographic", tuple(reasons), mixed_scripts=mixed,
                      hidden_characters=hidden)


@dataclass(frozen=True)
class MatchDecision:
    candidate_index: int
    verdict: Verdict
    score: MatchScore


def decide(subject: Demographics, candidates: Iterable[Demographics]) -> list[MatchDecision]:
    """A verdict for every candidate.

    Deterministic matches link automatically.  A demographic match links automatically only when
    it is the one plausible candidate, its names use one script and hold nothing invisible, and
    no identifier conflicts;
    otherwise a plausible candidate goes to review.
    """
    scored = [score(subject, c) for c in candidates]
    plausible = [s for s in scored if s.score >= REVIEW and not s.deterministic]
    deterministic_found = any(s.deterministic for s in scored)
    decisions = []
    for index, s in enumerate(scored):
        if s.deterministic:
            verdict = Verdict.auto_link
        elif s.conflicting_identifier or s.score < REVIEW:
            verdict = Verdict.no_link
        elif (s.score >= AUTO_LINK and len(plausible) == 1 and not s.mixed_scripts and not s.hidden_characters
              and not deterministic_found):
            verdict = Verdict.auto_link
        else:
            verdict = Verdict.review
        decisions.append(MatchDecision(index, verdict, s))
    return decisions
