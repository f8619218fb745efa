"""The clinic safety report's reads: treatments and adverse events over a period, counted in the
database (COUNT ... GROUP BY or conditional counts), never by loading every row.

A treatment belongs to the period of its ``treated_at`` (clinic-local days, both ends
included); its adverse events belong to the same period, whenever they were recorded. Every
clinic rate is a proportion: treatments with at least one such event, out of all treatments.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Case, Count, IntegerField, Max, Q, Value, When
from django.utils import timezone

from screening import safety_stats, selectors
from screening.engine import regions
from screening.models import AdverseEvent, StoredFigures, TreatmentRecord, User
from screening.safety_stats import Published, Rate

SIGNIFICANT_LISTED = 50  # the list at the top of the page; the count says when there are more
SIGNIFICANT_EXPORTED = 10_000  # the CSV's list
RECENT_DAYS = 30

_Type = AdverseEvent.Type
_SIGNIFICANT = AdverseEvent.SIGNIFICANT_TYPES
MILD_TYPES = tuple(value for value in _Type.values if value not in _SIGNIFICANT)
SIGNIFICANT_TYPES = tuple(value for value in _Type.values if value in _SIGNIFICANT)


def significant_q(prefix: str = "") -> Q:
    """AdverseEvent.is_significant as a query: a significant type, or graded significant."""
    return Q(**{f"{prefix}type__in": SIGNIFICANT_TYPES}) | Q(
        **{f"{prefix}severity": AdverseEvent.Severity.SIGNIFICANT}
    )


@dataclass(frozen=True)
class TypeRow:
    key: str
    label: str
    events: int
    rate: Rate
    published: Published
    summary: bool = False


@dataclass(frozen=True)
class GroupRow:
    label: str
    rate: Rate  # treatments with any adverse event
    significant: int  # significant events


@dataclass(frozen=True)
class MonthRow:
    month: datetime.date  # the first of the month
    rate: Rate


@dataclass(frozen=True)
class SignificantEvent:
    treated_on: datetime.date
    type_label: str
    practitioner: str
    severity: str
    referred: bool
    intake_public_id: object


@dataclass
class SafetyReport:
    start: datetime.date
    end: datetime.date
    treatments: int
    mild_types: list[TypeRow] = field(default_factory=list)
    significant_types: list[TypeRow] = field(default_factory=list)
    by_practitioner: list[GroupRow] = field(default_factory=list)
    by_technique: list[GroupRow] = field(default_factory=list)
    monthly: list[MonthRow] = field(default_factory=list)
    significant_events: list[SignificantEvent] = field(default_factory=list)
    significant_count: int = 0

    @property
    def any_event(self) -> Rate:
        return next(row.rate for row in self.mild_types if row.key == "any_mild")

    @property
    def few(self) -> bool:
        return self.treatments < safety_stats.FEW_TREATMENTS


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last 12 months: from the first of the month 11 months ago to today."""
    month = today.month - 11
    year = today.year
    if month < 1:
        month += 12
        year -= 1
    return datetime.date(year, month, 1), today


def month_starts(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The first day of every calendar month that the period [start, end] touches."""
    months = []
    month = start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def _bounds(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, ...]:
    return selectors.day_bounds(start)[0], selectors.day_bounds(end)[1]


def _month_of(field: str, month_ends: list[datetime.datetime]) -> Case:
    """The index of the period's month that ``field`` falls in, for rows already within the
    period: the first month whose end lies after it."""
    return Case(
        *(
            When(**{f"{field}__lt": end}, then=Value(index))
            for index, end in enumerate(month_ends[:-1])
        ),
        default=Value(len(month_ends) - 1),
        output_field=IntegerField(),
    )


def safety_report(
    *, start: datetime.date, end: datetime.date, significant_listed: int = SIGNIFICANT_LISTED
) -> SafetyReport:
    """Every figure of the safety report for the clinic-local days ``start`` to ``end``.

    A fixed number of queries, whatever the number of treatments: the counts (``_count``:
    treatments by (practitioner, techniques) and by month; events by type; events by
    (practitioner, techniques, month) with the number of distinct treatments having any, a
    mild and a significant event), stored while the rows they come from are unchanged
    (``_stored_counts``); the practitioners' names; and the ``significant_listed`` latest
    significant events. A treatment lies in exactly one (practitioner, techniques, month)
    group, so its distinct counts add up across groups into every table.
    """
    since, until = _bounds(start, end)
    months = month_starts(start, end)
    month_ends = [min(until, _next_month_start(month)) for month in months]
    counts = _stored_counts(since, until, month_ends)
    treatment_groups = counts["treatment_groups"]
    treatments_by_month = dict(counts["treatments_by_month"])
    by_type = {row["type"]: row for row in counts["by_type"]}
    event_groups = counts["event_groups"]
    n = sum(group["n"] for group in treatment_groups)
    totals = {
        key: sum(group[key] for group in event_groups)
        for key in ("any", "mild", "significant", "mild_events", "significant_events")
    }
    labels = dict(_Type.choices)
    published = safety_stats.PUBLISHED

    def type_row(key: str) -> TypeRow:
        row = by_type.get(key, {"events": 0, "treatments": 0})
        return TypeRow(
            key, str(labels[key]), row["events"], Rate(row["treatments"], n), published[key]
        )

    report = SafetyReport(start=start, end=end, treatments=n)
    report.mild_types = [
        TypeRow(
            "any_mild",
            "Any mild event",
            totals["mild_events"],
            Rate(totals["mild"], n),
            published["any_mild"],
            summary=True,
        ),
        *(type_row(key) for key in MILD_TYPES),
    ]
    report.significant_types = [
        TypeRow(
            "any_significant",
            "Any significant event",
            totals["significant_events"],
            Rate(totals["significant"], n),
            published["any_significant"],
            summary=True,
        ),
        *(type_row(key) for key in SIGNIFICANT_TYPES),
    ]
    report.by_technique = [
        GroupRow(
            technique.label,
            Rate(
                _sum(event_groups, "any", "treatment__techniques", tid),
                _sum(treatment_groups, "n", "techniques", tid),
            ),
            _sum(event_groups, "significant_events", "treatment__techniques", tid),
        )
        for tid, technique in regions.TECHNIQUES.items()
        if _sum(treatment_groups, "n", "techniques", tid)
    ]
    report.monthly = [
        MonthRow(
            month,
            Rate(
                sum(g["any"] for g in event_groups if g["month"] == index),
                treatments_by_month.get(index, 0),
            ),
        )
        for index, month in enumerate(months)
    ]
    report.by_practitioner = _by_practitioner(treatment_groups, event_groups)
    report.significant_count = totals["significant_events"]
    if significant_listed <= SIGNIFICANT_LISTED:
        # The page's list: the latest significant events were found when the counts were, so
        # only those rows are read (by key).
        listed = AdverseEvent.objects.filter(pk__in=counts["significant_ids"][:significant_listed])
    else:
        listed = _significant_in_period(since, until)
    report.significant_events = _significant_events(listed, significant_listed)
    return report


def _significant_in_period(since, until):
    """The period's significant events. The period as a computed flag rather than a date
    range: the database then reads the few significant events first instead of walking the
    whole period's treatments by date."""
    in_period = Case(
        When(treatment__treated_at__gte=since, treatment__treated_at__lt=until, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return (
        AdverseEvent.objects.filter(significant_q()).alias(in_period=in_period).filter(in_period=1)
    )


# The counts' stored form; a change to what _count returns needs a new number.
FIGURES_FORMAT = 2  # 2: with the latest significant events' keys


def _data_version() -> str:
    """What the counts depend on, read from indexes alone: the newest treatment record and
    its latest change, and the newest adverse event. Records and events are never deleted
    (protected foreign keys, no service deletes them), events are never edited, and every
    correction of a record goes through ``save()``, which moves ``updated_at``."""
    # One MAX per query: SQLite answers a lone MIN or MAX from the index, but two aggregates in
    # one query read the whole table.
    last = TreatmentRecord.objects.aggregate(last=Max("pk"))["last"]
    changed = TreatmentRecord.objects.aggregate(changed=Max("updated_at"))["changed"]
    events = AdverseEvent.objects.aggregate(last=Max("pk"))["last"]
    return f"{FIGURES_FORMAT}:{last}:{changed.isoformat() if changed else '-'}:{events}"


def _stored_counts(since, until, month_ends: list) -> dict:
    """The period's counts: stored ones when nothing they were counted from has changed
    since (``StoredFigures``, shared by every worker), else counted now and stored. Counting
    a year of a large clinic's treatments takes a few hundred milliseconds; reading the
    stored counts, a few."""
    key = hashlib.sha256(
        json.dumps(["safety", since.isoformat(), [end.isoformat() for end in month_ends]]).encode()
    ).hexdigest()
    version = _data_version()
    stored = (
        StoredFigures.objects.filter(key=key, data_version=version)
        .values_list("payload", flat=True)
        .first()
    )
    if stored is not None:
        return stored
    counts = _count(since, until, month_ends)
    try:
        with transaction.atomic():
            StoredFigures.objects.update_or_create(
                key=key,
                defaults={
                    "data_version": version,
                    "payload": counts,
                    "computed_at": timezone.now(),
                },
            )
    except IntegrityError:
        pass  # another worker stored the same counts first
    return counts


def _count(since, until, month_ends: list) -> dict:
    """Four counting queries over the period (JSON-ready, to be stored): treatments by
    (practitioner, techniques) and by month; events by type; events by (practitioner,
    techniques, month) with the number of distinct treatments having any, a mild and a
    significant event; and the keys of the latest significant events the page lists."""
    treatments = TreatmentRecord.objects.filter(treated_at__gte=since, treated_at__lt=until)
    treatment_groups = list(
        treatments.values("practitioner", "techniques").annotate(n=Count("pk")).order_by()
    )
    # By month apart: the date index alone answers it, without reading the rows.
    treatments_by_month = [
        [row["month"], row["n"]]
        for row in treatments.annotate(month=_month_of("treated_at", month_ends))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by()
    ]
    events = AdverseEvent.objects.filter(
        treatment__treated_at__gte=since, treatment__treated_at__lt=until
    ).annotate(month=_month_of("treatment__treated_at", month_ends))
    by_type = list(
        events.values("type")
        .annotate(events=Count("pk"), treatments=Count("treatment", distinct=True))
        .order_by()
    )
    event_groups = list(
        events.values("treatment__practitioner", "treatment__techniques", "month")
        .annotate(
            any=Count("treatment", distinct=True),
            mild=Count("treatment", distinct=True, filter=Q(type__in=MILD_TYPES)),
            significant=Count("treatment", distinct=True, filter=significant_q()),
            mild_events=Count("pk", filter=Q(type__in=MILD_TYPES)),
            significant_events=Count("pk", filter=significant_q()),
        )
        .order_by()
    )
    significant_ids = list(
        _significant_in_period(since, until)
        .order_by("-treatment__treated_at", "-pk")
        .values_list("pk", flat=True)[:SIGNIFICANT_LISTED]
    )
    return {
        "treatment_groups": treatment_groups,
        "treatments_by_month": treatments_by_month,
        "by_type": by_type,
        "event_groups": event_groups,
        "significant_ids": significant_ids,
    }


def _sum(groups: list[dict], key: str, techniques_key: str, technique: str) -> int:
    """``key`` summed over the groups whose technique list holds ``technique``."""
    return sum(group[key] for group in groups if technique in (group[techniques_key] or ()))


def _next_month_start(month: datetime.date) -> datetime.datetime:
    following = (month + datetime.timedelta(days=32)).replace(day=1)
    return selectors.day_bounds(following)[0]


def _by_practitioner(treatment_groups: list[dict], event_groups: list[dict]) -> list[GroupRow]:
    counts: dict[int, dict[str, int]] = {}
    for group in treatment_groups:
        row = counts.setdefault(group["practitioner"], {"n": 0, "k": 0, "significant": 0})
        row["n"] += group["n"]
    for group in event_groups:
        row = counts.setdefault(
            group["treatment__practitioner"], {"n": 0, "k": 0, "significant": 0}
        )
        row["k"] += group["any"]
        row["significant"] += group["significant_events"]
    names = {user.pk: user.display_name() for user in User.objects.filter(pk__in=counts)}
    rows = [
        GroupRow(names.get(pk, "—"), Rate(row["k"], row["n"]), row["significant"])
        for pk, row in counts.items()
    ]
    return sorted(rows, key=lambda row: row.label.casefold())


def _significant_events(events, listed: int) -> list[SignificantEvent]:
    labels = dict(_Type.choices)
    severities = dict(AdverseEvent.Severity.choices)
    rows = (
        events.select_related("treatment__practitioner", "intake")
        .only(
            "type",
            "severity",
            "referred",
            "intake__public_id",
            "treatment__treated_at",
            "treatment__practitioner__first_name",
            "treatment__practitioner__last_name",
            "treatment__practitioner__username",
        )
        .order_by("-treatment__treated_at", "-pk")[:listed]
    )
    return [
        SignificantEvent(
            treated_on=timezone.localtime(event.treatment.treated_at).date(),
            type_label=str(labels.get(event.type, event.type)),
            practitioner=event.treatment.practitioner.display_name(),
            severity=str(severities.get(event.severity, event.severity)),
            referred=event.referred,
            intake_public_id=event.intake.public_id,
        )
        for event in rows
    ]


def recent_significant_count(now: datetime.datetime | None = None) -> int:
    """Significant adverse events recorded in the last 30 days, for the admin's landing page."""
    since = (now or timezone.now()) - datetime.timedelta(days=RECENT_DAYS)
    return AdverseEvent.objects.filter(significant_q(), recorded_at__gte=since).count()
