"""Questionnaire 2026.12-1 asks ``needle_phobia`` as yes or no, with ``fear_level`` (mild or
strong) only after a yes. Stored answers of the earlier version chose ``fear_level: none`` for
"I am fine with needles", which now reads as a plain no: the answer the patient gave is kept,
only the retired value goes. Screening snapshots are history and stay as they were."""

from django.db import migrations


def forwards(apps, schema_editor):
    Intake = apps.get_model("screening", "Intake")
    for intake in Intake.objects.filter(answers__has_key="needle_phobia").only("answers"):
        values = intake.answers.get("needle_phobia") or {}
        if values.get("fear_level") != "none":
            continue
        intake.answers["needle_phobia"] = {"answer": False}
        intake.save(update_fields=["answers"])


def backwards(apps, schema_editor):
    Intake = apps.get_model("screening", "Intake")
    for intake in Intake.objects.filter(answers__has_key="needle_phobia").only("answers"):
        values = intake.answers.get("needle_phobia") or {}
        if values.get("answer") is False and "fear_level" not in values:
            intake.answers["needle_phobia"] = {"answer": False, "fear_level": "none"}
            intake.save(update_fields=["answers"])


class Migration(migrations.Migration):
    dependencies = [("screening", "0003_consent")]

    operations = [migrations.RunPython(forwards, backwards)]
