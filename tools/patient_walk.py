"""Walk the patient pages with Django's test client, as a patient's browser would.

Shared by ``tools/build_patient_css.py`` (which classes do the patient pages use?), its test,
and ``bench/bench_patient_pages.py`` (what does a first visit to each page transfer?).

Only the ways in are built here: the invitation link and the desk's tablet hand-overs (and,
for ``all_patient_pages``, the review and "done" pages opened early). Every wizard URL comes
from a redirect or from the page's own form, so the walk follows the wizard however its
sections are split into pages: take the current page, fill in its form, POST it with
``action=next``, follow the redirect, and so on until a page has no "next" button (the review
page). A field's value is chosen by its HTML name, ``<item_id>__<field_id>``, from the
questionnaire (``screening/engine/questionnaire.py``) and the realistic answers of
``screening/engine/synthetic.py``, always among the options the page itself offers.

Needs a configured Django and a migrated database. The walks record every page they see in a
`Walker`, which wraps a ``django.test.Client`` (one whose default headers ask for compressed
responses works too: pages are decoded to read them, and kept as sent).
"""

from __future__ import annotations

import datetime
import gzip
import math
import re
import secrets
import struct
import zlib
from base64 import b64encode
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from django.test import override_settings
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from screening import services
from screening.engine import questionnaire, synthetic
from screening.models import ClinicSettings, Intake, User
from screening.roles import Role

YES = "yes"  # answer yes to everything, so that every follow-up question is asked
NO = "no"  # nothing to report (the calm answers of synthetic.NEGATIVE)

# What a recorded page shows (Page.variant).
FIRST_VISIT = "first visit"  # the GET that first shows a page, before anything is posted on it
AGAIN = "again"  # a page shown again later in the walk
ERRORS = "errors"  # posted empty: every question's error
FOLLOW_UP_ERRORS = "follow-up errors"  # main answers given, follow-ups left empty
WRONG_DATE = "wrong date of birth"
UNFINISHED = "unfinished"  # reached before the questionnaire is finished

MAIN = "answer"  # the field id of an item's main answer
ACTION = "action"  # the name of the wizard's submit buttons
NEXT, LATER = "next", "later"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_PAGES = 400
MAX_VISITS_PER_PAGE = 4
FORM_CONTROLS = frozenset({"input", "button", "textarea", "select", "option"})


class WalkError(RuntimeError):
    """The walk cannot go on: a page refused every answer, or the wizard went in circles."""


@dataclass(frozen=True)
class Page:
    """One HTML response of the walk."""

    label: str  # the URL's name and arguments without ids: "verify", "step/about_you", ...
    variant: str  # FIRST_VISIT, AGAIN, ERRORS, ...
    path: str
    status: int
    html: str
    body: bytes = field(repr=False)  # as sent: compressed when the response is
    response: object = field(repr=False, compare=False)

    @property
    def first_visit(self) -> bool:
        return self.variant == FIRST_VISIT


# ---------------------------------------------------------------------------------------------
# Reading pages


@dataclass
class Control:
    tag: str  # input, button, textarea or select
    type: str  # the input or button type; "textarea" and "select" for those
    name: str
    value: str
    checked: bool = False
    options: list[str] = field(default_factory=list)  # a select's option values


@dataclass
class Form:
    action: str
    method: str
    controls: list[Control] = field(default_factory=list)

    def has_button(self, name: str, value: str) -> bool:
        return any(
            c.type == "submit" and c.name == name and c.value == value for c in self.controls
        )

    def fields(self) -> dict[str, list[Control]]:
        """The controls that carry a value, by name, in page order (buttons left out)."""
        groups: dict[str, list[Control]] = {}
        for control in self.controls:
            if control.name and control.type not in ("submit", "button", "reset", "image"):
                groups.setdefault(control.name, []).append(control)
        return groups


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: Control | None = None
        self._select: Control | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self._form = Form(attributes.get("action") or "", (attributes.get("method") or "get"))
            self._form.method = self._form.method.lower()
            self.forms.append(self._form)
            return
        if self._form is None or tag not in FORM_CONTROLS or "disabled" in attributes:
            return
        name = attributes.get("name") or ""
        value = attributes.get("value")
        if tag == "input":
            kind = (attributes.get("type") or "text").lower()
            if value is None:
                value = "on" if kind in ("checkbox", "radio") else ""
            control = Control(tag, kind, name, value, "checked" in attributes)
        elif tag == "button":
            control = Control(tag, (attributes.get("type") or "submit").lower(), name, value or "")
        elif tag == "textarea":
            control = self._textarea = Control(tag, tag, name, "")
        elif tag == "select":
            control = self._select = Control(tag, tag, name, "")
        else:  # option
            if self._select is not None and value is not None:
                self._select.options.append(value)
                if "selected" in attributes:
                    self._select.value = value
            return
        self._form.controls.append(control)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            # As browsers do: a newline straight after <textarea> is not part of the value.
            self._textarea.value = self._textarea.value.removeprefix("\n")
            self._textarea = None
        elif tag == "select" and self._select is not None:
            if not self._select.value and self._select.options:
                self._select.value = self._select.options[0]
            self._select = None


def forms_of(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def wizard_form(page: Page) -> Form | None:
    """The page's questionnaire form: the one with a "next" button (None on the review page)."""
    return next((f for f in forms_of(page.html) if f.has_button(ACTION, NEXT)), None)


def own_form(page: Page) -> Form:
    """The form that posts back to the page itself (verify, review, sign)."""
    for form in forms_of(page.html):
        if form.method == "post" and _local(urljoin(page.path, form.action)) == page.path:
            return form
    raise WalkError(f"{page.label}: no form that posts to the page itself")


def error_messages(html: str) -> list[str]:
    """The error texts a page shows (for a WalkError's message)."""
    found = re.findall(
        r'<(?:div|li|p|span)[^>]*class="[^"]*(?:invalid-feedback|alert-danger)[^"]*"[^>]*>(.*?)'
        r"</(?:div|li|p|span)>",
        html,
        flags=re.S,
    )
    texts = (" ".join(unescape(re.sub(r"<[^>]+>", " ", t)).split()) for t in found)
    return [t for t in texts if t][:10]


# ---------------------------------------------------------------------------------------------
# Filling in forms

Chooser = Callable[[str, list[Control]], "str | list[str] | None"]


def blank(name: str, controls: list[Control]) -> None:
    """Leave every field empty."""
    return None


def generic_value(controls: list[Control]) -> str | list[str] | None:
    """A plausible value for a field the questionnaire does not define."""
    first = controls[0]
    if first.type == "radio":
        checked = [c.value for c in controls if c.checked]
        return checked[0] if checked else first.value
    if first.type == "checkbox":
        return [c.value for c in controls]  # tick every box (the declaration, say)
    if first.tag == "select":
        return first.value or next((option for option in first.options if option), None)
    return first.value if first.value.strip() else "Example"


def as_offered(name: str, controls: list[Control]) -> str | list[str] | None:
    """Fill every field with ``generic_value``: the choice already made, or the first one."""
    return generic_value(controls)


def _form_value(value):
    """A stored (JSON) answer as a form sends it."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return [str(_form_value(v)) for v in value]
    return None if value is None else str(value)


def _first_offered(wanted, options: list[str]) -> str | None:
    for value in wanted:
        if value in options:
            return value
    return options[0] if options else None


def _number(spec) -> str:
    if spec.min is None or spec.max is None:
        return "1"
    middle = (spec.min + spec.max) / 2
    return str(math.floor(middle)) if spec.kind == questionnaire.INTEGER else f"{middle:g}"


def _enabling_values(item, field_id: str) -> list:
    """Values of ``field_id`` that some other follow-up of the item waits for."""
    values = []
    for follow_up in item.follow_ups:
        for condition in follow_up.enable_when:
            if condition.field != field_id or condition.op not in ("eq", "in", "any_of"):
                continue
            many = condition.op != "eq" and isinstance(condition.value, list | tuple)
            values.extend(condition.value if many else [condition.value])
    return [_form_value(v) for v in values]


class Answers:
    """Chooses every questionnaire field's value; ``main_only`` leaves follow-ups empty."""

    def __init__(self, mode: str = YES, *, main_only: bool = False) -> None:
        self.mode = mode
        self.main_only = main_only

    def __call__(self, name: str, controls: list[Control]):
        item_id, sep, field_id = name.partition("__")
        item = questionnaire.ITEMS.get(item_id) if sep else None
        if item is None:
            return generic_value(controls)
        options = [c.value for c in controls if c.type in ("radio", "checkbox")]
        options = options or controls[0].options
        sample = (synthetic.POSITIVE if self.mode == YES else synthetic.NEGATIVE).get(item_id, {})
        if field_id == MAIN:
            return self._main(item, sample, options)
        spec = item.fields.get(field_id)
        if spec is None:
            return generic_value(controls)
        if self.main_only:
            return None
        if self.mode == NO:
            # After "no" a follow-up is not asked; the fields of a derived answer (hours since
            # a meal, height and weight ...) have their calm values in synthetic.NEGATIVE.
            value = _form_value(sample.get(field_id))
            if isinstance(value, list):
                return [v for v in value if v in options]
            return value
        return self._yes(item, spec, sample.get(field_id), options)

    def _main(self, item, sample: dict, options: list[str]):
        if item.answer_kind == questionnaire.ANSWER_YES_NO:
            return _first_offered([self.mode], options)
        positive = [v for v in item.positive_answers if isinstance(v, str)]
        if self.mode == YES:
            return _first_offered(positive, options)
        calm = _form_value(sample.get(MAIN))
        return _first_offered([calm, *(o for o in options if o not in positive)], options)

    def _yes(self, item, spec, sample, options: list[str]):
        kind = spec.kind
        wanted = _enabling_values(item, spec.id)
        if kind == questionnaire.YES_NO:
            return _first_offered(["yes"], options)
        if kind == questionnaire.CHOICE:
            return _first_offered([*wanted, _form_value(sample)], options)
        if kind in (questionnaire.MULTI_CHOICE, questionnaire.REGIONS):
            wanted += _form_value(sample) or []
            return [o for o in options if o in wanted] or options[:1]
        if kind in questionnaire.NUMBER_KINDS:
            return _form_value(sample) if questionnaire.is_number(sample) else _number(spec)
        return sample if isinstance(sample, str) and sample else "Example"


def fill(form: Form, choose: Chooser, *, action: str | None = None, **overrides) -> dict:
    """POST data for ``form``: hidden fields as they are, the others from ``choose``."""
    data: dict = {}
    for name, controls in form.fields().items():
        if controls[0].type == "hidden":
            data[name] = controls[0].value
            continue
        value = choose(name, controls)
        if value not in (None, []):
            data[name] = value
    if action is not None:
        data[ACTION] = action
    data.update(overrides)
    return data


# ---------------------------------------------------------------------------------------------
# Requests


def _local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def body_of(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def decode(body: bytes, response) -> str:
    encoding = response.get("Content-Encoding", "")
    if encoding == "gzip":
        body = gzip.decompress(body)
    elif encoding == "br":
        import brotli  # only if the server sends Brotli

        body = brotli.decompress(body)
    elif encoding:
        raise WalkError(f"cannot read a {encoding!r} response")
    return body.decode(response.charset or "utf-8")


def label_of(path: str) -> str:
    """A page's name in reports: its URL's name and arguments, ids left out."""
    url_path = urlsplit(path).path
    try:
        match = resolve(url_path)
    except Resolver404:
        return url_path
    args = [str(v) for k, v in match.kwargs.items() if k not in ("public_id", "token")]
    return "/".join([match.url_name or match.view_name, *args])


class Walker:
    """A patient's browser: requests, redirects followed, and the pages seen so far."""

    def __init__(self, client, *, secure: bool = False) -> None:
        self.client = client
        self.secure = secure  # HTTPS requests (production settings redirect plain HTTP)
        self.pages: list[Page] = []
        self._visited: set[str] = set()

    def fetch(self, method: str, path: str, data: dict | None = None):
        """One request, redirects followed; returns the last response and its path."""
        for _ in range(10):
            if method == "post":
                response = self.client.post(path, data or {}, secure=self.secure)
            else:
                response = self.client.get(path, secure=self.secure)
            if response.status_code not in REDIRECTS:
                return response, path
            path = _local(urljoin(path, response["Location"]))
            method, data = "get", None
        raise WalkError(f"more than 10 redirects, the last to {path}")

    def post_without_redirect(self, path: str, data: dict):
        """POST; the response as is (a redirect means the data was accepted)."""
        return self.client.post(path, data, secure=self.secure)

    def record(self, response, path: str, variant: str | None = None) -> Page:
        if variant is None:
            variant = AGAIN if path in self._visited else FIRST_VISIT
        self._visited.add(path)
        body = body_of(response)
        page = Page(
            label=label_of(path),
            variant=variant,
            path=path,
            status=response.status_code,
            html=decode(body, response),
            body=body,
            response=response,
        )
        self.pages.append(page)
        if len(self.pages) > MAX_PAGES:
            raise WalkError(f"more than {MAX_PAGES} pages: the walk is going in circles")
        return page

    def get(self, path: str, variant: str | None = None) -> Page:
        response, final = self.fetch("get", path)
        return self.record(response, final, variant)

    def post(self, path: str, data: dict | None = None, variant: str | None = None) -> Page:
        response, final = self.fetch("post", path, data)
        return self.record(response, final, variant)

    def submit(self, page: Page, form: Form, data: dict, variant: str | None = None) -> Page:
        response, final = self.fetch("post", _local(urljoin(page.path, form.action)), data)
        return self.record(response, final, variant)

    def try_submit(self, page: Page, form: Form, data: dict, variant: str) -> Page | None:
        """POST data expected to be refused: the page with its errors (None if accepted)."""
        target = _local(urljoin(page.path, form.action))
        response = self.post_without_redirect(target, data)
        if response.status_code in REDIRECTS:
            return None
        return self.record(response, target, variant)


# ---------------------------------------------------------------------------------------------
# The patient's ways through the pages


@dataclass(frozen=True)
class Invitation:
    intake: Intake
    token: str
    date_of_birth: datetime.date


def _staff(username: str, role: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = services.staff_create(
            username=username,
            role=role,
            password=secrets.token_urlsafe(18),
            first_name="Walk",
            last_name=role.replace("_", " ").title(),
            profession="Physiotherapist",
            validate=False,
        )
    return user


def front_desk() -> User:
    return _staff("patient-walk-desk", Role.FRONT_DESK)


def practitioner() -> User:
    return _staff("patient-walk-practitioner", Role.PRACTITIONER)


def clinic_with_phone() -> None:
    """The clinic's phone number shows in the patient pages' header: give it one."""
    clinic = ClinicSettings.load()
    if not clinic.phone:
        services.clinic_settings_update(
            actor=front_desk(), changes={"phone": "01632 960 123"}, expected_version=clinic.version
        )


def birth_date(age_years: int) -> datetime.date:
    """A date of birth for someone who turned ``age_years`` 40 days ago."""
    today = timezone.localdate()
    try:
        birthday = today.replace(year=today.year - age_years)
    except ValueError:  # 29 February
        birthday = today.replace(year=today.year - age_years, day=28)
    return birthday - datetime.timedelta(days=40)


def new_intake(*, age_years: int = 40, name: str = "Jamie Example") -> Intake:
    clinic_with_phone()
    return services.intake_create(
        actor=front_desk(),
        full_name=name,
        date_of_birth=birth_date(age_years),
        appointment_at=timezone.now() + datetime.timedelta(hours=2),
        allow_same_day=True,
    )


def new_invitation(*, age_years: int = 40, name: str = "Jamie Example") -> Invitation:
    """A draft intake and its invitation link, issued by the front desk."""
    intake = new_intake(age_years=age_years, name=name)
    issued = services.link_issue(actor=front_desk(), intake=intake)
    return Invitation(intake, issued.token, intake.patient.date_of_birth)


def _date_data(form: Form, date: datetime.date) -> dict:
    return fill(form, blank, day=str(date.day), month=str(date.month), year=str(date.year))


def confirm_identity(
    walker: Walker, verify: Page, date_of_birth: datetime.date, *, error_states: bool = False
) -> Page:
    """On the identity check: (errors first, if asked) the right date; returns the next page."""
    form = own_form(verify)
    if error_states:
        walker.try_submit(verify, form, fill(form, blank), ERRORS)
        wrong = date_of_birth - datetime.timedelta(days=400)
        walker.try_submit(verify, form, _date_data(form, wrong), WRONG_DATE)
    return walker.submit(verify, form, _date_data(form, date_of_birth))


def open_invitation(walker: Walker, invitation: Invitation, *, error_states: bool = False) -> Page:
    """Open the link as the patient and confirm the date of birth; returns the next page."""
    verify = walker.get(reverse("patient:open", args=[invitation.token]))
    return confirm_identity(walker, verify, invitation.date_of_birth, error_states=error_states)


def _has_questions(form: Form) -> bool:
    return any("__" in name for name in form.fields())


def walk_wizard(
    walker: Walker,
    page: Page,
    *,
    mode: str = YES,
    error_states: bool = False,
    save_later: bool = False,
    leave: bool = False,
) -> Page | None:
    """From a wizard page to the review page, answering each page; returns the review page.

    ``error_states`` posts every page empty first (and with follow-ups empty), so that its
    errors are shown. ``save_later`` uses "Save and finish later" once, on the first page with
    questions, then carries on; with ``leave`` it then leaves the tablet from the "saved" page
    (a kiosk session) and returns None.
    """
    visits: Counter[str] = Counter()
    saved = not save_later
    while True:
        form = wizard_form(page)
        if form is None:
            return page
        visits[page.path] += 1
        if visits[page.path] > MAX_VISITS_PER_PAGE:
            raise WalkError(f"{page.label}: shown {visits[page.path]} times; the walk is stuck")
        if error_states:
            page = _show_errors(walker, page, form, mode)
        if not saved and _has_questions(form) and form.has_button(ACTION, LATER):
            saved_page = walker.submit(page, form, fill(form, Answers(mode), action=LATER))
            saved = True
            if leave:
                return leave_tablet(walker, saved_page)
        page = _next_page(walker, page, form, mode)


def _show_errors(walker: Walker, page: Page, form: Form, mode: str) -> Page:
    """Post the page empty, then with its main answers only, so that its errors show."""
    attempts = [(fill(form, blank, action=NEXT), ERRORS)]
    main_only = fill(form, Answers(mode, main_only=True), action=NEXT)
    if main_only != fill(form, Answers(mode), action=NEXT):
        attempts.append((main_only, FOLLOW_UP_ERRORS))
    for data, variant in attempts:
        if walker.try_submit(page, form, data, variant) is None:  # accepted after all
            page = walker.get(page.path, AGAIN)
    return page


def _next_page(walker: Walker, page: Page, form: Form, mode: str) -> Page:
    """Answer the page (in ``mode``, else the other way) and go on to the next one."""
    target = _local(urljoin(page.path, form.action))
    for answers in (Answers(mode), Answers(NO if mode == YES else YES)):
        response = walker.post_without_redirect(target, fill(form, answers, action=NEXT))
        if response.status_code in REDIRECTS:
            return walker.get(_local(urljoin(target, response["Location"])))
    errors = error_messages(decode(body_of(response), response))
    raise WalkError(
        f"{page.label} refused both yes and no answers ({response.status_code}): "
        + "; ".join(errors)
    )


def leave_tablet(walker: Walker, saved: Page) -> None:
    """On a kiosk's "saved" page: "finish later and return the tablet"."""
    for form in forms_of(saved.html):
        target = _local(urljoin(saved.path, form.action))
        if form.method == "post" and target != saved.path:
            walker.submit(saved, form, fill(form, blank))
            return None
    raise WalkError(f"{saved.label}: no form to leave the tablet")


def finish(walker: Walker, review: Page, *, error_states: bool = False) -> Page:
    """On the review page: (empty first, if asked) tick the declaration and send."""
    form = own_form(review)
    if error_states:
        walker.try_submit(review, form, fill(form, blank), ERRORS)
    return walker.submit(review, form, fill(form, as_offered))


def phone_questionnaire(
    walker: Walker,
    *,
    mode: str = YES,
    age_years: int = 40,
    name: str = "Jamie Example",
    error_states: bool = False,
    save_later: bool = False,
    submit: bool = True,
) -> Intake:
    """A patient opens their link on a phone and answers the whole questionnaire (and sends
    it, with ``submit``); returns the intake."""
    invitation = new_invitation(age_years=age_years, name=name)
    page = open_invitation(walker, invitation, error_states=error_states)
    review = walk_wizard(walker, page, mode=mode, error_states=error_states, save_later=save_later)
    if submit:
        finish(walker, review, error_states=error_states)
    return invitation.intake


def hand_over_tablet(walker: Walker, intake: Intake, view: str = "desk:handover") -> Page:
    """The front desk hands the clinic tablet to the patient; returns the identity check."""
    with override_settings(STAFF_2FA=False):  # the desk's sign-in is not what is walked here
        walker.client.force_login(front_desk())
        return walker.post(reverse(view, args=[intake.public_id]))


def signature_data_url() -> str:
    """A small white PNG, as signature_pad sends it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    width, height = 60, 20
    raw = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + b64encode(png).decode()


def clear_for_signing(intake: Intake) -> None:
    """A practitioner sets a plan and clears the (sent, calm) intake, so it can be signed."""
    from screening.engine.regions import REGIONS, TECHNIQUES

    staff = practitioner()
    intake.refresh_from_db()
    region = "lumbar" if "lumbar" in REGIONS else next(iter(REGIONS))
    services.review_set_plan(
        actor=staff,
        intake=intake,
        techniques=[next(iter(TECHNIQUES))],
        regions=[region],
        clinician={},
        expected_version=intake.version,
    )
    intake.refresh_from_db()
    services.review_decide(
        actor=staff, intake=intake, decision="cleared", expected_version=intake.version
    )


def sign_consent(walker: Walker, intake: Intake, *, error_states: bool = False) -> Page:
    """The desk hands the tablet over for signing; the patient signs. Returns the last page."""
    verify = hand_over_tablet(walker, intake, "desk:consent_handover")
    sign = confirm_identity(walker, verify, intake.patient.date_of_birth)
    form = own_form(sign)
    if error_states:
        walker.try_submit(sign, form, fill(form, blank), ERRORS)
    signatures = {
        c.name: signature_data_url()
        for c in form.controls
        if c.type == "hidden" and c.name.endswith("signature")
    }
    return walker.submit(sign, form, fill(form, as_offered, **signatures))


def all_patient_pages(client) -> list[Page]:
    """Every kind of patient page, with its error and kiosk variants.

    * an unknown invitation link;
    * on a phone, a patient of 16 (so the guardian questions apply) answering yes to
      everything: the identity check (empty, wrong, right), each wizard page (empty, without
      its follow-ups, answered), "save and finish later", the review page unfinished, empty and
      sent, and the page after sending;
    * on the clinic tablet, a calm adult's questionnaire to the end, and another patient who
      saves and hands the tablet back, then is handed it again (welcome back);
    * the consent signed on the tablet, asking the guardian's and interpreter's questions.
    """
    walker = Walker(client)
    walker.get(reverse("patient:open", args=["not-a-link-" + secrets.token_urlsafe(8)]))

    invitation = new_invitation(age_years=16, name="Robin Minor")
    first = open_invitation(walker, invitation, error_states=True)
    public_id = invitation.intake.public_id
    walker.get(reverse("patient:review", args=[public_id]), UNFINISHED)
    walker.get(reverse("patient:done", args=[public_id]), UNFINISHED)
    review = walk_wizard(walker, first, mode=YES, error_states=True, save_later=True)
    finish(walker, review, error_states=True)

    tablet = new_intake(name="Sam Tablet")
    verify = hand_over_tablet(walker, tablet)
    page = confirm_identity(walker, verify, tablet.patient.date_of_birth)
    review = walk_wizard(walker, page, mode=NO, save_later=True)
    finish(walker, review)

    leaving = new_intake(name="Alex Leaving")
    verify = hand_over_tablet(walker, leaving)
    page = confirm_identity(walker, verify, leaving.patient.date_of_birth)
    walk_wizard(walker, page, mode=NO, save_later=True, leave=True)
    # Handed the tablet again later: "Welcome back" (a message) on the page where they stopped.
    verify = hand_over_tablet(walker, leaving)
    confirm_identity(walker, verify, leaving.patient.date_of_birth)

    intake = phone_questionnaire(walker, mode=NO, name="Kim Signing")
    clear_for_signing(intake)
    # Shown on the sign page: the guardian's and the interpreter's questions. Written after
    # the practitioner cleared the intake, because a minor's intake needs a resolved flag first.
    intake.refresh_from_db()
    answers = dict(intake.answers)
    answers["minor_patient"] = {
        "answer": True,
        "age_years": 16,
        "guardian_consent": True,
        "guardian_relationship": "mother",
        "patient_assent": True,
    }
    answers["interpreter_needed"] = {"answer": True, "language": "Polish"}
    Intake.objects.filter(pk=intake.pk).update(answers=answers)
    sign_consent(walker, intake, error_states=True)
    _returning_patient(walker, intake)
    _links_that_no_longer_work(walker)
    _aftercare_checks(walker)
    return walker.pages


def _returning_patient(walker: Walker, earlier: Intake) -> None:
    """A returning patient's check-in on the tablet, three days before the appointment: the
    check-in empty (its errors), then every part still true; the "today" questions, which wait
    for the day; and "Check and send", which says so."""
    intake = services.intake_create(
        actor=front_desk(),
        full_name=earlier.patient.full_name,
        date_of_birth=earlier.patient.date_of_birth,
        appointment_at=timezone.now() + datetime.timedelta(days=3),
    )
    verify = hand_over_tablet(walker, intake)
    checkin = confirm_identity(walker, verify, intake.patient.date_of_birth)
    form = own_form(checkin)
    walker.try_submit(checkin, form, fill(form, blank, action="next"), "errors")
    parts = {f"part_{section.id}": "same" for section in services.checkin_sections()}
    today = walker.submit(
        checkin, form, fill(form, blank, action="next", completed_by="self", **parts)
    )
    walker.submit(today, own_form(today), fill(own_form(today), blank, action="next"))


def _links_that_no_longer_work(walker: Walker) -> None:
    """The typed-code page (empty, a code that cannot be one, a code that matches nothing),
    and the pages of links that no longer open the questionnaire: replaced, cancelled, sent
    (the thank-you page, then expired a day later); and a patient's "not found" page."""
    start = walker.get(reverse("patient:start"))
    form = own_form(start)
    walker.try_submit(start, form, fill(form, blank), ERRORS)
    walker.try_submit(start, form, fill(form, blank, code="IO10"), "code that cannot be one")
    walker.try_submit(start, form, fill(form, blank, code="ABCD-EFGH"), "code that matches none")

    replaced = new_invitation(name="Pat Replaced")
    services.link_issue(actor=front_desk(), intake=replaced.intake)
    walker.get(reverse("patient:open", args=[replaced.token]))

    cancelled = new_invitation(name="Cam Cancelled")
    services.intake_cancel(
        actor=front_desk(),
        intake=cancelled.intake,
        reason="Patient called to cancel.",
        expected_version=cancelled.intake.version,
    )
    walker.get(reverse("patient:open", args=[cancelled.token]))

    sent = new_invitation(name="Sid Sent")
    _answer_calmly(sent.intake)
    walker.get(reverse("patient:open", args=[sent.token]))  # the thank-you page
    Intake.objects.filter(pk=sent.intake.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(days=2)
    )
    walker.get(reverse("patient:open", args=[sent.token]), AGAIN)  # expired
    walker.get(reverse("patient:done", args=[sent.intake.public_id]), "not found")


def _aftercare_checks(walker: Walker) -> None:
    """The 48-hour aftercare check (issue 18): an unknown link; the form (empty, then answered
    with red flags: the emergency advice), and the link once used; a calm answer's thank-you."""
    import hashlib
    import uuid

    from screening.models import AftercareCheck

    walker.get(reverse("patient:aftercare_open", args=["not-a-link-" + secrets.token_urlsafe(8)]))
    for name, symptoms in (
        ("Ari Aftercare", ["short_of_breath", "fever", "numbness"]),
        ("Cal Calm", ["none"]),
    ):
        intake = new_intake(name=name)
        _answer_calmly(intake)
        clear_for_signing(intake)
        intake.refresh_from_db()
        services.consent_record_paper(
            actor=front_desk(), intake=intake, form_token=uuid.uuid4(), signer_name=name
        )
        intake.refresh_from_db()
        services.treatment_record(
            actor=practitioner(),
            intake=intake,
            techniques=intake.plan_techniques,
            regions_treated=intake.plan_regions,
            duration_minutes=20,
        )
        # As ``manage.py send_aftercare_checks`` would have sent it (only the hash is stored).
        token = secrets.token_urlsafe(32)
        AftercareCheck.objects.filter(intake=intake).update(
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            sent_at=timezone.now(),
            delivered=True,
        )
        walker.get(reverse("patient:aftercare_open", args=[token]))
        if symptoms != ["none"]:
            walker.post(reverse("patient:aftercare"), {}, ERRORS)
        walker.post(
            reverse("patient:aftercare"),
            {"soreness": "3", "bruising": "yes", "symptoms": symptoms},
        )
        walker.get(reverse("patient:aftercare_open", args=[token]), "used")


def _answer_calmly(intake: Intake) -> None:
    """Every page answered with nothing to report, through the services, then sent."""
    from screening import selectors

    answers = questionnaire.derive(
        synthetic.negative_answers(),
        thresholds=selectors.clinic_thresholds(),
        age_years=selectors.intake_age(intake),
    )
    for section in questionnaire.SECTIONS:
        if section.id != "review":
            values = {i: answers[i] for i in section.items if i in answers}
            services.intake_save_step(intake=intake, section_id=section.id, values=values)
    services.intake_submit(intake=intake)
