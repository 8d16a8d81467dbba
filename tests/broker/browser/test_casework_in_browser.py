"""The caseworker's journeys in the browser, with a family on the other side: a caseworker opens
an assessment and gathers, asks the family for what is missing, a parent previews the request and
approves part of it, and the next gather releases exactly that part; the parent withdraws, and the
caseworker sees it on the case and the bundle. A caseworker hands a case over to a colleague."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from adapters.models import IdentityLink
from audit.models import AuditEntry
from broker.assessments import service as assessments
from broker.assessments.schemas import AssessmentCreate, Decision, Step, StepCreate
from broker.auth.principal import Principal, Role
from broker.dev.browser import DESKTOP, PHONE
from broker.dev.demo import demo_id
from broker.platform.clock import council_today

from .conftest import AXE_RESULTS, Visitor

pytestmark = pytest.mark.browser


def _signed_in(visitor_factory: Any, username: str, **options: Any) -> Visitor:
    visitor = visitor_factory(**options)
    visitor.sign_in(username)
    visitor.goto("/")
    return visitor


def _categories(visitor: Visitor, selector: str) -> set[str]:
    return set(visitor.page.eval_on_selector_all(selector, "nodes => nodes.map(n => n.dataset.category)"))


def _gather(sen: Visitor) -> None:
    sen.follow_menu("/assessments")
    sen.click("#cases a:has-text('Leo Walsh')")
    sen.click("#gather")
    assert "What was gathered for Leo Walsh" in sen.page.inner_text("h1")


def test_a_parent_approves_part_and_the_gather_releases_exactly_that_then_withdraws(visitor_factory: Any) -> None:
    sen = _signed_in(visitor_factory, "sen.caseworker")
    page = sen.page
    # Find the child and open an assessment for him.
    sen.follow_menu("/children/find")
    page.get_by_label("NHS number or UPN").fill("4505577104")
    sen.click("button.govuk-button")
    sen.click("#results-list a:has-text('Open an EHC needs assessment')")
    received = date.today() - timedelta(days=7)
    page.get_by_label("Day").fill(str(received.day))
    page.get_by_label("Month").fill(str(received.month))
    page.get_by_label("Year").fill(str(received.year))
    sen.click("button.govuk-button")
    assert "Assessment opened" in page.inner_text(".govuk-notification-banner")
    assert "Overdue" not in page.inner_text("#clocks")

    # The first gather releases nothing that needs the family's permission (none is given yet);
    # whatever it does release stands on the council's statutory footing alone.
    sen.click("#gather")
    statutory = _categories(sen, "ul.released li")
    assert not statutory & {"EP_ADVICE", "SC_ASSESSMENT"}
    assert {"EP_ADVICE", "SC_ASSESSMENT"} <= _categories(sen, "#sources ul.withheld li")

    # Ask for exactly two kinds of information, from the two services that hold them.
    sen.click("#ask-family")
    for box in page.locator("input[name='categories']").all():
        box.uncheck()
    page.check("input[name='categories'][value='EP_ADVICE']")
    page.check("input[name='categories'][value='SC_ASSESSMENT']")
    page.get_by_label("Why do you need it?").fill(
        "The psychologist's report and the short breaks assessment describe how Leo learns and what helps at home.")
    page.get_by_label("What happens if they say no?").fill(
        "The assessment goes ahead; we will ask the psychologist and social care for new advice instead.")
    sen.click("button.govuk-button")
    assert "The family has been asked" in page.inner_text(".govuk-notification-banner")

    # The mother previews what each service would share, then agrees to the psychologist's part only.
    emma = _signed_in(visitor_factory, "emma.walsh", viewport=PHONE)
    family = emma.page
    emma.follow_menu("/family")
    emma.click("#children a[href$='/requests']")
    emma.click("#requests a")
    assert "educational psychology reports and advice" in family.inner_text("main")
    emma.click("#preview")
    services = family.inner_text("#services")
    assert "Northshire educational psychology service" in services and "children's social care" in services
    assert "A document (PDF)" in services or "A record" in services
    assert family.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    emma.click("a.govuk-back-link")
    family.get_by_label("Yes, to part of it").check()
    family.uncheck("input[name='categories'][value='SC_ASSESSMENT']")
    family.get_by_label("Northshire children's social care").uncheck()
    emma.click("button.govuk-button:has-text('Send your answer')")
    assert "Your answer has been sent" in family.inner_text("main")

    # The caseworker's next gather releases exactly what was agreed.
    _gather(sen)
    assert _categories(sen, "ul.released li") == statutory | {"EP_ADVICE"}
    assert page.locator("#source-educational_psychology ul.released li").count() > 0
    assert "SC_ASSESSMENT" in _categories(sen, "#source-social_care ul.withheld li")
    sen.click("a[href$='/bundle']")
    assert _categories(sen, "#items > li") == statutory | {"EP_ADVICE"}
    assert "Under permission" in page.inner_text("#items") and "Held by" in page.inner_text("#items")

    # The mother withdraws; the caseworker sees the permission gone and the items no longer served.
    emma.follow_menu("/family")
    emma.click("#children a[href$='/permissions']")
    in_force = family.locator("#permissions li", has_text="In force").first
    emma.click(f"#{in_force.get_attribute('id')} a.govuk-button--warning")
    emma.click("button.govuk-button--warning")
    assert "The permission has been withdrawn" in family.inner_text("main")

    sen.page.reload()
    sen.check_accessibility()
    assert _categories(sen, "#items > li") == statutory
    assert "EP_ADVICE" in _categories(sen, "#not-served li")
    sen.click("a:has-text('The case: clocks, advice and permissions')")
    psychology = page.inner_text("#permissions-educational_psychology")
    assert "Educational psychology reports" in psychology and "Permitted" not in psychology
    _gather(sen)
    assert _categories(sen, "ul.released li") == statutory


def _likely_match(live_app: tuple[Any, str]) -> None:
    """What discovery queues when a record looks like the child but not certainly."""
    app, _ = live_app
    with app.state.database.unit_of_work() as session:
        session.add(IdentityLink(
            person_id=demo_id("person:oliver"), source_system="social_care", source_person_ref="SC-PROBABLE-1",
            status="pending_review", method="probabilistic", score=0.81, reasons=["same date of birth"],
            candidate={"given_name": "Olly", "family_name": "Bennett", "date_of_birth": "2015-11-02"}))


def test_a_caseworker_records_advice_and_rejects_a_likely_match(visitor_factory: Any, live_app: tuple[Any, str]) -> None:
    _likely_match(live_app)
    sen = _signed_in(visitor_factory, "sen.caseworker", viewport=PHONE, java_script_enabled=False)
    page = sen.page
    sen.follow_menu("/assessments")
    amelia = page.locator("#cases > li", has_text="Amelia Clarke")
    assert "Overdue advice" in amelia.inner_text() and "Psychological advice" in amelia.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    sen.click("#cases a:has-text('Amelia Clarke')")
    sen.click("#record-advice")
    sen.click("button.govuk-button")
    assert "Select the kind of advice" in page.inner_text(".govuk-error-summary")
    page.get_by_label("Social care advice").check()
    page.get_by_label("Who was asked?").select_option(label="Northshire children's social care")
    sen.click("button.govuk-button")
    assert "Advice request recorded" in page.inner_text(".govuk-notification-banner")
    assert "Social care advice" in page.inner_text("#advice")
    sen.follow_menu("/identity-reviews")
    assert page.inner_text("h1") == "Possible matches to check"
    match = page.locator("#reviews > li", has_text="Oliver Bennett and a social care record")
    assert "Olly" in match.inner_text()
    sen.click(f"#{match.get_attribute('id')} button.govuk-button")
    assert "Select whether this is the same child" in page.inner_text(".govuk-error-summary")
    match = page.locator("#reviews > li", has_text="Oliver Bennett and a social care record")
    match.get_by_label("No, a different person").check()
    sen.click(f"#{match.get_attribute('id')} button.govuk-button")
    assert "Match rejected" in page.inner_text(".govuk-notification-banner")
    assert "Olly" not in page.inner_text("main")


def _fill_date(page: Any, prefix: str, day: date) -> None:
    page.fill(f"#{prefix}-day", str(day.day))
    page.fill(f"#{prefix}-month", str(day.month))
    page.fill(f"#{prefix}-year", str(day.year))


# Per width, the advice asked for, who gives it, and the clock the exception is recorded against.
_STEPS = {
    PHONE["width"]: ("Educational advice", "Riverside Primary School", "Decision whether to assess",
                     "reg 5(4)(b): Exceptional personal circumstances"),
    DESKTOP["width"]: ("Medical advice", "Northshire Community Health NHS Trust", "Final EHC plan issued",
                       "reg 10(4)(c): The child, parent or young person was away"),
}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["320px", "1280px"])
def test_a_caseworker_records_reused_advice_and_a_pause_then_ends_it(visitor_factory: Any, viewport: dict[str, int]) -> None:
    advice_label, giver, clock, regulation = _STEPS[viewport["width"]]
    sen = _signed_in(visitor_factory, "sen.caseworker", viewport=viewport)
    page = sen.page
    sen.follow_menu("/assessments")
    sen.click("#cases a:has-text('Oliver Bennett')")
    sen.click("#record-advice")
    page.get_by_label(advice_label).check()
    page.get_by_label("Who was asked?").select_option(label=giver)
    sen.click("button.govuk-button")
    assert "Advice request recorded" in page.inner_text(".govuk-notification-banner")

    # Existing advice is reused: the three agreements of reg 6(4), after one refusal.
    row = page.locator("#advice .govuk-summary-list__row", has_text=advice_label)
    sen.click(f"#{row.locator('a[id^=update-advice-]').get_attribute('id')}")
    sen.click("button.govuk-button")
    assert "Select what happened to the advice request" in page.inner_text(".govuk-error-summary")
    page.get_by_label("Existing advice is used instead").check()
    sen.click("button.govuk-button")
    sen.click("button.govuk-button")
    summary = page.inner_text(".govuk-error-summary")
    assert "Say which existing advice is reused" in summary and "Select who agreed for the family" in summary
    agreed = date.today() - timedelta(days=1)
    page.get_by_label("Which existing advice is reused?").fill("Report of March this year, held on the school's file")
    page.get_by_label("Who agreed for the family?").select_option(label="Priya Bennett")
    _fill_date(page, "family_agreed", agreed)
    page.get_by_label("Who wrote the advice?").fill("Ms J Patel")
    _fill_date(page, "author_agreed", agreed + timedelta(days=2))
    sen.click("button.govuk-button")
    assert "The date the author agreed must be today or in the past" in page.inner_text(".govuk-error-summary")
    assert page.input_value("#author_name") == "Ms J Patel"
    _fill_date(page, "author_agreed", agreed)
    sen.click("button.govuk-button")
    assert "Existing advice recorded as reused" in page.inner_text(".govuk-notification-banner")
    assert "Reused" in page.locator("#advice .govuk-summary-list__row", has_text=advice_label).inner_text()

    # A pause on a clock moves its due date; ending it lets the clock run again.
    sen.click("#record-exception")
    sen.click("button.govuk-button")
    assert "Select the clock the exception applies to" in page.inner_text(".govuk-error-summary")
    page.get_by_label(clock, exact=True).check()
    page.get_by_label(regulation).check()
    page.get_by_label("Pauses it").check()
    _fill_date(page, "starts", date.today() - timedelta(days=5))
    page.get_by_label("What happened?").fill("The family were away from the area.")
    sen.click("button.govuk-button")
    assert "Clock exception recorded" in page.inner_text(".govuk-notification-banner")
    clocks = page.locator("#clocks .govuk-summary-list__row", has_text=clock).inner_text()
    assert "later by a pause" in clocks
    paused = page.locator("#exceptions > li", has_text=clock).filter(has_text="since")
    sen.click(f"#{paused.locator('a[id^=end-]').get_attribute('id')}")
    sen.click("button.govuk-button")
    assert "Enter the date the pause ended" in page.inner_text(".govuk-error-summary")
    _fill_date(page, "ends", date.today() - timedelta(days=2))
    sen.click("button.govuk-button")
    assert "Pause ended" in page.inner_text(".govuk-notification-banner")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_reloading_a_gather_answer_does_not_gather_again(visitor_factory: Any, live_app: tuple[Any, str]) -> None:
    app, _ = live_app

    def gathers() -> int:
        with app.state.database.unit_of_work() as session:
            return session.scalar(select(func.count()).select_from(AuditEntry)
                                  .where(AuditEntry.event_type == "gather.completed")) or 0

    before = gathers()
    sen = _signed_in(visitor_factory, "sen.caseworker", viewport=PHONE)
    sen.follow_menu("/assessments")
    sen.click("#cases a:has-text('Oliver Bennett')")
    sen.click("#gather")
    answer = sen.path
    assert "/gathers/" in answer and "What was gathered for Oliver Bennett" in sen.page.inner_text("h1")
    shown = sen.page.inner_text("#sources")
    sen.page.reload()
    sen.check_accessibility()
    assert sen.path == answer and sen.page.inner_text("#sources") == shown
    assert gathers() == before + 1
    assert sen.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _new_case(live_app: tuple[Any, str], child: str) -> str:
    """A new case of Sam's (the demo SEN caseworker) for ``child``, as the API would open it. A
    child has one open case at a time: a case an earlier journey opened for the child is ended
    first, as a caseworker would end it (a decision not to assess)."""
    app, _ = live_app
    sam = Principal(user_id=demo_id("user:sen.caseworker"), username="sen.caseworker",
                    display_name="Sam Okafor (SEN caseworker)", role=Role.caseworker,
                    organisation_id=demo_id("org:NCC-SEN"))
    today = council_today()
    subject = demo_id(f"person:{child}")
    with app.state.database.unit_of_work() as session:
        earlier = assessments.open_case_for(session, sam, subject, "EHC_NEEDS_ASSESSMENT")
        if earlier is not None:
            assessments.record_step(session, sam, earlier.id, StepCreate(
                step=Step.decision_to_assess, completed_on=today, decision=Decision.not_assess), today)
        case = assessments.open_assessment(session, sam, AssessmentCreate(
            subject_id=subject, received_on=today - timedelta(days=4)), today)
        return str(case.id)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["320px", "1280px"])
def test_a_caseworker_hands_a_case_over_and_it_moves_to_the_new_officers_cases(
    visitor_factory: Any, live_app: tuple[Any, str], viewport: dict[str, int]
) -> None:
    case_id = _new_case(live_app, "jordan" if viewport == PHONE else "leo")
    sen = _signed_in(visitor_factory, "sen.caseworker", viewport=viewport)
    page = sen.page
    sen.follow_menu("/assessments")
    assert "Your cases" in page.inner_text("#officer-me")
    assert "Sam Okafor" in page.inner_text(f"#case-{case_id} .case-officer")
    sen.click(f"#case-{case_id} h2 a")
    assert "Sam Okafor" in page.inner_text("#case-officer")
    sen.click("#hand-over")
    sen.click("button.govuk-button")
    summary = page.inner_text(".govuk-error-summary")
    assert "Select who will be the case officer" in summary and "Say why the case is handed over" in summary
    page.get_by_label("Nadia Hussain (SEN caseworker)").check()
    page.get_by_label("Why is the case handed over?").fill("Sam is on leave until March; Nadia takes the case on.")
    sen.click("button.govuk-button")
    assert "Nadia Hussain (SEN caseworker) is now the case officer" in page.inner_text(".govuk-notification-banner")
    assert "Nadia Hussain" in page.inner_text("#case-officer")

    # It leaves Sam's cases, stays in the team's, and is among Nadia's.
    sen.follow_menu("/assessments")
    assert page.locator(f"#case-{case_id}").count() == 0
    sen.click("#officer-all")
    assert "Nadia Hussain" in page.inner_text(f"#case-{case_id} .case-officer")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    nadia = _signed_in(visitor_factory, "sen.caseworker2", viewport=viewport)
    nadia.follow_menu("/assessments")
    assert nadia.page.locator(f"#case-{case_id}").count() == 1

    width = viewport["width"]
    for shown in ("/assessments", "/assessments/{id}", "/assessments/{id}/case-officer"):
        assert AXE_RESULTS[f"{shown} ({width}px)"] == set(), shown
