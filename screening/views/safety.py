"""The clinic safety report (clinic admin): treatments and adverse events over a period beside
the published rates, a monthly chart drawn here as SVG, and the same tables as CSV."""

from __future__ import annotations

import csv
import datetime

from crispy_forms.helper import FormHelper
from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from screening import safety_stats, services
from screening.permissions import Perm, require_perm
from screening.services import safety
from screening.views.manage import _cell

EARLIEST = datetime.date(2000, 1, 1)
LATEST = datetime.date(2100, 12, 31)
LONGEST_DAYS = 10 * 366


class SafetyPeriodForm(forms.Form):
    """The report's period (GET, so a period can be bookmarked); both days included."""

    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, default: tuple[datetime.date, datetime.date], **kwargs):
        super().__init__(*args, **kwargs)
        self.default = default
        if not self.is_bound:
            self.initial = {"date_from": default[0], "date_to": default[1]}
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        data = super().clean()
        for name in ("date_from", "date_to"):
            day = data.get(name)
            if day and not EARLIEST <= day <= LATEST:
                self.add_error(name, _("Choose a date between 2000 and 2100."))
        if self.errors:
            return data
        start = data.get("date_from") or self.default[0]
        end = data.get("date_to") or self.default[1]
        if start > end:
            self.add_error(
                "date_to",
                _(
                    "The end date is before the start date. The report below still shows "
                    "the last 12 months; choose an end date on or after the start date."
                ),
            )
        elif (end - start).days > LONGEST_DAYS:
            self.add_error("date_to", _("Choose a period of at most 10 years."))
        else:
            data["period"] = (start, end)
        return data

    @property
    def period(self) -> tuple[datetime.date, datetime.date]:
        if self.is_bound and self.is_valid():
            return self.cleaned_data["period"]
        return self.default


@require_perm(Perm.VIEW_SAFETY_REPORT)
def safety_report(request):
    """The report for the chosen period (default: the last 12 months); ``?format=csv``
    downloads its tables. Bad dates are explained and the default period is shown."""
    form = SafetyPeriodForm(
        request.GET if ({"date_from", "date_to"} & set(request.GET)) else None,
        default=safety.default_period(timezone.localdate()),
    )
    start, end = form.period
    period = {"from": start.isoformat(), "to": end.isoformat()}
    if request.GET.get("format") == "csv" and not form.errors:
        report = safety.safety_report(
            start=start, end=end, significant_listed=safety.SIGNIFICANT_EXPORTED
        )
        services.audit_record(
            actor=request.user, action="safety_report.export", request=request, detail=period
        )
        return _report_csv(report)
    report = safety.safety_report(start=start, end=end)
    services.audit_record(
        actor=request.user, action="safety_report.view", request=request, detail=period
    )
    query = request.GET.copy()
    query.pop("format", None)
    query["date_from"], query["date_to"] = start.isoformat(), end.isoformat()
    return render(
        request,
        "screening/manage/safety.html",
        {
            "form": form,
            "report": report,
            "mild_rows": [_type_row(row) for row in report.mild_types],
            "significant_rows": [_type_row(row) for row in report.significant_types],
            "practitioner_rows": [_group_row(row) for row in report.by_practitioner],
            "technique_rows": [_group_row(row) for row in report.by_technique],
            "month_rows": [_month_row(row) for row in report.monthly],
            "chart": _chart(report),
            "overall": _rate_words(report.any_event),
            "few_treatments": safety_stats.FEW_TREATMENTS,
            "csv_query": query.urlencode() + "&format=csv",
        },
    )


def _rate_words(rate: safety_stats.Rate) -> dict:
    """A rate's figures as a clinic owner reads them ("8.1", "5.2", "12.4"); dashes for none."""
    if rate.n == 0:
        return {"rate": "—", "low": "—", "high": "—"}
    return {
        "rate": safety_stats.number(rate.per_100),
        "low": safety_stats.number(rate.low),
        "high": safety_stats.number(rate.high),
    }


def _type_row(row: safety.TypeRow) -> dict:
    return {
        "label": row.label,
        "summary": row.summary,
        "events": row.events,
        "treatments": row.rate.k,
        "clinic": _rate_words(row.rate),
        "published": safety_stats.published_number(row.published.per_100),
        "published_text": row.published.text,
        "sources": row.published.sources,
        "has_published": row.published.per_100 is not None,
    }


def _group_row(row: safety.GroupRow) -> dict:
    return {
        "label": row.label,
        "treatments": row.rate.n,
        "with_event": row.rate.k,
        "clinic": _rate_words(row.rate),
        "significant": row.significant,
        "few": row.rate.few,
    }


def _month_row(row: safety.MonthRow) -> dict:
    return {
        "month": row.month,
        "treatments": row.rate.n,
        "with_event": row.rate.k,
        "clinic": _rate_words(row.rate),
    }


# The chart's geometry, in SVG user units (the SVG scales to the page's width).
CHART_WIDTH, CHART_HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40


def _chart(report: safety.SafetyReport) -> dict:
    """Coordinates for the monthly chart: the 95 % band as polygons, the rate as polylines
    (both broken at months without treatments), the published mild-event rate as a line."""
    months = report.monthly
    reference = safety_stats.PUBLISHED["any_mild"].per_100
    highs = [row.rate.high for row in months if row.rate.n]
    top_value = max([reference * 1.2, *highs]) if highs else reference * 1.2
    top_value = _nice_ceiling(top_value)
    plot_w = CHART_WIDTH - LEFT - RIGHT
    plot_h = CHART_HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(months), 1)

    def x(index: int) -> float:
        return round(LEFT + step * (index + 0.5), 1)

    def y(value: float) -> float:
        return round(TOP + plot_h * (1 - min(value, top_value) / top_value), 1)

    runs, run = [], []
    for index, row in enumerate(months):
        if row.rate.n:
            run.append((index, row.rate))
        elif run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    bands = [
        " ".join(f"{x(i)},{y(rate.high)}" for i, rate in run)
        + " "
        + " ".join(f"{x(i)},{y(rate.low)}" for i, rate in reversed(run))
        for run in runs
    ]
    lines = [" ".join(f"{x(i)},{y(rate.per_100)}" for i, rate in run) for run in runs]
    points = [{"x": x(i), "y": y(rate.per_100)} for run in runs for i, rate in run]
    ticks = [
        {"y": y(value), "label": f"{value:g}"}
        for value in (top_value * fraction / 4 for fraction in range(5))
    ]
    label_every = max(1, len(months) // 12)
    month_labels = [
        {"x": x(i), "label": row.month.strftime("%b %y")}
        for i, row in enumerate(months)
        if i % label_every == 0
    ]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": LEFT,
        "tick_x": LEFT - 6,
        "right": CHART_WIDTH - RIGHT,
        "bottom": TOP + plot_h,
        "bands": bands,
        "lines": lines,
        "points": points,
        "ticks": ticks,
        "months": month_labels,
        "reference_y": y(reference),
        "reference": safety_stats.published_number(reference),
        "label_y": TOP + plot_h + 24,
    }


def _nice_ceiling(value: float) -> float:
    for nice in (1, 2, 5, 10, 20, 25, 30, 40, 50, 60, 80, 100):
        if value <= nice:
            return float(nice)
    return 100.0


def _report_csv(report: safety.SafetyReport) -> HttpResponse:
    """The report's tables, one row per figure; every text cell neutralised against formulas."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    writer = csv.writer(response)
    writer.writerow(
        [
            "Table",
            "Row",
            "Treatments",
            "Treatments with the event",
            "Events",
            "Per 100 treatments",
            "95 % range from",
            "95 % range to",
            "Published per 100",
            "Published figure",
            "Source",
        ]
    )

    def rate_cells(rate: safety_stats.Rate) -> list[str]:
        if rate.n == 0:
            return ["", "", ""]
        return [f"{rate.per_100:.4f}", f"{rate.low:.4f}", f"{rate.high:.4f}"]

    for table, rows in (
        ("Mild events", report.mild_types),
        ("Significant events", report.significant_types),
    ):
        for row in rows:
            published = row.published
            writer.writerow(
                [
                    table,
                    _cell(row.label),
                    row.rate.n,
                    row.rate.k,
                    row.events,
                    *rate_cells(row.rate),
                    "" if published.per_100 is None else f"{published.per_100:g}",
                    _cell(published.text),
                    _cell(published.sources),
                ]
            )
    for table, rows in (
        ("By practitioner", report.by_practitioner),
        ("By technique", report.by_technique),
    ):
        for row in rows:
            writer.writerow(
                [table, _cell(row.label), row.rate.n, row.rate.k, "", *rate_cells(row.rate)]
                + ["", "", ""]
            )
    for row in report.monthly:
        writer.writerow(
            ["By month", row.month.strftime("%Y-%m"), row.rate.n, row.rate.k, ""]
            + rate_cells(row.rate)
            + ["", "", ""]
        )
    writer.writerow([])
    writer.writerow(
        ["Significant events", "Treated on", "What happened", "Practitioner"]
        + ["Severity", "Referred"]
    )
    for event in report.significant_events:
        writer.writerow(
            [
                "Significant events",
                event.treated_on.isoformat(),
                _cell(event.type_label),
                _cell(event.practitioner),
                _cell(event.severity),
                "Yes" if event.referred else "No",
            ]
        )
    response["Content-Disposition"] = (
        f'attachment; filename="safety-report-{report.start.isoformat()}'
        f'-to-{report.end.isoformat()}.csv"'
    )
    return response
