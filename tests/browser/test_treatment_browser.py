"""Issue 18 in the browser: a practitioner records a treatment and a vasovagal episode; the
patient's next intake shows it as a flag; the 48-hour check on a 390-px phone with "short of
breath" shows the emergency advice at once and flags the intake for a call. axe-core finds no
violation on any of the new pages."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone

from screening import services
from screening.models import AftercareCheck, Patient
from tests.browser.axe import assert_no_violations
from tests.conftest import PASSWORD, make_patient, make_user
from tests.factories import make_submitted_intake
from tests.test_treatment import make_signed_intake, record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_treatment_event_next_visit_and_aftercare_check(live_server, page_factory, settings):
    settings.SMS_BACKEND = "screening.sms.LocmemBackend"
    practitioner = make_user("practitioner", "prac-tx", first_name="Priya", last_name="Shah")
    first = make_signed_intake(practitioner, regions=("upper_back_thoracic",))
    Patient.objects.filter(pk=first.patient_id).update(email="kim@example.org")
    # Another treated patient, without contact details: on the desk's list to phone.
    other = make_signed_intake(practitioner, patient=make_patient(full_name="Noel Nocontact"))
    record(other, practitioner, treated_at=timezone.now() - datetime.timedelta(hours=49))
    base = live_server.url
    page = page_factory(1280, 900)

    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill("prac-tx")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # The treatment record starts as the consented plan.
    page.goto(f"{base}/review/intakes/{first.public_id}/treatment/")
    assert page.get_by_label("Upper and middle back, between the shoulder blades").is_checked()
    assert_no_violations(page, "treatment record (empty)")
    page.get_by_label("Duration (minutes)").fill("20")
    page.get_by_role("button", name="Record the treatment").click()
    page.get_by_text("Treatment recorded.").wait_for()

    page.get_by_text("Record an adverse event").click()
    page.get_by_label("What happened").select_option(label="Fainting or near-fainting (vasovagal)")
    page.get_by_label("Moderate").check()
    page.get_by_label("During treatment", exact=True).check()
    page.get_by_label("How long it lasted (optional)").fill("2 minutes")
    page.get_by_label("Action taken (optional)").fill("Laid flat with legs raised.")
    page.get_by_role("button", name="Record the adverse event").click()
    page.get_by_text("Adverse event recorded.").wait_for()
    assert page.get_by_role("cell", name=re.compile("Fainting or near-fainting")).is_visible()
    assert_no_violations(page, "treatment record with an adverse event")

    # The patient's next intake, answered "it went fine": the review shows the clinic's record.
    second = make_submitted_intake(
        {"previous_needling_reaction": {"answer": False, "previous_experience": "no_problems"}},
        patient=first.patient,
        appointment_at=timezone.now() + datetime.timedelta(days=7),
    )
    page.goto(f"{base}/review/intakes/{second.public_id}/")
    flag = page.locator("article.finding-relative", has_text="Recorded by the clinic")
    assert flag.is_visible()
    assert "fainting or near-fainting (vasovagal) during treatment on" in flag.inner_text()

    # Two days later the check is sent; the patient opens it on a phone.
    AftercareCheck.objects.filter(intake=first).update(
        due_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    services.aftercare_checks_send(base_url=base)
    link = re.search(r"https?://\S+/a/\S+/", mail.outbox[-1].body).group(0)
    phone = page_factory(390, 844, is_mobile=True, has_touch=True)
    phone.goto(link)
    phone.get_by_role("heading", name="How are you after your treatment?").wait_for()
    assert_no_violations(phone, "aftercare check form")
    phone.get_by_label("How sore are the treated areas today?").fill("4")
    phone.get_by_label("No", exact=True).check()
    phone.get_by_label(re.compile("^Short of breath, or pain in your chest")).check()
    phone.get_by_role("button", name="Send my answers").click()
    advice = phone.locator("#emergency-advice")
    advice.wait_for()
    assert "Call 999 now" in advice.inner_text()
    assert "collapsed lung" in advice.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert_no_violations(phone, "aftercare check: emergency advice")
    phone.goto(link)
    phone.get_by_role("heading", name="This link has been used").wait_for()
    assert_no_violations(phone, "aftercare link used")

    check = AftercareCheck.objects.get(intake=first)
    assert check.call_waiting and check.red_flags == ["short_of_breath"]

    # The practitioner sees the call to make on the queue; the desk's list has the other patient.
    page.goto(f"{base}/review/")
    assert page.locator("#aftercare-calls", has_text=first.patient.full_name).is_visible()
    assert_no_violations(page, "review queue with an aftercare call")
    page.goto(f"{base}/desk/aftercare-calls/")
    assert page.get_by_role("heading", name="Noel Nocontact").is_visible()
    assert_no_violations(page, "aftercare calls")
