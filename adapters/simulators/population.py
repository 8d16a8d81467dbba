"""One deterministic synthetic population shared by the three simulators.

Every child has a true identity (``Child``) and, in each system that knows them, a record with
the imperfections real systems have: names spelt differently or with stray Unicode, NHS numbers
missing or mistyped, dates of birth with day and month swapped, a child held twice under two
local ids, twins with the same date of birth and address, looked-after children, safeguarding
records.  The truth (``child_key``) is kept so that matching can be measured.  The demo children
of ``broker/dev/demo.py`` are in it with the same names, dates of birth, NHS numbers and UPNs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from adapters.identity import UPN_LETTERS, nhs_check_digit, upn_check_letter

DEFAULT_SEED = 20260901
DEFAULT_SIZE = 600

BOYS = ["Oliver", "George", "Harry", "Noah", "Jack", "Leo", "Arthur", "Muhammad", "Oscar", "Charlie",
        "Jacob", "Thomas", "Henry", "William", "Theo", "Alfie", "Joshua", "Freddie", "Archie", "Isaac",
        "Ethan", "Aiden", "Lucas", "Max", "Samuel", "Daniel", "Callum", "Lewis", "Rhys", "Sean",
        "James", "Alexander", "Jayden", "Reuben", "Kai", "Tyler", "Finley", "Ibrahim", "Zain", "Matthew"]
GIRLS = ["Olivia", "Amelia", "Isla", "Ava", "Ivy", "Freya", "Lily", "Florence", "Mia", "Willow",
         "Rosie", "Sophie", "Isabel", "Evie", "Poppy", "Ella", "Grace", "Sienna", "Zoe", "Katherine",
         "Leah", "Niamh", "Aisha", "Maryam", "Chloe", "Ruby", "Phoebe", "Hannah", "Erin", "Megan",
         "Charlotte", "Elizabeth", "Lucy", "Holly", "Imogen", "Jessica", "Layla", "Nadia", "Esme", "Alice"]
SURNAMES = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
            "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
            "Thomas", "Clarke", "Jackson", "Wood", "Harris", "Edwards", "Turner", "Martin", "Cooper",
            "Hill", "Ward", "Hughes", "Moore", "Clark", "King", "Harrison", "Lewis", "Baker", "Lee",
            "Allen", "Morris", "Khan", "Scott", "Watson", "Davis", "Parker", "James", "Bennett",
            "Young", "Phillips", "Richardson", "Mitchell", "Bailey", "Carter", "Cook", "Singh", "Shaw",
            "Bell", "Collins", "Morgan", "Kelly", "Begum", "Miller", "Cox", "Hussain", "Marshall",
            "O'Brien", "Macdonald", "Kowalski", "Nowak", "Okafor", "Mensah", "Adeyemi", "Ahmed"]
VARIANT_OF = {
    "Katherine": "Catherine", "Muhammad": "Mohammed", "Aiden": "Aidan", "Zoe": "Zoë", "Sophie": "Sofie",
    "Isabel": "Isobel", "Jayden": "Jaden", "Leah": "Lea", "Freya": "Freja", "Niamh": "Neve",
    "Sean": "Shaun", "Lewis": "Louis", "Callum": "Calum", "Rhys": "Reece", "Thomas": "Tom",
    "Alexander": "Alex", "Elizabeth": "Beth", "Oliver": "Ollie", "Charlotte": "Lottie", "Daniel": "Danny",
    "Smith": "Smyth", "Clarke": "Clark", "Thompson": "Thomson", "Macdonald": "McDonald",
    "Phillips": "Philips", "Davies": "Davis", "O'Brien": "O Brien",
}
OUTWARD = ["NS1", "NS2", "NS3", "NS4", "NS5", "NS6", "NS7", "NS8", "NS9", "NS10", "NS11", "NS12"]
STREETS = ["Mill Lane", "Church Street", "Station Road", "Victoria Road", "Park Avenue", "The Green",
           "Queens Road", "Orchard Close", "Meadow View", "Riverside Walk", "Hillside Crescent"]
TOWNS = ["Northby", "Eastwick", "Fordham", "Kingsmere", "Ashcombe"]
SCHOOLS = [("8202001", "Riverside Primary School"), ("8202002", "St Anne's CE Primary School"),
           ("8203001", "Hilltop Academy"), ("8203002", "Northby High School"),
           ("8204001", "Kingsmere Special School"), ("8202003", "Ashcombe Infant and Junior School")]
SEN_TYPES = ["SPLD", "MLD", "SLD", "PMLD", "SEMH", "SLCN", "HI", "VI", "MSI", "PD", "ASD", "OTH"]
LA_NUMBER = "820"


@dataclass(frozen=True)
class Child:
    key: str
    given_name: str
    family_name: str
    sex: str
    date_of_birth: date
    nhs_number: str
    upn: str | None
    address_line: str
    town: str
    postcode: str
    school_urn: str
    school_name: str
    looked_after: bool = False
    twin_of: str | None = None


@dataclass
class EducationRecord:
    pupil_id: str
    child_key: str
    forename: str
    surname: str
    dob: date
    sex: str
    upn: str | None
    address_line: str
    town: str
    postcode: str
    school_urn: str
    school_name: str
    looked_after: bool
    sen_history: list[dict] = field(default_factory=list)
    attendance: list[dict] = field(default_factory=list)
    assessments: list[dict] = field(default_factory=list)
    contacts: list[dict] = field(default_factory=list)
    advice: list[dict] = field(default_factory=list)


@dataclass
class SocialCareRecord:
    person_id: str
    child_key: str
    forename: str
    surname: str
    dob: date
    gender: str
    nhs_number: str | None
    postcode: str | None
    looked_after: bool
    assessments: list[dict] = field(default_factory=list)
    plans: list[dict] = field(default_factory=list)
    short_breaks: list[dict] = field(default_factory=list)
    safeguarding: list[dict] = field(default_factory=list)


@dataclass
class EpDocument:
    document_id: str
    doc_type: str
    title: str
    author: str
    document_date: date
    scanned: bool
    released: bool = True
    # The council's case reference when the document is advice written for that assessment.
    written_for: str | None = None


@dataclass
class EpCase:
    case_ref: str
    child_key: str
    forename: str
    surname: str
    dob: date
    nhs_number: str | None
    postcode: str | None
    documents: list[EpDocument] = field(default_factory=list)


@dataclass
class Population:
    seed: int
    children: dict[str, Child]
    education: dict[str, EducationRecord]
    social_care: dict[str, SocialCareRecord]
    ep: dict[str, EpCase]

    def ep_document(self, document_id: str) -> tuple[EpCase, EpDocument] | None:
        for case in self.ep.values():
            for document in case.documents:
                if document.document_id == document_id:
                    return case, document
        return None


DEMO_CHILDREN = [
    # key, given, family, sex, dob, nhs, upn, looked after
    ("demo-amelia", "Amelia", "Clarke", "F", date(2016, 3, 14), "9434765919", "X820200115001", False),
    ("demo-oliver", "Oliver", "Bennett", "M", date(2015, 11, 2), "4010232137", "X820200116002", False),
    ("demo-jordan", "Jordan", "Hughes", "M", date(2009, 5, 20), "4857773457", "C820300117003", False),
    ("demo-leo", "Leo", "Walsh", "M", date(2014, 7, 9), "4505577104", "H820400118004", True),
]


def _nhs_number(rng: random.Random, used: set[str]) -> str:
    while True:
        nine = str(rng.choice("4679")) + "".join(rng.choice("0123456789") for _ in range(8))
        check = nhs_check_digit(nine)
        if check is not None and nine + str(check) not in used:
            used.add(nine + str(check))
            return nine + str(check)


def _mistype(number: str, rng: random.Random) -> str:
    """A keying slip that the modulus 11 check catches: two adjacent different digits swapped."""
    digits = list(number)
    for _ in range(20):
        i = rng.randrange(9)
        if digits[i] != digits[i + 1]:
            digits[i], digits[i + 1] = digits[i + 1], digits[i]
            return "".join(digits)
    return number[:9] + str((int(number[9]) + 1) % 10)


def _upn(rng: random.Random, school_urn: str, year: int, serial: int, temporary: bool) -> str:
    body = LA_NUMBER + school_urn[3:] + f"{year % 100:02d}"
    body += f"{serial % 100:02d}" + rng.choice(UPN_LETTERS) if temporary else f"{serial % 1000:03d}"
    return upn_check_letter(body) + body


def _dirty(name: str, rng: random.Random, kind: str) -> str:
    """How a name can look in another system."""
    if kind == "variant":
        return VARIANT_OF.get(name, name)
    if kind == "typo" and len(name) > 4:
        i = rng.randrange(1, len(name) - 1)
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]
    if kind == "zero_width" and len(name) > 2:
        return name[:2] + "\u200b" + name[2:]
    if kind == "case":
        return name.upper()
    if kind == "cyrillic" and "a" in name:
        return name.replace("a", "\u0430", 1)
    return name


def _spelling(rng: random.Random, given: str, family: str, rate: float) -> tuple[str, str]:
    if rng.random() >= rate:
        return given, family
    kind = rng.choice(["variant", "variant", "typo", "zero_width", "case", "cyrillic"])
    if rng.random() < 0.5:
        return _dirty(given, rng, kind), family
    return given, _dirty(family, rng, kind)


def _swap_day_month(value: date) -> date:
    if value.day <= 12 and value.day != value.month:
        return value.replace(day=value.month, month=value.day)
    return value


def _education_details(rng: random.Random, rec: EducationRecord, child: Child) -> None:
    start = date(child.date_of_birth.year + 5, 9, 1)
    years = [y for y in range(start.year, 2026) if y >= 2019][-3:]
    for y in years:
        possible = 380
        authorised = rng.randint(0, 30)
        unauthorised = rng.randint(0, 25) if rng.random() < 0.3 else rng.randint(0, 4)
        rec.attendance.append({"year": y, "possible": possible, "authorised": authorised,
                               "unauthorised": unauthorised,
                               "suspensions": rng.randint(1, 3) if rng.random() < 0.05 else 0})
    if child.date_of_birth <= date(2018, 8, 31):
        ks1 = date(child.date_of_birth.year + 7, 6, 30)
        for subject in ("RWM-Reading", "RWM-Writing", "RWM-Maths"):
            rec.assessments.append({"stage": "KS1", "subject": subject.split("-")[1], "method": "TA",
                                    "result": rng.choice(["WTS", "EXS", "GDS", "PKF"]), "date": ks1})
    if child.date_of_birth <= date(2014, 8, 31):
        ks2 = date(child.date_of_birth.year + 11, 7, 5)
        for subject in ("Reading", "Maths", "GPS"):
            rec.assessments.append({"stage": "KS2", "subject": subject, "method": "TT",
                                    "result": str(rng.randint(85, 120)), "date": ks2})
    if rng.random() < 0.45:
        needs = rng.sample(SEN_TYPES, k=rng.choice([1, 1, 2]))
        provision = "E" if rng.random() < 0.35 else "K"
        rec.sen_history.append({"start": start + timedelta(days=rng.randint(60, 900)),
                                "provision": provision, "needs": needs})
        if rng.random() < 0.5:
            rec.advice.append({"date": date(2025, rng.randint(1, 12), rng.randint(1, 28)),
                               "author": "SENCo, " + child.school_name,
                               "summary": f"Needs in {', '.join(needs)}; small-group support and a visual timetable help."})
    rec.contacts.append({"order": 1, "relationship": "PAR", "forename": rng.choice(GIRLS[:20]),
                         "surname": child.family_name, "phone": f"07700 9{rng.randint(0, 99999):05d}",
                         "responsibility": True})


def _social_care_details(rng: random.Random, rec: SocialCareRecord, child: Child, seq: list[int]) -> None:
    def rid(prefix: str) -> str:
        seq[0] += 1
        return f"{prefix}{seq[0]:06d}"

    year = rng.randint(2021, 2025)
    rec.assessments.append({"id": rid("ASM"), "type": rng.choice([
        "Disabled children's assessment", "Child and family assessment", "Short breaks assessment"]),
        "classification": "standard", "startDate": date(year, rng.randint(1, 6), rng.randint(1, 28)),
        "completedDate": date(year, rng.randint(7, 12), rng.randint(1, 28)),
        "summary": "Assessed needs for support at home and short breaks.", "worker": "Social worker"})
    if rng.random() < 0.5:
        rec.plans.append({"id": rid("PLN"), "type": "Child in need plan", "classification": "standard",
                          "startDate": date(year, 10, 1), "reviewDate": date(year + 1, 4, 1),
                          "summary": "Plan summary: short breaks two weekends a month; school liaison."})
    if rng.random() < 0.4:
        rec.short_breaks.append({"id": rid("SBK"), "service": rng.choice([
            "Overnight short break", "Saturday club", "Holiday scheme"]),
            "hoursPerYear": rng.choice([96, 144, 240]), "startDate": date(year, 9, 1),
            "classification": "standard"})
    if child.date_of_birth <= date(2011, 8, 31) and rng.random() < 0.6:
        rec.assessments.append({"id": rid("ASM"), "type": "Care Act transition assessment",
                                "classification": "standard", "startDate": date(2025, 2, 1),
                                "completedDate": date(2025, 5, 1), "category": "PFA_ADVICE",
                                "summary": "Preparing for adulthood: independent travel training."})
    if rng.random() < 0.12:
        # A safeguarding record: kept in its own list, and sometimes mis-filed among assessments
        # or plans with a safeguarding classification, as real case files are.
        record = {"id": rid("SGD"), "type": rng.choice(["Section 47 enquiry", "Strategy meeting",
                                                        "Child protection plan"]),
                  "classification": "safeguarding", "startDate": date(year, 3, 3),
                  "summary": "Safeguarding record."}
        rec.safeguarding.append(record)
        if rng.random() < 0.5:
            (rec.assessments if record["type"] != "Child protection plan" else rec.plans).append(dict(record))


def _ep_documents(rng: random.Random, case: EpCase, seq: list[int]) -> None:
    for _ in range(rng.randint(1, 3)):
        seq[0] += 1
        year = rng.randint(2019, 2025)
        doc_type = rng.choice(["psychological_advice", "ep_report", "ep_report", "consultation_note"])
        title = {"psychological_advice": "Psychological advice (EHC needs assessment)",
                 "ep_report": "Educational psychology report",
                 "consultation_note": "Consultation note"}[doc_type]
        case.documents.append(EpDocument(
            document_id=f"EPD-{seq[0]:06d}", doc_type=doc_type, title=title,
            author=rng.choice(["Dr Hannah Lee", "Dr Tom Ashby", "Dr Priya Nair", "Ms Joan Hale (retired)"]),
            document_date=date(year, rng.randint(1, 12), rng.randint(1, 28)),
            scanned=year < 2023 or rng.random() < 0.3,
            released=doc_type != "consultation_note" or rng.random() < 0.25,
        ))


def _make_children(rng: random.Random, size: int) -> list[Child]:
    used_nhs = {row[5] for row in DEMO_CHILDREN}
    children: list[Child] = []
    for key, given, family, sex, dob, nhs, upn, lac in DEMO_CHILDREN:
        school = SCHOOLS[0] if dob.year >= 2012 else SCHOOLS[2]
        children.append(Child(key, given, family, sex, dob, nhs, upn, f"{rng.randint(1, 90)} {rng.choice(STREETS)}",
                              rng.choice(TOWNS), f"{rng.choice(OUTWARD)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
                              school[0], school[1], lac))
    serial = 100
    twins_wanted = 10
    while len(children) < size:
        sex = rng.choice("MF")
        given = rng.choice(BOYS if sex == "M" else GIRLS)
        family = rng.choice(SURNAMES)
        dob = date(2008, 9, 1) + timedelta(days=rng.randrange(365 * 13))
        school = rng.choice(SCHOOLS)
        serial += 1
        postcode = f"{rng.choice(OUTWARD)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        address = f"{rng.randint(1, 120)} {rng.choice(STREETS)}"
        town = rng.choice(TOWNS)
        pupil_upn = _upn(rng, school[0], dob.year + 4, serial, temporary=rng.random() < 0.02) if rng.random() < 0.97 else None
        child = Child(f"child-{len(children):04d}", given, family, sex, dob, _nhs_number(rng, used_nhs), pupil_upn,
                      address, town, postcode, school[0], school[1], looked_after=rng.random() < 0.03)
        children.append(child)
        if twins_wanted and len(children) < size and rng.random() < 0.08:
            twins_wanted -= 1
            twin_sex = sex if rng.random() < 0.6 else ("F" if sex == "M" else "M")
            pool = [n for n in (BOYS if twin_sex == "M" else GIRLS) if n != given]
            # One pair of twins with names a letter apart, the hardest case for matching.
            twin_given = "Aidan" if given == "Aiden" else rng.choice(pool)
            serial += 1
            twin_upn = _upn(rng, school[0], dob.year + 4, serial, temporary=False) if pupil_upn else None
            children.append(Child(f"child-{len(children):04d}", twin_given, family, twin_sex, dob,
                                  _nhs_number(rng, used_nhs), twin_upn, address, town, postcode,
                                  school[0], school[1], twin_of=child.key))
    return children


@lru_cache(maxsize=4)
def build_population(seed: int = DEFAULT_SEED, size: int = DEFAULT_SIZE) -> Population:
    """The population for ``seed``: the same children and records every time."""
    rng = random.Random(seed)  # nosec B311  # seeded demo population, not a secret
    children = _make_children(rng, size)
    education: dict[str, EducationRecord] = {}
    social_care: dict[str, SocialCareRecord] = {}
    ep: dict[str, EpCase] = {}
    sc_seq, ep_seq = [0], [0]
    for n, child in enumerate(children):
        demo = child.key.startswith("demo-")
        if demo or rng.random() < 0.93:
            given, family = (child.given_name, child.family_name) if demo else _spelling(rng, child.given_name, child.family_name, 0.08)
            rec = EducationRecord(
                pupil_id=f"P{100000 + n * 7}", child_key=child.key, forename=given, surname=family,
                dob=child.date_of_birth, sex=child.sex, upn=child.upn, address_line=child.address_line,
                town=child.town, postcode=child.postcode, school_urn=child.school_urn,
                school_name=child.school_name, looked_after=child.looked_after)
            _education_details(rng, rec, child)
            education[rec.pupil_id] = rec
        if demo or child.looked_after or rng.random() < 0.35:
            given, family = (child.given_name, child.family_name) if demo else _spelling(rng, child.given_name, child.family_name, 0.12)
            roll = rng.random()
            nhs = child.nhs_number if demo or roll < 0.80 else (None if roll < 0.92 else _mistype(child.nhs_number, rng))
            dob = child.date_of_birth if demo or rng.random() > 0.02 else _swap_day_month(child.date_of_birth)
            records = 2 if not demo and rng.random() < 0.03 else 1
            for copy in range(records):
                care = SocialCareRecord(
                    person_id=f"{'MOS' if copy == 0 else 'CF'}{200000 + n * 13 + copy}", child_key=child.key,
                    forename=given, surname=family, dob=dob, gender={"M": "Male", "F": "Female"}[child.sex],
                    nhs_number=nhs if copy == 0 else None, postcode=child.postcode if rng.random() < 0.9 else None,
                    looked_after=child.looked_after)
                _social_care_details(rng, care, child, sc_seq)
                if child.key == "demo-leo":
                    care.plans.append({"id": "PLN-LEO-CARE", "type": "Care plan (education section)",
                                       "classification": "standard", "startDate": date(2024, 1, 15),
                                       "reviewDate": date(2026, 1, 15),
                                       "summary": "Looked after under a care order; PEP reviewed termly."})
                    care.safeguarding.append({"id": "SGD-LEO-1", "type": "Strategy meeting",
                                              "classification": "safeguarding", "startDate": date(2023, 11, 2),
                                              "summary": "Safeguarding record."})
                social_care[care.person_id] = care
        if demo or rng.random() < 0.22:
            given, family = (child.given_name, child.family_name) if demo else _spelling(rng, child.given_name, child.family_name, 0.10)
            case = EpCase(case_ref=f"EP/{2019 + n % 7}/{n:05d}", child_key=child.key, forename=given,
                          surname=family, dob=child.date_of_birth,
                          nhs_number=child.nhs_number if demo or rng.random() < 0.5 else None,
                          postcode=child.postcode if rng.random() < 0.7 else None)
            _ep_documents(rng, case, ep_seq)
            ep[case.case_ref] = case
    return Population(seed, {c.key: c for c in children}, education, social_care, ep)
