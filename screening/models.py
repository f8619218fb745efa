"""The stored record: staff, clinic settings, patients, intakes, screening snapshots, audit.

Writes go through ``screening.services``; nothing here changes state on its own. Two guards
refuse writes: ``AuditEvent`` is append-only, and a ``Consent`` whose PDF is frozen can only be
marked superseded.
"""

from __future__ import annotations

import copy
import hashlib
import threading
import uuid
from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from screening.roles import Role


class User(AbstractUser):
    """A staff account. Patients never have one."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    profession = models.CharField(
        _("profession"), max_length=100, blank=True, help_text=_("Printed on the consent form.")
    )
    registration_number = models.CharField(
        _("registration / dry-needling credential"), max_length=100, blank=True
    )
    # Set when a clinic admin resets the password to a one-time one: the next sign-in must
    # choose a new password before reaching anything else.
    must_change_password = models.BooleanField(default=False)
    # Counted up to end every session of the user at once (deactivation, a reset second
    # factor): each session is checked against a hash that includes it.
    session_generation = models.PositiveIntegerField(default=0)

    def _get_session_auth_hash(self, secret=None):
        # Django's own hash covers the password only; a deactivated user's session would come
        # back on reactivation, and a reset second factor would leave the sessions open.
        return salted_hmac(
            "screening.models.User.session_auth_hash",
            f"{self.password}|{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def display_name(self) -> str:
        return self.get_full_name() or self.username


# The clinic settings row as read in the current request (see ClinicSettings.load).
_loaded_settings = threading.local()
# The row as this process last read it from the database. A request that learns the row's
# ``updated_at`` from a query it makes anyway (the patient's access check) reuses it when the
# time matches, and reads the row again when it does not (ClinicSettings.offer_updated_at).
_last_read_settings: list = [None]


def forget_loaded_settings(*, in_request: bool | None = None, changed: bool = False) -> None:
    _loaded_settings.row = None
    if changed:
        _last_read_settings[0] = None
    if in_request is not None:
        _loaded_settings.in_request = in_request


class ClinicSettingsQuerySet(models.QuerySet):
    def update(self, **kwargs):
        # ``updated_at`` tells a process that its copy of the row is out of date
        # (ClinicSettings.offer_updated_at), so a bulk update moves it as save() does.
        kwargs.setdefault("updated_at", timezone.now())
        return super().update(**kwargs)


class ClinicSettings(models.Model):
    """The clinic's details and its clinic-level thresholds (the reference's APP DEFAULTs).

    One row (pk=1). Every stored screening result copies the thresholds it used, so changing a
    value here never changes how a past result reads.
    """

    class PaperSize(models.TextChoices):
        A4 = "A4", "A4"
        LETTER = "letter", "US Letter"

    class NodeLevel(models.TextChoices):
        ABSOLUTE = "absolute", _("Absolute (do not needle the at-risk area)")
        RELATIVE = "relative", _("Relative (precaution)")

    name = models.CharField(_("clinic name"), max_length=200, default="Your clinic")
    address = models.TextField(_("address"), blank=True)
    phone = models.CharField(_("clinic phone"), max_length=50, blank=True)
    emergency_number = models.CharField(_("emergency number"), max_length=20, default="999")
    registration_details = models.TextField(
        _("registration numbers"), blank=True, help_text=_("Printed on documents.")
    )
    paper_size = models.CharField(
        _("paper size"), max_length=10, choices=PaperSize.choices, default="A4"
    )
    link_lifetime_days = models.PositiveSmallIntegerField(
        _("invitation link lifetime (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )

    age_of_majority = models.PositiveSmallIntegerField(
        _("Age of majority (years)"),
        help_text=_(
            "Patients younger than this are minors: a parent or guardian gives consent, and the "
            "young person is asked for their agreement."
        ),
        default=18,
        validators=[MinValueValidator(14), MaxValueValidator(21)],
    )
    max_hours_since_meal = models.DecimalField(
        _("Longest time since a meal (hours)"),
        help_text=_(
            "More hours than this since the last meal or snack counts as “not eaten recently” (a "
            "risk of fainting)."
        ),
        max_digits=4,
        decimal_places=1,
        default=Decimal("4"),
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("24"))],
    )
    alcohol_lookback_hours = models.PositiveSmallIntegerField(
        _("Alcohol and sedating drugs: hours asked about"),
        help_text=_(
            "The questionnaire asks about alcohol, recreational or sedating drugs taken in this "
            "many hours before the appointment."
        ),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(72)],
    )
    inr_ceiling = models.DecimalField(
        _("Highest INR for needling"),
        help_text=_(
            "For warfarin-type medicines: an INR above this is an absolute contraindication; a "
            "recent INR at or below it is a precaution."
        ),
        max_digits=3,
        decimal_places=1,
        default=Decimal("3.0"),
        validators=[MinValueValidator(Decimal("1.5")), MaxValueValidator(Decimal("5.0"))],
    )
    inr_max_age_days = models.PositiveSmallIntegerField(
        _("Oldest INR result accepted (days)"),
        help_text=_(
            "An INR test older than this many days counts as not recent: the patient needs a newer"
            " result."
        ),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    min_platelets = models.PositiveSmallIntegerField(
        _("Lowest platelet count (×10⁹ per litre)"),
        help_text=_(
            "A platelet count the patient reports below this is flagged as a bleeding risk."
        ),
        default=50,
        validators=[MinValueValidator(10), MaxValueValidator(150)],
    )
    major_bleed_days = models.PositiveSmallIntegerField(
        _("Recent serious bleed: days asked about"),
        help_text=_(
            "The questionnaire asks about a serious bleed in this many days before the appointment."
        ),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    joint_surgery_months = models.PositiveSmallIntegerField(
        _("Joint replacement or metalwork: recent for (months)"),
        help_text=_(
            "Surgery for a joint replacement or metal hardware less than this many months ago "
            "counts as recent at that site."
        ),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(36)],
    )
    surgery_weeks = models.PositiveSmallIntegerField(
        _("Recent operation: healed wound recent for (weeks)"),
        help_text=_(
            "An operation less than this many weeks ago counts as recent, even with the wound "
            "healed."
        ),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(52)],
    )
    radiotherapy_months = models.PositiveSmallIntegerField(
        _("Radiotherapy: recent for (months)"),
        help_text=_(
            "Radiotherapy this many months ago or less counts as recent for the treated area."
        ),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
    )
    min_bmi = models.DecimalField(
        _("Lowest body mass index (kg/m²)"),
        help_text=_("A body mass index (BMI) below this counts as low body weight."),
        max_digits=4,
        decimal_places=1,
        default=Decimal("18.5"),
        validators=[MinValueValidator(Decimal("14")), MaxValueValidator(Decimal("25"))],
    )
    seizure_free_months = models.PositiveSmallIntegerField(
        _("Epilepsy: seizure-free for at least (months)"),
        help_text=_(
            "A last seizure this many months ago or less counts as seizures not yet controlled."
        ),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    first_trimester_weeks = models.PositiveSmallIntegerField(
        _("End of the first trimester (weeks)"),
        help_text=_("A pregnancy of fewer weeks than this is in the first trimester."),
        default=14,
        validators=[MinValueValidator(12), MaxValueValidator(16)],
    )
    node_at_risk_level = models.CharField(
        _("Limb at risk after lymph node removal"),
        help_text=_(
            "How needling an area whose lymph nodes were removed or irradiated is treated."
        ),
        max_length=10,
        choices=NodeLevel.choices,
        default=NodeLevel.ABSOLUTE,
    )
    accept_representative_consent = models.BooleanField(
        _("Accept consent from a legal representative"),
        help_text=_(
            "When a patient cannot decide for themselves, accept consent from a legal "
            "representative who is present."
        ),
        default=False,
    )

    # The messages that carry a patient's link (screening.messaging): plain text with the
    # placeholders of ``messaging.PLACEHOLDERS``, edited on the clinic admin's Messages page.
    invitation_email_subject = models.CharField(
        _("Invitation e-mail: subject"),
        max_length=200,
        default="Your health questionnaire for {clinic_name}",
    )
    invitation_email_body = models.TextField(
        _("Invitation e-mail: text"),
        default=(
            "Hello,\n\n"
            "Before your appointment at {clinic_name} on {appointment_date} at "
            "{appointment_time}, please answer a short health questionnaire. It takes about "
            "10 minutes, and you can stop and carry on later.\n\n"
            "{link}\n\n"
            "The link asks for your date of birth first. Please do not forward this e-mail.\n\n"
            "Questions? Call us on {clinic_phone}.\n\n"
            "{clinic_name}"
        ),
    )
    invitation_sms_body = models.TextField(
        _("Invitation text message"),
        default=(
            "{clinic_name}: please fill in your health form for {appointment_date} "
            "{appointment_time}: {link}"
        ),
    )
    reminder_email_subject = models.CharField(
        _("Reminder e-mail: subject"),
        max_length=200,
        default="Reminder: your health questionnaire for {clinic_name}",
    )
    reminder_email_body = models.TextField(
        _("Reminder e-mail: text"),
        default=(
            "Hello,\n\n"
            "Your appointment at {clinic_name} is on {appointment_date} at {appointment_time}. "
            "Your health questionnaire is not finished yet: please complete it before you "
            "come. Anything you have already answered is saved.\n\n"
            "{link}\n\n"
            "This link replaces the one we sent before, and asks for your date of birth "
            "first.\n\n"
            "Questions? Call us on {clinic_phone}.\n\n"
            "{clinic_name}"
        ),
    )
    reminder_sms_body = models.TextField(
        _("Reminder text message"),
        default=(
            "{clinic_name}: please finish your health form for {appointment_date} "
            "{appointment_time}: {link}"
        ),
    )
    retention_years = models.PositiveSmallIntegerField(
        _("Keep records for (years after the last appointment)"),
        help_text=_(
            "manage.py apply_retention erases a patient's record this many years after their "
            "last appointment (a minor's not before their 25th birthday). The period is set by "
            "your jurisdiction's rules for health records: check them before changing it."
        ),
        default=8,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    full_questionnaire_months = models.PositiveSmallIntegerField(
        _("Returning patients answer the whole questionnaire again after (months)"),
        help_text=_(
            "A patient whose last questionnaire is younger than this gets a short check-in: "
            "their earlier answers to confirm or change. Older, they answer every question "
            "again (with their earlier answers filled in)."
        ),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
    )
    consent_valid_months = models.PositiveSmallIntegerField(
        _("A signed consent covers a course of treatment for (months)"),
        help_text=_(
            "Within this time a later appointment needs no new consent, unless the plan goes "
            "beyond what was consented to, a new or higher risk appears, or the consent text "
            "changes."
        ),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(36)],
    )
    reminder_hours_before = models.PositiveSmallIntegerField(
        _("Send the reminder (hours before the appointment)"),
        help_text=_(
            "Patients who have not sent their questionnaire get one reminder this many hours "
            "before the appointment, by the same means as their invitation."
        ),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
    )

    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClinicSettingsQuerySet.as_manager()

    MESSAGE_TEMPLATE_FIELDS = (
        "invitation_email_subject",
        "invitation_email_body",
        "invitation_sms_body",
        "reminder_email_subject",
        "reminder_email_body",
        "reminder_sms_body",
    )

    THRESHOLD_FIELDS = (
        "age_of_majority",
        "max_hours_since_meal",
        "alcohol_lookback_hours",
        "inr_ceiling",
        "inr_max_age_days",
        "min_platelets",
        "major_bleed_days",
        "joint_surgery_months",
        "surgery_weeks",
        "radiotherapy_months",
        "min_bmi",
        "seizure_free_months",
        "first_trimester_weeks",
        "node_at_risk_level",
        "accept_representative_consent",
    )

    class Meta:
        verbose_name = _("clinic settings")
        verbose_name_plural = _("clinic settings")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def load(cls) -> ClinicSettings:
        """The one settings row, created with the reference's defaults on first use.

        Within a request it is read once (screening.signals forgets it when a request starts
        and ends, and when the row is saved); each caller gets its own copy to change."""
        cached = getattr(_loaded_settings, "row", None)
        if cached is None:
            cached, _created = cls.objects.get_or_create(pk=1)
            _last_read_settings[0] = cached
            if getattr(_loaded_settings, "in_request", False):
                _loaded_settings.row = cached
        return copy.copy(cached)

    @classmethod
    def offer_updated_at(cls, updated_at) -> None:
        """The current request read the row's ``updated_at`` (a subquery of a query it makes
        anyway, ``updated_at_subquery``): when this process last read the row at that same
        time, the request uses that copy and ``load()`` reads nothing. Every save goes through
        ``save()`` (auto_now), so a changed row has another time and is read again."""
        last = _last_read_settings[0]
        if (
            last is not None
            and updated_at is not None
            and last.updated_at == updated_at
            and getattr(_loaded_settings, "in_request", False)
            and getattr(_loaded_settings, "row", None) is None
        ):
            _loaded_settings.row = last

    @classmethod
    def updated_at_subquery(cls) -> models.Subquery:
        return models.Subquery(cls.objects.filter(pk=1).values("updated_at")[:1])

    def missing_document_details(self) -> list[str]:
        """What the printed documents need from these settings and do not have yet."""
        missing = []
        if not self.name.strip() or self.name == self._meta.get_field("name").default:
            missing.append(str(_("the clinic's name")))
        if not self.address.strip():
            missing.append(str(_("its address")))
        if not self.phone.strip():
            missing.append(str(_("its phone number, which the aftercare sheet gives patients")))
        return missing

    def threshold_values(self) -> dict:
        """Thresholds as plain JSON-friendly values (Decimals become floats)."""
        values = {}
        for name in self.THRESHOLD_FIELDS:
            value = getattr(self, name)
            values[name] = float(value) if isinstance(value, Decimal) else value
        return values


class Patient(models.Model):
    """A person who attends the clinic. Matched on name and date of birth when they return."""

    full_name = models.CharField(_("full name"), max_length=200)
    name_key = models.CharField(max_length=200, editable=False)
    # The patient's opaque id outside the app (the FHIR API's Patient/<public_id>): never the
    # row's number, a name or a date of birth.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # None only once the record is erased (``erased_at``); every live patient has one.
    date_of_birth = models.DateField(_("date of birth"), null=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Set by ``manage.py apply_retention`` when the retention period ended: the name, contact
    # details, date of birth, answers, signatures and PDFs are gone; the row stays, as an
    # opaque id, because the audit trail refers to its intakes.
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        indexes = [models.Index(fields=["name_key", "date_of_birth"])]

    def __str__(self) -> str:
        return f"Patient #{self.pk}"

    @staticmethod
    def make_name_key(name: str) -> str:
        return " ".join(name.split()).casefold()

    def age_on(self, day) -> int | None:
        """Whole years on ``day``; None once the record is erased (no date of birth)."""
        dob = self.date_of_birth
        if dob is None:
            return None
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


class Intake(models.Model):
    """One questionnaire for one appointment, from creation to signed consent."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("In progress")
        SUBMITTED = "submitted", _("Submitted")
        REVIEWED = "reviewed", _("Reviewed")
        SIGNED = "signed", _("Signed")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    class Decision(models.TextChoices):
        CLEARED = "cleared", _("Cleared")
        CLEARED_WITH_MODIFICATIONS = "cleared_with_modifications", _("Cleared with modifications")
        NOT_TODAY = "not_today", _("Not today")
        REFER = "refer", _("Refer")

    class Outcome(models.TextChoices):
        CLEAR = "clear", _("Clear")
        PRECAUTION = "precaution", _("Precaution")
        CONTRAINDICATED = "contraindicated", _("Contraindicated")

    class Kind(models.TextChoices):
        FULL = "full", _("Full questionnaire")
        CHECKIN = "checkin", _("Check-in")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="intakes")
    appointment_at = models.DateTimeField(_("appointment"))
    practitioner = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    decision = models.CharField(max_length=30, choices=Decision.choices, blank=True)

    # The patient's answers in the engine's shape: {item_id: {"answer": ..., follow_up: ...}}.
    answers = models.JSONField(default=dict, blank=True)
    # Follow-ups that only staff set (capacity check, interpreter booked): kept apart so that a
    # patient's save can never overwrite them.
    clinician_answers = models.JSONField(default=dict, blank=True)
    completed_steps = models.JSONField(default=list, blank=True)
    # When each item was last answered or confirmed, {item_id: ISO 8601 instant}: the review
    # marks answers older than a day, and the "today" items count only when given on the day.
    answered_at = models.JSONField(default=dict, blank=True)
    # A returning patient's check-in confirms or changes the answers of ``previous`` (their last
    # submitted intake); a full questionnaire may start from them too.
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FULL)
    previous = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    questionnaire_version = models.CharField(max_length=40, blank=True)
    plan_techniques = models.JSONField(default=list, blank=True)
    plan_regions = models.JSONField(default=list, blank=True)

    # Denormalised from the latest screening so that the queue needs no join.
    latest_outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    latest_flag_count = models.PositiveSmallIntegerField(default=0)
    # The latest screening's flags, [{"item", "level"}] (absolute then relative), so that the
    # queue shows them without reading every screening.
    latest_flags = models.JSONField(default=list, blank=True)

    completed_by = models.CharField(max_length=20, blank=True)
    # When the patient last opened their link or saved a page (the board's "last active", and
    # the warning before a link that is in use is replaced).
    patient_active_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # A cancelled appointment keeps its record: who cancelled it, when and why (the reason is
    # kept here, not in the audit trail, which holds metadata only).
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["appointment_at"]),
            models.Index(fields=["status", "appointment_at"]),
            models.Index(fields=["practitioner", "appointment_at"]),
        ]

    def __str__(self) -> str:
        return f"Intake #{self.pk}"


class IntakeLink(models.Model):
    """An invitation link, and the short code printed beside its QR code. Only the SHA-256 of
    the token and of the code is stored."""

    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    # None for links made before typed codes existed.
    code_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    first_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    failed_identity_checks = models.PositiveSmallIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Link #{self.pk} for intake #{self.intake_id}"


class CodeEntryFailure(models.Model):
    """A typed code that matched no link, by client address: too many from one address in a
    short time refuse further tries (``services.link_open_by_code``). Old rows are deleted as
    new ones come."""

    client_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["client_address", "at"], name="code_failure_addr_idx")]

    def __str__(self) -> str:
        return f"Code entry failure #{self.pk}"


class ScreeningResult(models.Model):
    """A snapshot of one run of the engine: everything needed to explain it later."""

    class Trigger(models.TextChoices):
        SUBMIT = "submit", _("Patient submitted")
        PLAN = "plan", _("Plan changed")
        CLINICIAN = "clinician", _("Clinician check recorded")

    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="screenings")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    outcome = models.CharField(max_length=20, choices=Intake.Outcome.choices)
    findings = models.JSONField(default=list)
    answers = models.JSONField(default=dict)
    plan = models.JSONField(null=True, blank=True)
    thresholds = models.JSONField(default=dict)
    ruleset_version = models.CharField(max_length=40)
    questionnaire_version = models.CharField(max_length=40)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Screening #{self.pk} ({self.outcome})"


class FlagResolution(models.Model):
    """A practitioner's answer to one flag (an item at a level) of an intake.

    A relative flag is acknowledged with the mitigation applied; an absolute flag that still
    fires under the plan can only be resolved by an explicit override with a written clinical
    justification. A resolution holds for the same item at the same level across re-screening;
    if the level changes, the flag needs a new resolution.
    """

    class Kind(models.TextChoices):
        ACKNOWLEDGED = "acknowledged", _("Acknowledged with mitigation")
        OVERRIDE = "override", _("Override with clinical justification")

    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="resolutions")
    screening = models.ForeignKey(ScreeningResult, on_delete=models.PROTECT, related_name="+")
    item = models.CharField(max_length=60)
    level = models.CharField(max_length=10)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    mitigation = models.TextField(blank=True)
    justification = models.TextField(blank=True)
    # The practitioner's own plain words for the patient, printed on the consent form in place
    # of the rule's suggested patient wording; the mitigation and justification are for staff
    # and never printed for the patient.
    patient_wording = models.TextField(blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["intake", "item"])]

    def __str__(self) -> str:
        return f"{self.item} ({self.level}): {self.kind}"


class Decision(models.Model):
    """A practitioner's decision on an intake, kept as history (reopening does not delete)."""

    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="decisions")
    screening = models.ForeignKey(ScreeningResult, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=30, choices=Intake.Decision.choices)
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    reopened_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopen_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-decided_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.decision} by {self.decided_by_id}"


class FrozenConsentError(PermissionError):
    """Something tried to change a consent whose PDF is frozen."""


# Everything a signed consent records. Once its PDF is stored, only ``status`` and
# ``superseded_at`` may change (when a later consent supersedes it).
CONSENT_FROZEN_FIELDS = (
    "intake_id",
    "method",
    "consent_text_version",
    "screening_id",
    "signer_name",
    "signer_role",
    "guardian_relationship",
    "assent_words",
    "patient_signature",
    "patient_signed_at",
    "interpreter_name",
    "interpreter_language",
    "interpreter_mode",
    "interpreter_signature",
    "practitioner_id",
    "practitioner_signature",
    "practitioner_signed_at",
    "recorded_by_id",
    "pdf",
    "sha256",
    "signed_at",
    "valid_until",
    "created_at",
    "form_token",
)


def _frozen_value(value):
    return bytes(value) if isinstance(value, (memoryview, bytearray)) else value


class ConsentQuerySet(models.QuerySet):
    def update(self, **kwargs):
        frozen = {name.removesuffix("_id") for name in CONSENT_FROZEN_FIELDS}
        touched = {name.removesuffix("_id") for name in kwargs} & frozen
        if touched and self.filter(pdf__isnull=False).exists():
            raise FrozenConsentError(f"a signed consent is never edited ({sorted(touched)})")
        return super().update(**kwargs)

    def delete(self):
        if self.filter(pdf__isnull=False).exists():
            raise FrozenConsentError("a signed consent is never deleted")
        return super().delete()


class Consent(models.Model):
    """A consent for one intake and plan.

    On the tablet the patient (or guardian, and an interpreter when one is used) signs first;
    the consent waits for the practitioner's co-signature, and only then is the PDF rendered
    once and frozen here as bytes with their SHA-256. On paper, the unsigned PDF that was
    printed is frozen and a named staff member records that it was signed. A signed consent is
    never edited: signing again creates a new consent that supersedes this one.
    """

    class Status(models.TextChoices):
        AWAITING_PRACTITIONER = "awaiting_practitioner", _("Waiting for the practitioner")
        SIGNED = "signed", _("Signed")
        SUPERSEDED = "superseded", _("Superseded")

    class Method(models.TextChoices):
        TABLET = "tablet", _("Signed on the tablet")
        PAPER = "paper", _("Signed on paper")

    class SignerRole(models.TextChoices):
        PATIENT = "patient", _("Patient")
        GUARDIAN = "guardian", _("Parent or guardian")

    class InterpreterMode(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        PHONE = "phone", _("By phone")
        VIDEO = "video", _("By video")

    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="consents")
    status = models.CharField(max_length=30, choices=Status.choices)
    method = models.CharField(max_length=10, choices=Method.choices)
    consent_text_version = models.CharField(max_length=40)
    screening = models.ForeignKey(ScreeningResult, on_delete=models.PROTECT, related_name="+")

    signer_name = models.CharField(max_length=200, blank=True)
    signer_role = models.CharField(max_length=10, choices=SignerRole.choices, blank=True)
    guardian_relationship = models.CharField(max_length=100, blank=True)
    assent_words = models.TextField(blank=True)
    patient_signature = models.BinaryField(null=True, blank=True)  # PNG
    patient_signed_at = models.DateTimeField(null=True, blank=True)

    interpreter_name = models.CharField(max_length=200, blank=True)
    interpreter_language = models.CharField(max_length=100, blank=True)
    interpreter_mode = models.CharField(max_length=10, choices=InterpreterMode.choices, blank=True)
    interpreter_signature = models.BinaryField(null=True, blank=True)  # PNG

    practitioner = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    practitioner_signature = models.BinaryField(null=True, blank=True)  # PNG
    practitioner_signed_at = models.DateTimeField(null=True, blank=True)

    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pdf = models.BinaryField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    # The last day this consent covers later appointments of the course (the clinic's
    # ``consent_valid_months`` from the day it was signed); empty on consents signed before.
    valid_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    superseded_at = models.DateTimeField(null=True, blank=True)
    # The one-time token of the form that created this consent (tablet or paper): the same POST
    # sent twice finds this consent instead of making another. Empty on older consents.
    form_token = models.UUIDField(null=True, blank=True, editable=False)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        # The queue counts the consents waiting for a co-signature.
        indexes = [models.Index(fields=["status"], name="consent_status_idx")]
        constraints = [
            # The services look a token up under the intake's row lock; this is the backstop.
            models.UniqueConstraint(
                fields=["intake", "form_token"], name="consent_form_token_once_per_intake"
            )
        ]

    def __str__(self) -> str:
        return f"Consent #{self.pk} ({self.status})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = (
                Consent.objects.filter(pk=self.pk, pdf__isnull=False)
                .values(*CONSENT_FROZEN_FIELDS)
                .first()
            )
            if stored is not None:
                changed = [
                    name
                    for name in CONSENT_FROZEN_FIELDS
                    if _frozen_value(stored[name]) != _frozen_value(getattr(self, name))
                ]
                if changed:
                    raise FrozenConsentError(f"a signed consent is never edited ({changed})")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.pdf is not None:
            raise FrozenConsentError("a signed consent is never deleted")
        return super().delete(*args, **kwargs)

    def pdf_intact(self) -> bool:
        """True when the stored bytes still have the SHA-256 recorded when they were frozen."""
        if self.pdf is None or not self.sha256:
            return False
        return hashlib.sha256(bytes(self.pdf)).hexdigest() == self.sha256


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("audit events are append-only")

    def delete(self):
        raise PermissionError("audit events are append-only")


class AuditEvent(models.Model):
    """Append-only record of who did what to which intake. Never holds answer values."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=60)
    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, null=True, blank=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # A trusted reverse proxy's own id for the request, kept beside ours (never instead of it).
    upstream_request_id = models.CharField(max_length=64, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    # The hash chain (screening.audit_chain): the previous row's hash and this row's own.
    prev_hash = models.CharField(max_length=64, blank=True)
    row_hash = models.CharField(max_length=64, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["intake", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")


class RenderedDocument(models.Model):
    """An unsigned consent form or aftercare sheet rendered ahead of printing, keyed by
    everything its bytes depend on (``screening.services.documents.document_key``). A print
    serves these bytes; a key that matches nothing is rendered once and stored. A render that
    failed is kept as a row with ``error`` and no bytes, so the documents page can say so."""

    class Kind(models.TextChoices):
        CONSENT = "consent", _("Consent form")
        AFTERCARE = "aftercare", _("Aftercare sheet")

    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="rendered")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=64)
    pdf = models.BinaryField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["intake", "kind", "key"], name="one_rendering_per_document_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} of intake #{self.intake_id}"


class InvitationMessage(models.Model):
    """One e-mail or text message that carried a patient's link: an invitation sent by staff,
    or a reminder sent by ``manage.py send_reminders``. It records how and when it went and
    what happened, never the address or the text (which held a live link)."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        REMINDER = "reminder", _("Reminder")

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("text message")

    class Status(models.TextChoices):
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="messages")
    link = models.ForeignKey(
        IntakeLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENDING)
    # The appointment time the message named: a moved appointment gets its own reminder.
    appointment_at = models.DateTimeField()
    # Plain words for staff ("The mail server refused the address"), never a traceback.
    error = models.CharField(max_length=300, blank=True)
    # The provider's id: the e-mail's Message-ID, or the text message service's message SID.
    provider_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # None for a reminder sent by the scheduled command.
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["intake", "channel", "created_at"], name="message_latest_idx")
        ]
        constraints = [
            # Two overlapping runs of send_reminders, or one run twice, send one reminder.
            models.UniqueConstraint(
                fields=["intake", "kind", "channel", "appointment_at"],
                condition=models.Q(kind="reminder"),
                name="one_reminder_per_channel_and_appointment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.channel} for intake #{self.intake_id} ({self.status})"


class TreatmentRecord(models.Model):
    """What was actually done at one appointment (issue 18), recorded by the practitioner after
    the session. Techniques and regions are engine ids; pages show their labels."""

    intake = models.OneToOneField(Intake, on_delete=models.PROTECT, related_name="treatment")
    practitioner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    treated_at = models.DateTimeField(_("treated at"), default=timezone.now)
    techniques = models.JSONField(default=list)
    regions = models.JSONField(default=list)
    needle_count = models.PositiveSmallIntegerField(_("number of needles"), null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), null=True, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [
            models.Index(fields=["treated_at"], name="treatment_treated_at_idx"),
            models.Index(fields=["practitioner", "treated_at"], name="treatment_practitioner_idx"),
            # The latest change, read on every view of the safety report (StoredFigures).
            models.Index(fields=["updated_at"], name="treatment_updated_at_idx"),
        ]

    def __str__(self) -> str:
        return f"Treatment of intake #{self.intake_id}"


class AdverseEvent(models.Model):
    """Something that followed a treatment (clinical reference §6: Brady 2014's mild events and
    the significant ones), recorded by a practitioner or from the patient's 48-hour check."""

    class Type(models.TextChoices):
        # Mild events (Brady 2014)
        BRUISING = "bruising", _("Bruising")
        BLEEDING = "bleeding", _("Bleeding")
        PAIN_DURING = "pain_during", _("Pain during treatment")
        PAIN_AFTER = "pain_after", _("Pain after treatment")
        AGGRAVATION = "aggravation", _("Symptoms made worse")
        DROWSINESS = "drowsiness", _("Drowsiness")
        HEADACHE = "headache", _("Headache")
        NAUSEA = "nausea", _("Nausea")
        FATIGUE = "fatigue", _("Tiredness")
        ALTERED_EMOTIONS = "altered_emotions", _("Altered emotions")
        OTHER_MILD = "other_mild", _("Other mild event")
        # Significant events
        FAINTING = "fainting", _("Fainting or near-fainting (vasovagal)")
        PNEUMOTHORAX = "pneumothorax", _("Suspected pneumothorax")
        NERVE_INJURY = "nerve_injury", _("Nerve injury")
        INFECTION = "infection", _("Infection at a needle site")
        RETAINED_NEEDLE = "retained_needle", _("Retained or broken needle")
        OTHER_SIGNIFICANT = "other_significant", _("Other significant event")

    SIGNIFICANT_TYPES = frozenset(
        {
            "fainting",
            "pneumothorax",
            "nerve_injury",
            "infection",
            "retained_needle",
            "other_significant",
        }
    )

    class Severity(models.TextChoices):
        MILD = "mild", _("Mild")
        MODERATE = "moderate", _("Moderate")
        SIGNIFICANT = "significant", _("Significant")

    class Onset(models.TextChoices):
        DURING = "during", _("During treatment")
        WITHIN_24H = "within_24h", _("Within 24 hours")
        LATER = "later", _("Later")

    class Source(models.TextChoices):
        PRACTITIONER = "practitioner", _("Recorded by a practitioner")
        AFTERCARE_CHECK = "aftercare_check", _("From the patient's aftercare check")

    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="adverse_events")
    treatment = models.ForeignKey(
        TreatmentRecord, on_delete=models.PROTECT, related_name="adverse_events"
    )
    type = models.CharField(_("what happened"), max_length=30, choices=Type.choices)
    severity = models.CharField(_("severity"), max_length=12, choices=Severity.choices)
    onset = models.CharField(_("when it started"), max_length=12, choices=Onset.choices)
    duration = models.CharField(_("how long it lasted"), max_length=100, blank=True)
    action_taken = models.TextField(_("action taken"), blank=True)
    referred = models.BooleanField(_("referred"), default=False)
    referred_to = models.CharField(_("referred to"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.PRACTITIONER)
    # None when the event came from the patient's own aftercare check.
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "pk"]
        indexes = [models.Index(fields=["type", "recorded_at"], name="adverse_type_idx")]

    def __str__(self) -> str:
        return f"{self.type} after intake #{self.intake_id}"

    @property
    def is_significant(self) -> bool:
        return self.type in self.SIGNIFICANT_TYPES or self.severity == self.Severity.SIGNIFICANT


class AftercareCheck(models.Model):
    """The patient's check two days after a treatment (issue 18): sent through a one-use link
    by ``manage.py send_aftercare_checks``, or phoned by the desk. Only the SHA-256 of the
    link's token is stored. A red-flag answer flags the intake for a practitioner's call until
    one records it."""

    class DeskOutcome(models.TextChoices):
        WELL = "well", _("Spoke to the patient: no problems")
        PROBLEM = "problem", _("Spoke to the patient: a practitioner should call back")
        NO_ANSWER = "no_answer", _("No answer: try again later")

    intake = models.OneToOneField(Intake, on_delete=models.PROTECT, related_name="aftercare_check")
    treatment = models.OneToOneField(
        TreatmentRecord, on_delete=models.PROTECT, related_name="aftercare_check"
    )
    due_at = models.DateTimeField(_("due"))
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # Set once, when the scheduled command took the check (sent, or found no way to send it).
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_channels = models.JSONField(default=list, blank=True)
    # True when at least one message reached the provider; False sends the check to the desk.
    delivered = models.BooleanField(default=False)
    send_error = models.CharField(max_length=300, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    soreness = models.PositiveSmallIntegerField(null=True, blank=True)
    bruising = models.BooleanField(null=True, blank=True)
    symptoms = models.JSONField(default=list, blank=True)
    other_symptoms = models.TextField(blank=True)
    red_flags = models.JSONField(default=list, blank=True)
    # A red-flag answer (or the desk's call) asks a practitioner to call the patient.
    call_needed_at = models.DateTimeField(null=True, blank=True)
    call_recorded_at = models.DateTimeField(null=True, blank=True)
    call_recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    call_note = models.TextField(blank=True)
    desk_called_at = models.DateTimeField(null=True, blank=True)
    desk_called_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    desk_outcome = models.CharField(max_length=12, choices=DeskOutcome.choices, blank=True)
    desk_note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["due_at"], name="aftercare_due_idx"),
            models.Index(fields=["call_needed_at"], name="aftercare_call_idx"),
        ]

    def __str__(self) -> str:
        return f"Aftercare check of intake #{self.intake_id}"

    @property
    def call_waiting(self) -> bool:
        return self.call_needed_at is not None and self.call_recorded_at is None


class ApiToken(models.Model):
    """A bearer token of one integration (an EHR pulling FHIR resources), created and revoked
    by the clinic admin. Only the SHA-256 of the token is stored; the token is shown once."""

    class Scope(models.TextChoices):
        READ = "read", _("Read only")

    name = models.CharField(_("integration name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.READ)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"API token #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class StoredFigures(models.Model):
    """Figures counted over many rows, kept for the next reader while the rows they were
    counted from have not changed (the safety report's counts: ``services.safety``). A row is
    valid only for its ``data_version``; every worker and machine shares it."""

    key = models.CharField(max_length=64, unique=True)
    data_version = models.CharField(max_length=200)
    payload = models.JSONField()
    computed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"figures {self.key[:12]} at {self.data_version}"
