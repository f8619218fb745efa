"""Data leaving the app for the clinic: the intakes as CSV, a patient's own record as a ZIP."""

import csv

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from screening.forms import IntakeExportForm, PatientRecordSearchForm
from screening.models import Patient
from screening.permissions import Perm, require_perm
from screening.services import records
from screening.views.manage import _cell, _Echo


@require_perm(Perm.EXPORT_DATA)
def intakes_export(request):
    """A date range of appointments as CSV, streamed. The form is sent by POST (the download
    is recorded in the audit trail); a range that ends before it starts is explained and
    nothing is downloaded or recorded."""
    form = IntakeExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        rows = records.intakes_export_begin(
            actor=request.user,
            date_from=form.cleaned_data["date_from"],
            date_to=form.cleaned_data["date_to"],
            request=request,
        )
        return _csv_response(rows, form.cleaned_data)
    status = 400 if request.method == "POST" else 200
    return render(request, "screening/manage/export.html", {"form": form}, status=status)


def _csv_response(rows, data) -> StreamingHttpResponse:
    def lines():
        writer = csv.writer(_Echo())
        yield writer.writerow(records.EXPORT_HEADER)
        for row in rows:
            yield writer.writerow([_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = f"intakes-{data['date_from']:%Y-%m-%d}-to-{data['date_to']:%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@require_perm(Perm.EXPORT_DATA)
def patient_record(request):
    """Find a patient by name and date of birth (POST: the search never appears in a URL),
    then download their record in one click."""
    form = PatientRecordSearchForm(request.POST or None)
    found = None
    if request.method == "POST" and form.is_valid():
        found = records.patient_record_search(
            actor=request.user,
            full_name=form.cleaned_data["full_name"],
            date_of_birth=form.cleaned_data["date_of_birth"],
            request=request,
        )
    status = 400 if request.method == "POST" and form.errors else 200
    response = render(
        request,
        "screening/manage/patient_record.html",
        {
            "form": form,
            "found": None if found is None else [_found_row(patient) for patient in found],
            "limit": records.SEARCH_LIMIT,
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


def _found_row(patient: Patient) -> dict:
    appointments = sorted(intake.appointment_at for intake in patient.intakes.all())
    return {
        "patient": patient,
        "intakes": len(appointments),
        "first": appointments[0] if appointments else None,
        "last": appointments[-1] if appointments else None,
    }


@require_perm(Perm.EXPORT_DATA)
@require_POST
def patient_record_download(request):
    """The ZIP of one patient's record. The patient is named by the search result's button
    (POST); an unknown or erased patient is a 404."""
    try:
        patient = Patient.objects.get(pk=int(request.POST.get("patient", "")), erased_at=None)
    except (Patient.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    data = records.patient_record_export(actor=request.user, patient=patient, request=request)
    response = HttpResponse(data, content_type="application/zip")
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="patient-record-{stamp}.zip"'
    response["Cache-Control"] = "no-store"
    return response
